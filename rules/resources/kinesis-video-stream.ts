import { KinesisVideoClient, ListTagsForStreamCommand, paginateListStreams } from '@aws-sdk/client-kinesis-video';
import * as z from 'zod/mini';
import type { AwsClients } from '../runtime/clients';
import { InvalidResponseError, MalformedEventError } from '../runtime/errors';
import type { ConfigurationItem } from '../runtime/event';
import { describeIssues } from '../runtime/issues';
import { type ListOptions, type NormalizedResource, type ResourceAdapter, UnreadableResource } from '../runtime/safeguard';
import { BULK_TAG_ACTIONS, TagReader } from '../runtime/tagging';
import { CONFIG_SOURCE_ACTIONS, configFirst } from '../runtime/config-source';
import { kinesisVideoStreamFromCloudFormation, kinesisVideoStreamReads } from './cloudformation/kinesis-video-stream';

export const VIDEO_TYPE = 'AWS::KinesisVideo::Stream';
/** What an empty KmsKeyId means: Kinesis Video always encrypts, by default with this AWS managed key. */
export const DEFAULT_VIDEO_KEY = 'alias/aws/kinesisvideo';

/** A Kinesis video stream as every safeguard sees it. */
export interface KinesisVideoStream extends NormalizedResource {
  readonly name: string;
  readonly arn?: string;
  /** Undefined: the default AWS managed key. */
  readonly kmsKeyId?: string;
}

// Only properties the rule reads; each is listed in the AWS Config resource schema for the type.
export const VideoStreamConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.optional(z.string()),
  Arn: z.optional(z.string()),
  KmsKeyId: z.nullish(z.string()),
}));

async function listTags(video: KinesisVideoClient, arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let next: string | undefined;
  // No SDK paginator for ListTagsForStream; it pages by NextToken (50 tags at most per stream).
  for (let page = 0; page < 10; page++) {
    const out = await video.send(new ListTagsForStreamCommand({ StreamARN: arn, ...(next ? { NextToken: next } : {}) }));
    Object.assign(tags, out.Tags ?? {});
    next = out.NextToken;
    if (!next) break;
  }
  return tags;
}

async function* listVideoStreams(clients: AwsClients, options: ListOptions = {}): AsyncIterable<KinesisVideoStream | UnreadableResource> {
  const video = clients.get(KinesisVideoClient);
  const tags = new TagReader(clients, VIDEO_TYPE, (c) => options.onNote?.({ resourceType: VIDEO_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }));
  for await (const page of paginateListStreams({ client: video, pageSize: 100 }, {})) {
    for (const info of page.StreamInfoList ?? []) {
      if (!info.StreamName) throw new InvalidResponseError('ListStreams returned a stream without StreamName.', { operation: 'KinesisVideo.ListStreams' });
      const arn = info.StreamARN;
      if (!arn) {
        // Named but incomplete: that stream's failure; the others are still judged.
        yield new UnreadableResource(
          VIDEO_TYPE,
          info.StreamName,
          new InvalidResponseError(`ListStreams returned stream ${info.StreamName} without StreamARN.`, { operation: 'KinesisVideo.ListStreams' }),
        );
        continue;
      }
      // A stream being deleted is gone for our purposes.
      if (info.Status === 'DELETING') continue;
      yield {
        id: info.StreamName,
        resourceType: VIDEO_TYPE,
        name: info.StreamName,
        arn,
        ...(info.KmsKeyId ? { kmsKeyId: info.KmsKeyId } : {}),
        tags: await tags.tagsOf(arn, () => listTags(video, arn)),
      };
    }
  }
}

export const kinesisVideoStreamResource: ResourceAdapter<KinesisVideoStream> = {
  resourceTypes: [VIDEO_TYPE],
  // ListTagsForStream: tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
  // Config first where it records the type (rules/runtime/config-source.ts), the Kinesis Video API otherwise.
  listActions: ['kinesisvideo:ListStreams', 'kinesisvideo:ListTagsForStream', ...BULK_TAG_ACTIONS, ...CONFIG_SOURCE_ACTIONS],
  label: (s) => `Video stream ${s.name}`,

  fromConfigurationItem: videoFromItem,

  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers: process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [configFirst(VIDEO_TYPE, videoFromItem, { resourceType: VIDEO_TYPE, list: listVideoStreams })],

  // Prevention (issue 12): the same view from CloudFormation properties.
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => kinesisVideoStreamFromCloudFormation(resource),
        cloudFormationReads: { [VIDEO_TYPE]: kinesisVideoStreamReads },
      }),
};

/** The view from a configuration item (change notifications, and periodic runs reading from AWS Config). */
function videoFromItem(item: ConfigurationItem): KinesisVideoStream {
  const parsed = VideoStreamConfiguration.safeParse(item.configuration ?? {});
  if (!parsed.success) {
    throw new MalformedEventError(`Malformed ${VIDEO_TYPE} configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
  }
  const c = parsed.data;
  const arn = c.Arn ?? item.arn;
  return {
    id: item.resourceId,
    resourceType: VIDEO_TYPE,
    name: c.Name ?? item.resourceName ?? item.resourceId,
    ...(arn ? { arn } : {}),
    ...(c.KmsKeyId ? { kmsKeyId: c.KmsKeyId } : {}),
    tags: item.tags,
  };
}
