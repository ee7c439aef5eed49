/**
 * The group's restart turn on AWS (ADR 0014): one secret per group, `<secretPrefix>turns/<group>`,
 * made by the stack (infra/subscriber.ts) with the turn given back; its SecretString is the turn
 * document (no secret material). Compare-and-set as the renewal lease does it (ADR 0012): the
 * new document is put with a ClientRequestToken derived from the version it replaces, so of two
 * hosts replacing the same version exactly one write goes through — the other's, other data
 * under the same token, fails with ResourceExistsException (API reference, PutSecretValue,
 * ClientRequestToken: "If a version with this value already exists and that version's
 * SecretString and SecretBinary values are different from those in the request, then the request
 * fails"). A new version becomes AWSCURRENT (PutSecretValue's default).
 *
 * IAM for the host: secretsmanager:GetSecretValue and secretsmanager:PutSecretValue on that secret.
 */
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { versionToken } from '../../../domain/adapters/aws/secrets-store';
import { CompareAndSetTurns, parseTurnDocument, turnDocument } from '../../fleet/restart-turns';
import { GROUP_NAME, GROUP_NAME_RULE } from '../../../domain/contracts/ids';

export { restartTurnSecretName } from '../../fleet/restart-turns';
import type { RestartTurn } from '../../ports';

const isExisting = (error: unknown) => (error as { name?: string }).name === 'ResourceExistsException';

export class SecretsManagerRestartTurns extends CompareAndSetTurns<string> {
  readonly description: string;

  constructor(
    private readonly client: Pick<SecretsManagerClient, 'send'>,
    private readonly secretId: string,
    private readonly group: string,
  ) {
    super();
    if (!GROUP_NAME.test(group)) throw new Error(`restart turn group '${group.slice(0, 100)}' must be ${GROUP_NAME_RULE}`);
    this.description = `secret ${secretId}`;
  }

  protected async current(): Promise<{ turn?: RestartTurn; version: string }> {
    const found = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: 'AWSCURRENT' }));
    if (found.SecretString === undefined || found.VersionId === undefined) throw new Error(`${this.description} has no current string value`);
    const { turn } = parseTurnDocument(found.SecretString, this.description);
    return { ...(turn ? { turn } : {}), version: found.VersionId };
  }

  /** Compare and set: false when another write replaced `versionId` first. */
  protected async replace(versionId: string, turn: RestartTurn | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new PutSecretValueCommand({ SecretId: this.secretId, ClientRequestToken: versionToken(`turn-after:${versionId}`), SecretString: JSON.stringify(turnDocument(this.group, turn)) }),
      );
      return true;
    } catch (error) {
      if (isExisting(error)) return false;
      throw error;
    }
  }
}
