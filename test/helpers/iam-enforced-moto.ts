import { CLIENT_SERVICES } from '../../rules/runtime/rate-limits';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type MotoServer, startMoto } from '../../scripts/lib/moto-server';
import { resolveIntrinsics } from '../pack/cfn';

/**
 * A moto server of its own that enforces IAM: with INITIAL_NO_AUTH_ACTION_COUNT=N moto serves the first N requests
 * unchecked and then checks every request's signature and the caller's identity policies (moto/core/authorization.py,
 * settings.INITIAL_NO_AUTH_ACTION_COUNT, read at start; POST /moto-api/reset-auth sets it again and restarts the
 * count). The harness spends those N requests on an administrator user and makes everything else with its keys, so a
 * role under test is held to exactly its policy.
 * @see https://docs.getmoto.org/en/latest/docs/iam.html (IAM-like Access Control)
 *
 * What moto's evaluation does NOT do (so a test passing here proves that the actions are granted, not the scoping):
 * - every resource is authorized as "*" (only sts:AssumeRole, IAM and SQS name one), so a statement scoped to ARNs
 *   would never match: `motoCompatible` widens each statement's Resource to "*" and says so;
 * - conditions are evaluated against an empty request context, so a conditioned Allow denies its own actions and a
 *   conditioned Deny would deny always: `motoCompatible` drops the conditions of Allows and the conditioned Denies and
 *   says so; a Deny scoped to some resources would deny every resource once widened, so it is dropped too. Conditions and resource scoping are checked statically (test/pack/iam.test.ts), not here.
 */

export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = 'us-east-1';
const ADMIN_USER = 'harness-admin';
/** Requests the bootstrap makes before enforcement starts: CreateUser, PutUserPolicy, CreateAccessKey. */
const BOOTSTRAP_REQUESTS = 3;

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type PolicyDocument = { Version?: string; Statement: Statement[] | Statement };
type Statement = Record<string, unknown> & { Effect: 'Allow' | 'Deny' };

export interface IamEnforcedMoto {
  readonly server: MotoServer;
  readonly endpoint: string;
  /** The administrator's keys (Allow * on *): for seeding resources and reading results. */
  readonly admin: Credentials;
  /** SDK client settings for this server with the given credentials. */
  clientConfig(credentials: Credentials): { region: string; endpoint: string; credentials: Credentials; requestHandler: NodeHttpHandler; maxAttempts: number };
  /**
   * Creates a role holding exactly `policy` (after `motoCompatible`) and returns the credentials of a session of it.
   * @example const creds = await moto.assumeRoleWith('rule', policyDocument);
   */
  assumeRoleWith(name: string, policy: PolicyDocument): Promise<Credentials>;
  /** Forgets every resource and role, and bootstraps the administrator again. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const handler = () => new NodeHttpHandler();

async function bootstrapAdmin(endpoint: string): Promise<Credentials> {
  // These three requests are the unchecked ones: any keys will do.
  const iam = new IAMClient({ region: MOTO_REGION, endpoint, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' }, requestHandler: handler(), maxAttempts: 1 });
  await iam.send(new CreateUserCommand({ UserName: ADMIN_USER }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: ADMIN_USER,
      PolicyName: 'everything',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: ADMIN_USER }))).AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('moto returned no access key for the harness administrator.');
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}

async function resetAuth(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: String(BOOTSTRAP_REQUESTS) });
  if (!res.ok) throw new Error(`moto reset-auth failed: HTTP ${res.status}`);
}

/**
 * A copy of the policy moto can evaluate, and what was changed to get it (see the module comment). Statements
 * keep their actions: the test still proves every call the code makes is granted and every other call denied.
 */
export function motoCompatible(policy: PolicyDocument): { document: PolicyDocument; limitations: string[] } {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const limitations: string[] = [];
  const kept: Statement[] = [];
  for (const [i, s] of statements.entries()) {
    const sid = typeof s.Sid === 'string' ? s.Sid : `#${i}`;
    const copy: Statement = { ...s };
    if (copy.Condition !== undefined) {
      if (copy.Effect === 'Deny') {
        limitations.push(`${sid}: Deny with a condition (${Object.keys(copy.Condition as object).join(', ')}) is not evaluated by moto; dropped.`);
        continue;
      }
      limitations.push(`${sid}: condition ${JSON.stringify(copy.Condition)} is not evaluated by moto; the Allow is tested without it.`);
      delete copy.Condition;
    }
    // Widened to "*", a Deny scoped to some resources (RDS default parameter groups) would deny every resource.
    if (copy.Effect === 'Deny' && copy.Resource !== undefined && copy.Resource !== '*') {
      limitations.push(`${sid}: Deny scoped to ${JSON.stringify(copy.Resource)} cannot be scoped by moto (it would deny every resource); dropped.`);
      continue;
    }
    if (copy.NotResource !== undefined) {
      limitations.push(`${sid}: NotResource is not evaluated by moto; treated as Resource "*".`);
      delete copy.NotResource;
      copy.Resource = '*';
    } else if (copy.Resource !== '*') {
      limitations.push(`${sid}: Resource ${JSON.stringify(copy.Resource)} is authorized by moto as "*"; the scoping is not tested here.`);
      copy.Resource = '*';
    }
    // moto names a Resource Groups Tagging API call by its signing name (`tagging:GetResources`), AWS by its IAM
    // prefix (`tag:GetResources`): grant moto's name beside each tag: action, so the grant is tested, not the spelling.
    const actions = copy.Action === undefined ? [] : Array.isArray(copy.Action) ? (copy.Action as string[]) : [String(copy.Action)];
    const tagging = actions.filter((a) => a.startsWith('tag:')).map((a) => `tagging:${a.slice('tag:'.length)}`);
    if (tagging.length > 0) {
      limitations.push(`${sid}: ${tagging.join(', ')} added: moto authorizes tag: actions under the signing name tagging.`);
      copy.Action = [...actions, ...tagging];
    }
    kept.push(copy);
  }
  return { document: { Version: '2012-10-17', Statement: kept }, limitations };
}

/**
 * Starts the IAM-enforcing moto on a free loopback port, separate from the suite's shared one (enforcement would
 * break every other test). Stop it in `after`.
 */
export async function startIamEnforcedMoto(): Promise<IamEnforcedMoto> {
  const server = await startMoto({ env: { INITIAL_NO_AUTH_ACTION_COUNT: String(BOOTSTRAP_REQUESTS) } });
  let admin: Credentials;
  try {
    admin = await bootstrapAdmin(server.endpoint);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const clientConfig = (credentials: Credentials) => ({ region: MOTO_REGION, endpoint: server.endpoint, credentials, requestHandler: handler(), maxAttempts: 1 });
  return {
    server,
    endpoint: server.endpoint,
    get admin() {
      return admin;
    },
    clientConfig,
    async assumeRoleWith(name, policy) {
      const iam = new IAMClient(clientConfig(admin));
      const adminArn = `arn:aws:iam::${MOTO_ACCOUNT}:user/${ADMIN_USER}`;
      await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: adminArn }, Action: 'sts:AssumeRole' }] }),
        }),
      );
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'under-test', PolicyDocument: JSON.stringify(motoCompatible(policy).document) }));
      const c = (await new STSClient(clientConfig(admin)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/${name}`, RoleSessionName: 'under-test' })))
        .Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`moto returned no credentials for role ${name}.`);
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    },
    async reset() {
      await server.reset();
      await resetAuth(server.endpoint);
      admin = await bootstrapAdmin(server.endpoint);
    },
    stop: () => server.stop(),
  };
}

type Json = unknown;

/**
 * Resolves the CloudFormation intrinsics of a generated policy the way CloudFormation would in moto's account and
 * region (test/pack/cfn.ts resolveIntrinsics, with moto's pseudo parameters and placeholder ARNs; Fn::If only on
 * `conditions` given here).
 * @example resolvePolicy(role.Properties.Policies[0].PolicyDocument)
 */
export function resolvePolicy<T = PolicyDocument>(
  value: Json,
  options: { parameters?: Readonly<Record<string, string>>; conditions?: Readonly<Record<string, boolean>>; getAtt?: (logicalId: string, attribute: string) => string } = {},
): T {
  return resolveIntrinsics({}, value, options.parameters ?? {}, {
    name: 'resolvePolicy',
    pseudo: { 'AWS::AccountId': MOTO_ACCOUNT, 'AWS::Region': MOTO_REGION, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' },
    ...(options.conditions ? { conditions: options.conditions } : {}),
    getAtt: options.getAtt ?? ((id: string, attr: string) => `arn:aws:cloudformation:${MOTO_REGION}:${MOTO_ACCOUNT}:placeholder/${id}/${attr}`),
  }) as T;
}

/** A role resource of a generated template, as the finders below see it. */
export interface TemplateRole {
  readonly logicalId: string;
  readonly properties: { Description?: string; AssumeRolePolicyDocument?: Json; Policies?: { PolicyName: string; PolicyDocument: Json }[]; ManagedPolicyArns?: Json[] };
}

/** Every `AWS::IAM::Role` of a template's Resources. */
export function rolesOf(resources: Readonly<Record<string, Json>>): TemplateRole[] {
  return Object.entries(resources)
    .filter(([, r]) => (r as { Type?: string }).Type === 'AWS::IAM::Role')
    .map(([logicalId, r]) => ({ logicalId, properties: ((r as { Properties?: object }).Properties ?? {}) as TemplateRole['properties'] }));
}

/** One policy document holding every inline policy of a role (resolved), for a session to hold exactly the role's grants. */
export function rolePolicy(role: TemplateRole, resolve: (v: Json) => PolicyDocument = (v) => resolvePolicy(v)): PolicyDocument {
  if ((role.properties.ManagedPolicyArns ?? []).length > 0) throw new Error(`Role ${role.logicalId} has managed policies; the harness takes inline policies only.`);
  const statements = (role.properties.Policies ?? []).flatMap((p) => {
    const doc = resolve(p.PolicyDocument);
    return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  });
  return { Version: '2012-10-17', Statement: statements };
}

/** Actions an Allow statement of the policy grants (exact names; the pack grants no wildcard). */
export function allowedActions(policy: PolicyDocument): Set<string> {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const out = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    const a = s.Action;
    for (const x of Array.isArray(a) ? a : a === undefined ? [] : [a]) out.add(String(x));
  }
  return out;
}

/** Whether the role's trust policy names the service principal (SSM for remediation roles, Lambda for rule roles). */
export function trusts(role: TemplateRole, service: string): boolean {
  return JSON.stringify(role.properties.AssumeRolePolicyDocument ?? {}).includes(`"${service}"`);
}

/**
 * The role that runs a remediation document: among the roles SSM may assume, the one granting every action the
 * document declares with the fewest actions in all (one role per document once issue 9 §2 lands; today the one
 * shared remediation role). Throws when none can run it.
 */
export function roleForDocument(resources: Readonly<Record<string, Json>>, declared: readonly string[], documentName: string): TemplateRole {
  const candidates = rolesOf(resources)
    .filter((r) => trusts(r, 'ssm.amazonaws.com'))
    .map((r) => ({ r, actions: allowedActions(rolePolicy(r)) }))
    .filter(({ actions }) => declared.every((a) => actions.has(a)))
    .sort((a, b) => a.actions.size - b.actions.size);
  const best = candidates[0];
  if (!best) throw new Error(`No role that SSM may assume grants every action ${documentName} declares (${declared.join(', ')}).`);
  return best.r;
}

/**
 * The role of a rule's Lambda: the logical ID the template builders give it when present, else the Lambda-trusted role
 * whose policy or description names the rule.
 */
export function roleForRule(resources: Readonly<Record<string, Json>>, ruleName: string, logicalId?: string): TemplateRole {
  const roles = rolesOf(resources);
  const byId = logicalId ? roles.find((r) => r.logicalId === logicalId) : undefined;
  if (byId) return byId;
  const named = roles.filter(
    (r) => trusts(r, 'lambda.amazonaws.com') && ((r.properties.Policies ?? []).some((p) => p.PolicyName === ruleName) || (r.properties.Description ?? '').includes(ruleName)),
  );
  if (named.length !== 1) throw new Error(`Expected one role for rule ${ruleName}, found ${named.map((r) => r.logicalId).join(', ') || 'none'}.`);
  return named[0] as TemplateRole;
}

/** One SDK call as the recorder saw it: HTTP 403 is moto's refusal (AccessDenied; its body is XML even for JSON services). */
export interface RecordedCall {
  readonly client: string;
  readonly operation: string;
  /** HTTP status of the answer; 0 when the call failed before an answer. */
  readonly status: number;
  readonly error?: string;
}

type SmithySend = (this: unknown, command: unknown, ...rest: unknown[]) => Promise<unknown>;

/**
 * Records every call made through any AWS SDK v3 client (they share one smithy `Client.prototype.send`) until
 * `restore()`: the code's own calls, not a list of what it should call. Python executeScript steps call boto3 and are
 * seen in the simulator's own call records instead.
 * @example const rec = recordSdkCalls(KinesisClient); try { await scan(...) } finally { rec.restore() }
 */
export function recordSdkCalls(anyClientClass: { prototype: object }): { calls: RecordedCall[]; denied: () => RecordedCall[]; restore: () => void } {
  const base = Object.getPrototypeOf(anyClientClass.prototype) as { send: SmithySend };
  const original = base.send;
  const calls: RecordedCall[] = [];
  base.send = function (this: unknown, command: unknown, ...rest: unknown[]) {
    const client = (this as { constructor: { name: string } }).constructor.name;
    const operation = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
    return original.call(this, command, ...rest).then(
      (out) => {
        calls.push({ client, operation, status: (out as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 200 });
        return out;
      },
      (error: unknown) => {
        const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
        calls.push({ client, operation, status: e.$metadata?.httpStatusCode ?? e.$response?.statusCode ?? 0, error: `${e.name ?? 'Error'}: ${e.message ?? ''}` });
        throw error;
      },
    );
  };
  return { calls, denied: () => calls.filter((c) => c.status === 403 || /AccessDenied/.test(c.error ?? '')), restore: () => void (base.send = original) };
}

/** Whether an SDK error is moto's refusal of the caller (HTTP 403). */
export function isDenied(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
  return (e.$metadata?.httpStatusCode ?? e.$response?.statusCode) === 403 || /AccessDenied/.test(e.name ?? '');
}

/**
 * For APIs moto lacks: the call is still sent once (single attempt, same credentials, so moto authorizes it and the
 * recorder sees it), and unless moto refused it (403) the canned answer is returned so the code goes on. moto
 * authorizes before it dispatches, so its 500 "not implemented" means allowed; a 404 means moto has no route for the
 * API at all and authorized nothing (the test checks those statically). Returns the restore function.
 * @example const restore = probeThenAnswer(ElastiCacheClient, { DescribeUpdateActions: { UpdateActions: [] } }, () => new ElastiCacheClient(cfg));
 */
export function probeThenAnswer(
  clientClass: { prototype: object },
  answers: Readonly<Record<string, unknown>>,
  probeClient: () => { send(command: never): Promise<unknown> },
): () => void {
  const proto = clientClass.prototype as { send: SmithySend };
  const had = Object.hasOwn(proto, 'send');
  const inherited = proto.send;
  proto.send = function (this: unknown, command: unknown, ...rest: unknown[]) {
    const operation = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
    if (!Object.hasOwn(answers, operation)) return inherited.call(this, command, ...rest);
    // The probe client is of the same class: send it past this stub, through the shared smithy send.
    const shared = (Object.getPrototypeOf(proto) as { send: SmithySend }).send;
    return shared
      .call(probeClient(), command)
      .then(
        () => answers[operation],
        (error: unknown) => {
          if (isDenied(error)) throw error;
          return answers[operation];
        },
      );
  };
  return () => {
    if (had) proto.send = inherited;
    else delete (proto as { send?: SmithySend }).send;
  };
}

/**
 * IAM service prefix of an SDK v3 client class name, for the static check of calls moto could not authorize: the
 * runtime's table (its service ids are IAM prefixes), plus the SNS client the remediation documents call.
 */
export const IAM_PREFIX_OF_CLIENT: Readonly<Record<string, string>> = { ...CLIENT_SERVICES, SNSClient: 'sns' };
