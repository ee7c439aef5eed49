/**
 * The agent's core: event or reconcile → decide → fetch → verify → install → switch live →
 * reload → (roll back on failure). Depends on ports and the install directory only; one
 * certificate is handled at a time (events, reconcile and start-up never interleave on it).
 */
import { hostname } from 'node:os';
import { SERVED, type CertificateReloadFailedEvent } from '../domain/contracts/events';
import type { CertificateBundle } from '../domain/core/bundle';
import type { VersionMetadata } from '../domain/layout/certbot-layout';
import type { Logger } from '../domain/ports';
import { verifyBundle } from './bundle-check';
import { BundleRejected, errorMessage, InstallFailed, NotServed } from './errors';
import type { TurnTaker } from './fleet/restart-turns';
import type { InstallDir } from './install/install-dir';
import { repairInstall } from './install/repair';
import { decide, DECISIONS, sameCertificate, type Decision, type InstalledVersion } from './ordering';
import type { CertificateSource, HostReporter, ReceivedEvent, ReloadAction, ServedEndpoint, ServedVerifier } from './ports';
import { NOTICE_KINDS, parseStoreNotice, type StoreNotice, type VersionIdentity } from './store-notice';

export interface AgentDeps {
  readonly certificateIds: readonly string[];
  readonly source: CertificateSource;
  readonly installDir: InstallDir;
  /** Without one, switching live/<id> is the whole install (the service reads the files when it starts). */
  readonly reload?: ReloadAction;
  /** "Certificate Installed" and "Certificate Reload Failed", besides the log. */
  readonly reporter?: HostReporter;
  readonly log: Logger;
  readonly now: () => Date;
  /** Installed versions kept per certificate (the live one and the rollback target always stay). */
  readonly keepVersions: number;
  readonly host?: string;
  /** The host's group, named in its reports: which group's NotServed alarm counts it (ADR 0016). */
  readonly group?: string;
  /** Root PEMs every installed chain must lead to (the pipeline's anchors for its directory); unchecked without. */
  readonly trustAnchors?: readonly string[];
  /** After each reload, the endpoints must present the new leaf (--verify-tls); used only with a reload action. */
  readonly served?: ServedVerifier;
  /** The reload is a restart: hosts of the group take turns (agent/fleet/restart-turns.ts, ADR 0014). */
  readonly turns?: TurnTaker;
}

/**
 * What happened to one certificate. Everything but `failed` means done (ack); `failed` means try
 * again later. `rejected`: an event or a version that must never be installed (retrying cannot help).
 */
export type SyncOutcome =
  | { readonly status: 'installed' | 'reloaded'; readonly n: number; readonly version: string }
  | { readonly status: 'current'; readonly n: number; readonly version: string }
  | { readonly status: 'older'; readonly version: string }
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'rejected'; readonly reason: string }
  | { readonly status: 'absent' }
  | { readonly status: 'failed'; readonly reason: string };

export const isDone = (outcome: SyncOutcome): boolean => outcome.status !== 'failed';

/** The reloaded-state value for "the service has loaded none of our versions". */
const NOTHING_LOADED = 0;

interface Installed extends InstalledVersion {
  readonly n: number;
  readonly metadata: VersionMetadata;
}

/** What a version to install is checked against: its id and version, and what an event announced of it. */
type Expected = Partial<VersionIdentity> & Pick<VersionIdentity, 'certificateId' | 'version'>;

export class CertificateAgent {
  private readonly managed: ReadonlySet<string>;
  private readonly queues = new Map<string, Promise<SyncOutcome>>();

  constructor(private readonly deps: AgentDeps) {
    this.managed = new Set(deps.certificateIds);
  }

  /** Start-up for one certificate: repair after a crash, finish a reload a crash interrupted, catch up with the store. */
  start(certificateId: string): Promise<SyncOutcome> {
    return this.serialized(certificateId, 'start-up failed', async () => {
      const repair = await repairInstall(this.deps.installDir, certificateId, (metadata) => this.storeKnows(certificateId, metadata));
      const eventful = repair.outcome === 'repaired' || repair.removed.length > 0 || repair.brokenLive !== undefined || repair.unknownToStore !== undefined;
      if (eventful) this.deps.log.warn('repaired install directory', { certificateId, ...repair });
      const installed = await this.installed(certificateId);
      if (installed) await this.conformPermissions(certificateId, installed.n);
      const finishReload = installed !== undefined && !installed.reloaded;
      if (finishReload) {
        this.deps.log.warn('live version was never loaded by the service; reloading', { certificateId, n: installed.n });
        await this.activate(certificateId, installed.n, installed.metadata);
      }
      const outcome = await this.catchUp(certificateId);
      // Say what this host has at every start (unless the reload above just did): a report of an earlier failure (a
      // first-boot reload with no service yet) is then followed by this one, and the fleet does not keep it "failed".
      const now = outcome.status === 'current' && !finishReload ? await this.installed(certificateId) : undefined;
      if (now) await this.reportInstalled(certificateId, { ...now.metadata, reloaded: now.reloaded }, undefined);
      return outcome;
    });
  }

  /**
   * The store holds this version with this certificate (a version found only on disk could be
   * planted). When the store cannot be asked, availability wins: the version is taken, and said so.
   */
  private async storeKnows(certificateId: string, metadata: { version: string; fingerprintSha256: string }): Promise<boolean> {
    try {
      const stored = await this.deps.source.version(certificateId, metadata.version);
      return stored.metadata.fingerprintSha256 === metadata.fingerprintSha256;
    } catch (error) {
      // The store answered (VersionNotFound, BundleRejected): it does not hold that version as installed.
      if (error instanceof InstallFailed) return false;
      this.deps.log.warn('the store could not vouch for an installed version; using it', { certificateId, version: metadata.version, reason: errorMessage(error) });
      return true;
    }
  }

  /** Install the store's current version if it is newer than the installed one (missed events). */
  reconcile(certificateId: string): Promise<SyncOutcome> {
    return this.serialized(certificateId, 'reconcile failed', () => this.catchUp(certificateId));
  }

  /** An event is a hint: it names a version of a managed certificate; the store and the certificate itself decide. */
  async handleEvent(event: ReceivedEvent): Promise<SyncOutcome> {
    let notice: StoreNotice;
    try {
      notice = parseStoreNotice(event.envelope);
    } catch (error) {
      this.deps.log.warn('event ignored: not a certflow store event', { eventId: event.id, reason: errorMessage(error) });
      return { status: 'rejected', reason: `invalid event: ${errorMessage(error)}` };
    }
    const { certificateId, version, serialNumber, kind } = notice;
    if (!this.managed.has(certificateId)) {
      this.deps.log.warn('event ignored: certificate not managed here', { eventId: event.id, certificateId, version });
      return { status: 'ignored', reason: `certificate '${certificateId}' is not managed here` };
    }
    this.deps.log.info('event received', { eventId: event.id, receiveCount: event.receiveCount, kind, certificateId, version, serialNumber });
    return this.serialized(certificateId, 'event handling failed', () => (kind === NOTICE_KINDS.rolledBack ? this.followRollback(notice) : this.followRenewal(notice)));
  }

  private async followRenewal(notice: StoreNotice): Promise<SyncOutcome> {
    const { certificateId, version } = notice;
    const installed = await this.installed(certificateId);
    let fetch = () => this.deps.source.version(certificateId, version);
    let decision = decide(installed, notice);
    if (decision === DECISIONS.askStore) {
      const current = await this.deps.source.current(certificateId);
      const isCurrent = current !== undefined && sameCertificate(current.metadata, notice);
      if (isCurrent) fetch = async () => current;
      decision = decide(installed, notice, isCurrent);
    }
    return this.act(decision, installed, notice, fetch);
  }

  /** A rollback is followed only when the store agrees: its current version is the one announced. */
  private async followRollback(notice: StoreNotice): Promise<SyncOutcome> {
    const { certificateId, version } = notice;
    const current = await this.deps.source.current(certificateId);
    if (current?.version !== version) {
      this.deps.log.warn('rollback event ignored: the store does not call that version current', { certificateId, version, storeCurrent: current?.version });
      return { status: 'ignored', reason: `the store's current version of '${certificateId}' is ${current?.version ?? 'none'}, not ${version}` };
    }
    const installed = await this.installed(certificateId);
    const decision = installed && sameCertificate(installed, current.metadata) ? decide(installed, current.metadata) : DECISIONS.install;
    return this.act(decision, installed, notice, async () => current);
  }

  /** Install what the store calls current, newer or (after a rollback) older than what is installed. */
  private async catchUp(certificateId: string): Promise<SyncOutcome> {
    const bundle = await this.deps.source.current(certificateId);
    if (bundle === undefined) {
      this.deps.log.warn('the store has no version of this certificate yet', { certificateId });
      return { status: 'absent' };
    }
    const installed = await this.installed(certificateId);
    let decision = decide(installed, bundle.metadata, true);
    if (decision === DECISIONS.older) {
      // An older current version is a rollback, unless the store still calls the installed one current (a stale read).
      if (await this.deps.source.isCurrent(certificateId, installed!.metadata.version)) return { status: 'older', version: bundle.version };
      this.deps.log.warn('the store made an older version current (a rollback); installing it', { certificateId, version: bundle.version, installedVersion: installed!.metadata.version });
      decision = DECISIONS.install;
    }
    return this.act(decision, installed, { certificateId, version: bundle.version }, async () => bundle);
  }

  /** `candidate`: what the event announced (checked against the fetched bundle), or just id and version. */
  private act(decision: Decision, installed: Installed | undefined, candidate: Expected, fetch: () => Promise<CertificateBundle>): Promise<SyncOutcome> | SyncOutcome {
    const { certificateId, version } = candidate;
    switch (decision) {
      case DECISIONS.older:
        this.deps.log.info('older than the installed version; ignored', { certificateId, version, installedVersion: installed!.metadata.version });
        return { status: 'older', version };
      case DECISIONS.duplicate:
        return { status: 'current', n: installed!.n, version: installed!.metadata.version };
      case DECISIONS.reload:
        return this.activate(certificateId, installed!.n, installed!.metadata);
      case DECISIONS.install:
        return this.fetchAndInstall(candidate, fetch);
      case DECISIONS.askStore:
        throw new Error('a same-second tie must be resolved against the store first');
    }
  }

  private async fetchAndInstall(expected: Expected, fetch: () => Promise<CertificateBundle>): Promise<SyncOutcome> {
    const { certificateId } = expected;
    // A version the store does not hold (yet, or a forged id) is left for redelivery; nothing was touched.
    const bundle = await fetch();
    let files: Record<string, Buffer>;
    try {
      files = verifyBundle(bundle, expected, this.deps.now(), this.deps.trustAnchors);
    } catch (error) {
      if (!(error instanceof BundleRejected)) throw error;
      this.deps.log.warn('version refused: nothing installed', { certificateId, version: expected.version, reason: errorMessage(error) });
      await this.reportFailure({ certificateId, stage: 'verify', version: expected.version, error: errorMessage(error) });
      return { status: 'rejected', reason: errorMessage(error) };
    }
    const { version, metadata } = bundle;
    this.deps.log.info('version fetched and verified', { certificateId, version, serialNumber: metadata.serialNumber, notAfter: metadata.notAfter });
    const { installDir } = this.deps;
    let n: number;
    try {
      // A version already on disk (a rolled-back one, or a crash after writing it) is reused as is.
      const found = await installDir.findInstalled(certificateId, metadata.fingerprintSha256);
      if (found !== undefined) await this.conformPermissions(certificateId, found);
      n = found ?? (await installDir.writeVersion(bundle, files));
    } catch (error) {
      await this.reportFailure({ certificateId, stage: 'install', version, serialNumber: metadata.serialNumber, error: errorMessage(error) });
      throw new InstallFailed(`installing version ${version} failed: ${errorMessage(error)}`, { cause: error });
    }
    this.deps.log.info('version installed', { certificateId, version, n, dir: installDir.versionDir(certificateId, n) });
    return this.activate(certificateId, n, { ...metadata, version, formats: bundle.formats });
  }

  /** Point live/<id> at n and reload; on failure go back to the last version the service loaded. */
  private async activate(certificateId: string, n: number, metadata: VersionMetadata): Promise<SyncOutcome> {
    const { installDir, reload, log } = this.deps;
    const live = await installDir.liveVersion(certificateId);
    const lastLoaded = (await installDir.readReloaded(certificateId)) ?? live ?? NOTHING_LOADED;
    // Record the rollback target before switching: a crash after the switch then shows as "not reloaded".
    if (reload) await installDir.writeReloaded(certificateId, lastLoaded);
    if (live !== n) {
      await installDir.switchLive(certificateId, n);
      log.info('live switched', { certificateId, n, previous: live, version: metadata.version });
    }
    let served: ServedEndpoint[] | undefined;
    if (reload) {
      const turns = this.deps.turns;
      const reloadServed = () => this.reloadServed(certificateId, n, lastLoaded, metadata);
      // A restart (and its rollback) in the group's turn: never two hosts of the group down at once.
      const reloaded = turns ? await turns.during({ certificateId, version: metadata.version }, reloadServed) : await reloadServed();
      if ('failed' in reloaded) return reloaded.failed;
      served = reloaded.served;
    }
    const pruned = await installDir.prune(certificateId, this.deps.keepVersions, [n]);
    if (pruned.length > 0) log.info('old versions removed', { certificateId, removed: pruned });
    await this.reportInstalled(certificateId, { ...metadata, reloaded: reload !== undefined }, served);
    return { status: live === n ? 'reloaded' : 'installed', n, version: metadata.version };
  }

  /** Reload, check what is served (--verify-tls), record it loaded; or roll back. */
  private async reloadServed(certificateId: string, n: number, lastLoaded: number, metadata: VersionMetadata): Promise<{ served?: ServedEndpoint[] } | { failed: SyncOutcome }> {
    const { installDir, log } = this.deps;
    const reload = this.deps.reload!;
    const started = Date.now();
    try {
      await reload.reload(this.reloadContext(certificateId, metadata));
    } catch (error) {
      return { failed: await this.rollBack(certificateId, n, lastLoaded, metadata, error) };
    }
    const reloadedMs = Date.now() - started;
    let served: ServedEndpoint[] | undefined;
    if (this.deps.served) {
      try {
        served = await this.deps.served.confirm(metadata);
      } catch (error) {
        return { failed: await this.rollBack(certificateId, n, lastLoaded, metadata, error) };
      }
    }
    await installDir.writeReloaded(certificateId, n);
    log.info('service reloaded', {
      certificateId, n, version: metadata.version, serialNumber: metadata.serialNumber, action: reload.description, durationMs: reloadedMs,
      served: served ? SERVED.yes : SERVED.unknown, ...(served ? { endpoints: served, servedAfterMs: Date.now() - started } : {}),
    });
    return served ? { served } : {};
  }

  /** "Certificate Installed": `served` when the endpoints were seen presenting it, otherwise served "unknown". */
  private reportInstalled(certificateId: string, installed: VersionMetadata & { reloaded: boolean }, served: ServedEndpoint[] | undefined): Promise<void> {
    const { version, serialNumber, notBefore, notAfter, reloaded, trustAnchorsSha256, anchorSha256 } = installed;
    const event = {
      certificateId, host: this.host, ...this.groupField, version, serialNumber, notBefore, notAfter, reloaded: reloaded && this.deps.reload !== undefined,
      ...(served ? { served: SERVED.yes, endpoints: served } : { served: SERVED.unknown }),
      // A private root rotation gates on what the installed truststores hold (ADR 0013).
      ...(trustAnchorsSha256 ? { trustAnchorsSha256 } : {}),
      ...(anchorSha256 ? { anchorSha256 } : {}),
    };
    return this.report('installed', () => this.deps.reporter?.installed(event));
  }

  /** The reload failed (stage reload) or the service did not serve the new leaf in time (NotServed: stage serve). */
  private async rollBack(certificateId: string, failedN: number, target: number, failed: VersionMetadata, error: unknown): Promise<SyncOutcome> {
    const { installDir, reload, log } = this.deps;
    let rollback: { rolledBackTo: string; rollbackReloaded: boolean; rollbackError?: string } | undefined;
    const check = target !== NOTHING_LOADED && target !== failedN ? await installDir.checkVersion(certificateId, target) : undefined;
    if (check?.complete) {
      await installDir.switchLive(certificateId, target);
      log.warn('live switched back', { certificateId, n: target, failed: failedN });
      try {
        await reload!.reload(this.reloadContext(certificateId, check.metadata));
        rollback = { rolledBackTo: check.metadata.version, rollbackReloaded: true };
      } catch (rollbackError) {
        rollback = { rolledBackTo: check.metadata.version, rollbackReloaded: false, rollbackError: errorMessage(rollbackError) };
      }
    }
    // Without a version to go back to, the new one stays live and the next delivery retries the reload.
    const serve = error instanceof NotServed ? { endpoint: error.endpoint, ...(error.servedSerialNumber ? { servedSerialNumber: error.servedSerialNumber } : {}) } : undefined;
    const stage = serve ? 'serve' : 'reload';
    const report = { certificateId, stage, version: failed.version, serialNumber: failed.serialNumber, error: errorMessage(error), ...rollback, ...serve } as const;
    log.error('Certificate Reload Failed', { ...report, host: this.host, n: failedN });
    await this.reportFailure(report, { logged: true });
    return { status: 'failed', reason: `${serve ? 'serving' : 'reload'} of version ${failed.version} failed: ${report.error}` };
  }

  /** An installed version written under other --owner/--group/--key-mode gets today's. */
  private async conformPermissions(certificateId: string, n: number): Promise<void> {
    const changed = await this.deps.installDir.conformPermissions(certificateId, n);
    if (changed.length > 0) this.deps.log.info('installed files given the configured owner and modes', { certificateId, n, files: changed });
  }

  private get host(): string {
    return this.deps.host ?? hostname();
  }

  private get groupField(): { group?: string } {
    return this.deps.group ? { group: this.deps.group } : {};
  }

  /** "Certificate Reload Failed" for this host (logged too, unless the caller did). */
  private reportFailure(report: Omit<CertificateReloadFailedEvent, 'host'>, { logged = false } = {}): Promise<void> {
    const event = { ...report, host: this.host, ...this.groupField };
    if (!logged) this.deps.log.error('Certificate Reload Failed', event);
    return this.report('failed', () => this.deps.reporter?.failed(event));
  }

  /** A report that cannot be sent is logged; it never changes what the host did. */
  private async report(what: string, send: () => Promise<void> | undefined): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.deps.log.error(`could not report (${what})`, { error: errorMessage(error) });
    }
  }

  private async installed(certificateId: string): Promise<Installed | undefined> {
    const { installDir, reload } = this.deps;
    const n = await installDir.liveVersion(certificateId);
    if (n === undefined) return undefined;
    const check = await installDir.checkVersion(certificateId, n);
    if (!check.complete) return undefined;
    const reloadedN = await installDir.readReloaded(certificateId);
    return { n, metadata: check.metadata, ...check.metadata, reloaded: !reload || reloadedN === undefined || reloadedN === n };
  }

  private reloadContext(certificateId: string, metadata: VersionMetadata) {
    return { certificateId, version: metadata.version, serialNumber: metadata.serialNumber, liveDir: this.deps.installDir.liveLink(certificateId) };
  }

  private failed(message: string, error: unknown, fields: Record<string, unknown>): SyncOutcome {
    this.deps.log.error(message, { ...fields, error: errorMessage(error), errorName: error instanceof Error ? error.name : undefined });
    return { status: 'failed', reason: `${message}: ${errorMessage(error)}` };
  }

  /** Run `task` after everything queued for the same certificate; what it throws becomes a `failed` outcome. */
  private serialized(certificateId: string, failure: string, task: () => Promise<SyncOutcome>): Promise<SyncOutcome> {
    const guarded = () => task().catch((error: unknown) => this.failed(failure, error, { certificateId }));
    const next = (this.queues.get(certificateId) ?? Promise.resolve()).then(guarded);
    this.queues.set(certificateId, next);
    void next.then(() => {
      if (this.queues.get(certificateId) === next) this.queues.delete(certificateId);
    });
    return next;
  }
}
