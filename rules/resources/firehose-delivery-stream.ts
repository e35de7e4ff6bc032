import { DescribeDeliveryStreamCommand, type DeliveryStreamDescription, FirehoseClient, ListDeliveryStreamsCommand, ListTagsForDeliveryStreamCommand, ResourceNotFoundException } from '@aws-sdk/client-firehose';
import * as z from 'zod/mini';
import type { AwsClients } from '../runtime/clients';
import { InvalidResponseError, MalformedEventError } from '../runtime/errors';
import type { ConfigurationItem } from '../runtime/event';
import { describeIssues } from '../runtime/issues';
import type { Lookup } from '../runtime/lookup';
import { type ListOptions, type NormalizedResource, type ResourceAdapter, UnreadableResource } from '../runtime/safeguard';
import { BULK_TAG_ACTIONS, TagReader } from '../runtime/tagging';
import { firehoseDeliveryStreamFromCloudFormation, firehoseDeliveryStreamReads } from './cloudformation/firehose-delivery-stream';

export const FIREHOSE_TYPE = 'AWS::KinesisFirehose::DeliveryStream';

/** Firehose server-side encryption as far as the source knows it. */
export interface FirehoseEncryption {
  /** AWS_OWNED_CMK or CUSTOMER_MANAGED_CMK. */
  readonly keyType?: string;
  readonly keyArn?: string;
  /** ENABLED, ENABLING, ENABLING_FAILED, DISABLED, DISABLING, DISABLING_FAILED; undefined when the source does not say. */
  readonly status?: string;
}

/** One S3 configuration the stream writes PHI through, and whether Firehose encrypts what it writes there. */
export interface FirehoseS3Target {
  /** The configuration's path, named in annotations. */
  readonly field: string;
  readonly noEncryption: boolean;
}

/** A Firehose delivery stream as every safeguard sees it. */
export interface FirehoseDeliveryStream extends NormalizedResource {
  readonly name: string;
  /** DirectPut, KinesisStreamAsSource, MSKAsSource, or a newer type. */
  readonly sourceType: string;
  readonly sourceStreamArn?: string;
  /** Undefined when no server-side encryption is configured. */
  readonly encryption?: FirehoseEncryption;
  /** false for configuration items: AWS Config records the key type but not the encryption status. */
  readonly encryptionStatusKnown: boolean;
  readonly s3Targets: readonly FirehoseS3Target[];
}

// Only properties the rule reads; each is listed in the AWS Config resource schema for the type.
export const DeliveryStreamConfiguration = /* @__PURE__ */ z.lazy(() => {
  // S3 and extended S3 destinations share their encryption setting (built with the schema, on first use).
  const S3Config = z.object({ EncryptionConfiguration: z.nullish(z.object({ NoEncryptionConfig: z.nullish(z.string()) })) });
  return z.object({
    DeliveryStreamName: z.optional(z.string()),
    DeliveryStreamType: z.optional(z.string()),
    DeliveryStreamEncryptionConfigurationInput: z.nullish(z.object({ KeyType: z.string() })),
    KinesisStreamSourceConfiguration: z.nullish(z.object({ KinesisStreamARN: z.string() })),
    S3DestinationConfiguration: z.nullish(S3Config),
    ExtendedS3DestinationConfiguration: z.nullish(z.extend(S3Config, { S3BackupConfiguration: z.nullish(S3Config) })),
  });
});

const NO_ENCRYPTION = 'NoEncryption';

function targetsFromItem(c: z.output<typeof DeliveryStreamConfiguration>): FirehoseS3Target[] {
  const out: FirehoseS3Target[] = [];
  const add = (field: string, cfg: z.output<typeof DeliveryStreamConfiguration>['S3DestinationConfiguration']) => {
    if (cfg) out.push({ field, noEncryption: cfg.EncryptionConfiguration?.NoEncryptionConfig === NO_ENCRYPTION });
  };
  add('S3DestinationConfiguration', c.S3DestinationConfiguration);
  add('ExtendedS3DestinationConfiguration', c.ExtendedS3DestinationConfiguration);
  add('ExtendedS3DestinationConfiguration.S3BackupConfiguration', c.ExtendedS3DestinationConfiguration?.S3BackupConfiguration);
  return out;
}

/** The live view, from DescribeDeliveryStream. */
export function fromDescription(d: DeliveryStreamDescription, tags: Record<string, string>): FirehoseDeliveryStream {
  if (!d.DeliveryStreamName || !d.DeliveryStreamType) {
    throw new InvalidResponseError('DescribeDeliveryStream returned no DeliveryStreamName or DeliveryStreamType.', { operation: 'Firehose.DescribeDeliveryStream' });
  }
  const targets: FirehoseS3Target[] = [];
  for (const dest of d.Destinations ?? []) {
    const ext = dest.ExtendedS3DestinationDescription;
    // Extended S3 destinations are also echoed as S3DestinationDescription: judge the extended one.
    const s3 = ext ? undefined : dest.S3DestinationDescription;
    if (s3) targets.push({ field: 'S3DestinationConfiguration', noEncryption: s3.EncryptionConfiguration?.NoEncryptionConfig === NO_ENCRYPTION });
    if (ext) {
      targets.push({ field: 'ExtendedS3DestinationConfiguration', noEncryption: ext.EncryptionConfiguration?.NoEncryptionConfig === NO_ENCRYPTION });
      const backup = ext.S3BackupDescription;
      if (backup) {
        targets.push({
          field: 'ExtendedS3DestinationConfiguration.S3BackupConfiguration',
          noEncryption: backup.EncryptionConfiguration?.NoEncryptionConfig === NO_ENCRYPTION,
        });
      }
    }
  }
  const enc = d.DeliveryStreamEncryptionConfiguration;
  const configured = enc && (enc.KeyType || enc.Status) && enc.Status !== 'DISABLED';
  return {
    id: d.DeliveryStreamName,
    resourceType: FIREHOSE_TYPE,
    name: d.DeliveryStreamName,
    sourceType: d.DeliveryStreamType,
    ...(d.Source?.KinesisStreamSourceDescription?.KinesisStreamARN ? { sourceStreamArn: d.Source.KinesisStreamSourceDescription.KinesisStreamARN } : {}),
    ...(configured
      ? { encryption: { ...(enc.KeyType ? { keyType: enc.KeyType } : {}), ...(enc.KeyARN ? { keyArn: enc.KeyARN } : {}), ...(enc.Status ? { status: enc.Status } : {}) } }
      : {}),
    encryptionStatusKnown: true,
    s3Targets: targets,
    tags,
  };
}

async function listTags(firehose: FirehoseClient, name: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let start: string | undefined;
  // No SDK paginator for this API: it pages by ExclusiveStartTagKey (50 tags at most per stream).
  for (let page = 0; page < 10; page++) {
    const out = await firehose.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: name, ...(start ? { ExclusiveStartTagKey: start } : {}) }));
    for (const t of out.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    start = out.Tags?.at(-1)?.Key;
    if (!out.HasMoreTags || !start) break;
  }
  return tags;
}

/** DescribeDeliveryStream, or undefined when the stream no longer exists. */
export async function describeDeliveryStream(firehose: FirehoseClient, name: string): Promise<DeliveryStreamDescription | undefined> {
  try {
    const out = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    if (!out.DeliveryStreamDescription) throw new InvalidResponseError(`DescribeDeliveryStream for ${name} returned no DeliveryStreamDescription.`, { operation: 'Firehose.DescribeDeliveryStream' });
    return out.DeliveryStreamDescription;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** The live encryption of a stream known from a configuration item (Config does not record its status). */
export function liveEncryption(lookup: Lookup, name: string): Promise<FirehoseEncryption | 'gone' | undefined> {
  return lookup.cached(`firehose:${name}`, async () => {
    const d = await describeDeliveryStream(lookup.clients.get(FirehoseClient), name);
    if (!d) return 'gone';
    return fromDescription({ ...d, Destinations: [] }, {}).encryption;
  });
}

async function* listDeliveryStreams(clients: AwsClients, options: ListOptions = {}): AsyncIterable<FirehoseDeliveryStream | UnreadableResource> {
  const firehose = clients.get(FirehoseClient);
  const tags = new TagReader(clients, FIREHOSE_TYPE, (c) => options.onNote?.({ resourceType: FIREHOSE_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }));
  let start: string | undefined;
  // No SDK paginator for ListDeliveryStreams: it pages by ExclusiveStartDeliveryStreamName.
  for (;;) {
    const out = await firehose.send(new ListDeliveryStreamsCommand({ Limit: 100, ...(start ? { ExclusiveStartDeliveryStreamName: start } : {}) }));
    const names = out.DeliveryStreamNames ?? [];
    for (const name of names) {
      let view: FirehoseDeliveryStream | UnreadableResource | undefined;
      try {
        const d = await describeDeliveryStream(firehose, name);
        const arn = d?.DeliveryStreamARN;
        view = d && fromDescription(d, arn ? await tags.tagsOf(arn, () => listTags(firehose, name)) : await listTags(firehose, name));
      } catch (error) {
        // An incomplete answer about one stream is that stream's failure; the others are still judged.
        if (!(error instanceof InvalidResponseError)) throw error;
        view = new UnreadableResource(FIREHOSE_TYPE, name, error);
      }
      if (view) yield view;
    }
    start = names.at(-1);
    if (!out.HasMoreDeliveryStreams || !start) return;
  }
}

export const firehoseDeliveryStreamResource: ResourceAdapter<FirehoseDeliveryStream> = {
  resourceTypes: [FIREHOSE_TYPE],
  // ListTagsForDeliveryStream: tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
  listActions: ['firehose:ListDeliveryStreams', 'firehose:DescribeDeliveryStream', 'firehose:ListTagsForDeliveryStream', ...BULK_TAG_ACTIONS],
  label: (s) => `Delivery stream ${s.name}`,

  fromConfigurationItem(item: ConfigurationItem): FirehoseDeliveryStream {
    const parsed = DeliveryStreamConfiguration.safeParse(item.configuration ?? {});
    if (!parsed.success) {
      throw new MalformedEventError(`Malformed ${FIREHOSE_TYPE} configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
    }
    const c = parsed.data;
    const keyType = c.DeliveryStreamEncryptionConfigurationInput?.KeyType;
    return {
      id: item.resourceId,
      resourceType: FIREHOSE_TYPE,
      name: c.DeliveryStreamName ?? item.resourceName ?? item.resourceId,
      sourceType: c.DeliveryStreamType ?? 'DirectPut',
      ...(c.KinesisStreamSourceConfiguration?.KinesisStreamARN ? { sourceStreamArn: c.KinesisStreamSourceConfiguration.KinesisStreamARN } : {}),
      ...(keyType ? { encryption: { keyType } } : {}),
      encryptionStatusKnown: false,
      s3Targets: targetsFromItem(c),
      tags: item.tags,
    };
  },

  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers: process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [{ resourceType: FIREHOSE_TYPE, list: listDeliveryStreams }],

  // Prevention (issue 12): the same view from CloudFormation properties.
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => firehoseDeliveryStreamFromCloudFormation(resource),
        cloudFormationReads: { [FIREHOSE_TYPE]: firehoseDeliveryStreamReads },
      }),
};
