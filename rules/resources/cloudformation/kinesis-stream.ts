import * as z from 'zod/mini';
import type { KinesisStream } from '../kinesis-stream';
import { type CloudFormationResource, type PropertyReads, cfnString, cfnTags, parseProperties } from './common';

const RESOURCE_TYPE = 'AWS::Kinesis::Stream';

// Property names as in the CloudFormation registry schema of AWS::Kinesis::Stream (KeyId is required there).
export const StreamProperties = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.optional(cfnString),
  StreamEncryption: z.nullish(z.object({ EncryptionType: z.pipe(cfnString, z.string().check(z.minLength(1))), KeyId: z.pipe(cfnString, z.string().check(z.minLength(1))) })),
  Tags: cfnTags,
}));

export const kinesisStreamReads: PropertyReads = {
  Name: 'identifier',
  'StreamEncryption.EncryptionType': 'value',
  'StreamEncryption.KeyId': 'identifier',
  Tags: 'identifier',
};

/**
 * The view of a declared stream. Without `StreamEncryption` the stream is created unencrypted: the property "enables
 * or updates server-side encryption" only "when specified" (AWS::Kinesis::Stream, CloudFormation template reference,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kinesis-stream.html), and
 * CreateStream itself takes no encryption. The annotation names the field as a configuration item's would.
 * Without `Name`, CloudFormation generates the name: the logical ID names the stream until then.
 */
export function kinesisStreamFromCloudFormation(resource: CloudFormationResource): KinesisStream {
  const p = parseProperties(StreamProperties, resource);
  const enc = p.StreamEncryption;
  const name = p.Name ?? resource.logicalId;
  return {
    id: name,
    resourceType: RESOURCE_TYPE,
    name,
    encryptionType: enc?.EncryptionType ?? 'NONE',
    ...(enc?.KeyId ? { keyId: enc.KeyId } : {}),
    encryptionField: enc ? 'StreamEncryption.EncryptionType' : 'StreamEncryption',
    tags: p.Tags,
  };
}
