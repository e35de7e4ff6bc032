import { DescribeDomainsCommand, ListDomainNamesCommand, ListTagsCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { BatchGetCollectionCommand, ListTagsForResourceCommand, OpenSearchServerlessClient, paginateListCollections } from '@aws-sdk/client-opensearchserverless';
import * as z from 'zod/mini';
import type { AwsClients } from '../runtime/clients';
import { CONFIG_SOURCE_ACTIONS, configFirst } from '../runtime/config-source';
import { InvalidResponseError, MalformedEventError } from '../runtime/errors';
import type { ConfigurationItem } from '../runtime/event';
import { describeIssues } from '../runtime/issues';
import { type ListOptions, type NormalizedResource, type ResourceAdapter, UnreadableResource } from '../runtime/safeguard';
import { BULK_TAG_ACTIONS, TagReader } from '../runtime/tagging';
import {
  COLLECTION_CFN_TYPE,
  OPENSEARCH_CFN_TYPE,
  openSearchCollectionFromCloudFormation,
  openSearchCollectionReads,
  openSearchDomainFromCloudFormation,
  openSearchDomainReads,
} from './cloudformation/opensearch';

/**
 * An OpenSearch Service domain (OpenSearch or legacy Elasticsearch engine) as every safeguard sees it.
 *
 * AWS Config records domains as `AWS::OpenSearch::Domain`; its item carries every field the rules read
 * (EncryptionAtRestOptions, NodeToNodeEncryptionOptions, DomainEndpointOptions: see
 * ../shared/reference/A-config-resource-schema/AWS-OpenSearch-Domain.properties.json), so the rules are change-triggered
 * as well as periodic. The legacy `AWS::Elasticsearch::Domain` item carries no encryption at rest or endpoint options,
 * so it is not judged; the OpenSearch API lists domains of both engines and reports them all as AWS::OpenSearch::Domain.
 */
export interface OpenSearchDomain extends NormalizedResource {
  readonly kind?: 'domain';
  readonly name: string;
  readonly arn?: string;
  /** `OpenSearch_2.11`, `Elasticsearch_7.10`; absent when the source does not say (a template without EngineVersion). */
  readonly engineVersion?: string;
  readonly encryptionAtRest: boolean;
  /** The key encryption at rest uses; `alias/aws/es` (the AWS managed key) when encryption is on and none is named. */
  readonly kmsKeyId?: string;
  readonly nodeToNodeEncryption: boolean;
  readonly enforceHttps: boolean;
  /** DomainEndpointOptions.TLSSecurityPolicy; absent when the source does not carry it. */
  readonly tlsSecurityPolicy?: string;
}

export const OPENSEARCH_RESOURCE_TYPE = 'AWS::OpenSearch::Domain';

/**
 * How an OpenSearch Serverless collection's data is encrypted at rest. Collections are always encrypted (an encryption
 * policy, or EncryptionConfig, must cover a collection before CreateCollection accepts it); only the key differs:
 * - `awsOwnedKey`: an AWS owned key (encryption policy `"AWSOwnedKey": true`);
 * - `kmsKey`: the KMS key BatchGetCollection reports as `kmsKeyArn` (policy `"KmsARN"`);
 * - `unverifiable`: the key cannot be read (no kmsKeyArn reported; in a template, no encryption policy matches);
 * - `templatePolicy`: a declared collection without EncryptionConfig, whose key the matching encryption policy of the
 *   template decides (resolved in `gather` through `lookup.cached(collectionPolicyKey(name))`).
 */
export type CollectionEncryption =
  | { readonly kind: 'awsOwnedKey' }
  | { readonly kind: 'kmsKey'; readonly keyArn: string }
  | { readonly kind: 'unverifiable'; readonly reason: string }
  | { readonly kind: 'templatePolicy' };

/**
 * An OpenSearch Serverless collection. AWS Config does not record AWS::OpenSearchServerless::Collection (no such type
 * in ../shared/reference/A-config-resource-schema): collections are judged periodically (and before deployment) only.
 * Their resource ID is the collection ARN, so no collection ID can pass a domain document's DomainId pattern.
 */
export interface OpenSearchCollection extends NormalizedResource {
  readonly kind: 'collection';
  readonly name: string;
  readonly arn?: string;
  readonly encryption: CollectionEncryption;
}

export type OpenSearchResource = OpenSearchDomain | OpenSearchCollection;

export const COLLECTION_RESOURCE_TYPE = 'AWS::OpenSearchServerless::Collection';

/** The `lookup.cached` key of the encryption a declared collection gets from its template's encryption policy. */
export const collectionPolicyKey = (name: string) => `aoss:encryption-policy:${name}`;

/**
 * BatchGetCollection's kmsKeyArn: a KMS key ARN, or `auto` for an AWS owned key (what the service reports for
 * a collection under `"AWSOwnedKey": true`; moto 5.2.1 cannot create such a collection, so that answer is faked in
 * test/resources/opensearch.test.ts). Anything else, or nothing, leaves the key unverifiable.
 */
export function collectionEncryptionOf(kmsKeyArn: string | null | undefined): CollectionEncryption {
  if (kmsKeyArn === 'auto') return { kind: 'awsOwnedKey' };
  if (kmsKeyArn && /^arn:aws[a-z-]*:kms:/.test(kmsKeyArn)) return { kind: 'kmsKey', keyArn: kmsKeyArn };
  return { kind: 'unverifiable', reason: kmsKeyArn ? `BatchGetCollection reports kmsKeyArn ${kmsKeyArn}` : 'BatchGetCollection reports no kmsKeyArn' };
}

/** The AWS managed key OpenSearch Service encrypts with when no key is named ("default: uses default aws/es KMS key"). */
export const DEFAULT_OPENSEARCH_KEY = 'alias/aws/es';

/**
 * The TLS security policies of DomainEndpointOptions, weakest first: the enum `TLSSecurityPolicy` of the OpenSearch API
 * model (../shared/reference/F-botocore-service-models/opensearch-2021-01-01.service-2.json), ordered by what the model's
 * documentation says each accepts: TLS 1.0 to 1.2; only 1.2; 1.2 to 1.3 with perfect forward secrecy ciphers; 1.3 (and
 * 1.2 with RFC 9151 suites) with FIPS. test/resources/opensearch.test.ts holds this list to the model's enum.
 */
export const TLS_SECURITY_POLICIES = [
  'Policy-Min-TLS-1-0-2019-07',
  'Policy-Min-TLS-1-2-2019-07',
  'Policy-Min-TLS-1-2-PFS-2023-10',
  'Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08',
] as const;

/** Rank of a policy in TLS_SECURITY_POLICIES (higher is stronger), or undefined for a name the pack does not know. */
export function tlsPolicyRank(policy: string): number | undefined {
  const i = (TLS_SECURITY_POLICIES as readonly string[]).indexOf(policy);
  return i < 0 ? undefined : i;
}

/**
 * What CreateDomain applies when DomainEndpointOptions leaves TLSSecurityPolicy out: the weakest policy
 * (Policy-Min-TLS-1-0-2019-07), which is also what moto 5.2.1 reports for such a domain. Used for the declared
 * (CloudFormation, Terraform) view only; a live domain always reports its policy.
 */
export const DEFAULT_TLS_SECURITY_POLICY = 'Policy-Min-TLS-1-0-2019-07';

// Only the properties the rules read; each is listed in the AWS Config resource schema of AWS::OpenSearch::Domain.
export const DomainConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  DomainName: z.optional(z.string()),
  DomainArn: z.nullish(z.string()),
  Arn: z.nullish(z.string()),
  EngineVersion: z.nullish(z.string()),
  EncryptionAtRestOptions: z.nullish(z.object({ Enabled: z.nullish(z.boolean()), KmsKeyId: z.nullish(z.string()) })),
  NodeToNodeEncryptionOptions: z.nullish(z.object({ Enabled: z.nullish(z.boolean()) })),
  DomainEndpointOptions: z.nullish(z.object({ EnforceHTTPS: z.nullish(z.boolean()), TLSSecurityPolicy: z.nullish(z.string()) })),
}));

// DescribeDomains' DomainStatus (the OpenSearch API model): DomainId, DomainName and ARN are required members.
const DomainStatus = /* @__PURE__ */ z.lazy(() => z.object({
  DomainId: z.string().check(z.minLength(1)),
  DomainName: z.string().check(z.minLength(1)),
  ARN: z.string().check(z.minLength(1)),
  Deleted: z.nullish(z.boolean()),
  EngineVersion: z.nullish(z.string()),
  EncryptionAtRestOptions: z.nullish(z.object({ Enabled: z.nullish(z.boolean()), KmsKeyId: z.nullish(z.string()) })),
  NodeToNodeEncryptionOptions: z.nullish(z.object({ Enabled: z.nullish(z.boolean()) })),
  DomainEndpointOptions: z.nullish(z.object({ EnforceHTTPS: z.nullish(z.boolean()), TLSSecurityPolicy: z.nullish(z.string()) })),
}));

type Options = z.infer<typeof DomainConfiguration>;

/** The settings every source spells the same way (the API's and Config's member names are the API's). */
function settingsOf(o: Pick<Options, 'EngineVersion' | 'EncryptionAtRestOptions' | 'NodeToNodeEncryptionOptions' | 'DomainEndpointOptions'>) {
  const atRest = o.EncryptionAtRestOptions?.Enabled === true;
  const key = o.EncryptionAtRestOptions?.KmsKeyId;
  return {
    ...(o.EngineVersion ? { engineVersion: o.EngineVersion } : {}),
    encryptionAtRest: atRest,
    ...(atRest ? { kmsKeyId: key || DEFAULT_OPENSEARCH_KEY } : {}),
    nodeToNodeEncryption: o.NodeToNodeEncryptionOptions?.Enabled === true,
    enforceHttps: o.DomainEndpointOptions?.EnforceHTTPS === true,
    ...(o.DomainEndpointOptions?.TLSSecurityPolicy ? { tlsSecurityPolicy: o.DomainEndpointOptions.TLSSecurityPolicy } : {}),
  };
}

/** The view from a configuration item (change notifications, and periodic runs reading from AWS Config). */
export function domainFromItem(item: ConfigurationItem): OpenSearchDomain {
  const parsed = DomainConfiguration.safeParse(item.configuration ?? {});
  if (!parsed.success) {
    throw new MalformedEventError(`Malformed ${OPENSEARCH_RESOURCE_TYPE} configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
  }
  const c = parsed.data;
  const arn = c.DomainArn ?? c.Arn ?? item.arn;
  return {
    id: item.resourceId,
    resourceType: OPENSEARCH_RESOURCE_TYPE,
    name: c.DomainName ?? item.resourceName ?? item.resourceId,
    ...(arn ? { arn } : {}),
    ...settingsOf(c),
    tags: item.tags,
  };
}

/**
 * The view from DescribeDomains. The ID is DomainId (`<account>/<domain name>`), the value the API calls the
 * domain's "unique identifier" and the configuration item's `configuration.Id`.
 */
export function domainFromApi(status: unknown, tags: Readonly<Record<string, string>>): OpenSearchDomain {
  const parsed = DomainStatus.safeParse(status);
  if (!parsed.success) {
    throw new InvalidResponseError(`DescribeDomains returned an incomplete DomainStatus: ${describeIssues(parsed.error, 'DomainStatus')}.`, { operation: 'OpenSearch.DescribeDomains' });
  }
  const s = parsed.data;
  return { id: s.DomainId, resourceType: OPENSEARCH_RESOURCE_TYPE, name: s.DomainName, arn: s.ARN, ...settingsOf(s), tags };
}

/**
 * DescribeDomains is asked for at most 5 names a call: the service's documented batch ("the current status of up to
 * five domains in one call"). The botocore model (opensearch-2021-01-01) declares no maximum on DomainNames, so this
 * is the conservative reading; a larger batch would only save calls.
 */
export const DOMAINS_PER_DESCRIBE = 5;

async function listTags(client: OpenSearchClient, arn: string): Promise<Record<string, string>> {
  // ListTags has no pagination: a domain holds at most 50 tags.
  const out = await client.send(new ListTagsCommand({ ARN: arn }));
  return Object.fromEntries((out.TagList ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));
}

async function* listDomains(clients: AwsClients, options: ListOptions = {}): AsyncIterable<OpenSearchDomain | UnreadableResource> {
  const client = clients.get(OpenSearchClient);
  const tags = new TagReader(clients, OPENSEARCH_RESOURCE_TYPE, (c) =>
    options.onNote?.({ resourceType: OPENSEARCH_RESOURCE_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }),
  );
  // ListDomainNames returns every domain of the account and region in one answer (no pagination in the API model).
  const listed = await client.send(new ListDomainNamesCommand({}));
  const names = [...new Set((listed.DomainNames ?? []).map((d) => d.DomainName ?? '').filter((n) => n !== ''))];
  for (let i = 0; i < names.length; i += DOMAINS_PER_DESCRIBE) {
    const batch = names.slice(i, i + DOMAINS_PER_DESCRIBE);
    const out = await client.send(new DescribeDomainsCommand({ DomainNames: batch }));
    // A domain deleted since ListDomainNames is absent from the answer: it is gone, not failing.
    for (const raw of out.DomainStatusList ?? []) {
      const name = typeof raw.DomainName === 'string' && raw.DomainName ? raw.DomainName : '(unnamed)';
      if (raw.Deleted === true) continue;
      try {
        const arn = raw.ARN;
        const domainTags = arn ? await tags.tagsOf(arn, () => listTags(client, arn)) : {};
        yield domainFromApi(raw, domainTags);
      } catch (error) {
        // An incomplete answer about one domain is that domain's failure; the others are still judged.
        if (!(error instanceof InvalidResponseError)) throw error;
        yield new UnreadableResource(OPENSEARCH_RESOURCE_TYPE, raw.DomainId ?? name, error);
      }
    }
  }
}

const apiLister = { resourceType: OPENSEARCH_RESOURCE_TYPE, list: listDomains };

// BatchGetCollection's CollectionDetail (the OpenSearch Serverless API model): every member is optional there; the
// view needs id, name and arn.
const CollectionDetail = /* @__PURE__ */ z.lazy(() => z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  arn: z.string().check(z.minLength(1)),
  status: z.nullish(z.string()),
  kmsKeyArn: z.nullish(z.string()),
}));

export function collectionFromApi(detail: unknown, tags: Readonly<Record<string, string>>): OpenSearchCollection {
  const parsed = CollectionDetail.safeParse(detail);
  if (!parsed.success) {
    throw new InvalidResponseError(`BatchGetCollection returned an incomplete CollectionDetail: ${describeIssues(parsed.error, 'collectionDetails')}.`, {
      operation: 'OpenSearchServerless.BatchGetCollection',
    });
  }
  const c = parsed.data;
  return { id: c.arn, resourceType: COLLECTION_RESOURCE_TYPE, kind: 'collection', name: c.name, arn: c.arn, encryption: collectionEncryptionOf(c.kmsKeyArn), tags };
}

/** BatchGetCollection takes "Maximum number of 100 items" of ids (OpenSearch Serverless API Reference, BatchGetCollection). */
export const COLLECTIONS_PER_BATCH_GET = 100;

async function listCollectionTags(client: OpenSearchServerlessClient, arn: string): Promise<Record<string, string>> {
  // ListTagsForResource has no pagination in the API model.
  const out = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  return Object.fromEntries((out.tags ?? []).filter((t) => t.key).map((t) => [t.key as string, t.value ?? '']));
}

async function* listCollections(clients: AwsClients, options: ListOptions = {}): AsyncIterable<OpenSearchCollection | UnreadableResource> {
  const client = clients.get(OpenSearchServerlessClient);
  const tags = new TagReader(clients, COLLECTION_RESOURCE_TYPE, (c) =>
    options.onNote?.({ resourceType: COLLECTION_RESOURCE_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }),
  );
  // The tag source is chosen (and told through onNote) first, so a run over no collection still says how it listed them.
  await tags.source();
  const ids: string[] = [];
  for await (const page of paginateListCollections({ client }, {})) {
    for (const s of page.collectionSummaries ?? []) if (s.id && s.status !== 'DELETING') ids.push(s.id);
  }
  for (let i = 0; i < ids.length; i += COLLECTIONS_PER_BATCH_GET) {
    const out = await client.send(new BatchGetCollectionCommand({ ids: ids.slice(i, i + COLLECTIONS_PER_BATCH_GET) }));
    // A collection deleted since ListCollections comes back in collectionErrorDetails: it is gone, not failing.
    for (const raw of out.collectionDetails ?? []) {
      if (raw.status === 'DELETING') continue;
      try {
        const arn = raw.arn;
        const collectionTags = arn ? await tags.tagsOf(arn, () => listCollectionTags(client, arn)) : {};
        yield collectionFromApi(raw, collectionTags);
      } catch (error) {
        if (!(error instanceof InvalidResponseError)) throw error;
        yield new UnreadableResource(COLLECTION_RESOURCE_TYPE, raw.arn ?? raw.id ?? raw.name ?? '(unnamed)', error);
      }
    }
  }
}

const collectionLister = { resourceType: COLLECTION_RESOURCE_TYPE, list: listCollections };

export const openSearchDomainResource: ResourceAdapter<OpenSearchResource> = {
  resourceTypes: [OPENSEARCH_RESOURCE_TYPE, COLLECTION_RESOURCE_TYPE],
  // AWS Config records domains only: collections are judged by the periodic run.
  recordedTypes: [OPENSEARCH_RESOURCE_TYPE],
  cloudFormationTypes: [OPENSEARCH_CFN_TYPE, COLLECTION_CFN_TYPE],
  // es:ListTags: tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
  // Config first where it records the type (rules/runtime/config-source.ts), the OpenSearch API otherwise.
  // aoss:ListTagsForResource likewise for collections.
  listActions: [
    'es:ListDomainNames',
    'es:DescribeDomains',
    'es:ListTags',
    'aoss:ListCollections',
    'aoss:BatchGetCollection',
    'aoss:ListTagsForResource',
    ...BULK_TAG_ACTIONS,
    ...CONFIG_SOURCE_ACTIONS,
  ],
  label: (r) => (r.kind === 'collection' ? `Collection ${r.name}` : `Domain ${r.name}`),
  fromConfigurationItem: domainFromItem,
  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers: process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [configFirst<OpenSearchResource>(OPENSEARCH_RESOURCE_TYPE, domainFromItem, apiLister), collectionLister],
  // Prevention: the same view from AWS::OpenSearchService::Domain properties (CloudFormation's type name differs from Config's).
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => (resource.resourceType === COLLECTION_CFN_TYPE ? openSearchCollectionFromCloudFormation(resource) : openSearchDomainFromCloudFormation(resource)),
        cloudFormationReads: { [OPENSEARCH_CFN_TYPE]: openSearchDomainReads, [COLLECTION_CFN_TYPE]: openSearchCollectionReads },
      }),
};
