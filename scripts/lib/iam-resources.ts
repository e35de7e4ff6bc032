import type { Json } from './conformance-pack';

/**
 * Action → the resource ARN patterns it may be scoped to, for every action this pack grants, from the AWS Service
 * Authorization Reference (SAR): the "Resource types" column of each service's Actions table, and the ARN format of
 * each type in its "Resource types" table. `none` means the SAR lists no resource type: only `Resource: "*"` works.
 *
 * STYLE 15 puts a permission next to the code that calls it: the listers, rules, documents and the trigger still
 * declare WHICH actions they call (rules/resources/*, rules/runtime/actions.ts, `# IAM actions:`). This table only
 * says what each action can be scoped to. That is a fact about the AWS action, not about our code, the same for
 * every caller, so it lives once, keyed by action, and the role builders (scripts/lib/iam.ts) read it; a test holds
 * it against the SAR data cfn-lint ships (cfnlint/data/AdditionalSpecs/Policies.json) and fails on an action the
 * pack grants that is missing here.
 *
 * Patterns are scoped to this account and region: `{partition}`, `{region}`, `{account}` become the stack's own. The one
 * exceptions are kms:DescribeKey and the key of kinesis:StartStreamEncryption, on keys of any account of this partition
 * and region (CROSS_ACCOUNT_ACTIONS says why).
 * Actions whose resource is one the pack owns (its topic, its queue, its roles, its log groups, the hub's bus) are
 * further narrowed by the builder that owns it; the pattern here is the widest the builder may use.
 */
export interface ActionScope {
  /** ARN patterns of the resource types the SAR lists for the action, or `none`. */
  readonly resources: readonly string[] | 'none';
  /** The SAR page the entry was checked against. */
  readonly sar: string;
}

const SAR = 'https://docs.aws.amazon.com/service-authorization/latest/reference';
export const SAR_PAGES = {
  config: `${SAR}/list_awsconfig.html`,
  elasticache: `${SAR}/list_amazonelasticache.html`,
  es: `${SAR}/list_amazonopensearchservice.html`,
  aoss: `${SAR}/list_amazonopensearchserverless.html`,
  events: `${SAR}/list_amazoneventbridge.html`,
  firehose: `${SAR}/list_amazonkinesisfirehose.html`,
  iam: `${SAR}/list_awsidentityandaccessmanagementiam.html`,
  kafka: `${SAR}/list_amazonmanagedstreamingforapachekafka.html`,
  kinesis: `${SAR}/list_amazonkinesisdatastreams.html`,
  kinesisvideo: `${SAR}/list_amazonkinesisvideostreams.html`,
  kms: `${SAR}/list_awskeymanagementservice.html`,
  lambda: `${SAR}/list_awslambda.html`,
  logs: `${SAR}/list_amazoncloudwatchlogs.html`,
  memorydb: `${SAR}/list_amazonmemorydb.html`,
  organizations: `${SAR}/list_awsorganizations.html`,
  rds: `${SAR}/list_amazonrds.html`,
  secretsmanager: `${SAR}/list_awssecretsmanager.html`,
  securityhub: `${SAR}/list_awssecurityhub.html`,
  sns: `${SAR}/list_amazonsns.html`,
  sqs: `${SAR}/list_amazonsqs.html`,
  sts: `${SAR}/list_awssecuritytokenservice.html`,
  tag: `${SAR}/list_amazonresourcegrouptaggingapi.html`,
} as const;

const here = (service: string, resource: string) => `arn:{partition}:${service}:{region}:{account}:${resource}`;
/** ElastiCache ARNs use `:` between type and name: `...:replicationgroup:phi-sessions`. */
const cache = (...types: string[]) => types.map((t) => here('elasticache', `${t}:*`));
const none = (service: keyof typeof SAR_PAGES): ActionScope => ({ resources: 'none', sar: SAR_PAGES[service] });
const scoped = (service: keyof typeof SAR_PAGES, ...resources: string[]): ActionScope => ({ resources, sar: SAR_PAGES[service] });

export const CONFIG_RULE_ARN = here('config', 'config-rule/*');
export const KMS_KEY_ARN = here('kms', 'key/*');
/**
 * A key of any account in this partition and region. Central key accounts are a common set-up (issue 9 §1): a stream
 * or cache here may be encrypted with a key that another account owns, and the rules must read it to judge it. The
 * key policy of that account still decides; this only stops our own policy from refusing first.
 */
export const ANY_ACCOUNT_KMS_KEY_ARN = 'arn:{partition}:kms:{region}:*:key/*';
/** Secrets the AddAuthToken document creates: `hipaa-safeguards/...` (Secrets Manager appends `-XXXXXX`). */
export const PACK_SECRET_ARN = here('secretsmanager', 'secret:hipaa-safeguards/*');
/** The account's own Security Hub product: the only product a customer may import findings for. */
export const OWN_PRODUCT_ARN = here('securityhub', 'product/{account}/default');

export const ACTION_RESOURCES: Readonly<Record<string, ActionScope>> = {
  'config:DescribeConfigRules': none('config'),
  // Config as the source of periodic runs (rules/runtime/config-source.ts).
  'config:DescribeConfigurationRecorderStatus': scoped('config', here('config', 'configuration-recorder/*')),
  'config:DescribeConfigurationRecorders': scoped('config', here('config', 'configuration-recorder/*')),
  'config:SelectResourceConfig': none('config'),
  'config:GetComplianceDetailsByConfigRule': scoped('config', CONFIG_RULE_ARN),
  'config:GetComplianceDetailsByResource': none('config'),
  'config:GetResourceConfigHistory': none('config'),
  'config:PutEvaluations': none('config'),
  'config:StartConfigRulesEvaluation': scoped('config', CONFIG_RULE_ARN),

  // Only the snapshots the pack takes (the final snapshot of a delete): a role that could tag a cache could exempt it.
  'elasticache:AddTagsToResource': scoped('elasticache', ...cache('snapshot')),
  'elasticache:BatchApplyUpdateAction': scoped('elasticache', ...cache('cluster', 'replicationgroup')),
  'elasticache:CreateSnapshot': scoped('elasticache', ...cache('cluster', 'replicationgroup', 'snapshot')),
  'elasticache:DeleteCacheCluster': scoped('elasticache', ...cache('cluster', 'snapshot')),
  'elasticache:DeleteReplicationGroup': scoped('elasticache', ...cache('replicationgroup', 'snapshot')),
  'elasticache:DescribeCacheClusters': scoped('elasticache', ...cache('cluster')),
  'elasticache:DescribeReplicationGroups': scoped('elasticache', ...cache('replicationgroup')),
  'elasticache:DescribeServerlessCaches': scoped('elasticache', ...cache('serverlesscache')),
  'elasticache:DescribeSnapshots': scoped('elasticache', ...cache('snapshot')),
  // Prevention only (rules/prevention/facts.ts): the default engine version of a cache declared without one.
  'elasticache:DescribeCacheEngineVersions': none('elasticache'),
  'elasticache:DescribeUpdateActions': scoped('elasticache', ...cache('cluster', 'replicationgroup')),
  'elasticache:DescribeUserGroups': scoped('elasticache', ...cache('usergroup')),
  'elasticache:DescribeUsers': scoped('elasticache', ...cache('user')),
  // The types our rules and documents tag-read: caches, and the snapshots the delete document takes.
  'elasticache:ListTagsForResource': scoped('elasticache', ...cache('cluster', 'replicationgroup', 'serverlesscache', 'snapshot')),
  'elasticache:ModifyReplicationGroup': scoped('elasticache', ...cache('parametergroup', 'replicationgroup', 'securitygroup', 'usergroup')),

  // Amazon OpenSearch Service domains: arn:${Partition}:es:${Region}:${Account}:domain/${DomainName}.
  'es:DescribeDomain': scoped('es', here('es', 'domain/*')),
  'es:DescribeDomains': scoped('es', here('es', 'domain/*')),
  'es:ListDomainNames': none('es'),
  // ListTags also takes applications and data sources; the pack reads domains' tags only.
  'es:ListTags': scoped('es', here('es', 'domain/*')),
  'es:UpdateDomainConfig': scoped('es', here('es', 'domain/*')),
  // Amazon OpenSearch Serverless collections: arn:${Partition}:aoss:${Region}:${Account}:collection/${CollectionId}.
  // The SAR as cfn-lint ships it (the test's source) lists no resource type for any of these three, so they take `*`
  // (a later SAR that scopes BatchGetCollection to aoss:collection would still accept `*`).
  'aoss:ListCollections': none('aoss'),
  'aoss:BatchGetCollection': none('aoss'),
  'aoss:ListTagsForResource': none('aoss'),

  'events:PutEvents': scoped('events', here('events', 'event-bus/*')),

  'firehose:DescribeDeliveryStream': scoped('firehose', here('firehose', 'deliverystream/*')),
  'firehose:ListDeliveryStreams': none('firehose'),
  'firehose:ListTagsForDeliveryStream': scoped('firehose', here('firehose', 'deliverystream/*')),
  'firehose:StartDeliveryStreamEncryption': scoped('firehose', here('firehose', 'deliverystream/*')),

  'iam:PassRole': scoped('iam', 'arn:{partition}:iam::{account}:role/*'),

  // MSK: the SAR's resource type `cluster` is arn:${Partition}:kafka:${Region}:${Account}:cluster/${ClusterName}/${UUID}
  // (provisioned and serverless clusters alike); ListClustersV2 has no resource type.
  'kafka:DescribeClusterV2': scoped('kafka', here('kafka', 'cluster/*')),
  'kafka:ListClustersV2': none('kafka'),
  'kafka:UpdateSecurity': scoped('kafka', here('kafka', 'cluster/*')),

  'kinesis:DescribeStreamSummary': scoped('kinesis', here('kinesis', 'stream/*')),
  'kinesis:ListStreams': none('kinesis'),
  'kinesis:ListTagsForStream': scoped('kinesis', here('kinesis', 'stream/*')),
  // The SAR lists kmsKey as a resource type too: the key the stream is encrypted with.
  // The key may live in a central key account, as for kms:DescribeKey (CROSS_ACCOUNT_ACTIONS).
  'kinesis:StartStreamEncryption': scoped('kinesis', here('kinesis', 'stream/*'), ANY_ACCOUNT_KMS_KEY_ARN),

  'kinesisvideo:ListStreams': none('kinesisvideo'),
  'kinesisvideo:ListTagsForStream': scoped('kinesisvideo', here('kinesisvideo', 'stream/*')),

  // Keys of any account in this region (ANY_ACCOUNT_KMS_KEY_ARN): still a resource-level scope (keys only, this
  // partition and region), listed in CROSS_ACCOUNT_ACTIONS so the policy review accepts it by name.
  'kms:DescribeKey': scoped('kms', ANY_ACCOUNT_KMS_KEY_ARN),

  // The CloudFormation hook's execution role: narrowed to the hook Lambda by scripts/lib/hook-resources.ts.
  'lambda:InvokeFunction': scoped('lambda', here('lambda', 'function:*')),

  'logs:CreateLogStream': scoped('logs', here('logs', 'log-group:*')),
  'logs:PutLogEvents': scoped('logs', here('logs', 'log-group:*')),

  // MemoryDB ARNs use `/` between type and name: `...:cluster/phi-sessions`, `...:acl/app`, `...:user/app-reader`.
  'memorydb:DescribeACLs': scoped('memorydb', here('memorydb', 'acl/*')),
  'memorydb:DescribeClusters': scoped('memorydb', here('memorydb', 'cluster/*')),
  'memorydb:DescribeUsers': scoped('memorydb', here('memorydb', 'user/*')),
  // The SAR lists acl, cluster, multiregioncluster, parametergroup, snapshot, subnetgroup, user: we read clusters' tags only.
  'memorydb:ListTags': scoped('memorydb', here('memorydb', 'cluster/*')),

  'organizations:ListAccounts': none('organizations'),

  // RDS ARNs use `:` between type and name: `...:db:phi-db`, `...:cluster:phi`, `...:pg:phi-pg`, `...:cluster-pg:phi`, `...:og:phi-og`.
  'rds:DescribeDBInstances': scoped('rds', here('rds', 'db:*')),
  'rds:DescribeDBClusters': scoped('rds', here('rds', 'cluster:*')),
  'rds:DescribeDBParameters': scoped('rds', here('rds', 'pg:*')),
  'rds:DescribeDBClusterParameters': scoped('rds', here('rds', 'cluster-pg:*')),
  'rds:DescribeOptionGroups': scoped('rds', here('rds', 'og:*')),
  'rds:CreateDBParameterGroup': scoped('rds', here('rds', 'pg:*')),
  'rds:CreateDBClusterParameterGroup': scoped('rds', here('rds', 'cluster-pg:*')),
  'rds:ModifyDBParameterGroup': scoped('rds', here('rds', 'pg:*')),
  'rds:ModifyDBClusterParameterGroup': scoped('rds', here('rds', 'cluster-pg:*')),
  'rds:DescribeDBParameterGroups': scoped('rds', here('rds', 'pg:*')),
  'rds:DescribeDBClusterParameterGroups': scoped('rds', here('rds', 'cluster-pg:*')),
  'rds:ModifyDBInstance': scoped('rds', here('rds', 'db:*'), here('rds', 'og:*'), here('rds', 'pg:*'), here('rds', 'secgrp:*'), here('rds', 'subgrp:*')),
  'rds:ModifyDBCluster': scoped('rds', here('rds', 'cluster:*'), here('rds', 'cluster-pg:*'), here('rds', 'og:*'), here('rds', 'pg:*')),

  'secretsmanager:CreateSecret': scoped('secretsmanager', PACK_SECRET_ARN),
  'secretsmanager:DeleteSecret': scoped('secretsmanager', PACK_SECRET_ARN),
  'secretsmanager:DescribeSecret': scoped('secretsmanager', PACK_SECRET_ARN),
  'secretsmanager:GetResourcePolicy': scoped('secretsmanager', PACK_SECRET_ARN),
  'secretsmanager:GetRandomPassword': none('secretsmanager'),
  'secretsmanager:PutSecretValue': scoped('secretsmanager', PACK_SECRET_ARN),
  'secretsmanager:TagResource': scoped('secretsmanager', PACK_SECRET_ARN),

  'securityhub:BatchImportFindings': scoped('securityhub', OWN_PRODUCT_ARN),
  'securityhub:BatchUpdateFindings': scoped('securityhub', here('securityhub', 'hub/default')),

  // SNS topics: arn:...:sns:<region>:<account>:<topic> (SAR resource type `topic`). ListTopics has none.
  'sns:GetTopicAttributes': scoped('sns', here('sns', '*')),
  'sns:ListTagsForResource': scoped('sns', here('sns', '*')),
  'sns:ListTopics': none('sns'),
  'sns:Publish': scoped('sns', here('sns', '*')),
  'sns:SetTopicAttributes': scoped('sns', here('sns', '*')),

  'sqs:ChangeMessageVisibility': scoped('sqs', here('sqs', '*')),
  'sqs:DeleteMessage': scoped('sqs', here('sqs', '*')),
  'sqs:GetQueueAttributes': scoped('sqs', here('sqs', '*')),
  'sqs:ListQueueTags': scoped('sqs', here('sqs', '*')),
  // The SAR lists no resource type for ListQueues.
  'sqs:ListQueues': none('sqs'),
  'sqs:ReceiveMessage': scoped('sqs', here('sqs', '*')),
  'sqs:SetQueueAttributes': scoped('sqs', here('sqs', '*')),

  'sts:AssumeRole': scoped('sts', 'arn:{partition}:iam::{account}:role/*'),

  // Tags in bulk (rules/runtime/tagging.ts): the SAR lists no resource type for GetResources.
  'tag:GetResources': none('tag'),
};

/**
 * The only actions the pack grants on resources of any account (`*` in an ARN's account field) without an
 * organization condition, each with the reason. The policy review (test/pack/policy-checks.ts) fails on any other.
 * A key policy is a resource policy: the key's own account must also allow the call, so this exposes nothing.
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
 */
export const CROSS_ACCOUNT_ACTIONS: Readonly<Record<string, string>> = {
  'kms:DescribeKey': 'the key that encrypts a stream or cache may live in a central key account',
  'kinesis:StartStreamEncryption': 'the remediation encrypts with the key the rule allows, which may live in a central key account',
};

/** The table's entry for an action, or an error naming what to add. */
export function actionScope(action: string): ActionScope {
  const scope = ACTION_RESOURCES[action];
  if (!scope) {
    throw new Error(`IAM action ${action} is not in scripts/lib/iam-resources.ts; add its resource types from the Service Authorization Reference.`);
  }
  return scope;
}

/** Whether the SAR lists no resource type for the action (only `Resource: "*"` works). */
export const hasNoResourceTypes = (action: string): boolean => actionScope(action).resources === 'none';

/**
 * How a template writes an ARN: `join` (Fn::Join) where serverless processes the template, since it reads every
 * `${...}` as its own variable; `sub` (Fn::Sub) in the spoke, which serverless never sees.
 */
export type ArnStyle = 'join' | 'sub';

const PSEUDO: Readonly<Record<string, string>> = { partition: 'AWS::Partition', region: 'AWS::Region', account: 'AWS::AccountId' };

/** A pattern with `{partition}`, `{region}`, `{account}` as a CloudFormation value of this stack. */
export function arnValue(pattern: string, style: ArnStyle = 'join'): Json {
  const parts = pattern.split(/(\{[a-z]+\})/).filter((p) => p !== '');
  for (const p of parts) if (/^\{[a-z]+\}$/.test(p) && !PSEUDO[p.slice(1, -1)]) throw new Error(`Unknown placeholder ${p} in ${pattern}.`);
  if (parts.length === 1 && !parts[0]?.startsWith('{')) return pattern;
  if (style === 'sub') return { 'Fn::Sub': parts.map((p) => (/^\{[a-z]+\}$/.test(p) ? `\${${PSEUDO[p.slice(1, -1)] ?? ''}}` : p)).join('') };
  return { 'Fn::Join': ['', parts.map((p) => (/^\{[a-z]+\}$/.test(p) ? { Ref: PSEUDO[p.slice(1, -1)] ?? '' } : p))] };
}
