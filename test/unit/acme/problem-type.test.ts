/** acmeCall keeps the CA's problem type (RFC 8555 §6.7) on AcmeRequestRejected: revocation tells `alreadyRevoked` from a refusal by it. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeCall, configureAcmeHttp } from '../../../lambdas/acme/client';
import { AcmeRequestRejected } from '../../../domain/core/errors';

let server: http.Server;
let base = '';

beforeAll(async () => {
  configureAcmeHttp();
  server = http.createServer((request, response) => {
    const type = request.url?.slice(1) ?? 'malformed';
    response.writeHead(400, { 'content-type': 'application/problem+json' });
    response.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${type}`, detail: `the CA says ${type}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** An acme-client style call: it throws an Error carrying only the detail text. */
const call = (type: string) => async () => {
  const response = await acme.axios.get(`${base}/${type}`, { validateStatus: () => true });
  throw new Error((response.data as { detail: string }).detail);
};

describe('acmeCall', () => {
  it.each(['alreadyRevoked', 'unauthorized'])('carries the problem type %s on the AcmeRequestRejected it throws', async (type) => {
    const error = await acmeCall('revoke certificate', call(type)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AcmeRequestRejected);
    expect(error).toMatchObject({ problemType: `urn:ietf:params:acme:error:${type}`, message: `revoke certificate: the CA says ${type}` });
  });

  it('keeps each call\'s problems to itself when calls overlap', async () => {
    const [a, b] = await Promise.all([acmeCall('a', call('alreadyRevoked')).catch((e: unknown) => e), acmeCall('b', call('badCSR')).catch((e: unknown) => e)]);
    expect((a as AcmeRequestRejected).problemType).toBe('urn:ietf:params:acme:error:alreadyRevoked');
    expect((b as AcmeRequestRejected).problemType).toBe('urn:ietf:params:acme:error:badCSR');
  });

  it('has no problem type when the CA sent none', async () => {
    const error = (await acmeCall('x', async () => {
      throw new Error('socket closed');
    }).catch((thrown: unknown) => thrown)) as AcmeRequestRejected;
    expect(error.problemType).toBeUndefined();
  });
});
