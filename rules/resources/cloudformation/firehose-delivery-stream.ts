import * as z from 'zod/mini';
import type { FirehoseDeliveryStream, FirehoseS3Target } from '../firehose-delivery-stream';
import { type CloudFormationResource, type PropertyReads, cfnString, cfnTags, parseProperties } from './common';

export const DeliveryStreamProperties = /* @__PURE__ */ z.lazy(() => {
  // S3 and extended S3 destinations share their encryption setting (built with the schema, on first use).
  const S3Config = z.object({ EncryptionConfiguration: z.nullish(z.object({ NoEncryptionConfig: z.nullish(cfnString) })) });
  return z.object({
    DeliveryStreamName: z.optional(cfnString),
    DeliveryStreamType: z.optional(cfnString),
    DeliveryStreamEncryptionConfigurationInput: z.nullish(z.object({ KeyType: z.pipe(cfnString, z.string().check(z.minLength(1))), KeyARN: z.nullish(cfnString) })),
    KinesisStreamSourceConfiguration: z.nullish(z.object({ KinesisStreamARN: z.pipe(cfnString, z.string().check(z.minLength(1))) })),
    S3DestinationConfiguration: z.nullish(S3Config),
    ExtendedS3DestinationConfiguration: z.nullish(z.extend(S3Config, { S3BackupConfiguration: z.nullish(S3Config) })),
    Tags: cfnTags,
  });
});

export const firehoseDeliveryStreamReads: PropertyReads = {
  DeliveryStreamName: 'identifier',
  DeliveryStreamType: 'value',
  'DeliveryStreamEncryptionConfigurationInput.KeyType': 'value',
  'DeliveryStreamEncryptionConfigurationInput.KeyARN': 'identifier',
  'KinesisStreamSourceConfiguration.KinesisStreamARN': 'identifier',
  'S3DestinationConfiguration.EncryptionConfiguration.NoEncryptionConfig': 'value',
  'ExtendedS3DestinationConfiguration.EncryptionConfiguration.NoEncryptionConfig': 'value',
  'ExtendedS3DestinationConfiguration.S3BackupConfiguration.EncryptionConfiguration.NoEncryptionConfig': 'value',
  Tags: 'identifier',
};

const NO_ENCRYPTION = 'NoEncryption';

/**
 * The view of a declared delivery stream.
 * - `DeliveryStreamType` absent is `DirectPut`, the CreateDeliveryStream default ("DirectPut: Provider applications
 *   access the delivery stream directly", Firehose API reference, API_CreateDeliveryStream).
 * - Server-side encryption declared in `DeliveryStreamEncryptionConfigurationInput` is started by CreateDeliveryStream
 *   itself, so the stream exists only with it ENABLED (a failed start fails the stack): status is known (ENABLED),
 *   unlike a configuration item, which does not record it.
 * - S3 targets: the same three paths the configuration item builder reads.
 */
export function firehoseDeliveryStreamFromCloudFormation(resource: CloudFormationResource): FirehoseDeliveryStream {
  const p = parseProperties(DeliveryStreamProperties, resource);
  const targets: FirehoseS3Target[] = [];
  const add = (field: string, cfg: z.output<typeof DeliveryStreamProperties>['S3DestinationConfiguration']) => {
    if (cfg) targets.push({ field, noEncryption: cfg.EncryptionConfiguration?.NoEncryptionConfig === NO_ENCRYPTION });
  };
  add('S3DestinationConfiguration', p.S3DestinationConfiguration);
  add('ExtendedS3DestinationConfiguration', p.ExtendedS3DestinationConfiguration);
  add('ExtendedS3DestinationConfiguration.S3BackupConfiguration', p.ExtendedS3DestinationConfiguration?.S3BackupConfiguration);
  const enc = p.DeliveryStreamEncryptionConfigurationInput;
  const name = p.DeliveryStreamName ?? resource.logicalId;
  return {
    id: name,
    resourceType: 'AWS::KinesisFirehose::DeliveryStream',
    name,
    sourceType: p.DeliveryStreamType ?? 'DirectPut',
    ...(p.KinesisStreamSourceConfiguration ? { sourceStreamArn: p.KinesisStreamSourceConfiguration.KinesisStreamARN } : {}),
    ...(enc ? { encryption: { keyType: enc.KeyType, ...(enc.KeyARN ? { keyArn: enc.KeyARN } : {}), status: 'ENABLED' } } : {}),
    encryptionStatusKnown: true,
    s3Targets: targets,
    tags: p.Tags,
  };
}
