import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e suites each start their own Pebble; two cores, so keep files to two workers.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
  },
});
