import * as z from 'zod/mini';
import type { KinesisVideoStream } from '../kinesis-video-stream';
import { type CloudFormationResource, type PropertyReads, cfnString, cfnTags, parseProperties } from './common';

export const VideoProperties = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.optional(cfnString),
  KmsKeyId: z.nullish(cfnString),
  Tags: cfnTags,
}));

export const kinesisVideoStreamReads: PropertyReads = { Name: 'identifier', KmsKeyId: 'identifier', Tags: 'identifier' };

/**
 * The view of a declared video stream. Without `KmsKeyId` the stream is encrypted with the AWS managed key
 * `aws/kinesisvideo`: "If no key ID is specified, the default, Kinesis Video-managed key (aws/kinesisvideo) is used"
 * (CreateStream, Kinesis Video Streams API reference,
 * https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_CreateStream.html); the view leaves kmsKeyId
 * undefined for it, as the configuration item and API builders do.
 */
export function kinesisVideoStreamFromCloudFormation(resource: CloudFormationResource): KinesisVideoStream {
  const p = parseProperties(VideoProperties, resource);
  const name = p.Name ?? resource.logicalId;
  return {
    id: name,
    resourceType: 'AWS::KinesisVideo::Stream',
    name,
    ...(p.KmsKeyId ? { kmsKeyId: p.KmsKeyId } : {}),
    tags: p.Tags,
  };
}
