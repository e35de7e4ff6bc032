import * as z from 'zod/mini';
import type { MskCluster } from '../msk';
import { type CloudFormationResource, type PropertyReads, cfnBoolean, cfnString, parseProperties } from './common';

// MSK takes Tags as a map (`patternProperties` in both registry schemas), not a Key/Value list.
const cfnTagMap = /* @__PURE__ */ z.lazy(() => z.pipe(
  z.nullish(z.record(z.string(), cfnString)),
  z.transform((m: Record<string, string> | null | undefined) => ({ ...(m ?? {}) })),
));

// Property names as in the CloudFormation registry schema of AWS::MSK::Cluster (aws-msk-cluster.json).
export const ClusterProperties = /* @__PURE__ */ z.lazy(() => z.object({
  ClusterName: z.optional(cfnString),
  EncryptionInfo: z.nullish(
    z.object({
      EncryptionAtRest: z.nullish(z.object({ DataVolumeKMSKeyId: cfnString })),
      EncryptionInTransit: z.nullish(z.object({ ClientBroker: z.optional(cfnString), InCluster: z.optional(cfnBoolean) })),
    }),
  ),
  Tags: cfnTagMap,
}));

// AWS::MSK::ServerlessCluster (aws-msk-serverlesscluster.json) has no encryption property at all.
export const ServerlessClusterProperties = /* @__PURE__ */ z.lazy(() => z.object({ ClusterName: z.optional(cfnString), Tags: cfnTagMap }));

export const mskClusterReads: PropertyReads = {
  ClusterName: 'identifier',
  'EncryptionInfo.EncryptionInTransit.ClientBroker': 'value',
  'EncryptionInfo.EncryptionInTransit.InCluster': 'value',
  'EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId': 'identifier',
  Tags: 'identifier',
};

export const mskServerlessClusterReads: PropertyReads = { ClusterName: 'identifier', Tags: 'identifier' };

/**
 * The view of a declared cluster, with the service defaults where the template is silent. The registry schema
 * states no defaults; the template reference does (AWS::MSK::Cluster EncryptionInTransit,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-msk-cluster-encryptionintransit.html):
 * ClientBroker "The default value is TLS.", InCluster "The default value is true." Without EncryptionAtRest "Amazon
 * MSK still encrypts your data at rest under the AWS managed key" (alias/aws/kafka; MSK Developer Guide, "Get started
 * with Amazon MSK encryption", https://docs.aws.amazon.com/msk/latest/developerguide/msk-working-with-encryption.html).
 */
export function mskClusterFromCloudFormation(resource: CloudFormationResource): MskCluster {
  if (resource.resourceType === 'AWS::MSK::ServerlessCluster') {
    const p = parseProperties(ServerlessClusterProperties, resource);
    const name = p.ClusterName ?? resource.logicalId;
    return { id: name, resourceType: resource.resourceType, name, kind: 'serverless', tags: p.Tags };
  }
  const p = parseProperties(ClusterProperties, resource);
  const name = p.ClusterName ?? resource.logicalId;
  const t = p.EncryptionInfo?.EncryptionInTransit;
  const key = p.EncryptionInfo?.EncryptionAtRest?.DataVolumeKMSKeyId;
  return {
    id: name,
    resourceType: 'AWS::MSK::Cluster',
    name,
    kind: 'provisioned',
    clientBroker: t?.ClientBroker ?? 'TLS',
    inCluster: t?.InCluster ?? true,
    ...(key ? { dataVolumeKmsKeyId: key } : {}),
    tags: p.Tags,
  };
}
