/**
 * Ports as narrow as the IAM: the port methods each step's handler may call (its catalogue entry,
 * held equal to the handler's deps type by the compiler) against the capabilities of its role.
 */
import { describe, expect, it, vi } from 'vitest';
import { CAPABILITY_PORTS, type Capability } from '../../infra/iam';
import { STEP_IDS, STEPS } from '../../lambdas/catalogue';
import { narrowDeps, type PortMethod, type PortName, type PortSpec, type StepDeps } from '../../lambdas/deps';

const methodsOf = (spec: PortSpec): string[] => Object.entries(spec).flatMap(([port, names]) => (names as readonly string[]).map((name) => `${port}.${name}`));
const allowedBy = (capabilities: readonly Capability[]) => new Set(capabilities.flatMap((capability) => methodsOf(CAPABILITY_PORTS[capability])));

// Every method of every port (the compiler keeps these lists complete).
const PORT_METHODS: { readonly [K in PortName]: Record<PortMethod<K>, true> } = {
  store: {
    account: true,
    saveAccountUrl: true,
    readSecret: true,
    pendingKey: true,
    readPendingKey: true,
    discardPending: true,
    pendingFor: true,
    current: true,
    currentKeystorePassword: true,
    promote: true,
    inventory: true,
    recordFailure: true,
    recordAri: true,
    currentVersion: true,
    acquireLease: true,
    releaseLease: true,
    heldLease: true,
    issuedCertificate: true,
    markRevoked: true,
  },
  dns: { present: true, isInSync: true, cleanup: true },
  events: { renewed: true, failed: true, expiring: true, revoked: true, revocationFailed: true },
  orders: { ordersSince: true },
  issuer: { issue: true, fetch: true },
  executions: { isGone: true },
  rotations: { rotation: true, saveRotation: true },
  hosts: { hostStates: true, reports: true },
  queues: { queueNames: true },
};

describe.each(STEP_IDS)('%s', (step) => {
  const { ports, capabilities } = STEPS[step];

  it('uses only port methods its capabilities allow', () => {
    const allowed = allowedBy(capabilities);
    expect(methodsOf(ports).filter((method) => !allowed.has(method))).toEqual([]);
  });

  it('has no capability that none of its port methods needs', () => {
    const used = new Set(methodsOf(ports));
    expect(capabilities.filter((capability) => !methodsOf(CAPABILITY_PORTS[capability]).some((method) => used.has(method)))).toEqual([]);
  });
});

describe('the capability table', () => {
  it('governs every method of every port', () => {
    const governed = allowedBy(Object.keys(CAPABILITY_PORTS) as Capability[]);
    const all = Object.entries(PORT_METHODS).flatMap(([port, methods]) => Object.keys(methods).map((method) => `${port}.${method}`));
    expect(all.filter((method) => !governed.has(method))).toEqual([]);
  });

  it('names only methods the ports have', () => {
    const all = new Set(Object.entries(PORT_METHODS).flatMap(([port, methods]) => Object.keys(methods).map((method) => `${port}.${method}`)));
    for (const spec of Object.values(CAPABILITY_PORTS)) expect(methodsOf(spec).filter((method) => !all.has(method))).toEqual([]);
  });
});

describe('narrowDeps (what the local runner gives a step)', () => {
  const full = () => {
    const store = { inventory: vi.fn(async () => []), promote: vi.fn(), discardPending: vi.fn(async () => {}), releaseLease: vi.fn(async () => {}), heldLease: vi.fn(async () => undefined), pendingFor: vi.fn() };
    return {
      settings: { zones: [], defaultDirectoryUrl: 'https://ca.test/dir', defaultContact: [], secretPrefix: 'certflow/' },
      log: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
      now: () => new Date(0),
      store,
      dns: { present: vi.fn(), isInSync: vi.fn(), cleanup: vi.fn() },
      events: { renewed: vi.fn(), failed: vi.fn(), expiring: vi.fn() },
      orders: { ordersSince: vi.fn() },
    } as unknown as StepDeps;
  };

  it('gives the named methods of the named ports, and nothing else', () => {
    const deps = full();
    const narrowed = narrowDeps(deps, STEPS['scan-inventory'].ports) as unknown as Record<string, object>;
    expect(Object.keys(narrowed).sort()).toEqual(['events', 'log', 'now', 'orders', 'settings', 'store']);
    expect(Object.keys(narrowed.store!)).toEqual(['inventory', 'recordAri']);
    expect(Object.keys(narrowed.events!)).toEqual(['expiring']);
    expect(narrowDeps(deps, STEPS['validate-request'].ports)).not.toHaveProperty('store');
  });

  it('is what a catalogue step is invoked with in-process', async () => {
    const deps = full();
    const records = [{ name: '_acme-challenge.a.test', value: 'v' }];
    const pending = { certificateId: 'a', pendingId: 'p1' };
    expect(await STEPS['cleanup-challenges'].invoke({ records, certificateId: 'a', executionId: 'exec-1', pending }, deps)).toEqual({ removed: 1 });
    expect(deps.dns.cleanup).toHaveBeenCalledWith(records);
  });

  it('calls the adapter as itself, looked up at call time (a spy set later still applies)', async () => {
    const deps = full();
    const narrowed = narrowDeps(deps, { store: ['inventory'] });
    const spy = vi.fn(async function (this: unknown) {
      expect(this).toBe(deps.store);
      return [];
    });
    (deps.store as unknown as { inventory: unknown }).inventory = spy;
    await narrowed.store.inventory();
    expect(spy).toHaveBeenCalledOnce();
  });
});
