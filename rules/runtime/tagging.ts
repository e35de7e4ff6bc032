import { ResourceGroupsTaggingAPIClient, paginateGetResources } from '@aws-sdk/client-resource-groups-tagging-api';
import * as z from 'zod/mini';
import type { AwsClients } from './clients';
import { NonAwsResponseError } from './aws-errors';
import { InvalidResponseError } from './errors';
import { describeIssues } from './issues';

/**
 * Tags in bulk (issue 11): one `tag:GetResources` page holds the tags of up to 100 resources of a type, where the
 * per-resource calls cost one request each (Kinesis ListTagsForStream: 5 a second per account).
 *
 * Coverage: "The GetResources, GetTagKeys, and GetTagValues operations support all resource types."
 * @see https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html
 * The filter of each type is `service:resourceType` as its ARN spells it (GetResources, ResourceTypeFilters):
 * `arn:aws:kinesis:...:stream/x`, `arn:aws:firehose:...:deliverystream/x`, `arn:aws:kinesisvideo:...:stream/x/123`,
 * `arn:aws:elasticache:...:replicationgroup:x` / `cluster:x` / `serverlesscache:x`, `arn:aws:memorydb:...:cluster/x`.
 * @see https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 *
 * GetResources returns "all the tagged or previously tagged resources": a resource it does not return has no tags,
 * and one tagged once and no more comes with `Tags: []`. A type missing from TAGGING_TYPES is read per resource.
 */
export const TAGGING_TYPES: Readonly<Record<string, string>> = {
  'AWS::Kinesis::Stream': 'kinesis:stream',
  'AWS::KinesisFirehose::DeliveryStream': 'firehose:deliverystream',
  'AWS::KinesisVideo::Stream': 'kinesisvideo:stream',
  'AWS::ElastiCache::ReplicationGroup': 'elasticache:replicationgroup',
  'AWS::ElastiCache::CacheCluster': 'elasticache:cluster',
  'AWS::ElastiCache::ServerlessCache': 'elasticache:serverlesscache',
  // arn:aws:es:...:domain/x
  'AWS::OpenSearch::Domain': 'es:domain',
  // arn:aws:aoss:...:collection/<id>
  'AWS::OpenSearchServerless::Collection': 'aoss:collection',
  'AWS::MemoryDB::Cluster': 'memorydb:cluster',
  // arn:aws:sqs:<region>:<account>:<queue> and arn:aws:sns:<region>:<account>:<topic> have no resource-type part.
  'AWS::SQS::Queue': 'sqs',
  'AWS::SNS::Topic': 'sns',
};

/** What the listers of a type covered by TAGGING_TYPES call on top of their per-resource tag action (the fallback). */
export const BULK_TAG_ACTIONS = ['tag:GetResources'] as const;

/**
 * Each type's own tag action: called only when tag:GetResources is refused (or the type is not covered). The rule
 * roles keep it (the listers declare it in listActions), so a deployment that denies the Tagging API still works.
 */
export const PER_RESOURCE_TAG_ACTIONS: Readonly<Record<string, string>> = {
  'AWS::Kinesis::Stream': 'kinesis:ListTagsForStream',
  'AWS::KinesisFirehose::DeliveryStream': 'firehose:ListTagsForDeliveryStream',
  'AWS::KinesisVideo::Stream': 'kinesisvideo:ListTagsForStream',
  'AWS::ElastiCache::ReplicationGroup': 'elasticache:ListTagsForResource',
  'AWS::ElastiCache::CacheCluster': 'elasticache:ListTagsForResource',
  'AWS::ElastiCache::ServerlessCache': 'elasticache:ListTagsForResource',
  'AWS::OpenSearch::Domain': 'es:ListTags',
  'AWS::OpenSearchServerless::Collection': 'aoss:ListTagsForResource',
  'AWS::MemoryDB::Cluster': 'memorydb:ListTags',
  'AWS::SQS::Queue': 'sqs:ListQueueTags',
  'AWS::SNS::Topic': 'sns:ListTagsForResource',
};

/** GetResources' ResourcesPerPage maximum ("a minimum of 1 and a maximum value of 100"). */
export const RESOURCES_PER_PAGE = 100;

const Mapping = /* @__PURE__ */ z.lazy(() => z.object({
  ResourceARN: z.string().check(z.minLength(1)),
  Tags: z.nullish(z.array(z.object({ Key: z.string().check(z.minLength(1)), Value: z.nullish(z.string()) }))),
}));

/**
 * Whether an SDK error is the caller lacking the permission: HTTP 403 or an AccessDenied code. A 403 whose body is
 * not an AWS error (moto answers refused JSON-protocol calls with an HTML page) is a refusal too: falling back to the
 * per-resource calls, which answer for themselves, is the safe reading.
 */
export function isAccessDenied(error: unknown): boolean {
  if (error instanceof NonAwsResponseError) return error.statusCode === 403;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.$metadata?.httpStatusCode === 403 || /^AccessDenied|^UnauthorizedOperation$/.test(e.name ?? '');
}

/** The tags GetResources returns for one type, every page, keyed by ARN. Throws what the API throws. */
export async function readTagIndex(clients: AwsClients, filter: string): Promise<Map<string, Record<string, string>>> {
  const client = clients.get(ResourceGroupsTaggingAPIClient);
  const index = new Map<string, Record<string, string>>();
  for await (const page of paginateGetResources({ client, pageSize: RESOURCES_PER_PAGE }, { ResourceTypeFilters: [filter] })) {
    for (const raw of page.ResourceTagMappingList ?? []) {
      const parsed = Mapping.safeParse(raw);
      if (!parsed.success) {
        throw new InvalidResponseError(`GetResources returned an incomplete ResourceTagMapping: ${describeIssues(parsed.error, 'ResourceTagMapping')}.`, {
          operation: 'ResourceGroupsTaggingAPI.GetResources',
        });
      }
      const tags: Record<string, string> = {};
      for (const t of parsed.data.Tags ?? []) tags[t.Key] = t.Value ?? '';
      index.set(parsed.data.ResourceARN, tags);
    }
  }
  return index;
}

/** Where one listing's tags come from: the bulk index, or each resource's own tag call (and why). */
export type TagSource =
  | { readonly mode: 'bulk'; readonly index: ReadonlyMap<string, Readonly<Record<string, string>>> }
  | { readonly mode: 'per-resource'; readonly reason: string };

/**
 * How one listing of a type reads tags: the bulk index where the Tagging API covers the type, falling back to
 * per-resource calls when the caller may not call tag:GetResources (told once through `onChoice`, not per resource).
 * The index is read when the first resource needs its tags, so a type with no resource costs no call, and the
 * service's own listing call comes first. Other errors of GetResources propagate: a throttled or failing
 * GetResources fails the listing like any other listing call, rather than judging without exemptions.
 *
 * A resource created or tagged after the index was read is judged on the index until the next run; a change
 * notification carries its tags sooner (Kinesis, Kinesis Video), as does the ElastiCache CloudTrail trigger.
 * @example const tags = new TagReader(clients, 'AWS::Kinesis::Stream'); await tags.tagsOf(arn, () => listTags(name));
 */
export class TagReader {
  private chosen?: Promise<TagSource>;

  constructor(
    private readonly clients: AwsClients,
    private readonly resourceType: string,
    private readonly onChoice?: (source: { readonly mode: TagSource['mode']; readonly reason?: string }) => void,
  ) {}

  /** The source, chosen (and the index read) on first use. */
  source(): Promise<TagSource> {
    this.chosen ??= this.choose();
    return this.chosen;
  }

  /** Tags of one resource: from the index (absent: no tags), or through `perResource`, its own tag call. */
  async tagsOf<T>(arn: string, perResource: () => Promise<T>): Promise<T | Readonly<Record<string, string>>> {
    const source = await this.source();
    return source.mode === 'bulk' ? (source.index.get(arn) ?? {}) : perResource();
  }

  private async choose(): Promise<TagSource> {
    const filter = TAGGING_TYPES[this.resourceType];
    let source: TagSource;
    if (!filter) {
      source = { mode: 'per-resource', reason: `the Resource Groups Tagging API type of ${this.resourceType} is not known: tags are read per resource` };
    } else {
      try {
        source = { mode: 'bulk', index: await readTagIndex(this.clients, filter) };
      } catch (error) {
        if (!isAccessDenied(error)) throw error;
        source = { mode: 'per-resource', reason: `tag:GetResources was refused (${(error as Error).name}): tags are read per resource` };
      }
    }
    this.onChoice?.(source.mode === 'bulk' ? { mode: 'bulk' } : { mode: source.mode, reason: source.reason });
    return source;
  }
}
