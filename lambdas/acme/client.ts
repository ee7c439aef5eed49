/**
 * acme-client, configured for short Lambda calls:
 * - its own retry loop (which sleeps, and re-sends 429/5xx with a stale nonce — upstream #103)
 *   is off: rate limits and outages surface as named errors (caAnswerError) and the state
 *   machine retries;
 * - network and TLS failures become clear errors instead of upstream #101's
 *   "Cannot read properties of undefined (reading 'config')";
 * - a private CA bundle can be trusted (Pebble locally, internal ACME CAs in production).
 * Nonces stay acme-client's (a HEAD newNonce before each signed request: ADR 0015), and so does
 * its badNonce retry (a fresh nonce, up to 5 times, no sleep).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as https from 'node:https';
import * as acme from 'acme-client';
import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
// The build acme-client requires (see axios-cjs.d.ts): one axios per process, not two.
import axios from 'axios/dist/node/axios.cjs';
import {
  AcmeBadNonce,
  AcmeRateLimited,
  AcmeRequestRejected,
  AcmeUnavailable,
  CertflowError,
  errorMessage,
} from '../../domain/core/errors';

const REQUEST_TIMEOUT_MS = 10_000;
// OpenSSL verification failures as Node reports them: retrying will not fix these.
const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Seconds from a Retry-After header (delta-seconds or HTTP date); undefined when absent. */
export function parseRetryAfter(header: unknown, now: Date = new Date()): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** A CA's answer, as caAnswerError reads it: its status, problem document (RFC 8555 §6.7) and Retry-After. */
interface CaAnswer {
  readonly status: number;
  readonly url: string;
  /** The response body: a problem document on errors. */
  readonly body?: unknown;
  readonly retryAfter?: unknown;
}

const RATE_LIMITED_PROBLEM = 'urn:ietf:params:acme:error:rateLimited';

function problemField(body: unknown, field: 'type' | 'detail'): string | undefined {
  return typeof body === 'object' && body !== null && field in body ? String((body as Record<string, unknown>)[field]) : undefined;
}

/**
 * Which CA answers become which named error — the one statement of it; the state machine's Retry
 * rules (infra/renew-state-machine.ts) take the names, docs/explanation/architecture.md points here:
 * - HTTP 429, or a `rateLimited` problem whatever the status → AcmeRateLimited: retried over
 *   minutes (RATE_LIMIT_RETRY);
 * - any other 5xx, 503 included (with or without Retry-After) → AcmeUnavailable: retried over
 *   seconds (TRANSIENT_RETRY), like a CA that cannot be reached;
 * - anything else is acme-client's to read (a 4xx problem ends as AcmeRequestRejected in acmeCall).
 * The Retry-After, when sent, is in the message (and in AcmeRateLimited's retryAfterSeconds).
 */
export function caAnswerError({ status, url, body, retryAfter }: CaAnswer): AcmeRateLimited | AcmeUnavailable | undefined {
  const rateLimited = status === 429 || problemField(body, 'type') === RATE_LIMITED_PROBLEM;
  if (!rateLimited && status < 500) return undefined;
  const seconds = parseRetryAfter(retryAfter);
  const said = `${problemField(body, 'detail') ?? `HTTP ${status}`}${seconds === undefined ? '' : ` (Retry-After: ${seconds}s)`}`;
  return rateLimited ? new AcmeRateLimited(`CA rate limit at ${url}: ${said}`, seconds) : new AcmeUnavailable(`CA answered HTTP ${status} at ${url}: ${said}`);
}

/**
 * The problem types the CA answered within one acmeCall (acme-client keeps only the detail text in
 * the errors it throws): the call runs in this store, the response interceptor adds to it.
 */
const problemsSeen = new AsyncLocalStorage<string[]>();

function classifyResponse(response: AxiosResponse): AxiosResponse {
  const type = problemField(response.data, 'type');
  if (type && response.status >= 400) problemsSeen.getStore()?.push(type);
  const error = caAnswerError({ status: response.status, url: response.config.url ?? '', body: response.data, retryAfter: response.headers['retry-after'] });
  if (error) throw error;
  return response;
}

function classifyTransportError(error: unknown, config: InternalAxiosRequestConfig): unknown {
  if (axios.isAxiosError(error) && error.response) return error;
  const code = (error as { code?: string }).code ?? '';
  const url = config.url ?? '';
  if (TLS_TRUST_CODES.has(code)) {
    return new AcmeRequestRejected(
      `TLS certificate of ${url} is not trusted (${code}); set the CA bundle (acmeCaBundle / CERTFLOW_ACME_CA_FILE) for private ACME CAs`,
    );
  }
  return new AcmeUnavailable(`CA unreachable at ${url}: ${code || errorMessage(error)}`);
}

let configured = false;
let trustedBundle: string | undefined;

/**
 * Idempotent, process-wide: acme-client shares one axios instance. The keep-alive agent is
 * replaced only when the CA bundle changes, so warm invocations reuse their TLS connection.
 */
export function configureAcmeHttp(caBundlePem?: string): void {
  if (caBundlePem && caBundlePem !== trustedBundle) {
    trustedBundle = caBundlePem;
    acme.axios.defaults.httpsAgent = new https.Agent({ ca: caBundlePem, keepAlive: true });
  }
  if (configured) return;
  configured = true;
  const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings;
  settings.retryMaxAttempts = 0;
  acme.axios.defaults.timeout = REQUEST_TIMEOUT_MS;
  const httpAdapter = axios.getAdapter('http');
  acme.axios.defaults.adapter = async (config) => {
    try {
      return await httpAdapter(config);
    } catch (error) {
      throw classifyTransportError(error, config);
    }
  };
  acme.axios.interceptors.response.use(classifyResponse);
}

export interface AcmeAccount {
  readonly directoryUrl: string;
  readonly accountKeyPem: string;
  readonly accountUrl?: string;
  readonly externalAccountBinding?: { kid: string; hmacKey: string };
}

const clients = new Map<string, acme.Client>();

/** A client per directory + account, reused across warm invocations (it caches the directory). */
export function acmeClient(account: AcmeAccount): acme.Client {
  const cacheKey = `${account.directoryUrl} ${account.accountUrl ?? ''}`;
  let client = clients.get(cacheKey);
  if (!client || !account.accountUrl) {
    client = new acme.Client({
      directoryUrl: account.directoryUrl,
      accountKey: account.accountKeyPem,
      ...(account.accountUrl ? { accountUrl: account.accountUrl } : {}),
      ...(account.externalAccountBinding ? { externalAccountBinding: account.externalAccountBinding } : {}),
      backoffAttempts: 1,
      backoffMin: 0,
      backoffMax: 0,
    });
    if (account.accountUrl) clients.set(cacheKey, client);
  }
  return client;
}

/** Run one ACME exchange and turn whatever it throws into a named certflow error. */
export async function acmeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  const problems: string[] = [];
  try {
    return await problemsSeen.run(problems, call);
  } catch (error) {
    if (error instanceof CertflowError) throw error;
    const message = errorMessage(error);
    if (/badNonce|anti-replay nonce/i.test(message)) throw new AcmeBadNonce(`${what}: ${message}`);
    // The last problem: acme-client retries a bad nonce by itself, so earlier ones are those.
    const problemType = problems.at(-1);
    throw new AcmeRequestRejected(`${what}: ${message}`, { cause: error, ...(problemType ? { problemType } : {}) });
  }
}
