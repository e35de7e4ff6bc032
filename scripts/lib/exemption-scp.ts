import { join } from 'node:path';
import { EXEMPT_TAG, EXEMPT_UNTIL_TAG } from '../../rules/runtime/exemptions';
import type { Safeguard } from '../../rules/runtime/safeguard';

/**
 * The service control policy that governs exemptions: only principals the organization names may add, change or
 * remove a `hipaa-safeguards:exempt*` tag on any resource type of the catalog, at creation or afterwards. Generated
 * from the catalog, committed (with a placeholder approver), drift-checked by a test, created and attached by
 * `safeguards deploy-org --exemption-approvers`.
 *
 * Why one Deny statement on `aws:TagKeys`: the key carries the tag keys of the request for a create call with tags, a
 * tag call and an untag call alike, so `ForAnyValue:StringLike` catches adding, overwriting (changing) and removing
 * an exemption tag; a request without tags has no `aws:TagKeys`, the ForAnyValue test is false and it stays allowed.
 * `aws:PrincipalArn` is the role's ARN (not the session's), so approvers are IAM role or user ARNs.
 * The pack's own roles need no exception: rules and remediation documents only read exemption tags (the
 * secrets and snapshots they create carry other keys), so a pack role that tried to write one would be denied.
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_tagging.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html (aws:TagKeys, aws:PrincipalArn)
 */

export const EXEMPTION_SCP_PATH = join(__dirname, '..', '..', 'conformance-packs', 'hipaa-safeguards-exemption-scp.json');

/** Organizations refuses a service control policy longer than this many characters (whitespace included). */
export const MAX_SCP_CHARACTERS = 5_120;

/** Both exemption tags share this prefix, and a future `hipaa-safeguards:exempt-*` tag is governed too. */
export const EXEMPT_TAG_PATTERN = `${EXEMPT_TAG}*`;

/**
 * Written into the committed file in place of the organization's approvers. Its account is not 12 digits, so no
 * principal ever matches it: pasted unchanged, the policy lets nobody change exemptions (it fails closed).
 */
export const APPROVER_PLACEHOLDER = 'arn:aws:iam::ACCOUNT_ID:role/REPLACE_WITH_EXEMPTION_APPROVER_ROLE';

/**
 * Every IAM action that adds, changes or removes a tag on a resource of each catalog type, creation with tags
 * included. Checked against the Service Authorization Reference (action names and the aws:TagKeys condition key on
 * each: list_amazonkinesisdatastreams, list_amazonkinesisfirehose, list_amazonkinesisvideostreams,
 * list_amazonelasticache, list_awsresourcegroupstaggingapi) and, by test/pack/exemption-scp.test.ts, against the
 * botocore service models. A create call with tags also needs the tag action (kinesis:CreateStream ->
 * kinesis:AddTagsToStream, firehose:CreateDeliveryStream -> firehose:TagDeliveryStream, ElastiCache create ->
 * elasticache:AddTagsToResource); the create actions are listed too, so the policy holds if that dependency changes.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmemorydb.html
 */
export const TAG_ACTIONS_BY_RESOURCE_TYPE: Readonly<Record<string, readonly string[]>> = {
  'AWS::Kinesis::Stream': ['kinesis:AddTagsToStream', 'kinesis:RemoveTagsFromStream', 'kinesis:TagResource', 'kinesis:UntagResource', 'kinesis:CreateStream'],
  'AWS::KinesisFirehose::DeliveryStream': ['firehose:TagDeliveryStream', 'firehose:UntagDeliveryStream', 'firehose:CreateDeliveryStream'],
  'AWS::KinesisVideo::Stream': ['kinesisvideo:TagStream', 'kinesisvideo:UntagStream', 'kinesisvideo:TagResource', 'kinesisvideo:UntagResource', 'kinesisvideo:CreateStream'],
  'AWS::ElastiCache::ReplicationGroup': ['elasticache:AddTagsToResource', 'elasticache:RemoveTagsFromResource', 'elasticache:CreateReplicationGroup'],
  'AWS::ElastiCache::CacheCluster': ['elasticache:AddTagsToResource', 'elasticache:RemoveTagsFromResource', 'elasticache:CreateCacheCluster'],
  'AWS::ElastiCache::ServerlessCache': ['elasticache:AddTagsToResource', 'elasticache:RemoveTagsFromResource', 'elasticache:CreateServerlessCache'],
  // MSK (list_amazonmanagedstreamingforapachekafka): TagResource/UntagResource and both creates take aws:TagKeys.
  'AWS::MSK::Cluster': ['kafka:TagResource', 'kafka:UntagResource', 'kafka:CreateCluster', 'kafka:CreateClusterV2'],
  'AWS::MSK::ServerlessCluster': ['kafka:TagResource', 'kafka:UntagResource', 'kafka:CreateClusterV2'],
  // list_amazonopensearchservice: CreateDomain takes TagList.
  'AWS::OpenSearch::Domain': ['es:AddTags', 'es:RemoveTags', 'es:CreateDomain'],
  // list_amazonopensearchserverless: CreateCollection takes tags (and authorizes aoss:TagResource with it).
  'AWS::OpenSearchServerless::Collection': ['aoss:TagResource', 'aoss:UntagResource', 'aoss:CreateCollection'],
  'AWS::MemoryDB::Cluster': ['memorydb:TagResource', 'memorydb:UntagResource', 'memorydb:CreateCluster'],
  'AWS::SQS::Queue': ['sqs:TagQueue', 'sqs:UntagQueue', 'sqs:CreateQueue'],
  'AWS::SNS::Topic': ['sns:TagResource', 'sns:UntagResource', 'sns:CreateTopic'],
  // RDS, Aurora, DocumentDB and Neptune all tag through the RDS API (list_amazonrds): every call that creates a DB
  // instance or cluster takes Tags.
  'AWS::RDS::DBInstance': [
    'rds:AddTagsToResource',
    'rds:RemoveTagsFromResource',
    'rds:CreateDBInstance',
    'rds:CreateDBInstanceReadReplica',
    'rds:RestoreDBInstanceFromDBSnapshot',
    'rds:RestoreDBInstanceToPointInTime',
  ],
  'AWS::RDS::DBCluster': ['rds:AddTagsToResource', 'rds:RemoveTagsFromResource', 'rds:CreateDBCluster', 'rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBClusterToPointInTime'],
};

/** The Resource Groups Tagging API tags any type (it also needs the service's own action, denied above). */
export const CROSS_SERVICE_TAG_ACTIONS = ['tag:TagResources', 'tag:UntagResources'] as const;

/** Raised for an approver list or catalog the policy cannot be made from. */
export class ExemptionScpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Sorted, unique actions for the catalog; throws naming a resource type that has no tag actions listed. */
export function exemptionTagActions(catalog: readonly Pick<Safeguard, 'name' | 'resource'>[]): string[] {
  const actions = new Set<string>(CROSS_SERVICE_TAG_ACTIONS);
  for (const s of catalog) {
    for (const type of s.resource.resourceTypes) {
      const listed = TAG_ACTIONS_BY_RESOURCE_TYPE[type];
      if (!listed) {
        throw new ExemptionScpError(
          `Resource type ${type} of safeguard ${s.name} has no tag actions in TAG_ACTIONS_BY_RESOURCE_TYPE (scripts/lib/exemption-scp.ts). Add its tag, untag and create actions so its exemptions stay governed.`,
        );
      }
      for (const a of listed) actions.add(a);
    }
  }
  return [...actions].sort();
}

// aws:PrincipalArn of a role session is the role ARN, so sts assumed-role ARNs never match: refuse them.
const APPROVER_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|\*):(role|user)\/([\w+=,.@/*-]+)$/;

/**
 * Checks each approver ARN; returns them deduplicated in the given order. Wildcards are allowed in the account and
 * the name (ArnNotLike), but a name that is only wildcards would let every role of an account change exemptions.
 * @example parseApprovers(['arn:aws:iam::111111111111:role/ExemptionApprover'])
 */
export function parseApprovers(approvers: readonly string[], flag = '--exemption-approvers'): string[] {
  if (approvers.length === 0) throw new ExemptionScpError(`${flag} names no principal. Expected one or more IAM role or user ARNs.`);
  for (const arn of approvers) {
    if (/^arn:[\w-]+:sts::/.test(arn)) {
      throw new ExemptionScpError(
        `${flag}: "${arn}" is an STS session ARN. aws:PrincipalArn is the role's ARN for a session, so name the role: arn:aws:iam::<account>:role/<name>.`,
      );
    }
    const m = APPROVER_ARN.exec(arn);
    if (!m) {
      throw new ExemptionScpError(`${flag}: "${arn}" is not an IAM role or user ARN. Expected arn:aws:iam::<12-digit account or *>:role/<name> (or user/<name>).`);
    }
    if (/^[*/]+$/.test(m[4] ?? '')) {
      throw new ExemptionScpError(`${flag}: "${arn}" matches every ${m[3]} of the account. Name the approver role (or its path prefix and name pattern).`);
    }
  }
  return [...new Set(approvers)];
}

export interface ScpDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: 'Deny';
    readonly Action: readonly string[];
    readonly Resource: '*';
    readonly Condition: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  }[];
}

/**
 * The policy document. `Resource: "*"` is deliberate: it is a Deny, and the tag keys, not the resource, decide.
 * @example JSON.stringify(exemptionScp(catalog, ['arn:aws:iam::111111111111:role/ExemptionApprover']))
 */
export function exemptionScp(catalog: readonly Pick<Safeguard, 'name' | 'resource'>[], approvers: readonly string[]): ScpDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'HipaaSafeguardsExemptionTagsOnlyByApprovers',
        Effect: 'Deny',
        Action: exemptionTagActions(catalog),
        Resource: '*',
        Condition: {
          'ForAnyValue:StringLike': { 'aws:TagKeys': [EXEMPT_TAG_PATTERN] },
          ArnNotLike: { 'aws:PrincipalArn': [...approvers] },
        },
      },
    ],
  };
}

/** What deploy-org sends (no whitespace: the limit counts it); throws when it exceeds MAX_SCP_CHARACTERS. */
export function exemptionScpContent(catalog: readonly Pick<Safeguard, 'name' | 'resource'>[], approvers: readonly string[]): string {
  const content = JSON.stringify(exemptionScp(catalog, parseApprovers(approvers)));
  if (content.length > MAX_SCP_CHARACTERS) {
    throw new ExemptionScpError(
      `The exemption service control policy would be ${content.length} characters; Organizations accepts at most ${MAX_SCP_CHARACTERS}. Name fewer --exemption-approvers (a path or name pattern such as arn:aws:iam::*:role/exemptions/* covers many).`,
    );
  }
  return content;
}

/** The committed file: readable, with the placeholder approver. */
export function renderExemptionScp(catalog: readonly Pick<Safeguard, 'name' | 'resource'>[]): string {
  return `${JSON.stringify(exemptionScp(catalog, [APPROVER_PLACEHOLDER]), null, 2)}\n`;
}

/** Both tags the policy governs, for docs and tests. */
export const GOVERNED_TAGS = [EXEMPT_TAG, EXEMPT_UNTIL_TAG] as const;
