/**
 * Documented per-account request rates of every operation the pack calls while listing and looking up resources,
 * and while reporting (issue 11). The limiter (`./limiter`) seeds one token bucket per (account, region, operation)
 * from this table; the SDK's adaptive retry handles whatever AWS throttles beyond it.
 *
 * Rates are per account and region unless the note says otherwise. `burst` is only set where AWS documents one;
 * elsewhere the bucket holds one second's worth (`burstOf`). Where AWS documents no rate, the row says so and uses
 * `DEFAULT_RATE`.
 */

/** IAM service prefixes of the services the pack calls. */
export type ServiceId =
  | 'kinesis'
  | 'firehose'
  | 'kinesisvideo'
  | 'elasticache'
  | 'kafka'
  | 'kms'
  | 'config'
  | 'tag'
  | 'sts'
  | 'organizations'
  | 'securityhub'
  | 'es'
  | 'aoss'
  | 'memorydb'
  | 'sqs'
  | 'sns'
  | 'rds';

export interface RateLimit {
  readonly service: ServiceId;
  /** API operation name, as in the service's API reference (`ListStreams`, not `ListStreamsCommand`). */
  readonly operation: string;
  /** Sustained requests per second per account and region. */
  readonly perSecond: number;
  /** Requests allowed at once after an idle period, when documented. */
  readonly burst?: number;
  /** URL, or the SDK model's doc string with its file; `undocumented: ...` when the rate is our default. */
  readonly source: string;
  /** A limit per resource as well (Kinesis Video): the limiter keys by account, so it does not enforce this. */
  readonly perResource?: number;
}

/**
 * Used where AWS documents no rate: 5 per second is the lowest account-level rate documented for any read in this
 * table (Kinesis ListStreams/ListTagsForStream, Firehose), so it is unlikely to be above the real one.
 */
export const DEFAULT_RATE = { perSecond: 5 } as const;

const KINESIS_SDK = 'node_modules/@aws-sdk/client-kinesis/dist-types/commands';
const KVS_LIMITS = 'https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/limits.html';
const FIREHOSE_LIMITS = 'https://docs.aws.amazon.com/firehose/latest/dev/limits.html';
const RDS_THROTTLING = 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html';
const undocumented = (what: string) => `undocumented: ${what}; DEFAULT_RATE`;

export const RATE_LIMITS: readonly RateLimit[] = [
  // Kinesis Data Streams: the SDK model's own doc strings (same text as the API reference).
  { service: 'kinesis', operation: 'ListStreams', perSecond: 5, source: `${KINESIS_SDK}/ListStreamsCommand.d.ts: "ListStreams has a limit of five transactions per second per account."` },
  { service: 'kinesis', operation: 'DescribeStreamSummary', perSecond: 20, source: `${KINESIS_SDK}/DescribeStreamSummaryCommand.d.ts: "DescribeStreamSummary has a limit of 20 transactions per second per account."` },
  { service: 'kinesis', operation: 'ListTagsForStream', perSecond: 5, source: `${KINESIS_SDK}/ListTagsForStreamCommand.d.ts: "This operation has a limit of five transactions per second per account."` },

  // Amazon Data Firehose.
  { service: 'firehose', operation: 'ListDeliveryStreams', perSecond: 5, source: `${FIREHOSE_LIMITS}: "The following operations can provide up to 5 transactions per second: CreateDeliveryStream, DeleteDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, and UpdateDestination."` },
  { service: 'firehose', operation: 'DescribeDeliveryStream', perSecond: 5, source: `${FIREHOSE_LIMITS} (same sentence as ListDeliveryStreams)` },
  { service: 'firehose', operation: 'ListTagsForDeliveryStream', perSecond: 5, source: 'node_modules/@aws-sdk/client-firehose/dist-types/commands/ListTagsForDeliveryStreamCommand.d.ts: "This operation has a limit of five transactions per second per account."' },

  // Kinesis Video Streams: control plane quotas, all hard limits [h]; ClientLimitExceededException past them.
  { service: 'kinesisvideo', operation: 'ListStreams', perSecond: 50, source: `${KVS_LIMITS}: ListStreams 50 TPS per account` },
  { service: 'kinesisvideo', operation: 'DescribeStream', perSecond: 300, perResource: 5, source: `${KVS_LIMITS}: DescribeStream 300 TPS per account, 5 TPS per stream` },
  { service: 'kinesisvideo', operation: 'ListTagsForStream', perSecond: 50, perResource: 5, source: `${KVS_LIMITS}: ListTagsForStream 50 TPS per account, 5 TPS per stream` },
  { service: 'kinesisvideo', operation: 'ListTagsForResource', perSecond: 50, perResource: 5, source: 'https://docs.aws.amazon.com/kinesisvideostreams-webrtc-dg/latest/devguide/kvswebrtc-limits.html: ListTagsForResource 50 TPS per account, 5 TPS per channel' },

  // ElastiCache publishes no per-API request rates.
  ...(['DescribeReplicationGroups', 'DescribeCacheClusters', 'DescribeServerlessCaches', 'DescribeUserGroups', 'DescribeUsers', 'DescribeUpdateActions', 'DescribeCacheEngineVersions', 'ListTagsForResource'] as const).map(
    (operation): RateLimit => ({ service: 'elasticache', operation, ...DEFAULT_RATE, source: undocumented('ElastiCache publishes no API request rates') }),
  ),

  // Amazon MSK: its quotas page (https://docs.aws.amazon.com/msk/latest/developerguide/limits.html) lists broker,
  // storage, connection and serverless capacity quotas only, no API request rates.
  ...(['ListClustersV2', 'DescribeClusterV2'] as const).map(
    (operation): RateLimit => ({ service: 'kafka', operation, ...DEFAULT_RATE, source: undocumented('https://docs.aws.amazon.com/msk/latest/developerguide/limits.html lists no API request rates') }),
  ),

  // Amazon OpenSearch Service (IAM prefix es): its quotas page lists domain, instance and storage limits, no
  // configuration API request rates.
  ...(['ListDomainNames', 'DescribeDomains', 'ListTags'] as const).map(
    (operation): RateLimit => ({ service: 'es', operation, ...DEFAULT_RATE, source: undocumented('https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html lists no API request rates') }),
  ),

  // Amazon OpenSearch Serverless (IAM prefix aoss): its quotas (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html,
  // "OpenSearch Serverless quotas") list collection, index and OCU limits, no API request rates.
  ...(['ListCollections', 'BatchGetCollection', 'ListTagsForResource'] as const).map(
    (operation): RateLimit => ({ service: 'aoss', operation, ...DEFAULT_RATE, source: undocumented('OpenSearch Serverless quotas list no API request rates') }),
  ),

  // MemoryDB: its quotas page (https://docs.aws.amazon.com/memorydb/latest/devguide/quota-limits.html) lists
  // resource counts only (nodes, parameter groups, users, ...), no API request rates.
  ...(['DescribeClusters', 'DescribeACLs', 'DescribeUsers', 'ListTags'] as const).map(
    (operation): RateLimit => ({ service: 'memorydb', operation, ...DEFAULT_RATE, source: undocumented('MemoryDB publishes no API request rates (quota-limits.html lists resource counts only)') }),
  ),

  // Amazon RDS (also Aurora, DocumentDB and Neptune, which share the RDS API): one token bucket per account and
  // Region for all operations, "By default, you can make up to 300 requests in a burst and a sustained 12 requests
  // per second". The limiter keys by operation, so operations running at once may together exceed it; the SDK's
  // adaptive retry handles the rest.
  ...(['DescribeDBInstances', 'DescribeDBClusters', 'DescribeDBParameters', 'DescribeDBClusterParameters', 'DescribeOptionGroups'] as const).map(
    (operation): RateLimit => ({ service: 'rds', operation, perSecond: 12, burst: 300, source: `${RDS_THROTTLING}: "By default, you can make up to 300 requests in a burst and a sustained 12 requests per second."` }),
  ),

  // KMS: "Request quotas for each AWS KMS API operation". The current page may list a higher DescribeKey quota in
  // some Regions; 100 is the figure in the published guide's source (awsdocs/aws-kms-developer-guide) and the safe one.
  { service: 'kms', operation: 'DescribeKey', perSecond: 100, source: 'https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html (awsdocs/aws-kms-developer-guide doc_source/requests-per-second.md: "DescribeKey | 100")' },

  // AWS Config: its service limits page (configlimits) lists resource counts only, no API rates.
  ...(['PutEvaluations', 'SelectResourceConfig', 'BatchGetResourceConfig', 'ListDiscoveredResources', 'GetResourceConfigHistory', 'GetComplianceDetailsByConfigRule', 'DescribeConfigRules', 'DescribeConfigurationRecorders', 'DescribeConfigurationRecorderStatus'] as const).map(
    (operation): RateLimit => ({ service: 'config', operation, ...DEFAULT_RATE, source: undocumented('https://docs.aws.amazon.com/config/latest/developerguide/configlimits.html lists no API rates') }),
  ),
  { service: 'config', operation: 'StartConfigRulesEvaluation', perSecond: 1 / 60, burst: 1, source: 'node_modules/@aws-sdk/client-config-service LimitExceededException: "thrown if an evaluation is in progress or if you call the StartConfigRulesEvaluation API more than once per minute"' },

  // Resource Groups Tagging API and STS publish no per-operation rates.
  { service: 'tag', operation: 'GetResources', ...DEFAULT_RATE, source: undocumented('the Resource Groups Tagging API publishes no request rate') },
  { service: 'sts', operation: 'AssumeRole', ...DEFAULT_RATE, source: undocumented('STS publishes no AssumeRole request rate; credentials are cached for their 15 minutes') },
  { service: 'organizations', operation: 'ListAccounts', ...DEFAULT_RATE, source: undocumented('Organizations publishes no ListAccounts request rate') },

  // Amazon SQS: "Amazon SQS quotas" lists message and queue quotas, no request rate for the control-plane reads.
  ...(['ListQueues', 'GetQueueAttributes', 'ListQueueTags'] as const).map(
    (operation): RateLimit => ({ service: 'sqs', operation, ...DEFAULT_RATE, source: undocumented('https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-quotas.html lists no rate for ListQueues, GetQueueAttributes or ListQueueTags') }),
  ),

  // Amazon SNS: its quotas page (https://docs.aws.amazon.com/general/latest/gr/sns.html) lists API throttling rates per
  // Region that could not be checked offline for these reads; DEFAULT_RATE (5/s) is below any SNS API rate published there.
  ...(['ListTopics', 'GetTopicAttributes', 'ListTagsForResource'] as const).map(
    (operation): RateLimit => ({ service: 'sns', operation, ...DEFAULT_RATE, source: undocumented('the Amazon SNS quotas page was not verifiable offline for ListTopics, GetTopicAttributes, ListTagsForResource') }),
  ),

  // Security Hub (importSecurityHubFindings).
  { service: 'securityhub', operation: 'BatchImportFindings', perSecond: 10, burst: 30, source: 'https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html: "The throttle rate limit is 10 TPS per account per Region, with a burst of 30 TPS."' },
  { service: 'securityhub', operation: 'BatchUpdateFindings', ...DEFAULT_RATE, source: undocumented('Security Hub publishes no BatchUpdateFindings rate') },
];

/** SDK v3 client class names (`context.clientName` in the middleware stack) to the service they call. */
export const CLIENT_SERVICES: Readonly<Record<string, ServiceId>> = {
  KinesisClient: 'kinesis',
  FirehoseClient: 'firehose',
  KinesisVideoClient: 'kinesisvideo',
  ElastiCacheClient: 'elasticache',
  KafkaClient: 'kafka',
  OpenSearchClient: 'es',
  OpenSearchServerlessClient: 'aoss',
  RDSClient: 'rds',
  KMSClient: 'kms',
  ConfigServiceClient: 'config',
  ResourceGroupsTaggingAPIClient: 'tag',
  STSClient: 'sts',
  OrganizationsClient: 'organizations',
  SecurityHubClient: 'securityhub',
  MemoryDBClient: 'memorydb',
  SQSClient: 'sqs',
  SNSClient: 'sns',
};

const byKey = new Map(RATE_LIMITS.map((r) => [`${r.service}:${r.operation}`, r]));

/** The documented rate of an operation, or `DEFAULT_RATE` (with `documented: false`) for one not in the table. */
export function rateFor(service: string, operation: string): { perSecond: number; burst: number; documented: boolean } {
  const row = byKey.get(`${service}:${operation}`);
  const perSecond = row?.perSecond ?? DEFAULT_RATE.perSecond;
  return { perSecond, burst: row?.burst ?? burstOf(perSecond), documented: row !== undefined && !row.source.startsWith('undocumented') };
}

/** A bucket holds one second's worth of requests (at least one) when AWS documents no burst. */
export function burstOf(perSecond: number): number {
  return Math.max(1, Math.floor(perSecond));
}

/** A rate no run reaches: operations outside the table are left to the SDK's adaptive retry. */
export const UNLIMITED_RATE = { perSecond: 1e9, burst: 1e9 } as const;

/**
 * The rate the pack's clients wait on: the table's (documented, or `DEFAULT_RATE` where the row says AWS documents
 * none) for every operation the pack calls while listing, looking up and reporting; `UNLIMITED_RATE` for an
 * operation the table does not list (the demo's and tests' create calls, remediation writes), which the SDK's
 * adaptive retry alone paces.
 */
export function listedRateFor(service: string, operation: string): { perSecond: number; burst: number } {
  return byKey.has(`${service}:${operation}`) ? rateFor(service, operation) : { ...UNLIMITED_RATE };
}
