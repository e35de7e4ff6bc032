import * as z from 'zod/mini';
import type { OpenSearchDomain } from '../opensearch';
import { type CloudFormationResource, type PropertyReads, cfnBoolean, cfnString, cfnTags, parseProperties } from './common';

/** CloudFormation names the domain type differently from AWS Config (`AWS::OpenSearch::Domain`). */
export const OPENSEARCH_CFN_TYPE = 'AWS::OpenSearchService::Domain';
// Repeated from ../opensearch (which imports this module) so the two modules do not import each other at load time.
const CONFIG_TYPE = 'AWS::OpenSearch::Domain';
const AWS_MANAGED_KEY = 'alias/aws/es';
const DEFAULT_TLS_POLICY = 'Policy-Min-TLS-1-0-2019-07';

// Property names as in the CloudFormation registry schema of AWS::OpenSearchService::Domain.
export const DomainProperties = z.object({
  DomainName: z.optional(cfnString),
  EngineVersion: z.optional(cfnString),
  EncryptionAtRestOptions: z.nullish(z.object({ Enabled: z.optional(cfnBoolean), KmsKeyId: z.optional(cfnString) })),
  NodeToNodeEncryptionOptions: z.nullish(z.object({ Enabled: z.optional(cfnBoolean) })),
  DomainEndpointOptions: z.nullish(z.object({ EnforceHTTPS: z.optional(cfnBoolean), TLSSecurityPolicy: z.optional(cfnString) })),
  Tags: cfnTags,
});

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
