import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PEBBLE_DEBIAN_VERSION, PebbleMissing, debianMirror, ensurePebbleInstalled, fetchedPebblePath, pebbleBinary } from '../../../local/pebble-install';

const saved = { PEBBLE_BIN: process.env.PEBBLE_BIN, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('where Pebble 2.10 comes from', () => {
  it.each([
    ['a deb822 file', 'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n', 'http://mirror.example/debian'],
    ['a one-line entry with options', 'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n', 'http://mirror.example/debian'],
    ['only a security source', 'URIs: http://deb.debian.org/debian-security\n', 'http://deb.debian.org/debian'],
    ['nothing', '', 'http://deb.debian.org/debian'],
  ])("takes the machine's own Debian mirror from %s", (_, text, mirror) => {
    expect(debianMirror([text])).toBe(mirror);
  });

  it('lives under XDG_CACHE_HOME with its Debian version in the path; PEBBLE_BIN wins', () => {
    process.env.XDG_CACHE_HOME = '/cache-home';
    delete process.env.PEBBLE_BIN;
    expect(fetchedPebblePath()).toBe(`/cache-home/certflow/pebble-${PEBBLE_DEBIAN_VERSION}/usr/bin/pebble`);
    expect(pebbleBinary()).toBe(fetchedPebblePath());
    process.env.PEBBLE_BIN = '/opt/pebble';
    expect(pebbleBinary()).toBe('/opt/pebble');
  });

  it('an existing binary is used as it is, nothing fetched', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebble-bin-'));
    const binary = path.join(dir, 'pebble');
    fs.writeFileSync(binary, '#!/bin/sh\n', { mode: 0o755 });
    process.env.PEBBLE_BIN = binary;
    const lines: string[] = [];
    expect(ensurePebbleInstalled((line) => lines.push(line))).toBe(binary);
    expect(lines).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });

  it('a PEBBLE_BIN that does not exist is an error that says what to do, not a fetch', () => {
    process.env.PEBBLE_BIN = '/nowhere/pebble';
    const attempt = () => ensurePebbleInstalled(() => {});
    expect(attempt).toThrow(PebbleMissing);
    expect(attempt).toThrow(/PEBBLE_BIN=\/nowhere\/pebble does not exist; unset it to let certflow fetch Pebble 2\.10\.0\+ds1-2, or fetch Debian sid's pebble/);
  });
});
