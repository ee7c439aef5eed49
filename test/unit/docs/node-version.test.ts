/**
 * The Node version, said once and kept true: package.json `engines`, the README's "Node 20 or 22"
 * and what the lockfile's packages ask for. The suite runs on Node 20 (CI, the development
 * machines); the one package that asks for 22 is polyfilled where it runs.
 */
import { describe, expect, it } from 'vitest';
import { read } from './markdown';

const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }> };
const readme = read('README.md');

/** The lowest major a `>=N…` or `^N…`-style range admits, for ranges that admit nothing below one major. */
const floorMajor = (range: string): number => Math.min(...range.split('||').map((part) => Number(/(\d+)/.exec(part)?.[1] ?? 0)));

describe('Node version', () => {
  it('package.json says Node >= 20, and so do the README and the install guide', () => {
    expect(pkg.engines.node).toBe('>=20');
    expect(readme).toContain('Node ≥ 20');
    expect(read('docs/install.md')).toContain('Node ≥ 20');
  });

  it('only aws-local-stepfunctions asks for more among the installed packages, as the README says', () => {
    const above = Object.entries(lock.packages)
      .filter(([, entry]) => !entry.optional && entry.engines && !Array.isArray(entry.engines) && entry.engines.node && floorMajor(entry.engines.node) > 20)
      .map(([name, entry]) => `${name.replace(/^.*node_modules\//, '')}@${entry.version}`);
    expect(above).toEqual(['aws-local-stepfunctions@3.0.0']);
    for (const name of above) expect(readme).toContain(name);
  });

  it('the local runner provides Promise.withResolvers, which aws-local-stepfunctions needs, on Node 20', async () => {
    await import('../../../local/runner');
    const { promise, resolve } = (Promise as unknown as { withResolvers: <T>() => { promise: Promise<T>; resolve: (value: T) => void } }).withResolvers<number>();
    resolve(20);
    await expect(promise).resolves.toBe(20);
  });

  it('Lambdas and the agent image run Node 22, as the README says', () => {
    expect(read('infra/renewal-functions.ts')).toContain('lambda.Runtime.NODEJS_22_X');
    expect(read('Dockerfile')).toMatch(/^FROM node:22-alpine/m);
    expect(readme).toContain('`nodejs22.x`');
    expect(readme).toContain('`node:22-alpine`');
  });
});
