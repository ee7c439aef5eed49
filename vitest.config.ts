import { defineConfig } from 'vitest/config';

/*
 * Two groups, one after the other, so the suite holds on a busy 2-core machine (CI shares it):
 * - fast: unit, infra and contract tests, two files at a time;
 * - e2e: each file starts its own Pebble (and some a JVM): one file at a time, after the fast
 *   group, with timeouts from measured times. Setup (Pebble + the synthesized definitions) took
 *   7–39 s alone and over 60 s with other suites running; the longest e2e test ≈ 25 s alone.
 *   Allowing about five times the unloaded worst case keeps a loaded CI green without hiding a hang.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/contract/**/*.test.ts'],
          setupFiles: ['test/support/per-file-tmpdir.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          // One process, one file after another (each file still gets fresh modules).
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
