import { CreateClusterCommand, CreateClusterV2Command, type EncryptionInfo, KafkaClient } from '@aws-sdk/client-kafka';
import type { MskCluster } from '../../rules/resources/msk';
import { ACCOUNT } from './fixtures';

/** A provisioned cluster ARN in the real format, arn:...:cluster/<name>/<uuid> (moto's omit the name). */
export const clusterArn = (name: string) => `arn:aws:kafka:us-east-1:${ACCOUNT}:cluster/${name}/6d3d7e11-0a8b-4c1e-9d4e-3c2a1b0f9e8d-7`;

export const provisioned = (o: Partial<MskCluster> = {}): MskCluster => ({
  id: clusterArn('claims'),
  resourceType: 'AWS::MSK::Cluster',
  name: 'claims',
  kind: 'provisioned',
  clientBroker: 'TLS',
  inCluster: true,
  tags: {},
  ...o,
});

export const serverless = (o: Partial<MskCluster> = {}): MskCluster => ({
  id: clusterArn('events'),
  resourceType: 'AWS::MSK::ServerlessCluster',
  name: 'events',
  kind: 'serverless',
  tags: {},
  ...o,
});

/** moto 5.2.1 creates provisioned (CreateCluster) and serverless (CreateClusterV2) clusters and lists both with ListClustersV2. */
export async function createProvisioned(kafka: KafkaClient, name: string, encryption: EncryptionInfo | undefined, tags: Record<string, string> = {}): Promise<string> {
  const out = await kafka.send(
    new CreateClusterCommand({
      ClusterName: name,
      KafkaVersion: '3.6.0',
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: { InstanceType: 'kafka.m5.large', ClientSubnets: ['subnet-1', 'subnet-2'] },
      ...(encryption ? { EncryptionInfo: encryption } : {}),
      Tags: tags,
    }),
  );
  return out.ClusterArn ?? '';
}

export async function createServerless(kafka: KafkaClient, name: string, tags: Record<string, string> = {}): Promise<string> {
  const out = await kafka.send(
    new CreateClusterV2Command({ ClusterName: name, Serverless: { VpcConfigs: [{ SubnetIds: ['subnet-1'] }], ClientAuthentication: { Sasl: { Iam: { Enabled: true } } } }, Tags: tags }),
  );
  return out.ClusterArn ?? '';
}
