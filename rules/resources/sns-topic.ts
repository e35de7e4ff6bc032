import { GetTopicAttributesCommand, ListTagsForResourceCommand, NotFoundException, SNSClient, paginateListTopics } from '@aws-sdk/client-sns';
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
import { snsTopicFromCloudFormation, snsTopicReads } from './cloudformation/sns-topic';
import type { PolicySource } from './sqs-queue';

/** An SNS topic as every safeguard sees it. */
export interface SnsTopic extends NormalizedResource {
  readonly name: string;
  /** The topic ARN: AWS Config's resource ID of AWS::SNS::Topic; absent only before deployment. */
  readonly arn?: string;
  readonly kmsMasterKeyId?: string;
  readonly policy: PolicySource;
  /** What the policy's Resource may name the topic by: its ARN, or before deployment the template's reference. */
  readonly policyResourceNames: readonly string[];
}

const RESOURCE_TYPE = 'AWS::SNS::Topic';

// Only the properties the rules read; each is listed in the AWS Config resource schema for AWS::SNS::Topic.
export const TopicConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  TopicArn: z.optional(z.string()),
  KmsMasterKeyId: z.nullish(z.string()),
}));

/** GetTopicAttributes' attributes, all strings (SNS API reference, GetTopicAttributes). */
const TopicAttributes = /* @__PURE__ */ z.lazy(() => z.object({
  TopicArn: z.optional(z.string()),
  KmsMasterKeyId: z.optional(z.string()),
  Policy: z.optional(z.string()),
}));

/** The topic name is the ARN's last field (arn:aws:sns:<region>:<account>:<name>). */
export const topicNameOf = (arn: string) => arn.split(':').at(-1) ?? arn;

function topicFromItem(item: ConfigurationItem): SnsTopic {
  const parsed = TopicConfiguration.safeParse(item.configuration ?? {});
  if (!parsed.success) {
    throw new MalformedEventError(`Malformed AWS::SNS::Topic configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
  }
  const arn = parsed.data.TopicArn ?? item.arn ?? item.resourceId;
  return {
    id: item.resourceId,
    resourceType: RESOURCE_TYPE,
    // resourceName is the display name in some captured items: the ARN's last field is the topic's name.
    name: topicNameOf(arn),
    arn,
    ...(parsed.data.KmsMasterKeyId ? { kmsMasterKeyId: parsed.data.KmsMasterKeyId } : {}),
    policy: { kind: 'not-recorded' },
    policyResourceNames: [arn],
    tags: item.tags,
  };
}

async function listTags(sns: SNSClient, arn: string): Promise<Record<string, string>> {
  // ListTagsForResource returns every tag of the topic at once (at most 50): no pagination.
  const out = await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
  return Object.fromEntries((out.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key ?? '', t.Value ?? '']));
}

async function describe(sns: SNSClient, arn: string, tags: TagReader): Promise<SnsTopic | UnreadableResource | undefined> {
  try {
    const out = await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
    const parsed = TopicAttributes.safeParse(out.Attributes ?? {});
    if (!parsed.success) {
      return new UnreadableResource(RESOURCE_TYPE, arn, new InvalidResponseError(`GetTopicAttributes for topic ${arn} returned ${describeIssues(parsed.error, 'Attributes')}.`, { operation: 'SNS.GetTopicAttributes' }));
    }
    const a = parsed.data;
    return {
      id: arn,
      resourceType: RESOURCE_TYPE,
      name: topicNameOf(arn),
      arn,
      ...(a.KmsMasterKeyId ? { kmsMasterKeyId: a.KmsMasterKeyId } : {}),
      policy: { kind: 'read', ...(a.Policy ? { document: a.Policy } : {}) },
      policyResourceNames: [arn],
      tags: await tags.tagsOf(arn, () => listTags(sns, arn)),
    };
  } catch (error) {
    // Deleted between ListTopics and here: it is gone, not failing.
    if (error instanceof NotFoundException) return undefined;
    throw error;
  }
}

async function* listTopics(clients: AwsClients, options: ListOptions = {}): AsyncIterable<SnsTopic | UnreadableResource> {
  const sns = clients.get(SNSClient);
  const tags = new TagReader(clients, RESOURCE_TYPE, (c) => options.onNote?.({ resourceType: RESOURCE_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }));
  async function* arns(): AsyncGenerator<string> {
    // ListTopics returns up to 100 topics a page with a NextToken (SNS API reference); it takes no page size.
    for await (const page of paginateListTopics({ client: sns }, {})) {
      for (const t of page.Topics ?? []) if (t.TopicArn) yield t.TopicArn;
    }
  }
  yield* readEach(arns(), (arn) => describe(sns, arn, tags), options.concurrency ?? 1);
}

const apiLister = { resourceType: RESOURCE_TYPE, list: listTopics };

export const snsTopicResource: ResourceAdapter<SnsTopic> = {
  resourceTypes: [RESOURCE_TYPE],
  // ListTagsForResource: tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
  listActions: ['sns:ListTopics', 'sns:GetTopicAttributes', 'sns:ListTagsForResource', ...BULK_TAG_ACTIONS, ...CONFIG_SOURCE_ACTIONS],
  label: (t) => `Topic ${t.name}`,
  fromConfigurationItem: topicFromItem,
  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers: process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [configFirst(RESOURCE_TYPE, topicFromItem, apiLister)],
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => snsTopicFromCloudFormation(resource),
        cloudFormationReads: { [RESOURCE_TYPE]: snsTopicReads },
      }),
};

/** The prevention lookup answers this key from the template (rules/prevention/facts.ts). */
export const topicPolicyTemplateKey = (logicalId: string) => `sns:topic-policy-template:${logicalId}`;

/** The topic's policy document (undefined: none), read where the view does not carry it (see queuePolicy). */
export async function topicPolicy(topic: SnsTopic, lookup: Lookup): Promise<string | Record<string, unknown> | undefined> {
  switch (topic.policy.kind) {
    case 'read':
      return topic.policy.document;
    case 'template': {
      const { logicalId } = topic.policy;
      return lookup.cached(topicPolicyTemplateKey(logicalId), () => Promise.reject(new Error(`The policy of template topic ${logicalId} is only known from its template.`)));
    }
    case 'not-recorded': {
      const arn = topic.arn ?? topic.id;
      return lookup.cached(`sns:topic-policy:${arn}`, async () => {
        const out = await lookup.clients.get(SNSClient).send(new GetTopicAttributesCommand({ TopicArn: arn }));
        return out.Attributes?.Policy || undefined;
      });
    }
  }
}
