import * as z from 'zod/mini';
import type { SqsQueue } from '../sqs-queue';
import { refMarker } from '../../prevention/markers';
import { type CloudFormationResource, type PropertyReads, cfnBoolean, cfnString, cfnTags, parseProperties } from './common';

const RESOURCE_TYPE = 'AWS::SQS::Queue';

// Property names as in the CloudFormation registry schema of AWS::SQS::Queue.
export const QueueProperties = /* @__PURE__ */ z.lazy(() => z.object({
  QueueName: z.optional(cfnString),
  KmsMasterKeyId: z.optional(cfnString),
  SqsManagedSseEnabled: z.optional(cfnBoolean),
  Tags: cfnTags,
}));

export const sqsQueueReads: PropertyReads = {
  QueueName: 'identifier',
  KmsMasterKeyId: 'identifier',
  SqsManagedSseEnabled: 'value',
  Tags: 'identifier',
};

/**
 * The view of a declared queue. Without `KmsMasterKeyId` and `SqsManagedSseEnabled`, SQS creates the queue with
 * SSE-SQS: "all newly created queues ... default to SSE-SQS" (Amazon SQS, 2022-10-18,
 * https://aws.amazon.com/about-aws/whats-new/2022/10/amazon-sqs-announces-server-side-encryption-ssq-managed-sse-sqs-default/);
 * `SqsManagedSseEnabled: false` without a key leaves it unencrypted. The queue's policy is a separate resource of
 * the template (AWS::SQS::QueuePolicy or AWS::SQS::QueueInlinePolicy): the TLS rule asks the prevention lookup for it.
 * Without `QueueName`, CloudFormation generates the name: the logical ID names the queue until then.
 */
export function sqsQueueFromCloudFormation(resource: CloudFormationResource): SqsQueue {
  const p = parseProperties(QueueProperties, resource);
  const name = p.QueueName ?? resource.logicalId;
  return {
    id: name,
    resourceType: RESOURCE_TYPE,
    name,
    url: name,
    ...(p.KmsMasterKeyId ? { kmsMasterKeyId: p.KmsMasterKeyId } : {}),
    sqsManagedSseEnabled: p.KmsMasterKeyId ? false : (p.SqsManagedSseEnabled ?? true),
    policy: { kind: 'template', logicalId: resource.logicalId },
    policyResourceNames: [refMarker(resource.logicalId, 'Arn')],
    tags: p.Tags,
  };
}
