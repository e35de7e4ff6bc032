import { KafkaClient, paginateListClustersV2 } from '@aws-sdk/client-kafka';
import * as z from 'zod/mini';
import type { AwsClients } from '../runtime/clients';
import { InvalidResponseError, MalformedEventError } from '../runtime/errors';
import type { ConfigurationItem } from '../runtime/event';
import { describeIssues } from '../runtime/issues';
import { type ListOptions, type ResourceAdapter, type NormalizedResource, UnreadableResource } from '../runtime/safeguard';
import { CONFIG_SOURCE_ACTIONS, configFirst } from '../runtime/config-source';
import { mskClusterFromCloudFormation, mskClusterReads, mskServerlessClusterReads } from './cloudformation/msk';

export const MskResourceType = {
  Cluster: 'AWS::MSK::Cluster',
  ServerlessCluster: 'AWS::MSK::ServerlessCluster',
} as const;

/** The AWS managed key MSK encrypts with when a cluster names none (DataVolumeKMSKeyId empty or absent). */
export const DEFAULT_MSK_KEY = 'alias/aws/kafka';

/**
 * An Amazon MSK cluster as every safeguard sees it. The ID is the cluster ARN (AWS::MSK::Cluster's CloudFormation
 * primaryIdentifier is `/properties/Arn`, and DescribeClusterV2/UpdateSecurity take it), or before deployment the
 * declared ClusterName.
 */
export interface MskCluster extends NormalizedResource {
  readonly name: string;
  readonly kind: 'provisioned' | 'serverless';
  /** `EncryptionInfo.EncryptionInTransit.ClientBroker` (TLS, TLS_PLAINTEXT, PLAINTEXT); absent when the source reports none. */
  readonly clientBroker?: string;
  /** `EncryptionInfo.EncryptionInTransit.InCluster`; absent when the source reports none. */
  readonly inCluster?: boolean;
  /** `EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId`; absent or empty: the AWS managed key aws/kafka. */
  readonly dataVolumeKmsKeyId?: string;
}

const InTransit = /* @__PURE__ */ z.lazy(() => z.object({ ClientBroker: z.nullish(z.string()), InCluster: z.nullish(z.boolean()) }));
const AtRest = /* @__PURE__ */ z.lazy(() => z.object({ DataVolumeKMSKeyId: z.nullish(z.string()) }));
const EncryptionInfo = /* @__PURE__ */ z.lazy(() => z.nullish(z.object({ EncryptionAtRest: z.nullish(AtRest), EncryptionInTransit: z.nullish(InTransit) })));
type EncryptionInfo = z.infer<typeof EncryptionInfo>;

// Only the properties the rules read; each is listed in the AWS Config resource schema for AWS::MSK::Cluster
// (../shared/reference/A-config-resource-schema/AWS-MSK-Cluster.properties.json).
export const ClusterConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  ClusterName: z.optional(z.string()),
  Arn: z.optional(z.string()),
  EncryptionInfo,
}));

/** One ListClustersV2 entry (the `Cluster` shape of botocore's kafka/2018-11-14 model); Tags come inline. */
const ListedCluster = /* @__PURE__ */ z.lazy(() => z.object({
  ClusterArn: z.string().check(z.minLength(1)),
  ClusterName: z.string().check(z.minLength(1)),
  ClusterType: z.enum(['PROVISIONED', 'SERVERLESS']),
  Tags: z.nullish(z.record(z.string(), z.string())),
  Provisioned: z.nullish(z.object({ EncryptionInfo })),
}));

function encryptionFacts(info: EncryptionInfo): Pick<MskCluster, 'clientBroker' | 'inCluster' | 'dataVolumeKmsKeyId'> {
  const t = info?.EncryptionInTransit;
  const key = info?.EncryptionAtRest?.DataVolumeKMSKeyId;
  return {
    ...(t?.ClientBroker ? { clientBroker: t.ClientBroker } : {}),
    ...(typeof t?.InCluster === 'boolean' ? { inCluster: t.InCluster } : {}),
    ...(key ? { dataVolumeKmsKeyId: key } : {}),
  };
}

/** The view from a configuration item (change notifications, and periodic runs reading from AWS Config). */
function clusterFromItem(item: ConfigurationItem): MskCluster {
  const parsed = ClusterConfiguration.safeParse(item.configuration ?? {});
  if (!parsed.success) {
    throw new MalformedEventError(`Malformed AWS::MSK::Cluster configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
  }
  return {
    id: item.resourceId,
    resourceType: MskResourceType.Cluster,
    name: parsed.data.ClusterName ?? item.resourceName ?? item.resourceId,
    kind: 'provisioned',
    ...encryptionFacts(parsed.data.EncryptionInfo),
    tags: item.tags,
  };
}

/**
 * ListClustersV2, all pages, of one cluster type: it returns each cluster's encryption settings and Tags, so a
 * cluster costs no further call (no describe, no tag read).
 */
async function* listClusters(clients: AwsClients, options: ListOptions, type: 'PROVISIONED' | 'SERVERLESS'): AsyncIterable<MskCluster | UnreadableResource> {
  const resourceType = type === 'PROVISIONED' ? MskResourceType.Cluster : MskResourceType.ServerlessCluster;
  options.onNote?.({ resourceType, source: 'api', tags: 'listing' });
  const kafka = clients.get(KafkaClient);
  for await (const page of paginateListClustersV2({ client: kafka, pageSize: 100 }, { ClusterTypeFilter: type })) {
    for (const raw of page.ClusterInfoList ?? []) {
      const parsed = ListedCluster.safeParse(raw);
      const id = raw.ClusterArn ?? raw.ClusterName ?? '(unnamed cluster)';
      if (!parsed.success) {
        yield new UnreadableResource(resourceType, id, new InvalidResponseError(`ListClustersV2 returned an incomplete cluster ${id}: ${describeIssues(parsed.error, 'Cluster')}.`, { operation: 'Kafka.ListClustersV2' }));
        continue;
      }
      const c = parsed.data;
      // Some servers ignore ClusterTypeFilter: each lister keeps its own type, so no cluster is judged twice.
      if (c.ClusterType !== type) continue;
      if (type === 'PROVISIONED' && !c.Provisioned) {
        yield new UnreadableResource(resourceType, id, new InvalidResponseError(`ListClustersV2 returned provisioned cluster ${id} without Provisioned.`, { operation: 'Kafka.ListClustersV2' }));
        continue;
      }
      yield {
        id: c.ClusterArn,
        resourceType,
        name: c.ClusterName,
        kind: type === 'PROVISIONED' ? 'provisioned' : 'serverless',
        ...(type === 'PROVISIONED' ? encryptionFacts(c.Provisioned?.EncryptionInfo) : {}),
        tags: c.Tags ?? {},
      };
    }
  }
}


/**
 * Provisioned and serverless MSK clusters. AWS Config records AWS::MSK::Cluster (its item carries EncryptionInfo), so
 * provisioned clusters are read from Config where a recorder covers the type continuously (periodic runs), the API
 * otherwise. Config records no serverless type (no AWS::MSK::ServerlessCluster in the AWS Config resource schema), so
 * serverless clusters are always listed through the API and reported as AWS::MSK::ServerlessCluster, their
 * CloudFormation type; a change-triggered rule's Scope names AWS::MSK::Cluster only (`recordedTypes`).
 */
export const mskClusterResource: ResourceAdapter<MskCluster> = {
  resourceTypes: [MskResourceType.Cluster, MskResourceType.ServerlessCluster],
  recordedTypes: [MskResourceType.Cluster],
  // ListClustersV2 returns Tags inline: no kafka:ListTagsForResource and no tag:GetResources needed.
  listActions: ['kafka:ListClustersV2', ...CONFIG_SOURCE_ACTIONS],
  label: (c) => `${c.kind === 'serverless' ? 'MSK serverless cluster' : 'MSK cluster'} ${c.name}`,

  fromConfigurationItem: clusterFromItem,

  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers:
    process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent'
      ? []
      : [
          configFirst(MskResourceType.Cluster, clusterFromItem, { resourceType: MskResourceType.Cluster, list: (clients, options = {}) => listClusters(clients, options, 'PROVISIONED') }),
          { resourceType: MskResourceType.ServerlessCluster, list: (clients, options = {}) => listClusters(clients, options, 'SERVERLESS') },
        ],

  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => mskClusterFromCloudFormation(resource),
        cloudFormationReads: { [MskResourceType.Cluster]: mskClusterReads, [MskResourceType.ServerlessCluster]: mskServerlessClusterReads },
      }),
};
