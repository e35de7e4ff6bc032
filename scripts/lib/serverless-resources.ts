import { QUEUE_CONSUMER_ACTIONS, REEVALUATE_ACTIONS } from '../../rules/runtime/actions';
import { deployedChangeSources } from '../../rules/catalog';
import { SNS_TOPIC_POLICY_ACTIONS } from '../../rules/runtime/secure-transport';
import { CHANGE_SOURCES, type ChangeSource } from '../../rules/triggers/change-sources';
import {
  CLOUDTRAIL_DETAIL_TYPE,
  EXECUTION_ROLE_NAME_VARIABLE,
  RULE_NAMES_VARIABLE,
  SERVED_ACCOUNTS_VARIABLE,
  SERVED_REGIONS_VARIABLE,
  changeEventPattern,
  changeInputTransformer,
} from '../../rules/triggers/reevaluate-on-change';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { ORGANIZATION_GUARD_ACTIONS, ORGANIZATION_MODE_VARIABLE } from '../../rules/runtime/organization';
import { type Json, MAX_TEMPLATE_BODY_BYTES, packNames, pascal, DEFAULT_NOTIFICATION_TOPIC_NAME } from './conformance-pack';
import {
  type RuleRoleOptions,
  hubRoleBaseName,
  readStatements,
  regionalName,
  remediationRoleArn,
  remediationRoleLogicalId,
  remediationRoleName,
  remediationRoleStatements,
  ruleActions,
  scopedStatements,
  securityHubStatements,
} from './iam';
import type { ArnStyle } from './iam-resources';
import { DEFAULT_PREVENTION, HOOK, HOOK_FUNCTION_KEY, type PreventionOptions, hookFunctions, singleAccountHookResources } from './hook-resources';
import type { RemediationDocument } from './remediation-docs';

/** Lambda's limit on function names. */
export const MAX_FUNCTION_NAME = 64;
/** PutConformancePack takes at most 60 input parameters: one Lambda ARN per rule plus the role name. */
export const MAX_PACK_INPUT_PARAMETERS = 60;

export const CONFORMANCE_PACK_LOGICAL_ID = 'HipaaSafeguardsConformancePack';
export const ORGANIZATION_CONFORMANCE_PACK_LOGICAL_ID = 'HipaaSafeguardsOrganizationConformancePack';

/** How the stack is deployed: `--param="mode=organization"` makes it the hub of an organization. */
export const DeploymentMode = { Single: 'single', Organization: 'organization' } as const;
export type DeploymentMode = (typeof DeploymentMode)[keyof typeof DeploymentMode];

/** Organization mode: reserved concurrency per rule Lambda when none is given (hundreds of accounts share them). */
export const DEFAULT_HUB_RESERVED_CONCURRENCY = 10;
/** CloudFormation's limit on resources per stack. */
export const MAX_STACK_RESOURCES = 500;
/** Lambda's limit on one function's resource-based policy. */
export const MAX_FUNCTION_POLICY_BYTES = 20_480;
/** Resources serverless adds on its own: the deployment bucket and its policy. */
const SERVERLESS_OWN_RESOURCES = 2;
/** The org variant of TemplateS3Uri must name a bucket whose name starts with this (Config's requirement). */
export const ORGANIZATION_PACK_BUCKET_PREFIX = 'awsconfigconforms';

/** Logical IDs serverless gives a function's resources (its naming: `-` → `Dash`, first letter upper). */
export function serverlessLogicalIds(functionKey: string) {
  const normalized = functionKey.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  const base = normalized.charAt(0).toUpperCase() + normalized.slice(1);
  return { function: `${base}LambdaFunction`, logGroup: `${base}LogGroup` };
}

/** Logical IDs this project adds per rule. */
export function ruleLogicalIds(safeguard: Safeguard) {
  const base = pascal(safeguard.name);
  return { role: `${base}Role`, permission: `${base}ConfigPermission` };
}

export function documentLogicalId(documentName: string): string {
  return `${pascal(documentName)}Document`;
}

export interface ServerlessFunction {
  readonly handler: string;
  readonly name: string;
  readonly description: string;
  /** Logical ID of the function's own role in `resources`. */
  readonly role: string;
  readonly reservedConcurrency?: number;
  readonly timeout?: number;
  /** Plain strings, or template values (the organization trigger's `<evaluation role>-<region>`). */
  readonly environment?: Readonly<Record<string, Json>>;
  readonly events?: readonly Json[];
}

/**
 * The CloudTrail re-evaluation trigger (rules/triggers/reevaluate-on-change.ts), serving every change source of
 * rules/triggers/change-sources.ts: function key, handler, and the logical IDs of what feeds it (one EventBridge rule
 * per change source: changeRuleLogicalId).
 */
export const REEVALUATE = {
  functionKey: 'reevaluate-on-change',
  handler: 'rules/triggers/reevaluate-on-change.handler',
  role: 'ReevaluateOnChangeRole',
  queue: 'ChangeQueue',
  deadLetterQueue: 'ChangeDeadLetterQueue',
  queuePolicy: 'ChangeQueuePolicy',
  /**
   * Organization mode: the pack's own event bus the spokes forward to, and its policy. They keep the logical IDs they
   * had when ElastiCache was the only source: the bus has a fixed name (hipaa-safeguards-changes-<stage>) and the
   * policy a fixed statement ID, and CloudFormation creates a renamed resource before it deletes the old one, so a
   * rename would fail every existing hub's update on the name (or, for the policy, delete the new statement with the
   * old). "You can't perform an update that causes a custom-named resource to be replaced."
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html
   */
  bus: 'ElastiCacheChangeBus',
  busPolicy: 'ElastiCacheChangeBusPolicy',
  /** Lambda timeout; the queue hides a message 6x as long plus the batching window, as Lambda advises. */
  timeoutSeconds: 30,
} as const;

/** The EventBridge rule of one change source: `ChangeRule<Id>` (`ChangeRuleElasticache`). */
export function changeRuleLogicalId(source: ChangeSource): string {
  return `ChangeRule${pascal(source.id)}`;
}

/** The target Id of every change rule: the trigger's queue. */
export const CHANGE_QUEUE_TARGET_ID = `${REEVALUATE.functionKey}-queue`;

/** Lambda's limit on the total size of a function's environment variables. */
export const MAX_LAMBDA_ENVIRONMENT_BYTES = 4096;

/** EventBridge's default limit on an event pattern, in characters (the hub's lists the member accounts). */
export const MAX_EVENT_PATTERN_CHARS = 2048;
/**
 * Resources the organization trigger adds besides one EventBridge rule per change source: function, log group, SQS
 * mapping, two queues, queue policy, role, bus, bus policy.
 */
const REEVALUATE_ORGANIZATION_RESOURCES = 9;
/** Organization mode: the hub's event bus is `<prefix><stage>` (hubEventBusName). */
export const HUB_EVENT_BUS_PREFIX = 'hipaa-safeguards-changes-';
/** The spoke's forwarding role is `<base>-<region>` in every member account: the hub bus accepts exactly it. */
export const FORWARD_ROLE_BASE_NAME = 'HIPAA-Safeguards-Forward';

/**
 * Organization mode (the hub, in the delegated administrator account): the rule Lambdas assume the spoke evaluation
 * role in each evaluated account, Config of the member accounts invokes them, and an organization conformance pack
 * creates the rules in every member account. Role names get `-<region>` appended: the spoke StackSet creates one
 * pair of roles per region (scripts/lib/spoke-template.ts).
 */
export interface OrganizationHub {
  /** Accounts whose Config may invoke the rule Lambdas: the accounts whose spoke stacks succeeded. */
  readonly memberAccounts: readonly string[];
  /** Accounts the organization conformance pack leaves out: every other account of the organization. */
  readonly excludedAccounts: readonly string[];
  /** Base name of the spoke evaluation role. */
  readonly evaluationRoleName: string;
  /**
   * The organization's ID (o-...): the hub's event bus accepts the spokes' forwarded change events (CloudTrail) from
   * this organization only. Needed when the catalog has safeguards of a change source (deploy-org sets it).
   */
  readonly organizationId?: string;
}

export interface PartsInput {
  readonly safeguards: readonly Safeguard[];
  readonly documents: readonly RemediationDocument[];
  /** conformance-packs/hipaa-safeguards.yaml, as committed. */
  readonly packText: string;
  readonly service: string;
  readonly stage: string;
  /**
   * Deploy-time option importSecurityHubFindings: only then may the rule roles import findings and resolve them
   * (single account; the spoke has its own parameter).
   */
  readonly importSecurityHubFindings?: boolean;
  /** s3:// URI of the uploaded pack (`safeguards deploy` and `deploy-org` upload it); empty: TemplateBody. */
  readonly packTemplateS3Uri?: string;
  /** Present in organization mode. */
  readonly organization?: OrganizationHub;
  /** Single account: the CloudFormation hook's deploy-time options (default FAIL, BLOCK); the spokes have their own. */
  readonly prevention?: PreventionOptions;
  /** The change sources the trigger may serve (CHANGE_SOURCES; tests add others). */
  readonly changeSources?: readonly ChangeSource[];
}

export interface FunctionsInput {
  readonly safeguards: readonly Safeguard[];
  readonly service: string;
  readonly stage: string;
  readonly mode?: DeploymentMode;
  /** Per rule Lambda; organization mode defaults to DEFAULT_HUB_RESERVED_CONCURRENCY. */
  readonly reservedConcurrency?: number;
  /** Organization mode: the trigger assumes the spoke evaluation role (`<evaluationRoleName>-<region>`). */
  readonly organization?: Pick<OrganizationHub, 'evaluationRoleName'> & Partial<Pick<OrganizationHub, 'memberAccounts'>>;
  /** Single account: the CloudFormation hook's deploy-time options (scripts/lib/hook-resources.ts). */
  readonly prevention?: PreventionOptions;
  /** The change sources the trigger may serve (CHANGE_SOURCES; tests add others). */
  readonly changeSources?: readonly ChangeSource[];
}

/** IAM path of the hub Lambda roles: the spoke evaluation role trusts roles of this path in the hub account. */
export function hubRolePath(service: string, stage: string): string {
  return `/${service}/${stage}/`;
}

/** `<base>-<region>`: the spoke roles are created once per region (scripts/lib/spoke-template.ts). */
export const regionalRoleName = regionalName;

/** One function per safeguard; its key is the rule name (one id everywhere). */
export function buildFunctions(input: FunctionsInput): Record<string, ServerlessFunction> {
  const organization = input.mode === DeploymentMode.Organization;
  const reserved = input.reservedConcurrency ?? (organization ? DEFAULT_HUB_RESERVED_CONCURRENCY : undefined);
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    throw new Error(`reservedConcurrency is ${reserved}; expected a positive integer (0 would stop every evaluation).`);
  }
  const functions: Record<string, ServerlessFunction> = {};
  for (const s of input.safeguards) {
    const name = `${input.service}-${input.stage}-${s.name}`;
    if (name.length > MAX_FUNCTION_NAME) {
      throw new Error(`Lambda function name ${name} is ${name.length} characters; Lambda allows ${MAX_FUNCTION_NAME}. Use a shorter stage.`);
    }
    functions[s.name] = {
      handler: `rules/${s.name}.handler`,
      name,
      description: s.title.slice(0, 256),
      role: ruleLogicalIds(s).role,
      ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}),
      // Read where the handler is created (rules/runtime/organization.ts): only org members are evaluated.
      ...(organization ? { environment: { [ORGANIZATION_MODE_VARIABLE]: 'true' } } : {}),
    };
  }
  // Organization mode: the spokes forward their accounts' events to the hub's bus; the trigger assumes the spoke
  // evaluation role of the event's account (EXECUTION_ROLE_NAME) to start the rules there.
  const changeSources = deployedChangeSources(input.safeguards, input.changeSources ?? CHANGE_SOURCES);
  if (changeSources.length > 0) {
    const evaluationRoleName = input.organization?.evaluationRoleName;
    if (organization && !evaluationRoleName) throw new Error('Organization mode needs the spoke evaluation role name for the CloudTrail re-evaluation trigger.');
    const environment: Record<string, Json> = {
      // Per change source, the rules its events start: only the sources this catalog has safeguards of.
      [RULE_NAMES_VARIABLE]: JSON.stringify(Object.fromEntries(changeSources.map((d) => [d.source.id, d.ruleNames]))),
      ...(organization && evaluationRoleName ? { [EXECUTION_ROLE_NAME_VARIABLE]: regionalRoleName(evaluationRoleName) } : {}),
      // The trigger drops events of any other account or region (defence in depth behind the rule's pattern).
      [SERVED_ACCOUNTS_VARIABLE]: organization ? [...(input.organization?.memberAccounts ?? [])].join(',') : { Ref: 'AWS::AccountId' },
      [SERVED_REGIONS_VARIABLE]: { Ref: 'AWS::Region' },
    };
    checkEnvironmentSize(REEVALUATE.functionKey, environment);
    functions[REEVALUATE.functionKey] = {
      handler: REEVALUATE.handler,
      name: `${input.service}-${input.stage}-${REEVALUATE.functionKey}`,
      description: `Starts the Config rules of a change AWS Config does not deliver within minutes of its CloudTrail event (${changeSources.map((d) => d.source.id).join(', ')}; EventBridge and SQS).`.slice(0, 256),
      role: REEVALUATE.role,
      environment,
      // One at a time: the batching window coalesces bursts, and Config allows one evaluation per rule at once.
      reservedConcurrency: 1,
      timeout: REEVALUATE.timeoutSeconds,
      events: [
        {
          sqs: {
            arn: { 'Fn::GetAtt': [REEVALUATE.queue, 'Arn'] },
            batchSize: 100,
            maximumBatchingWindow: 60,
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    };
  }
  // Single account: the CloudFormation hook (the spokes run their own; scripts/lib/hook-resources.ts).
  if (!organization) Object.assign(functions, hookFunctions(input.service, input.stage, input.prevention ?? DEFAULT_PREVENTION, HOOK.functionRole));
  return functions;
}

/**
 * Lambda refuses a function whose environment variables exceed 4 KB in total; the rule names grow with every change
 * source, and the hub's SERVED_ACCOUNTS with the accounts. A value CloudFormation resolves (Ref, Fn::Join) is counted
 * as the 64 characters a role name can take, more than an account ID or a region.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export function checkEnvironmentSize(functionKey: string, environment: Readonly<Record<string, Json>>): void {
  const bytes = Object.entries(environment).reduce((n, [k, v]) => n + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 64), 0);
  if (bytes > MAX_LAMBDA_ENVIRONMENT_BYTES) {
    throw new Error(`The environment of ${functionKey} is about ${bytes} bytes; Lambda allows ${MAX_LAMBDA_ENVIRONMENT_BYTES} in total. Deploy one stage per OU, or fewer safeguards.`);
  }
}

/** Organization mode: what the hub's trigger needs to know (organizationResources checks it). */
interface ReevaluateHub {
  readonly hub: OrganizationHub;
  readonly organizationId: string;
  readonly stage: string;
  /** The hub role path: the spoke evaluation role trusts exact role ARNs under it. */
  readonly path: string;
}

/** The spoke evaluation role of any account, named for this region: what hub roles may assume. */
function spokeEvaluationRoleArn(hub: OrganizationHub): Json {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/', hub.evaluationRoleName, '-', { Ref: 'AWS::Region' }]] };
}

/**
 * sts:AssumeRole on the spoke evaluation role of any member account (the `*` is the account field: the role is one),
 * only in accounts of this organization (aws:ResourceOrgID), so a role of the same name outside it is never reached.
 */
function assumeSpokeEvaluationRole(hub: OrganizationHub, organizationId: string): Json {
  return {
    Sid: 'AssumeSpokeEvaluationRoleInOrganization',
    Effect: 'Allow',
    Action: 'sts:AssumeRole',
    Resource: spokeEvaluationRoleArn(hub),
    Condition: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
  };
}

/**
 * Organization mode: the dedicated event bus the spokes forward change events (CloudTrail) to, `<prefix><stage>` in
 * each region of the hub: not the delegated administrator's default bus, which other producers share.
 */
export function hubEventBusName(stage: string): string {
  return `${HUB_EVENT_BUS_PREFIX}${stage}`;
}

/**
 * The pack's own trigger queues against its SQS rules: sqs-queue-tls-only passes (TlsOnly in the queue policy), and
 * sqs-queue-encrypted would fail them (SSE-SQS, allowServiceManagedKeys false by default). They stay on SSE-SQS,
 * exempt by tag with the reason: they carry CloudTrail-derived change notices (event name, source, account, region),
 * no PHI, and EventBridge cannot send to a queue encrypted with the AWS managed key alias/aws/sqs (a customer managed
 * key with a key policy for events.amazonaws.com would be the only KMS option). SQS tag values allow only letters,
 * digits, spaces and _ . : / = + - @.
 */
export const TRIGGER_QUEUE_EXEMPTION = {
  Key: 'hipaa-safeguards:exempt',
  Value: 'CloudTrail change notices - event names and accounts only and no PHI. SSE-SQS because EventBridge cannot send to a queue under the AWS managed key alias/aws/sqs',
} as const;

/**
 * The queue, dead-letter queue, EventBridge rules (one per change source of the catalog, each matching exactly its
 * source's calls) and role of the CloudTrail re-evaluation trigger. Single account: the rules see this account's
 * CloudTrail events on the default bus and the role starts its Config rules. Organization (the hub): the spokes'
 * fixed-name forwarding roles put their events on the pack's own bus, which accepts only CloudTrail events of the
 * change sources from the organization; the rules keep the served member accounts' events, and the role, with a
 * fixed name under the hub role path, assumes their evaluation role. Both: each rule sends the queue only the fields
 * the trigger reads (input transformer), and the queue refuses any sender but those rules.
 */
function reevaluateResources(sources: readonly ChangeSource[], org?: ReevaluateHub): Record<string, Json> {
  const queueArn = { 'Fn::GetAtt': [REEVALUATE.queue, 'Arn'] };
  const ruleArns: Json[] = sources.map((s) => ({ 'Fn::GetAtt': [changeRuleLogicalId(s), 'Arn'] }));
  const permissions: Json[] = org
    ? [assumeSpokeEvaluationRole(org.hub, org.organizationId)]
    : scopedStatements([...REEVALUATE_ACTIONS]);
  const busArn: Json = org ? { 'Fn::GetAtt': [REEVALUATE.bus, 'Arn'] } : { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] };
  const resources: Record<string, Json> = {
    [REEVALUATE.deadLetterQueue]: {
      Type: 'AWS::SQS::Queue',
      // Change notifications, not evidence: nothing to keep once the stack is gone.
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600, Tags: [TRIGGER_QUEUE_EXEMPTION] },
    },
    [REEVALUATE.queue]: {
      Type: 'AWS::SQS::Queue',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        SqsManagedSseEnabled: true,
        // Four days (SQS's default, stated): longer than any Config outage the retries ride out.
        MessageRetentionPeriod: 345_600,
        VisibilityTimeout: REEVALUATE.timeoutSeconds * 6 + 60,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [REEVALUATE.deadLetterQueue, 'Arn'] }, maxReceiveCount: 10 },
        Tags: [TRIGGER_QUEUE_EXEMPTION],
      },
    },
  };
  for (const source of sources) {
    const own = changeEventPattern(source) as unknown as Record<string, Json>;
    // Only accounts this stage serves: another stage's accounts (one stage per OU) have their own bus.
    const pattern: Json = org ? { account: [...org.hub.memberAccounts], ...own } : own;
    // About 1,100 characters for ElastiCache at the most accounts checkOrganizationCapacity lets one stage serve.
    const chars = JSON.stringify(pattern).length;
    if (chars > MAX_EVENT_PATTERN_CHARS) {
      throw new Error(`The ${source.id} change rule's event pattern is ${chars} characters; EventBridge allows ${MAX_EVENT_PATTERN_CHARS}. Deploy one stage per OU.`);
    }
    resources[changeRuleLogicalId(source)] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: org
          ? `${source.id} changes (CloudTrail ${source.eventSource}) of the served member accounts, forwarded by their spokes, to be judged within minutes.`
          : `${source.id} changes (CloudTrail ${source.eventSource}) that should be judged by the HIPAA safeguards within minutes.`,
        ...(org ? { EventBusName: { Ref: REEVALUATE.bus } } : {}),
        EventPattern: pattern,
        State: 'ENABLED',
        Targets: [{ Id: CHANGE_QUEUE_TARGET_ID, Arn: queueArn, InputTransformer: changeInputTransformer as unknown as Json }],
      },
    };
  }
  resources[REEVALUATE.queuePolicy] = {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: REEVALUATE.queue }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OnlyTheChangeRules',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
          },
          {
            // Nobody else, whatever their own policies allow: a direct SendMessage has no aws:SourceArn. A negated
            // operator with several values holds only when the key matches none of them.
            Sid: 'DenyAnyOtherSender',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { ArnNotEquals: { 'aws:SourceArn': ruleArns } },
          },
          // sqs-queue-tls-only: nothing reaches the queue without TLS (EventBridge and Lambda always use it).
          { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: queueArn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ],
      },
    },
  };
  resources[REEVALUATE.role] = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: org
        ? 'Hub role of the CloudTrail re-evaluation trigger Lambda: assumes the spoke evaluation role of the changed account.'
        : 'Least privilege for the CloudTrail re-evaluation trigger Lambda.',
      // Fixed name under the hub path: the spoke evaluation role trusts this exact ARN (aws:PrincipalArn).
      ...(org ? { Path: org.path, RoleName: regionalName(hubRoleBaseName(org.stage, REEVALUATE.functionKey)) } : {}),
      AssumeRolePolicyDocument: lambdaTrust,
      Policies: [
        {
          PolicyName: REEVALUATE.functionKey,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              ownLogGroup(REEVALUATE.functionKey),
              ...permissions,
              { Sid: 'ConsumeItsQueue', Effect: 'Allow', Action: [...QUEUE_CONSUMER_ACTIONS], Resource: queueArn },
            ],
          },
        },
      ],
    },
  };
  if (org) {
    resources[REEVALUATE.bus] = {
      Type: 'AWS::Events::EventBus',
      Properties: { Name: hubEventBusName(org.stage), Description: 'CloudTrail change events the HIPAA Safeguards spokes forward to the hub.' },
    };
    resources[REEVALUATE.busPolicy] = {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        EventBusName: { Ref: REEVALUATE.bus },
        StatementId: 'SpokeForwardingRolesOfTheOrganization',
        Statement: {
          Effect: 'Allow',
          // The forwarding roles are in member accounts; the conditions name them exactly.
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: {
            StringEquals: {
              'aws:PrincipalOrgID': org.organizationId,
              // The change sources this hub serves, and CloudTrail events only.
              'events:source': sources.map((s) => s.source),
              'events:detail-type': [CLOUDTRAIL_DETAIL_TYPE],
            },
            ArnLike: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/', FORWARD_ROLE_BASE_NAME, '-', { Ref: 'AWS::Region' }]] } },
          },
        },
      },
    };
  }
  return resources;
}

/**
 * Lambda's trust. No confused-deputy condition: only principals of this account can pass a role to Lambda
 * (iam:PassRole does not cross accounts), and Lambda documents none for the execution role's AssumeRole.
 */
export const lambdaTrust: Json = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

function ownLogGroup(functionKey: string): Json {
  return {
    Sid: 'OwnLogGroupOnly',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: { 'Fn::GetAtt': [serverlessLogicalIds(functionKey).logGroup, 'Arn'] },
  };
}

/**
 * The statements of a single-account rule role, without its log group: its calls scoped by iam-resources.ts, and
 * the Security Hub import only when the deployment enables it. Exported for the moto IAM-enforcement test.
 */
export function ruleRoleStatements(s: Safeguard, options: RuleRoleOptions & { style?: ArnStyle } = {}): Json[] {
  const style = options.style ?? 'join';
  return [...readStatements(ruleActions(s), style), ...(options.securityHub ? securityHubStatements(style) : [])];
}

function ruleRole(s: Safeguard, functionKey: string, options: RuleRoleOptions): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `Least privilege for the ${s.name} AWS Config rule Lambda.`,
      AssumeRolePolicyDocument: lambdaTrust,
      Policies: [{ PolicyName: s.name, PolicyDocument: { Version: '2012-10-17', Statement: [ownLogGroup(functionKey), ...ruleRoleStatements(s, options)] } }],
    },
  };
}

/**
 * Organization mode: the hub rule Lambda's role. It reads nothing itself: it assumes the spoke evaluation role of the
 * evaluated account and lists the organization's accounts for the account guard. Fixed name under the hub path, so
 * the spoke evaluation role trusts exactly it.
 */
function hubRole(s: Safeguard, functionKey: string, hub: ReevaluateHub): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: regionalName(hubRoleBaseName(hub.stage, functionKey)),
      Description: `Hub role of the ${s.name} AWS Config rule Lambda: assumes the spoke evaluation role of each member account.`,
      Path: hub.path,
      AssumeRolePolicyDocument: lambdaTrust,
      Policies: [
        {
          PolicyName: s.name,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              ownLogGroup(functionKey),
              assumeSpokeEvaluationRole(hub.hub, hub.organizationId),
              // ListAccounts has no resource-level permissions (iam-resources.ts).
              ...scopedStatements([...ORGANIZATION_GUARD_ACTIONS]).map((st) => ({ ...(st as Record<string, Json>), Sid: 'OrganizationMembership' })),
            ],
          },
        },
      ],
    },
  };
}

/** Trust for an AWS service acting for this account only (confused-deputy guard: aws:SourceAccount). */
export function serviceTrustPolicy(service: string): Json {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ],
  };
}

/**
 * One document's remediation role, `<document>-<region>` (remediationRoleName): SSM Automation of this account
 * assumes it to run that document only, holding exactly what the document declares (remediationRoleStatements).
 */
export function remediationRole(document: RemediationDocument, style: ArnStyle = 'join'): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      // Fixed name: the conformance pack builds AutomationAssumeRole from it.
      RoleName: remediationRoleName(document.name),
      Description: `Assumed by SSM Automation to run the ${document.name} remediation document, and nothing else.`,
      AssumeRolePolicyDocument: serviceTrustPolicy('ssm.amazonaws.com'),
      Policies: [
        {
          PolicyName: document.name,
          PolicyDocument: { Version: '2012-10-17', Statement: remediationRoleStatements(document, { style, topicName: DEFAULT_NOTIFICATION_TOPIC_NAME }) },
        },
      ],
    },
  };
}

/** Every document's remediation role, keyed by logical ID. */
export function remediationRoles(documents: readonly RemediationDocument[], style: ArnStyle = 'join'): Record<string, Json> {
  return Object.fromEntries(documents.map((d) => [remediationRoleLogicalId(d.name), remediationRole(d, style)]));
}

/** A document's parsed content, refused when CloudFormation would read part of it as an intrinsic function. */
export function documentContent(d: RemediationDocument): Json {
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'Ref' || k.startsWith('Fn::')) {
          throw new Error(`Remediation document ${d.name} has a key ${k} at ${path}, which CloudFormation would evaluate.`);
        }
        visit(v, `${path}.${k}`);
      }
    }
  };
  if (d.content === null || typeof d.content !== 'object' || Array.isArray(d.content)) {
    throw new Error(`Remediation document ${d.name} is not a YAML mapping.`);
  }
  visit(d.content, d.name);
  return d.content as Json;
}

/** One `AWS::Lambda::Permission` statement as Lambda stores it, to size a function's policy before deploying. */
function permissionStatementBytes(stackName: string, logicalId: string, functionName: string): number {
  const statement = {
    // CloudFormation names the statement `<stack>-<logical id>-<12 random characters>`.
    Sid: `${stackName}-${logicalId}-XXXXXXXXXXXX`,
    Effect: 'Allow',
    Principal: { Service: 'config.amazonaws.com' },
    Action: 'lambda:InvokeFunction',
    Resource: `arn:aws-us-gov:lambda:ap-southeast-2:123456789012:function:${functionName}`,
    Condition: { StringEquals: { 'AWS:SourceAccount': '123456789012' } },
  };
  return Buffer.byteLength(JSON.stringify(statement)) + 1;
}

/**
 * Organization mode can only let Config of the member accounts invoke the Lambdas with one SourceAccount statement
 * per account and function (Lambda takes no organization condition for a service principal), and both the stack
 * (500 resources) and each function's policy (20 KB) bound how many fit. Checked before CloudFormation fails halfway.
 */
export function checkOrganizationCapacity(input: Pick<PartsInput, 'safeguards' | 'service' | 'stage' | 'changeSources'>, accounts: number): void {
  const error = organizationCapacityError(input, accounts);
  if (error) throw new Error(error);
}

/** The most member accounts one stage of `input` serves (each added safeguard lowers it). */
export function organizationCapacity(input: Pick<PartsInput, 'safeguards' | 'service' | 'stage' | 'changeSources'>): number {
  let accounts = 0;
  while (!organizationCapacityError(input, accounts + 1)) accounts++;
  return accounts;
}

function organizationCapacityError(input: Pick<PartsInput, 'safeguards' | 'service' | 'stage' | 'changeSources'>, accounts: number): string | undefined {
  const rules = input.safeguards.length;
  const sources = deployedChangeSources(input.safeguards, input.changeSources ?? CHANGE_SOURCES).length;
  const trigger = sources > 0 ? REEVALUATE_ORGANIZATION_RESOURCES + sources : 0;
  const resources = SERVERLESS_OWN_RESOURCES + rules * 3 + rules * accounts + 1 + trigger;
  const tip =
    'Split the organization: deploy one stage per OU (safeguards deploy-org --ou <ou> --stage <name>); each stage serves only its OU and excludes the other accounts from its pack.';
  if (resources > MAX_STACK_RESOURCES) {
    return `Serving ${accounts} accounts with ${rules} rules needs ${resources} CloudFormation resources (one invoke permission per account and rule); a stack holds ${MAX_STACK_RESOURCES}. ${tip}`;
  }
  const stackName = `${input.service}-${input.stage}`;
  for (const s of input.safeguards) {
    const bytes = accounts * permissionStatementBytes(stackName, `${ruleLogicalIds(s).permission}123456789012`, `${stackName}-${s.name}`) + 64;
    if (bytes > MAX_FUNCTION_POLICY_BYTES) {
      return `Serving ${accounts} accounts makes the resource policy of ${stackName}-${s.name} about ${bytes} bytes; Lambda allows ${MAX_FUNCTION_POLICY_BYTES}. ${tip}`;
    }
  }
  return undefined;
}

function packSource(input: PartsInput): Json {
  const uri = input.packTemplateS3Uri ?? '';
  if (uri !== '') {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
    if (!m?.[1]) throw new Error(`packTemplateS3Uri "${uri}" is not an s3://<bucket>/<key> URI.`);
    if (input.organization && !m[1].startsWith(ORGANIZATION_PACK_BUCKET_PREFIX)) {
      throw new Error(`An organization conformance pack template must be in a bucket whose name starts with ${ORGANIZATION_PACK_BUCKET_PREFIX}; got ${m[1]}.`);
    }
    return { TemplateS3Uri: uri };
  }
  if (input.organization) throw new Error('Organization mode needs packTemplateS3Uri: safeguards deploy-org uploads the pack and sets it.');
  const bytes = Buffer.byteLength(input.packText, 'utf8');
  if (bytes > MAX_TEMPLATE_BODY_BYTES) {
    throw new Error(
      `The conformance pack is ${bytes} bytes; a TemplateBody holds ${MAX_TEMPLATE_BODY_BYTES}. Deploy with safeguards deploy, which uploads it to S3 and sets packTemplateS3Uri.`,
    );
  }
  return { TemplateBody: input.packText };
}

function organizationResources(input: PartsInput, hub: OrganizationHub): Record<string, Json> {
  const accountPattern = /^\d{12}$/;
  for (const a of [...hub.memberAccounts, ...hub.excludedAccounts]) {
    if (!accountPattern.test(a)) throw new Error(`"${a}" is not a 12-digit AWS account ID.`);
  }
  if (hub.memberAccounts.length === 0) throw new Error('Organization mode needs memberAccounts: the accounts whose spoke stacks are in place.');
  const both = hub.memberAccounts.filter((a) => hub.excludedAccounts.includes(a));
  if (both.length > 0) throw new Error(`Accounts ${both.join(', ')} are both served and excluded.`);
  checkOrganizationCapacity(input, hub.memberAccounts.length);
  const inputs = input.safeguards.length * 2;
  if (inputs > MAX_PACK_INPUT_PARAMETERS) {
    throw new Error(`${input.safeguards.length} rules need ${inputs} conformance pack input parameters in organization mode; Config takes ${MAX_PACK_INPUT_PARAMETERS}.`);
  }
  const organizationId = hub.organizationId ?? '';
  if (!/^o-[a-z0-9]{10,32}$/.test(organizationId)) {
    throw new Error(
      `Organization mode needs organizationId (o-...): the hub roles assume spoke roles of this organization only (aws:ResourceOrgID); got "${organizationId}". safeguards deploy-org sets it.`,
    );
  }

  const org: ReevaluateHub = { hub, organizationId, stage: input.stage, path: hubRolePath(input.service, input.stage) };
  const Resources: Record<string, Json> = {};
  const sources = deployedChangeSources(input.safeguards, input.changeSources ?? CHANGE_SOURCES).map((d) => d.source);
  if (sources.length > 0) Object.assign(Resources, reevaluateResources(sources, org));
  const permissions: string[] = [];
  const packInputs: Json[] = [];
  for (const s of input.safeguards) {
    const ids = ruleLogicalIds(s);
    const fn = serverlessLogicalIds(s.name).function;
    Resources[ids.role] = hubRole(s, s.name, org);
    for (const account of hub.memberAccounts) {
      const id = `${ids.permission}${account}`;
      Resources[id] = {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
          Action: 'lambda:InvokeFunction',
          Principal: 'config.amazonaws.com',
          // One member account per statement: Lambda has no organization condition for service principals.
          SourceAccount: account,
        },
      };
      permissions.push(id);
    }
    const names = packNames(s);
    if (!Object.hasOwn(s.schema, 'executionRoleName')) {
      throw new Error(`Safeguard ${s.name} has no executionRoleName parameter; organization mode cannot reach member accounts.`);
    }
    packInputs.push(
      { ParameterName: names.lambdaArn, ParameterValue: { 'Fn::GetAtt': [fn, 'Arn'] } },
      { ParameterName: names.parameter('executionRoleName'), ParameterValue: regionalRoleName(hub.evaluationRoleName) },
    );
  }
  Resources[ORGANIZATION_CONFORMANCE_PACK_LOGICAL_ID] = {
    Type: 'AWS::Config::OrganizationConformancePack',
    // Each member account's PutConfigRule fails unless Config of that account may already invoke the Lambda.
    DependsOn: permissions,
    Properties: {
      OrganizationConformancePackName: `${input.service}-${input.stage}`,
      ...(packSource(input) as Record<string, Json>),
      ConformancePackInputParameters: packInputs,
      // Accounts without a spoke (outside the OU, or not yet deployed) would get rules that cannot assume a role.
      ...(hub.excludedAccounts.length > 0 ? { ExcludedAccounts: [...hub.excludedAccounts] } : {}),
    },
  };
  return Resources;
}

/**
 * Log groups are audit evidence (every verdict and every failure is logged): kept when the stack is deleted or the
 * group replaced. serverless creates them; `resources.extensions` adds the policies to its own resources.
 */
export function logGroupExtensions(functionKeys: readonly string[]): Record<string, Json> {
  return Object.fromEntries(functionKeys.map((k) => [serverlessLogicalIds(k).logGroup, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' }]));
}

/**
 * The CloudFormation resources serverless.yml adds to its functions. Single account: one role and one Config invoke
 * permission per rule, the SSM documents, one remediation role per document, the notification topic and the
 * conformance pack wired to the Lambdas. Organization (hub): one fixed-name role per rule that assumes the spoke
 * evaluation role, one invoke permission per rule and member account, and the organization conformance pack; the
 * documents and the spoke roles come from the StackSet. Both: the CloudTrail re-evaluation trigger when the catalog
 * has safeguards of a change source (reevaluateResources), and retained log groups.
 */
export function buildResources(input: PartsInput): { Resources: Record<string, Json>; extensions: Record<string, Json> } {
  // serverless resolves ${...} in everything this returns: a document or pack with one would be corrupted.
  for (const [what, text] of [['conformance pack', input.packText], ...input.documents.map((d) => [d.name, d.text])] as const) {
    if (text.includes('${')) throw new Error(`${what} contains "\${", which serverless would resolve as a variable.`);
  }
  const known = new Set(input.documents.map((d) => d.name));
  for (const s of input.safeguards) {
    if (s.remediation && !known.has(s.remediation.document)) {
      throw new Error(`Safeguard ${s.name} links remediation ${s.remediation.document}, but remediations/${s.remediation.document}.yaml is missing.`);
    }
  }
  if (input.safeguards.length > MAX_PACK_INPUT_PARAMETERS) {
    throw new Error(`${input.safeguards.length} rules need ${input.safeguards.length} conformance pack input parameters; Config takes ${MAX_PACK_INPUT_PARAMETERS}.`);
  }
  const sources = deployedChangeSources(input.safeguards, input.changeSources ?? CHANGE_SOURCES).map((d) => d.source);
  const functionKeys = [...input.safeguards.map((s) => s.name), ...(sources.length > 0 ? [REEVALUATE.functionKey] : [])];
  const extensions = logGroupExtensions(functionKeys);
  if (input.organization) return { Resources: organizationResources(input, input.organization), extensions };

  const roles = remediationRoles(input.documents);
  const Resources: Record<string, Json> = {
    [NOTIFICATION_TOPIC_LOGICAL_ID]: notificationTopic(),
    [NOTIFICATION_TOPIC_POLICY_LOGICAL_ID]: notificationTopicPolicy(input.documents),
    ...(sources.length > 0 ? reevaluateResources(sources) : {}),
    ...roles,
  };
  const packDependsOn: string[] = [...Object.keys(roles), NOTIFICATION_TOPIC_LOGICAL_ID];
  const packInputs: Json[] = [];
  const options: RuleRoleOptions = { securityHub: input.importSecurityHubFindings ?? false };

  for (const s of input.safeguards) {
    const ids = ruleLogicalIds(s);
    const fn = serverlessLogicalIds(s.name).function;
    Resources[ids.role] = ruleRole(s, s.name, options);
    Resources[ids.permission] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'config.amazonaws.com',
        // Only Config rules of this account; their names get a random suffix from the pack, so no SourceArn.
        SourceAccount: { Ref: 'AWS::AccountId' },
      },
    };
    packDependsOn.push(ids.permission);
    packInputs.push({ ParameterName: packNames(s).lambdaArn, ParameterValue: { 'Fn::GetAtt': [fn, 'Arn'] } });
  }

  for (const d of input.documents) {
    const id = documentLogicalId(d.name);
    Resources[id] = documentResource(d);
    packDependsOn.push(id);
  }

  // The CloudFormation hook around serverless's function (nothing when preventionMode is OFF).
  const hook = singleAccountHookResources(input.safeguards, input.stage, input.prevention ?? DEFAULT_PREVENTION, serverlessLogicalIds(HOOK_FUNCTION_KEY));
  Object.assign(Resources, hook);
  if (Object.keys(hook).length > 0) Object.assign(extensions, logGroupExtensions([HOOK_FUNCTION_KEY]));

  Resources[CONFORMANCE_PACK_LOGICAL_ID] = {
    Type: 'AWS::Config::ConformancePack',
    // Config invokes each Lambda as soon as its rule exists, and checks that remediation documents exist.
    DependsOn: packDependsOn,
    Properties: {
      ConformancePackName: `${input.service}-${input.stage}`,
      ...(packSource(input) as Record<string, Json>),
      ConformancePackInputParameters: packInputs,
    },
  };
  return { Resources, extensions };
}

export const NOTIFICATION_TOPIC_LOGICAL_ID = 'NotificationTopic';
export const NOTIFICATION_TOPIC_POLICY_LOGICAL_ID = 'NotificationTopicPolicy';

/**
 * The topic notification remediations publish to (fixed name per account and region, so one pack names it
 * everywhere), encrypted with the AWS managed SNS key. Subscribe the security team to it.
 */
export function notificationTopic(): Json {
  return {
    Type: 'AWS::SNS::Topic',
    Properties: { TopicName: DEFAULT_NOTIFICATION_TOPIC_NAME, KmsMasterKeyId: 'alias/aws/sns', DisplayName: 'HIPAA Safeguards' },
  };
}

/**
 * Who may publish to the topic: only the remediation roles of documents that declare sns:Publish, and nobody
 * without TLS. The Deny names every other principal: an account admin's own Allow does not open it either.
 */
export function notificationTopicPolicy(documents: readonly RemediationDocument[]): Json {
  const topic = { Ref: NOTIFICATION_TOPIC_LOGICAL_ID };
  const publishers = documents.filter((d) => d.iamActions.includes('sns:Publish')).map((d) => remediationRoleArn(d.name));
  return {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [topic],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          ...(publishers.length > 0
            ? [
                {
                  Sid: 'RemediationRolesPublish',
                  Effect: 'Allow',
                  Principal: { AWS: { Ref: 'AWS::AccountId' } },
                  Action: 'sns:Publish',
                  Resource: topic,
                  Condition: { ArnEquals: { 'aws:PrincipalArn': publishers } },
                },
                {
                  Sid: 'NoOtherPublisher',
                  Effect: 'Deny',
                  Principal: '*',
                  Action: 'sns:Publish',
                  Resource: topic,
                  Condition: { ArnNotEquals: { 'aws:PrincipalArn': publishers } },
                },
              ]
            : []),
          {
            Sid: 'TlsOnly',
            Effect: 'Deny',
            Principal: '*',
            // Every action a topic policy accepts, as sns-topic-tls-only requires (not only Publish and Subscribe).
            Action: [...SNS_TOPIC_POLICY_ACTIONS],
            Resource: topic,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  };
}

/** A remediation document as a fixed-name Automation document, updated as a new version. */
export function documentResource(d: RemediationDocument): Json {
  return {
    Type: 'AWS::SSM::Document',
    Properties: {
      Name: d.name,
      DocumentType: 'Automation',
      DocumentFormat: 'YAML',
      // Parsed, not the text: CloudFormation writes it back as YAML, and cfn-lint (E3051) can only check objects.
      Content: documentContent(d),
      UpdateMethod: 'NewVersion',
    },
  };
}
