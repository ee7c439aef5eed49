/**
 * `certflow revoke <id> [--reason …] [--version <v>] [--reissue] [--json]`: the RevokeCertificate
 * state machine on the local default (the synthesized definition, as `certflow issue` runs
 * RenewCertificate): revoke at the CA, mark the version revoked in the store, append
 * "Certificate Revoked" to events.jsonl; with --reissue, a new certificate with a new key right away
 * (running agents install it from the "Certificate Renewed" that follows).
 * Exit 0 revoked (and reissued), 1 failed (the error name is printed), 2 usage.
 */
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { DETAIL_TYPES } from '../../domain/contracts/detail-types';
import { REVOCATION_REASON_NAMES, REVOCATION_REASONS } from '../../domain/contracts/revocation-reasons';
import type { StoredVersion } from '../../domain/ports';
import type { RevocationState } from '../../lambdas/state';
import { ModeError, runsOnAws } from './aws-mode';
import { messageOf } from './cause';
import { certflowHome } from '../../local/home';

import { EXIT, exitCodesHelp } from './exit';

interface RevokeOptions {
  readonly reason: (typeof REVOCATION_REASON_NAMES)[number];
  readonly stateMachineArn?: string;
  readonly revokeStateMachineArn?: string;
  readonly version?: string;
  readonly reissue?: boolean;
  readonly json?: boolean;
  readonly local?: boolean;
  readonly aws?: boolean;
}

const home = certflowHome;

/** Errors that mean the CA does not know the certificate or the account, which the embedded CA never does for an earlier run's. */
const CA_REFUSALS = new Set(['AcmeRequestRejected']);

async function revokeCommand(id: string, options: RevokeOptions, io: { out: (line: string) => void; err: (text: string) => void }): Promise<number> {
  let onAws: boolean;
  try {
    onAws = runsOnAws(options);
  } catch (error) {
    if (!(error instanceof ModeError)) throw error;
    io.err(`certflow: ${error.message}\n`);
    return EXIT.usage;
  }
  if (onAws) {
    const { awsRevoke, contextFor } = await import('./aws');
    let ctx;
    try {
      ctx = contextFor(options);
    } catch (error) {
      if (!(error instanceof ModeError)) throw error;
      io.err(`certflow: ${error.message}\n`);
      return EXIT.usage;
    }
    return awsRevoke(ctx, { certificateId: id, reason: options.reason, ...(options.version ? { version: options.version } : {}), reissue: options.reissue ?? false });
  }
  // Loaded here: --help stays fast and never starts Pebble.
  const [{ startLocalDefault }, { progressPrinter }, { reissueFailureOf }] = await Promise.all([
    import('../../local/default'),
    import('../../local/progress'),
    import('../../local/revocation'),
  ]);
  const write = options.json ? io.err : (text: string) => io.out(text.replace(/\n$/, ''));
  const runner = await startLocalDefault({ root: home(), write });
  try {
    const input = { certificateId: id, reason: options.reason, ...(options.version ? { version: options.version } : {}), reissue: options.reissue ?? false };
    write(`\nRevokeCertificate '${id}' (reason ${options.reason}${options.version ? `, version ${options.version}` : ''}${options.reissue ? ', then reissue with a new key' : ''})\n`);
    const result = await runner.revokeExecutor.run(input, { onEvent: progressPrinter((line) => write(`${line}\n`)) });
    const state = (result.output ?? {}) as RevocationState;
    const current: StoredVersion | undefined = result.status === 'SUCCEEDED' && state.reissued ? await runner.store.current(id) : undefined;
    const reissueFailure = result.error === 'ReissueFailed' ? reissueFailureOf(result.cause) : undefined;
    if (options.json) {
      io.out(
        JSON.stringify(
          {
            executionId: result.executionId,
            status: result.status,
            ...(result.error ? { error: result.error, cause: result.cause } : {}),
            ...(reissueFailure ? { reissueFailure } : {}),
            ...(state.revoked ? { revoked: { ...state.revoked, ...state.mark } } : {}),
            ...(current ? { reissued: { version: current.version, serialNumber: current.metadata.serialNumber, notAfter: current.metadata.notAfter, location: current.location, executionArn: state.reissued?.executionArn } } : {}),
            transitions: result.transitions,
            lambdaInvocations: result.lambdaInvocations,
          },
          null,
          2,
        ),
      );
    }
    if (result.status !== 'SUCCEEDED') {
      if (reissueFailure) {
        io.err(
          `\nFAILED: ReissueFailed: the revocation stands (revoked, marked and announced), but the new certificate was not issued: ${reissueFailure.error ?? '?'}: ${messageOf(reissueFailure.cause)}\n`,
        );
        io.err(`  Run it again: certflow renew ${id}, or certflow issue ${id} --name …\n`);
      } else {
        io.err(`\nFAILED: ${result.error}: ${messageOf(result.cause)}\n`);
        if (!runner.ca.shared && CA_REFUSALS.has(result.error ?? '')) {
          io.err('  The embedded CA started for this command knows no certificate an earlier command issued (Pebble forgets everything when it stops).\n');
          io.err('  Run `certflow local start` before issuing, so the same CA is there to revoke.\n');
        }
      }
      return EXIT.failed;
    }
    if (!options.json) {
      const { revoked, mark } = state;
      const reason = mark?.reason ?? options.reason;
      io.out('');
      io.out(
        `Revoked '${id}' version ${revoked?.version} (serial ${revoked?.serialNumber}), reason ${reason} (${REVOCATION_REASONS[reason]})${revoked?.alreadyRevoked ? ': the CA had revoked it already' : ''}`,
      );
      io.out(`  marked     ${mark?.revokedAt ?? '?'} in the store; "${DETAIL_TYPES.revoked}" appended to ${path.join(home(), 'events.jsonl')}`);
      if (current) {
        io.out(`Reissued '${id}' version ${current.version} with a new key (serial ${current.metadata.serialNumber}, notAfter ${current.metadata.notAfter})`);
        io.out(`  files      ${current.location}/; agents install it from "${DETAIL_TYPES.renewed}"`);
      } else {
        io.out(`  Hosts keep serving the revoked certificate until a new one comes: certflow renew ${id} (or revoke with --reissue).`);
      }
    }
    return EXIT.ok;
  } finally {
    await runner.stop();
  }
}

const HELP = `
Examples:
  $ certflow revoke broker --reason keyCompromise --reissue
  $ certflow revoke demo1 --reason superseded
  $ certflow revoke demo1 --version 2 --reason cessationOfOperation --json

Key compromise: revoke with --reason keyCompromise --reissue. The CA revokes the certificate, the
store marks the version revoked (revoked/<id>/<n>.json), "${DETAIL_TYPES.revoked}" is appended to
events.jsonl, then RenewCertificate issues a new certificate with a new key and announces it:
running agents install it (or run certflow agent --once on each host). Check with
certflow status <id> and certflow history <id> (docs/how-to/key-compromise.md).

The local CA must be the one that issued the certificate: run certflow local start before issuing
(the embedded CA a single command starts forgets its certificates when it stops).

${exitCodesHelp({
  ok: 'revoked (and, with --reissue, reissued)',
  failed: 'failed: the error is printed (NothingToRevoke; AcmeRequestRejected: the CA refused; ReissueFailed: revoked, but the new certificate was not issued); the store is as it was unless the CA had revoked (run it again: it completes)',
})}

On AWS (--aws, or CERTFLOW_STATE_MACHINE_ARN set) it starts certflow-RevokeCertificate beside the
RenewCertificate state machine (or --revoke-state-machine-arn) and follows it live:
  certflow revoke broker-eu1 --reason keyCompromise --reissue --aws \\
    --state-machine-arn arn:aws:states:eu-west-1:111122223333:stateMachine:certflow-RenewCertificate`;

export function registerRevokeCommand(program: Command, setCode: (code: number) => void): void {
  program
    .command('revoke')
    .description('revoke a certificate through ACME (RFC 8555 §7.6), mark the version revoked and announce it; --reissue issues a new one with a new key right away')
    .argument('<id>', 'certificate id')
    .addOption(new Option('--reason <reason>', 'RFC 5280 §5.3.1 reason').choices([...REVOCATION_REASON_NAMES]).default('unspecified'))
    .option('--version <version>', 'the stored version to revoke (default: the current one)')
    .option('--reissue', 'then issue a new certificate with a new key (RenewCertificate), which agents install')
    .addOption(new Option('--local', 'run on the local default (the default unless CERTFLOW_STATE_MACHINE_ARN is set)'))
    .addOption(new Option('--aws', 'run on the deployed stack (the default when CERTFLOW_STATE_MACHINE_ARN is set)'))
    .addOption(new Option('--state-machine-arn <arn>', 'the RenewCertificate state machine (RevokeCertificate is found beside it)').env('CERTFLOW_STATE_MACHINE_ARN'))
    .addOption(new Option('--revoke-state-machine-arn <arn>', 'the RevokeCertificate state machine, when not beside RenewCertificate').env('CERTFLOW_REVOKE_STATE_MACHINE_ARN'))
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .addHelpText('after', HELP)
    .action(async (id: string, options: RevokeOptions) =>
      setCode(await revokeCommand(id, options, { out: (line) => process.stdout.write(`${line}\n`), err: (text) => process.stderr.write(text) })),
    );
}
