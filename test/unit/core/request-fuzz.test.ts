/**
 * The validator over random JSON: it accepts or throws InvalidCertificateRequest, never anything
 * else, and its messages stay short and printable whatever the input. (Its speed, ≤ 5 ms per
 * input, is measured by `npm run bench`, not timed here.)
 */
import { describe, expect, it } from 'vitest';
import { InvalidCertificateRequest } from '../../../domain/core/errors';
import { validateCertificateRequest, type RequestPolicy } from '../../../domain/core/request';
import { randomRequest, seededRandom } from '../../support/random-requests';

const policy: RequestPolicy = { zones: [{ name: 'example.com' }], defaultDirectoryUrl: 'https://acme.example/dir', defaultContact: [], secretPrefix: 'certflow/' };
const valid = { certificateId: 'broker-1', names: ['example.com', '*.example.com'] };
const SEED = 20261201;
const RUNS = 3000;

describe('validateCertificateRequest, fuzzed', () => {
  it(`throws only InvalidCertificateRequest, with a short printable message, over ${RUNS} random inputs (seed ${SEED})`, () => {
    const random = seededRandom(SEED);
    let accepted = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const input = randomRequest(random, valid);
      try {
        validateCertificateRequest(input, policy);
        accepted += 1;
      } catch (error) {
        const where = `run ${run}: ${JSON.stringify(input)?.slice(0, 200)}`;
        expect(error, where).toBeInstanceOf(InvalidCertificateRequest);
        const { message } = error as Error;
        expect(message.length, where).toBeLessThan(2000);
        // eslint-disable-next-line no-control-regex -- the point: no raw control character reaches a message
        expect(message, where).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
      }
    }
    // The generator must exercise both outcomes, or it proves nothing.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(RUNS);
  });
});
