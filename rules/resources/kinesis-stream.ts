import { DescribeStreamSummaryCommand, KinesisClient, KinesisServiceException, ListTagsForStreamCommand, ResourceNotFoundException, paginateListStreams } from '@aws-sdk/client-kinesis';
import * as z from 'zod/mini';
import type { AwsClients } from '../runtime/clients';
import { InvalidResponseError, MalformedEventError } from '../runtime/errors';
import type { ConfigurationItem } from '../runtime/event';
import { describeIssues } from '../runtime/issues';
import type { Lookup } from '../runtime/lookup';
import { type ListOptions, type NormalizedResource, type ResourceAdapter, UnreadableResource } from '../runtime/safeguard';
import { BULK_TAG_ACTIONS, TagReader } from '../runtime/tagging';
import { CONFIG_SOURCE_ACTIONS, configFirst } from '../runtime/config-source';
import { readEach } from '../runtime/read-each';
import { kinesisStreamFromCloudFormation, kinesisStreamReads } from './cloudformation/kinesis-stream';

/** A Kinesis data stream as every safeguard sees it. */
export interface KinesisStream extends NormalizedResource {
  readonly name: string;
  readonly arn?: string;
  /** `KMS` or `NONE` (absent StreamEncryption in a configuration item means NONE). */
  readonly encryptionType: string;
  readonly keyId?: string;
  /**
   * Where the encryption facts come from, named in annotations: `StreamEncryption` when a configuration item has
   * none (absent), `StreamEncryption.EncryptionType` when it has one, `EncryptionType` from the API.
   */
  readonly encryptionField: 'StreamEncryption' | 'StreamEncryption.EncryptionType' | 'EncryptionType';
}

// Only the properties the rules read; each is listed in the AWS Config resource schema for AWS::Kinesis::Stream.
export const StreamConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.optional(z.string()),
  Arn: z.optional(z.string()),
  StreamEncryption: z.nullish(z.object({ EncryptionType: z.string().check(z.minLength(1)), KeyId: z.nullish(z.string()) })),
}));

async function listTags(kinesis: KinesisClient, streamName: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let exclusiveStartTagKey: string | undefined;
  // ListTagsForStream has no SDK paginator; it pages with ExclusiveStartTagKey/HasMoreTags (50 tags max per stream).
  for (let page = 0; page < 10; page++) {
    const out = await kinesis.send(
      new ListTagsForStreamCommand({ StreamName: streamName, ...(exclusiveStartTagKey ? { ExclusiveStartTagKey: exclusiveStartTagKey } : {}) }),
    );
    for (const t of out.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    const last = out.Tags?.at(-1)?.Key;
    if (!out.HasMoreTags || !last) break;
    exclusiveStartTagKey = last;
  }
  return tags;
}

async function describe(kinesis: KinesisClient, name: string, tags: TagReader): Promise<KinesisStream | undefined> {
  try {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    const s = out.StreamDescriptionSummary;
    if (!s) throw new InvalidResponseError(`DescribeStreamSummary for stream ${name} returned no StreamDescriptionSummary.`, { operation: 'Kinesis.DescribeStreamSummary' });
    return {
      id: name,
      resourceType: RESOURCE_TYPE,
      name,
      ...(s.StreamARN ? { arn: s.StreamARN } : {}),
      // The API omits EncryptionType on old streams that were never encrypted.
      encryptionType: s.EncryptionType ?? 'NONE',
      ...(s.KeyId ? { keyId: s.KeyId } : {}),
      encryptionField: 'EncryptionType',
      tags: s.StreamARN ? await tags.tagsOf(s.StreamARN, () => listTags(kinesis, name)) : await listTags(kinesis, name),
    };
  } catch (error) {
    // Deleted between ListStreams and here: it is gone, not failing.
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

const RESOURCE_TYPE = 'AWS::Kinesis::Stream';

export const kinesisStreamResource: ResourceAdapter<KinesisStream> = {
  resourceTypes: [RESOURCE_TYPE],
  // ListTagsForStream: tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
  // Config first where it records the type (rules/runtime/config-source.ts), the Kinesis API otherwise.
  listActions: ['kinesis:ListStreams', 'kinesis:DescribeStreamSummary', 'kinesis:ListTagsForStream', ...BULK_TAG_ACTIONS, ...CONFIG_SOURCE_ACTIONS],
  label: (s) => `Stream ${s.name}`,

  fromConfigurationItem: streamFromItem,

  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers: process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [configFirst(RESOURCE_TYPE, streamFromItem, { resourceType: RESOURCE_TYPE, list: listStreams })],

  // Prevention (issue 12): the same view from CloudFormation properties.
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => kinesisStreamFromCloudFormation(resource),
        cloudFormationReads: { [RESOURCE_TYPE]: kinesisStreamReads },
      }),
};

/** The view from a configuration item (change notifications, and periodic runs reading from AWS Config). */
function streamFromItem(item: ConfigurationItem): KinesisStream {
  const parsed = StreamConfiguration.safeParse(item.configuration ?? {});
  if (!parsed.success) {
    throw new MalformedEventError(
      `Malformed AWS::Kinesis::Stream configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`,
    );
  }
  const enc = parsed.data.StreamEncryption;
  return {
    id: item.resourceId,
    resourceType: RESOURCE_TYPE,
    name: parsed.data.Name ?? item.resourceName ?? item.resourceId,
    ...((parsed.data.Arn ?? item.arn) ? { arn: parsed.data.Arn ?? item.arn } : {}),
    encryptionType: enc?.EncryptionType ?? 'NONE',
    ...(enc?.KeyId ? { keyId: enc.KeyId } : {}),
    // Present with EncryptionType NONE is not absent: the annotation names what the item says.
    encryptionField: enc ? 'StreamEncryption.EncryptionType' : 'StreamEncryption',
    tags: item.tags,
  };
}

async function* listStreams(clients: AwsClients, options: ListOptions = {}): AsyncIterable<KinesisStream | UnreadableResource> {
  const kinesis = clients.get(KinesisClient);
  const tags = new TagReader(clients, RESOURCE_TYPE, (c) => options.onNote?.({ resourceType: RESOURCE_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }));
  async function* names(): AsyncGenerator<string> {
    const seen = new Set<string>();
    for await (const page of paginateListStreams({ client: kinesis, pageSize: 100 }, {})) {
      // Some servers fill StreamSummaries beyond StreamNames; read both and describe each stream once.
      for (const name of [...(page.StreamNames ?? []), ...(page.StreamSummaries ?? []).map((s) => s.StreamName ?? '')]) {
        if (!name || seen.has(name)) continue;
        seen.add(name);
        yield name;
      }
    }
  }
  // Streams are described `options.concurrency` at a time (the limiter keeps each operation at its rate), in order.
  yield* readEach(
    names(),
    async (name): Promise<KinesisStream | UnreadableResource | undefined> => {
      try {
        return await describe(kinesis, name, tags);
      } catch (error) {
        // An incomplete answer about one stream is that stream's failure; the others are still judged.
        if (!(error instanceof InvalidResponseError)) throw error;
        return new UnreadableResource(RESOURCE_TYPE, name, error);
      }
    },
    options.concurrency ?? 1,
  );
}

/** What a Firehose delivery stream's source stream tells about encryption at rest. */
export type SourceStreamFacts =
  | { readonly kind: 'read'; readonly arn: string; readonly encryptionType: string; readonly keyId?: string }
  | { readonly kind: 'unreadable'; readonly arn: string; readonly reason: string };

// Errors that describe the source (gone, not ours to read) rather than a passing fault.
const SOURCE_FACT_ERRORS = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'InvalidArgumentException']);

/** DescribeStreamSummary by ARN, cached per run; throttling and network faults propagate. */
export function sourceStreamFacts(lookup: Lookup, arn: string): Promise<SourceStreamFacts> {
  return lookup.cached(`kinesis-stream:${arn}`, async () => {
    try {
      const out = await lookup.clients.get(KinesisClient).send(new DescribeStreamSummaryCommand({ StreamARN: arn }));
      const s = out.StreamDescriptionSummary;
      if (!s) return { kind: 'unreadable', arn, reason: 'DescribeStreamSummary returned no StreamDescriptionSummary' };
      return { kind: 'read', arn, encryptionType: s.EncryptionType ?? 'NONE', ...(s.KeyId ? { keyId: s.KeyId } : {}) };
    } catch (error) {
      if (error instanceof KinesisServiceException && (SOURCE_FACT_ERRORS.has(error.name) || error.$metadata.httpStatusCode === 403)) {
        return { kind: 'unreadable', arn, reason: `DescribeStreamSummary failed: ${error.name}` };
      }
      throw error;
    }
  });
}
