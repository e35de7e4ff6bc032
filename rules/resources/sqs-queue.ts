import { GetQueueAttributesCommand, ListQueueTagsCommand, QueueDoesNotExist, SQSClient, paginateListQueues } from '@aws-sdk/client-sqs';
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
import { sqsQueueFromCloudFormation, sqsQueueReads } from './cloudformation/sqs-queue';

/**
 * Where a queue's or topic's resource policy comes from. `read`: the service API answered (no `document`: the
 * resource has no policy). `not-recorded`: a configuration item, which does not carry the policy (the AWS Config
 * resource schemas of AWS::SQS::Queue and AWS::SNS::Topic list no Policy), so the TLS rules read it themselves.
 * `template`: a CloudFormation resource, whose policy is a separate resource of the template (QueuePolicy,
 * QueueInlinePolicy, TopicPolicy, TopicInlinePolicy), found by the prevention lookup.
 */
export type PolicySource =
  | { readonly kind: 'read'; readonly document?: string }
  | { readonly kind: 'not-recorded' }
  | { readonly kind: 'template'; readonly logicalId: string };

/** An SQS queue as every safeguard sees it. */
export interface SqsQueue extends NormalizedResource {
  readonly name: string;
  /** The queue URL: AWS Config's resource ID of AWS::SQS::Queue (its CloudFormation primary identifier). */
  readonly url: string;
  readonly arn?: string;
  /** SSE-KMS: the key ID, ARN or alias SQS encrypts with. */
  readonly kmsMasterKeyId?: string;
  /** SSE-SQS: SQS-owned keys. */
  readonly sqsManagedSseEnabled: boolean;
  readonly policy: PolicySource;
  /** What the policy's Resource may name the queue by: its ARN, or before deployment the template's reference. */
  readonly policyResourceNames: readonly string[];
}

const RESOURCE_TYPE = 'AWS::SQS::Queue';

/** Config and GetQueueAttributes spell booleans as strings ("true"); some items carry JSON booleans. */
const stringBoolean = /* @__PURE__ */ z.lazy(() => z.pipe(
  z.union([z.boolean(), z.string()]),
  z.transform((v: boolean | string) => (typeof v === 'boolean' ? v : v.trim().toLowerCase() === 'true')),
));

// Only the properties the rules read; each is listed in the AWS Config resource schema for AWS::SQS::Queue.
export const QueueConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  QueueName: z.optional(z.string()),
  QueueUrl: z.optional(z.string()),
  QueueArn: z.optional(z.string()),
  KmsMasterKeyId: z.nullish(z.string()),
  SqsManagedSseEnabled: z.nullish(stringBoolean),
}));

/** GetQueueAttributes' attributes, all strings (SQS API reference, GetQueueAttributes). */
const QueueAttributes = /* @__PURE__ */ z.lazy(() => z.object({
  QueueArn: z.string().check(z.minLength(1)),
  KmsMasterKeyId: z.optional(z.string()),
  SqsManagedSseEnabled: z.optional(stringBoolean),
  Policy: z.optional(z.string()),
}));

/** The queue name is the URL's last path segment (https://sqs.<region>.amazonaws.com/<account>/<name>). */
export const queueNameOf = (url: string) => url.split('/').filter(Boolean).at(-1) ?? url;

/** The view from a configuration item (change notifications, and periodic runs reading from AWS Config). */
function queueFromItem(item: ConfigurationItem): SqsQueue {
  const parsed = QueueConfiguration.safeParse(item.configuration ?? {});
  if (!parsed.success) {
    throw new MalformedEventError(`Malformed AWS::SQS::Queue configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
  }
  const c = parsed.data;
  const url = c.QueueUrl ?? item.resourceId;
  const arn = c.QueueArn ?? item.arn;
  return {
    id: item.resourceId,
    resourceType: RESOURCE_TYPE,
    name: c.QueueName ?? item.resourceName ?? queueNameOf(url),
    url,
    ...(arn ? { arn } : {}),
    ...(c.KmsMasterKeyId ? { kmsMasterKeyId: c.KmsMasterKeyId } : {}),
    sqsManagedSseEnabled: c.SqsManagedSseEnabled === true,
    policy: { kind: 'not-recorded' },
    policyResourceNames: arn ? [arn] : [],
    tags: item.tags,
  };
}

async function listTags(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  // ListQueueTags returns every tag at once (a queue holds at most 50): no pagination.
  const out = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
  return { ...(out.Tags ?? {}) };
}

/** The attributes the rules read; `All` would also return counters nobody needs. */
export const QUEUE_ATTRIBUTE_NAMES = ['QueueArn', 'KmsMasterKeyId', 'SqsManagedSseEnabled', 'Policy'] as const;

async function describe(sqs: SQSClient, url: string, tags: TagReader): Promise<SqsQueue | UnreadableResource | undefined> {
  try {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...QUEUE_ATTRIBUTE_NAMES] }));
    const parsed = QueueAttributes.safeParse(out.Attributes ?? {});
    if (!parsed.success) {
      return new UnreadableResource(RESOURCE_TYPE, url, new InvalidResponseError(`GetQueueAttributes for queue ${url} returned ${describeIssues(parsed.error, 'Attributes')}.`, { operation: 'SQS.GetQueueAttributes' }));
    }
    const a = parsed.data;
    return {
      id: url,
      resourceType: RESOURCE_TYPE,
      name: queueNameOf(url),
      url,
      arn: a.QueueArn,
      ...(a.KmsMasterKeyId ? { kmsMasterKeyId: a.KmsMasterKeyId } : {}),
      sqsManagedSseEnabled: a.SqsManagedSseEnabled === true,
      policy: { kind: 'read', ...(a.Policy ? { document: a.Policy } : {}) },
      policyResourceNames: [a.QueueArn],
      tags: await tags.tagsOf(a.QueueArn, () => listTags(sqs, url)),
    };
  } catch (error) {
    // Deleted between ListQueues and here: it is gone, not failing.
    if (error instanceof QueueDoesNotExist) return undefined;
    throw error;
  }
}

async function* listQueues(clients: AwsClients, options: ListOptions = {}): AsyncIterable<SqsQueue | UnreadableResource> {
  const sqs = clients.get(SQSClient);
  const tags = new TagReader(clients, RESOURCE_TYPE, (c) => options.onNote?.({ resourceType: RESOURCE_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }));
  async function* urls(): AsyncGenerator<string> {
    // MaxResults makes ListQueues page (up to 1,000 a page); without it, it returns at most 1,000 queues and no token.
    for await (const page of paginateListQueues({ client: sqs, pageSize: 1000 }, {})) yield* page.QueueUrls ?? [];
  }
  yield* readEach(urls(), (url) => describe(sqs, url, tags), options.concurrency ?? 1);
}

/** The API listing, shared by both queue rules (one listing per run: rules/runtime/listing-cache.ts). */
const apiLister = { resourceType: RESOURCE_TYPE, list: listQueues };

export const sqsQueueResource: ResourceAdapter<SqsQueue> = {
  resourceTypes: [RESOURCE_TYPE],
  // ListQueueTags: tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
  // Config first where it records the type (rules/runtime/config-source.ts), the SQS API otherwise.
  listActions: ['sqs:ListQueues', 'sqs:GetQueueAttributes', 'sqs:ListQueueTags', ...BULK_TAG_ACTIONS, ...CONFIG_SOURCE_ACTIONS],
  label: (q) => `Queue ${q.name}`,
  fromConfigurationItem: queueFromItem,
  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers: process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [configFirst(RESOURCE_TYPE, queueFromItem, apiLister)],
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => sqsQueueFromCloudFormation(resource),
        cloudFormationReads: { [RESOURCE_TYPE]: sqsQueueReads },
      }),
};

/** The prevention lookup answers this key from the template (rules/prevention/facts.ts). */
export const queuePolicyTemplateKey = (logicalId: string) => `sqs:queue-policy-template:${logicalId}`;

/**
 * The queue's policy document (undefined: none), read where the view does not carry it: a configuration item
 * (GetQueueAttributes Policy, cached per run), a template (the template's policy resources; UNKNOWN otherwise).
 */
export async function queuePolicy(queue: SqsQueue, lookup: Lookup): Promise<string | Record<string, unknown> | undefined> {
  switch (queue.policy.kind) {
    case 'read':
      return queue.policy.document;
    case 'template': {
      const { logicalId } = queue.policy;
      return lookup.cached(queuePolicyTemplateKey(logicalId), () => Promise.reject(new Error(`The policy of template queue ${logicalId} is only known from its template.`)));
    }
    case 'not-recorded':
      return lookup.cached(`sqs:queue-policy:${queue.url}`, async () => {
        const out = await lookup.clients.get(SQSClient).send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Policy'] }));
        return out.Attributes?.Policy || undefined;
      });
  }
}
