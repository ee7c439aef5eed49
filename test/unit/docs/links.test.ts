/** Every relative link in README.md and docs/**\/*.md leads to a file of the repository, and an anchor to a heading there. */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, links, markdownFiles, read, REPO, scan } from './markdown';

const files = markdownFiles();
const relative = files.flatMap((file) => links(file)).filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link.target));

describe('links in README.md and docs/', () => {
  it('finds the pages and their links', () => {
    expect(files).toContain('docs/README.md');
    expect(files).toContain('docs/tutorial.md');
    expect(relative.length).toBeGreaterThan(50);
  });

  it.each(relative.map((link) => [`${link.file}:${link.line} → ${link.target}`, link] as const))('%s', (_name, link) => {
    const [target, anchor] = link.target.split('#', 2) as [string, string | undefined];
    const file = target === '' ? link.file : path.posix.join(path.posix.dirname(link.file), decodeURIComponent(target));
    expect(file.startsWith('..'), `${file} is outside the repository`).toBe(false);
    expect(existsSync(path.join(REPO, file)), `${file} does not exist`).toBe(true);
    if (anchor !== undefined) {
      expect(file.endsWith('.md') && statSync(path.join(REPO, file)).isFile(), `#${anchor} on ${file}, which is not a Markdown page`).toBe(true);
      expect([...anchors(file)], `no heading of ${file} has the anchor #${anchor}`).toContain(anchor);
    }
  });
});

describe('the README', () => {
  const readme = scan('README.md');

  it('is read in five minutes: at most 250 lines', () => {
    expect(read('README.md').trimEnd().split('\n').length).toBeLessThanOrEqual(250);
  });

  it('opens with the two commands that CI and newcomers run', () => {
    expect(readme.blocks[0]?.text).toBe(
      [
        'npm ci && npm run demo   # issue a real certificate from a local Pebble CA through the state machine',
        'npm test                 # typecheck, lint, knip, unit, infra and end-to-end tests',
      ].join('\n'),
    );
  });

  it('links every page under docs/', () => {
    const linked = new Set(
      [...links('README.md'), ...links('docs/README.md').map((link) => ({ ...link, target: `docs/${link.target}` }))].map((link) => path.posix.normalize(link.target.split('#')[0]!)),
    );
    const pages = files.filter((file) => file.startsWith('docs/') && file !== 'docs/README.md');
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe('the anchor rules', () => {
  it.each([
    ['## Fast local path', 'fast-local-path'],
    ['## What `npm run demo` does', 'what-npm-run-demo-does'],
    ["## Certificate layout (certbot's) — local store and host agent alike", 'certificate-layout-certbots--local-store-and-host-agent-alike'],
    ['### 1. Configure', '1-configure'],
  ])('%s → #%s', (heading, anchor) => {
    expect([...anchors('x.md', `${heading}\n`)]).toEqual([anchor]);
  });
});
