import * as z from 'zod/mini';
import type { SnsTopic } from '../sns-topic';
import { refMarker } from '../../prevention/markers';
import { type CloudFormationResource, type PropertyReads, cfnString, cfnTags, parseProperties } from './common';

const RESOURCE_TYPE = 'AWS::SNS::Topic';

// Property names as in the CloudFormation registry schema of AWS::SNS::Topic.
export const TopicProperties = /* @__PURE__ */ z.lazy(() => z.object({
  TopicName: z.optional(cfnString),
  KmsMasterKeyId: z.optional(cfnString),
  Tags: cfnTags,
}));

export const snsTopicReads: PropertyReads = {
  TopicName: 'identifier',
  KmsMasterKeyId: 'identifier',
  Tags: 'identifier',
};

/**
 * The view of a declared topic. Without `KmsMasterKeyId` the topic is not encrypted at rest ("By default, Amazon SNS
 * topics are not encrypted", AWS::SNS::Topic / SNS encryption at rest). Its policy is a separate resource of the
 * template (AWS::SNS::TopicPolicy or AWS::SNS::TopicInlinePolicy): the TLS rule asks the prevention lookup for it.
 * `Ref` of a topic is its ARN, which the policy's Resource names before deployment.
 */
export function snsTopicFromCloudFormation(resource: CloudFormationResource): SnsTopic {
  const p = parseProperties(TopicProperties, resource);
  const name = p.TopicName ?? resource.logicalId;
  return {
    id: name,
    resourceType: RESOURCE_TYPE,
    name,
    ...(p.KmsMasterKeyId ? { kmsMasterKeyId: p.KmsMasterKeyId } : {}),
    policy: { kind: 'template', logicalId: resource.logicalId },
    policyResourceNames: [refMarker(resource.logicalId), refMarker(resource.logicalId, 'TopicArn')],
    tags: p.Tags,
  };
}
