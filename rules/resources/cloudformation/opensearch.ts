import * as z from 'zod/mini';
import type { CollectionEncryption, OpenSearchCollection, OpenSearchDomain } from '../opensearch';
import { type CloudFormationResource, type PropertyReads, cfnBoolean, cfnString, cfnTags, parseProperties } from './common';

/** CloudFormation names the domain type differently from AWS Config (`AWS::OpenSearch::Domain`). */
export const OPENSEARCH_CFN_TYPE = 'AWS::OpenSearchService::Domain';
// Repeated from ../opensearch (which imports this module) so the two modules do not import each other at load time.
const CONFIG_TYPE = 'AWS::OpenSearch::Domain';
const AWS_MANAGED_KEY = 'alias/aws/es';
const DEFAULT_TLS_POLICY = 'Policy-Min-TLS-1-0-2019-07';

// Property names as in the CloudFormation registry schema of AWS::OpenSearchService::Domain.
export const DomainProperties = /* @__PURE__ */ z.lazy(() => z.object({
  DomainName: z.optional(cfnString),
  EngineVersion: z.optional(cfnString),
  EncryptionAtRestOptions: z.nullish(z.object({ Enabled: z.optional(cfnBoolean), KmsKeyId: z.optional(cfnString) })),
  NodeToNodeEncryptionOptions: z.nullish(z.object({ Enabled: z.optional(cfnBoolean) })),
  DomainEndpointOptions: z.nullish(z.object({ EnforceHTTPS: z.optional(cfnBoolean), TLSSecurityPolicy: z.optional(cfnString) })),
  Tags: cfnTags,
}));

export const openSearchDomainReads: PropertyReads = {
  DomainName: 'identifier',
  EngineVersion: 'identifier',
  'EncryptionAtRestOptions.Enabled': 'value',
  'EncryptionAtRestOptions.KmsKeyId': 'identifier',
  'NodeToNodeEncryptionOptions.Enabled': 'value',
  'DomainEndpointOptions.EnforceHTTPS': 'value',
  'DomainEndpointOptions.TLSSecurityPolicy': 'value',
  Tags: 'identifier',
};

/**
 * The view of a declared domain, with the defaults CreateDomain applies to what the template leaves out: encryption
 * at rest off unless `EncryptionAtRestOptions.Enabled` is true ("Default: encryption at rest is disabled", CDK
 * EncryptionAtRestOptions, the construct over this resource), with the AWS managed `aws/es` key when no KmsKeyId is
 * named; node-to-node encryption off; `EnforceHTTPS` false; TLSSecurityPolicy `Policy-Min-TLS-1-0-2019-07` (what
 * CreateDomain gives a domain whose DomainEndpointOptions omit it, as moto 5.2.1 also does). The CloudFormation
 * registry schema itself declares no defaults for these properties. Without `DomainName`, CloudFormation generates
 * the name: the logical ID names the domain until then.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchservice-domain.html
 */
export function openSearchDomainFromCloudFormation(resource: CloudFormationResource): OpenSearchDomain {
  const p = parseProperties(DomainProperties, resource);
  const name = p.DomainName ?? resource.logicalId;
  const atRest = p.EncryptionAtRestOptions?.Enabled === true;
  return {
    id: name,
    resourceType: CONFIG_TYPE,
    name,
    ...(p.EngineVersion ? { engineVersion: p.EngineVersion } : {}),
    encryptionAtRest: atRest,
    ...(atRest ? { kmsKeyId: p.EncryptionAtRestOptions?.KmsKeyId || AWS_MANAGED_KEY } : {}),
    nodeToNodeEncryption: p.NodeToNodeEncryptionOptions?.Enabled === true,
    enforceHttps: p.DomainEndpointOptions?.EnforceHTTPS === true,
    tlsSecurityPolicy: p.DomainEndpointOptions?.TLSSecurityPolicy || DEFAULT_TLS_POLICY,
    tags: p.Tags,
  };
}

/** An OpenSearch Serverless collection: CloudFormation and AWS Config spell the type the same way. */
export const COLLECTION_CFN_TYPE = 'AWS::OpenSearchServerless::Collection';
export const SECURITY_POLICY_CFN_TYPE = 'AWS::OpenSearchServerless::SecurityPolicy';

/**
 * Only the collection properties the rules read. The registry schema of AWS::OpenSearchServerless::Collection is not
 * in ../shared/reference/B-cfn-resource-schemas; these names are the CloudFormation Template Reference's
 * (aws-resource-opensearchserverless-collection: `Name`, `Tags`, `EncryptionConfig` with `AWSOwnedKey` and
 * `KmsKeyArn`, "Update requires: Replacement").
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-opensearchserverless-collection-encryptionconfig.html
 */
export const CollectionProperties = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.optional(cfnString),
  EncryptionConfig: z.nullish(z.object({ AWSOwnedKey: z.optional(cfnBoolean), KmsKeyArn: z.optional(cfnString) })),
  Tags: cfnTags,
}));

export const openSearchCollectionReads: PropertyReads = {
  Name: 'identifier',
  'EncryptionConfig.AWSOwnedKey': 'value',
  'EncryptionConfig.KmsKeyArn': 'identifier',
  Tags: 'identifier',
};

/**
 * The view of a declared collection. Its key comes from `EncryptionConfig` when the template sets it; otherwise from
 * the encryption policy that covers its name (AWS::OpenSearchServerless::SecurityPolicy, Type `encryption`), which
 * `gather` resolves from the template (rules/prevention/facts.ts) or names as UNKNOWN when it is defined elsewhere.
 */
export function openSearchCollectionFromCloudFormation(resource: CloudFormationResource): OpenSearchCollection {
  const p = parseProperties(CollectionProperties, resource);
  const name = p.Name ?? resource.logicalId;
  const config = p.EncryptionConfig;
  const encryption: CollectionEncryption = config?.KmsKeyArn
    ? { kind: 'kmsKey', keyArn: config.KmsKeyArn }
    : config?.AWSOwnedKey === true
      ? { kind: 'awsOwnedKey' }
      : { kind: 'templatePolicy' };
  return { id: name, resourceType: COLLECTION_CFN_TYPE, kind: 'collection', name, encryption, tags: p.Tags };
}

// An encryption policy document (OpenSearch Serverless Developer Guide, "Encryption at rest": Rules of
// ResourceType collection with Resource patterns `collection/<name>` where `*` is a wildcard, and either
// "AWSOwnedKey": true or "KmsARN"); the CloudFormation `Policy` property holds it as JSON text.
const EncryptionPolicyDocument = /* @__PURE__ */ z.lazy(() => z.object({
  Rules: z.array(z.object({ ResourceType: z.string(), Resource: z.array(z.string()) })),
  AWSOwnedKey: z.optional(z.boolean()),
  KmsARN: z.optional(z.string()),
}));

/** Whether a policy's `collection/...` pattern (`*` matches any characters) covers the collection named `name`. */
export function policyPatternMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&')).join('.*')}$`);
  return re.test(`collection/${name}`);
}

/**
 * The encryption an encryption policy document gives the collection `name`, or undefined when it does not cover it.
 * A document that cannot be read (not JSON, no Rules) covers nothing: the caller then reports the policy unfound.
 */
export function encryptionFromPolicy(policyText: unknown, name: string): CollectionEncryption | undefined {
  let json: unknown = policyText;
  if (typeof policyText === 'string') {
    try {
      json = JSON.parse(policyText);
    } catch {
      return undefined;
    }
  }
  const parsed = EncryptionPolicyDocument.safeParse(json);
  if (!parsed.success) return undefined;
  const doc = parsed.data;
  const covers = doc.Rules.some((r) => r.ResourceType === 'collection' && r.Resource.some((pattern) => policyPatternMatches(pattern, name)));
  if (!covers) return undefined;
  if (doc.KmsARN) return { kind: 'kmsKey', keyArn: doc.KmsARN };
  if (doc.AWSOwnedKey === true) return { kind: 'awsOwnedKey' };
  return { kind: 'unverifiable', reason: 'its encryption policy names neither AWSOwnedKey nor KmsARN' };
}
