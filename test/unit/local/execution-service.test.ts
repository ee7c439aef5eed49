/**
 * local/execution-service.ts and its client over a real Unix socket, with a one-state definition
 * (no CA needed): synthesis progress when the keyed sources changed, the pipeline reused while
 * they did not, the build check, usage errors and bad requests. The daemon against Pebble:
 * test/e2e/daemon-executions.test.ts.
 */
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTxtZoneData } from '../../../domain/adapters/local/file-zone-data';
import type { LocalDefinitions } from '../../../local/definition';
import { NotDeclared } from '../../../local/declared';
import { executeInDaemon } from '../../../local/execution-client';
import type { ExecutionMessage } from '../../../local/execution-protocol';
import { serveExecutions, type ExecutionService } from '../../../local/execution-service';

const CODE = 'build-under-test';
let dir: string;
let service: ExecutionService;
let synthesized: number;
const logged: string[] = [];

function oneState(name: string): LocalDefinitions {
  const definition = { definition: { StartAt: name, States: { [name]: { Type: 'Succeed' } } }, stepsByArn: new Map() } as unknown as LocalDefinitions['renew'];
  return { renew: definition, scan: definition, revoke: definition };
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-exec-'));
  await fs.mkdir(path.join(dir, 'src', 'infra'), { recursive: true });
  await fs.writeFile(path.join(dir, 'src', 'infra', 'machine.ts'), 'export const version = 1;\n');
  // What the daemon publishes (local/ca-daemon.ts): the client finds the socket there.
  await fs.mkdir(path.join(dir, 'local-ca'));
  await fs.writeFile(path.join(dir, 'local-ca', 'state.json'), JSON.stringify({ executions: { socket: path.join(dir, 'x.sock'), codeId: CODE } }));
  synthesized = 0;
  logged.length = 0;
  service = await serveExecutions({
    log: (line) => logged.push(line),
    home: dir,
    ca: { directoryUrl: 'https://127.0.0.1:1/dir', tlsCaPem: '', rootPem: '', dns: { data: new FileTxtZoneData([{ name: 'certflow.test' }], path.join(dir, 'txt')), port: 1 } },
    endpoint: { socket: path.join(dir, 'x.sock'), codeId: CODE },
    definitions: {
      sourceRoot: path.join(dir, 'src'),
      sources: ['infra'],
      cacheDir: path.join(dir, 'cache'),
      synthesize: () => {
        synthesized += 1;
        return oneState(`Done${synthesized}`);
      },
    },
    declared: async (id) => {
      if (id !== 'declared') throw new NotDeclared(`'${id}' is not declared`);
      return { certificateId: 'declared', names: ['d.certflow.test'] };
    },
  });
});
afterEach(async () => {
  await service.close();
  await fs.rm(dir, { recursive: true, force: true });
});

function raw(line: string): Promise<ExecutionMessage[]> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path.join(dir, 'x.sock'), () => socket.write(`${line}\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(text.split('\n').filter(Boolean).map((message) => JSON.parse(message) as ExecutionMessage)));
  });
}

describe('the execution service', () => {
  it('synthesizes (with progress) only when the keyed sources changed; the same pipeline serves until then', async () => {
    const synthesis: string[] = [];
    const states: string[] = [];
    const run = () =>
      executeInDaemon(dir, { op: 'issue', request: { certificateId: 'a', names: ['a.certflow.test'] } }, CODE, {
        onSynthesis: (event) => synthesis.push(event.phase),
        onEvent: (event) => event.type === 'StateEntered' && states.push(event.state!.name),
      });
    expect(await run()).toMatchObject({ kind: 'done', request: { certificateId: 'a' }, result: { status: 'SUCCEEDED' }, current: null, daemon: { pid: process.pid } });
    expect(await run()).toMatchObject({ kind: 'done' });
    expect({ synthesized, synthesis, states }).toEqual({ synthesized: 1, synthesis: ['start', 'done'], states: ['Done1', 'Done1'] });
    expect(logged).toEqual([expect.stringMatching(/^\S+Z \S+ a: SUCCEEDED in \d+ ms$/), expect.stringMatching(/ a: SUCCEEDED in /)]);

    await fs.writeFile(path.join(dir, 'src', 'infra', 'machine.ts'), 'export const version = 2;\n');
    await run();
    expect({ synthesized, synthesis, states: states.at(-1) }).toEqual({ synthesized: 2, synthesis: ['start', 'done', 'start', 'done'], states: 'Done2' });
  });

  it('renew resolves the declaration in the daemon; an undeclared id is the operator\'s to fix', async () => {
    expect(await executeInDaemon(dir, { op: 'renew', certificateId: 'declared' }, CODE)).toMatchObject({ kind: 'done', request: { certificateId: 'declared', names: ['d.certflow.test'] } });
    expect(await executeInDaemon(dir, { op: 'renew', certificateId: 'other' }, CODE)).toEqual({ kind: 'usage', message: "'other' is not declared" });
  });

  it('refuses another build, and answers bad requests with an error, running nothing', async () => {
    const request = { protocol: 1, op: 'issue', request: { certificateId: 'a', names: ['a.certflow.test'] } };
    expect(await raw(JSON.stringify({ ...request, codeId: 'another' }))).toEqual([{ type: 'refused', reason: expect.stringContaining('another build') }]);
    expect(await raw('[1,2]')).toEqual([{ type: 'error', message: 'bad request: protocol undefined (this daemon speaks 1)' }]);
    expect(await raw(JSON.stringify({ ...request, codeId: CODE, request: { certificateId: 'a' } }))).toEqual([{ type: 'error', message: 'bad request: neither an issue nor a renew request' }]);
    expect(await raw(JSON.stringify({ protocol: 1, codeId: CODE, op: 'renew', certificateId: 'declared', configFile: 7 }))).toEqual([
      { type: 'error', message: 'bad request: neither an issue nor a renew request' },
    ]);
    expect(synthesized).toBe(0);
  });

  it('a client finds no daemon: nothing published, a published socket nobody serves, or another build', async () => {
    await service.close();
    expect(await executeInDaemon(dir, { op: 'issue', request: { certificateId: 'a', names: ['a.certflow.test'] } }, CODE)).toEqual({ kind: 'unavailable' });
    expect(await executeInDaemon(path.join(dir, 'nowhere'), { op: 'renew', certificateId: 'a' }, CODE)).toEqual({ kind: 'unavailable' });
    expect(await executeInDaemon(dir, { op: 'renew', certificateId: 'a' }, 'another')).toEqual({ kind: 'unavailable', why: expect.stringContaining('another build') });
  });
});
