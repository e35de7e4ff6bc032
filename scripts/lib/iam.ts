import { QUEUE_CONSUMER_ACTIONS, REEVALUATE_ACTIONS, RUNTIME_ACTIONS, SECURITY_HUB_WORKFLOW_STATUSES } from '../../rules/runtime/actions';
import { ORGANIZATION_GUARD_ACTIONS } from '../../rules/runtime/organization';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { deployedChangeSources } from '../../rules/catalog';
import { CHANGE_SOURCES, type ChangeSource } from '../../rules/triggers/change-sources';
import type { Json } from './conformance-pack';
import { type ArnStyle, actionScope, arnValue } from './iam-resources';
import type { RemediationDocument } from './remediation-docs';

export { RUNTIME_ACTIONS } from '../../rules/runtime/actions';

/** Deploy-time choices that change what a rule role holds. */
export interface RuleRoleOptions {
  /** The deploy-time option importSecurityHubFindings: without it no role may write to Security Hub. */
  readonly securityHub?: boolean;
}

/**
 * Exactly the actions one rule's Lambda calls, sorted: the runtime's for the rule's triggers, the resource
 * listing (periodic runs only list; change notifications carry the item) and the rule's lookups, plus the Security
 * Hub import when the deployment enables it. The single source for the rule roles and the tests that check them.
 */
export function ruleActions(safeguard: Safeguard, options: RuleRoleOptions = {}): string[] {
  const actions = new Set<string>([...RUNTIME_ACTIONS.always, ...(safeguard.lookupActions ?? [])]);
  if (safeguard.triggers.includes('change')) for (const a of RUNTIME_ACTIONS.change) actions.add(a);
  if (safeguard.triggers.includes('periodic')) {
    for (const a of RUNTIME_ACTIONS.periodic) actions.add(a);
    for (const a of safeguard.resource.listActions) actions.add(a);
  }
  if (options.securityHub) for (const a of RUNTIME_ACTIONS.securityHub) actions.add(a);
  return [...actions].sort();
}

/** A document's actions, sorted: what its own role holds. */
export function documentActions(document: RemediationDocument): string[] {
  return [...new Set(document.iamActions)].sort();
}

/** `*`, `service:*` or any wildcard: never granted by this pack. */
export function isWildcardAction(action: string): boolean {
  return action.includes('*') || action.includes('?');
}

function refuseWildcards(actions: readonly string[], who: string): void {
  const wild = actions.filter(isWildcardAction);
  if (wild.length > 0) throw new Error(`${who} declares wildcard actions ${wild.join(', ')}; list each action.`);
}

/**
 * Organization mode, hub side: what a rule Lambda calls as its own role. Every evaluation call goes through the
 * spoke evaluation role it assumes (rules/runtime/clients.ts); the account guard lists the organization's accounts
 * (rules/runtime/organization.ts).
 */
export function hubRuleActions(): string[] {
  return [...new Set<string>(['sts:AssumeRole', ...ORGANIZATION_GUARD_ACTIONS])].sort();
}

/**
 * Whether the catalog has a safeguard of a change source (rules/triggers/change-sources.ts): rules whose changes
 * AWS Config does not deliver, which the CloudTrail re-evaluation trigger starts early.
 */
export function wantsReevaluateTrigger(safeguards: readonly Safeguard[], sources: readonly ChangeSource[] = CHANGE_SOURCES): boolean {
  return deployedChangeSources(safeguards, sources).length > 0;
}

/**
 * Organization mode, spoke side: the evaluation role the hub assumes serves every rule, so it holds their union, plus
 * what the CloudTrail re-evaluation trigger calls through it (rules/triggers/reevaluate-on-change.ts) when deployed.
 * Security Hub actions are added by the spoke's own condition (evaluationRoleStatements).
 */
export function evaluationRoleActions(safeguards: readonly Safeguard[], sources: readonly ChangeSource[] = CHANGE_SOURCES): string[] {
  const trigger = wantsReevaluateTrigger(safeguards, sources) ? REEVALUATE_ACTIONS : [];
  return [...new Set([...safeguards.flatMap((s) => ruleActions(s)), ...trigger])].sort();
}

/**
 * Organization mode, hub side: what the CloudTrail re-evaluation trigger calls as its own role: it consumes its queue
 * and assumes the spoke evaluation role of the event's account, which holds REEVALUATE_ACTIONS.
 */
export function hubReevaluateActions(): string[] {
  return [...new Set<string>(['sts:AssumeRole', ...QUEUE_CONSUMER_ACTIONS])].sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Names. One function each, used by the pack, the single-account stack and the spoke.

/** `<base>-<region>`: IAM names are global, and every region of an account gets its own roles. */
export function regionalName(base: string): Json {
  return { 'Fn::Join': ['-', [base, { Ref: 'AWS::Region' }]] };
}

/** IAM role names hold 64 characters; `-<region>` takes up to 16 (`-eusc-de-east-1`). */
export const MAX_ROLE_BASE_NAME = 48;

/**
 * The remediation role of a document: `<document>-<region>` (`HIPAA-ElastiCacheSnapshotAndDelete-us-east-1`). The
 * conformance pack builds each remediation's AutomationAssumeRole from it; the stacks create the role under it.
 */
export function remediationRoleName(documentName: string): Json {
  if (documentName.length > MAX_ROLE_BASE_NAME) {
    throw new Error(`Remediation document name ${documentName} is ${documentName.length} characters; its role name <document>-<region> allows ${MAX_ROLE_BASE_NAME}.`);
  }
  return regionalName(documentName);
}

/** `arn:<partition>:iam::<account>:role/<document>-<region>`, as a CloudFormation value. */
export function remediationRoleArn(documentName: string): Json {
  remediationRoleName(documentName);
  return {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/', documentName, '-', { Ref: 'AWS::Region' }]],
  };
}

/**
 * The same ARN as remediationRoleArn, for one known account (the demo, tests, a CLI that runs a document): the name
 * comes from remediationRoleName, so both follow one rule.
 * @example remediationRoleArnIn('HIPAA-ElastiCacheAddAuthToken', { partition: 'aws', account: '123456789012', region: 'us-east-1' })
 *   // 'arn:aws:iam::123456789012:role/HIPAA-ElastiCacheAddAuthToken-us-east-1'
 */
export function remediationRoleArnIn(documentName: string, where: { partition: string; account: string; region: string }): string {
  const name = remediationRoleName(documentName) as { 'Fn::Join': [string, [string, { Ref: string }]] };
  const [separator, [base]] = name['Fn::Join'];
  return `arn:${where.partition}:iam::${where.account}:role/${base}${separator}${where.region}`;
}

/** Logical ID of a document's remediation role, in the single-account stack and the spoke. */
export function remediationRoleLogicalId(documentName: string): string {
  return `${documentName.replace(/[^A-Za-z0-9]/g, '')}Role`;
}

/**
 * Organization mode: the hub role of one Lambda (a rule, or the trigger), `<stage>-<function key>-<region>` under the
 * path `/<service>/<stage>/`. Fixed, so the spoke evaluation role trusts these exact ARNs and nothing else of the hub.
 * As long as the function name `<service>-<stage>-<key>` fits Lambda's 64 characters, this fits IAM's.
 */
export function hubRoleBaseName(stage: string, functionKey: string): string {
  return `${stage}-${functionKey}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Policy statements.

const sid = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

export interface ScopeOptions {
  readonly style?: ArnStyle;
  /** Actions narrowed to the pack's own resource (its topic, queue, a role): these values replace the table's. */
  readonly narrowed?: Readonly<Record<string, readonly Json[]>>;
}

/**
 * Allow statements for `actions`: each action on the ARN patterns iam-resources.ts lists for it (this account and
 * region), grouped by service and identical resources; actions the SAR gives no resource type share one `*`
 * statement. Throws on an action missing from the table, so nothing is granted on `*` by omission.
 */
export function scopedStatements(actions: readonly string[], options: ScopeOptions = {}): Json[] {
  const style = options.style ?? 'join';
  const anywhere: string[] = [];
  const groups = new Map<string, { service: string; actions: string[]; resources: readonly Json[] }>();
  for (const action of [...new Set(actions)].sort()) {
    const scope = actionScope(action);
    const narrowed = options.narrowed?.[action];
    if (!narrowed && scope.resources === 'none') {
      anywhere.push(action);
      continue;
    }
    const resources = narrowed ?? (scope.resources as readonly string[]).map((p) => arnValue(p, style));
    const service = action.split(':')[0] ?? action;
    const key = `${service} ${JSON.stringify(resources)}`;
    const group = groups.get(key) ?? { service, actions: [], resources };
    group.actions.push(action);
    groups.set(key, group);
  }
  const statements: Json[] = [];
  const seen = new Map<string, number>();
  for (const g of groups.values()) {
    const n = (seen.get(g.service) ?? 0) + 1;
    seen.set(g.service, n);
    statements.push({
      Sid: `${sid(g.service)}InThisAccount${n > 1 ? n : ''}`,
      Effect: 'Allow',
      Action: g.actions,
      Resource: g.resources.length === 1 ? (g.resources[0] as Json) : [...g.resources],
    });
  }
  // The Service Authorization Reference lists no resource type for these (scripts/lib/iam-resources.ts).
  if (anywhere.length > 0) statements.push({ Sid: 'NoResourceTypes', Effect: 'Allow', Action: anywhere, Resource: '*' });
  return statements;
}

/**
 * ASFF fields BatchUpdateFindings can change besides Workflow: each is denied, so the role can only set the
 * workflow status, and only to the statuses the runtime sets.
 * @see https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html
 */
export const OTHER_UPDATABLE_FINDING_FIELDS = [
  'Confidence',
  'Criticality',
  'Note.Text',
  'Note.UpdatedBy',
  'RelatedFindings',
  'Severity.Label',
  'Severity.Normalized',
  'Severity.Product',
  'Types',
  'UserDefinedFields',
  'VerificationState',
] as const;

/**
 * The Security Hub import (deploy-time option importSecurityHubFindings): findings only for the account's own
 * product (`product/<account>/default`), and BatchUpdateFindings only to set Workflow.Status to what the runtime
 * sets (condition key securityhub:ASFFSyntaxPath/<field>), so a rule role cannot suppress or re-rate another
 * product's findings.
 */
export function securityHubStatements(style: ArnStyle = 'join'): Json[] {
  const [importAction, updateAction] = RUNTIME_ACTIONS.securityHub;
  const path = (field: string) => `securityhub:ASFFSyntaxPath/${field}`;
  return [
    ...scopedStatements([importAction], { style }).map((s) => ({ ...(s as Record<string, Json>), Sid: 'ImportOwnProductFindings' })),
    {
      Sid: 'ResolveOwnFindingsOnly',
      Effect: 'Allow',
      Action: updateAction,
      Resource: (actionScope(updateAction).resources as readonly string[]).map((p) => arnValue(p, style)),
      Condition: { StringEquals: { [path('Workflow.Status')]: [...SECURITY_HUB_WORKFLOW_STATUSES] } },
    },
    ...OTHER_UPDATABLE_FINDING_FIELDS.map((field) => ({
      Sid: `NeverUpdate${sid(field)}`,
      Effect: 'Deny',
      Action: updateAction,
      Resource: '*',
      Condition: { Null: { [path(field)]: 'false' } },
    })),
  ];
}

/** The exemption tag: a resource that carries it is never deleted by a remediation role. */
export const EXEMPT_TAG = 'hipaa-safeguards:exempt';

/**
 * Deny guardrails on a remediation role holding ElastiCache writes, whatever a document's steps say: no
 * ModifyReplicationGroup that turns TLS or AUTH off, no delete of a resource tagged exempt, no exemption tag written.
 * Condition keys from the ElastiCache SAR page (elasticache:TransitEncryptionEnabled, elasticache:AuthTokenEnabled,
 * aws:ResourceTag/${TagKey}, aws:TagKeys).
 */
export function elastiCacheGuardrails(actions: readonly string[]): Json[] {
  const out: Json[] = [];
  if (actions.includes('elasticache:ModifyReplicationGroup')) {
    out.push(
      {
        Sid: 'NeverTurnTlsOff',
        Effect: 'Deny',
        Action: 'elasticache:ModifyReplicationGroup',
        Resource: '*',
        Condition: { Bool: { 'elasticache:TransitEncryptionEnabled': 'false' } },
      },
      {
        Sid: 'NeverTurnAuthOff',
        Effect: 'Deny',
        Action: 'elasticache:ModifyReplicationGroup',
        Resource: '*',
        Condition: { Bool: { 'elasticache:AuthTokenEnabled': 'false' } },
      },
    );
  }
  if (actions.includes('elasticache:AddTagsToResource')) {
    // Whatever it may tag, never the exemption tags (hipaa-safeguards:exempt, :exempt-until).
    out.push({
      Sid: 'NeverWriteExemptionTags',
      Effect: 'Deny',
      Action: 'elasticache:AddTagsToResource',
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': [`${EXEMPT_TAG}*`] } },
    });
  }
  const deletes = actions.filter((a) => a === 'elasticache:DeleteReplicationGroup' || a === 'elasticache:DeleteCacheCluster');
  if (deletes.length > 0) {
    out.push({
      Sid: 'NeverDeleteExempt',
      Effect: 'Deny',
      Action: deletes,
      Resource: '*',
      Condition: { Null: { [`aws:ResourceTag/${EXEMPT_TAG}`]: 'false' } },
    });
  }
  return out;
}

/**
 * Deny guardrail on a remediation role holding RDS parameter group writes: never a default group (`default.*`), which
 * AWS refuses to modify anyway ("You can't modify the parameter settings of a default parameter group", RDS user
 * guide, USER_WorkingWithParamGroups.html); the Deny keeps it so whatever a document's steps say.
 */
export function rdsGuardrails(actions: readonly string[], style: ArnStyle = 'join'): Json[] {
  const writes = [
    ['rds:ModifyDBParameterGroup', 'arn:{partition}:rds:{region}:{account}:pg:default.*'],
    ['rds:ModifyDBClusterParameterGroup', 'arn:{partition}:rds:{region}:{account}:cluster-pg:default.*'],
  ].filter(([a]) => actions.includes(a ?? ''));
  if (writes.length === 0) return [];
  return [{ Sid: 'NeverModifyDefaultParameterGroups', Effect: 'Deny', Action: writes.map(([a]) => a ?? ''), Resource: writes.map(([, r]) => arnValue(r ?? '', style)) }];
}

export interface RemediationPolicyContext {
  readonly style?: ArnStyle;
  /** The pack's notification topic name (this account and region): the only topic sns:Publish reaches. */
  readonly topicName: string;
}

/**
 * The permission statements of one document's remediation role: exactly its `# IAM actions:`, each scoped by
 * iam-resources.ts to this account and region; sns:Publish to the pack's topic only; iam:PassRole to its own role,
 * to SSM only; plus the ElastiCache guardrails. Exported for the moto IAM-enforcement test.
 */
export function remediationRoleStatements(document: RemediationDocument, ctx: RemediationPolicyContext): Json[] {
  const actions = documentActions(document);
  refuseWildcards(actions, `Remediation document ${document.name}`);
  const style = ctx.style ?? 'join';
  const topic = arnValue(`arn:{partition}:sns:{region}:{account}:${ctx.topicName}`, style);
  const statements = scopedStatements(
    actions.filter((a) => a !== 'iam:PassRole'),
    { style, narrowed: { 'sns:Publish': [topic] } },
  );
  // Only ever this role, to SSM (a document that starts a child automation passes its own role on).
  if (actions.includes('iam:PassRole')) {
    statements.push({
      Sid: 'PassOwnRoleToSsm',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: remediationRoleArn(document.name),
      Condition: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
    });
  }
  return [...statements, ...elastiCacheGuardrails(actions), ...rdsGuardrails(actions, style)];
}

/**
 * The permission statements of a rule role (single account) or the spoke evaluation role: `actions` scoped by
 * iam-resources.ts, without Security Hub (securityHubStatements adds it where the deployment enables it).
 */
export function readStatements(actions: readonly string[], style: ArnStyle = 'join'): Json[] {
  refuseWildcards(actions, 'A rule');
  return scopedStatements(
    actions.filter((a) => !(RUNTIME_ACTIONS.securityHub as readonly string[]).includes(a)),
    { style },
  );
}
