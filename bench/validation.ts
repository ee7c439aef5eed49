/**
 * Request validation over random inputs (test/support/random-requests.ts): the time per input.
 * Each input is timed three times and its fastest run kept, so a garbage-collection pause that
 * happens to fall inside one call is not charged to that input; the max is the slowest input.
 */
import { validateCertificateRequest, type RequestPolicy } from '../domain/core/request';
import { randomRequest, seededRandom } from '../test/support/random-requests';
import { median, percentile } from './stats';

export interface ValidationFigures {
  readonly inputs: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const policy: RequestPolicy = { zones: [{ name: 'example.com' }], defaultDirectoryUrl: 'https://acme.example/dir', defaultContact: [], secretPrefix: 'certflow/' };

function timeOnce(input: unknown): number {
  const started = performance.now();
  try {
    validateCertificateRequest(input, policy);
  } catch {
    // refused: the refusal is what is timed
  }
  return performance.now() - started;
}

export function benchValidation(count: number): ValidationFigures {
  const random = seededRandom(20261201);
  const valid = { certificateId: 'broker-1', names: ['example.com', '*.example.com'] };
  const inputs = Array.from({ length: count }, () => randomRequest(random, valid));
  for (const input of inputs.slice(0, 500)) timeOnce(input); // JIT: the first calls compile the schema paths
  const times = inputs.map((input) => Math.min(timeOnce(input), timeOnce(input), timeOnce(input)));
  return { inputs: count, medianMs: median(times), p99Ms: percentile(times, 99), maxMs: Math.max(...times) };
}
