import { KafkaClient, ListClustersV2Command } from '@aws-sdk/client-kafka';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { catalog } from '../../rules/catalog';
import type { TemplateResource } from '../../rules/prevention/facts';
import { judgeProperties } from '../../rules/prevention/judge';
import { marker } from '../../rules/prevention/markers';
import { ClusterConfiguration, type MskCluster, mskClusterResource } from '../../rules/resources/msk';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';
import { AwsClients } from '../../rules/runtime/clients';
import { parseConfigurationItem } from '../../rules/runtime/event';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import { type ListingNote, UnreadableResource } from '../../rules/runtime/safeguard';
import { ACCOUNT, REGION, eventStyleItem } from '../helpers/fixtures';
import { clusterArn } from '../helpers/msk';
import { configResourceSchema, leafPaths } from '../helpers/schema-paths';

const NOW = new Date('2026-12-02T00:00:00Z');
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1111aaaa-12ab-34cd-56ef-1234567890ab`;
/** The key as a template declares it (the plan reader makes the same marker from a reference). */
const KEY_REF = marker('!GetAtt Key.Arn');
const TEMPLATE: Record<string, TemplateResource> = { Key: { type: 'AWS::KMS::Key', properties: {} } };
const newKafkaMock = () => mockClient(KafkaClient);
const newKmsMock = () => mockClient(KMSClient);
const rules = catalog.filter((s) => s.name.startsWith('msk-'));

async function listAll(clients: AwsClients, notes: ListingNote[] = []): Promise<(MskCluster | UnreadableResource)[]> {
  const out: (MskCluster | UnreadableResource)[] = [];
  for (const lister of mskClusterResource.listers) for await (const c of lister.list(clients, { onNote: (n) => notes.push(n) })) out.push(c);
  return out;
}

/** One state of a provisioned cluster, in each source's words. */
interface State {
  readonly name: string;
  readonly clientBroker: 'TLS' | 'TLS_PLAINTEXT' | 'PLAINTEXT';
  readonly inCluster: boolean;
  readonly key?: string;
  readonly tags: Record<string, string>;
}
const STATES: readonly State[] = [
  { name: 'tls-cmk', clientBroker: 'TLS', inCluster: true, key: KEY, tags: {} },
  { name: 'mixed', clientBroker: 'TLS_PLAINTEXT', inCluster: true, tags: {} },
  { name: 'plain', clientBroker: 'PLAINTEXT', inCluster: false, tags: {} },
  { name: 'exempt', clientBroker: 'PLAINTEXT', inCluster: true, tags: { 'hipaa-safeguards:exempt': 'CHG-3' } },
];
const encryptionInfo = (s: State) => ({ EncryptionInTransit: { ClientBroker: s.clientBroker, InCluster: s.inCluster }, ...(s.key ? { EncryptionAtRest: { DataVolumeKMSKeyId: s.key } } : {}) });

describe('resources/msk', () => {
  let kafka: ReturnType<typeof newKafkaMock>;
  let kms: ReturnType<typeof newKmsMock>;
  beforeEach(() => {
    kafka = newKafkaMock();
    kms = newKmsMock();
    kms.on(DescribeKeyCommand, { KeyId: KEY }).resolves({ KeyMetadata: { KeyId: 'k1', Arn: KEY, KeyManager: 'CUSTOMER', KeyState: 'Enabled' } });
  });
  afterEach(() => {
    kafka.restore();
    kms.restore();
  });

  it('reads only configuration properties that AWS Config records for AWS::MSK::Cluster', () => {
    const schema = configResourceSchema('AWS::MSK::Cluster');
    const read = leafPaths(ClusterConfiguration, 'configuration');
    expect(read).to.include.members(['configuration.EncryptionInfo.EncryptionInTransit.ClientBroker', 'configuration.EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId']);
    for (const path of read) expect(schema, path).to.have.property(path);
  });

  it('scopes change notifications to AWS::MSK::Cluster, the type AWS Config records', () => {
    expect(mskClusterResource.resourceTypes).to.deep.equal(['AWS::MSK::Cluster', 'AWS::MSK::ServerlessCluster']);
    expect(mskClusterResource.recordedTypes).to.deep.equal(['AWS::MSK::Cluster']);
  });

  it('lists provisioned and serverless clusters with ListClustersV2 (one page call per type, tags inline, no other call)', async () => {
    // Arrange: the Cluster shape of botocore's kafka/2018-11-14 model; a server that ignores ClusterTypeFilter
    kafka.on(ListClustersV2Command, { ClusterTypeFilter: 'PROVISIONED' }).resolvesOnce({
      ClusterInfoList: [
        { ClusterArn: clusterArn('a'), ClusterName: 'a', ClusterType: 'PROVISIONED', State: 'ACTIVE', Tags: { team: 'x' }, Provisioned: { BrokerNodeGroupInfo: { ClientSubnets: ['s'], InstanceType: 'kafka.m5.large' }, NumberOfBrokerNodes: 2, EncryptionInfo: encryptionInfo(STATES[1] as State) } },
        { ClusterArn: clusterArn('s'), ClusterName: 's', ClusterType: 'SERVERLESS', State: 'ACTIVE', Serverless: { VpcConfigs: [{ SubnetIds: ['s'] }] } },
      ],
      NextToken: 'p2',
    }).resolves({
      ClusterInfoList: [{ ClusterArn: clusterArn('b'), ClusterName: 'b', ClusterType: 'PROVISIONED', Provisioned: { BrokerNodeGroupInfo: { ClientSubnets: ['s'], InstanceType: 'kafka.m5.large' }, NumberOfBrokerNodes: 2, EncryptionInfo: {} } }],
    });
    kafka.on(ListClustersV2Command, { ClusterTypeFilter: 'SERVERLESS' }).resolves({
      ClusterInfoList: [{ ClusterArn: clusterArn('s'), ClusterName: 's', ClusterType: 'SERVERLESS', State: 'ACTIVE', Serverless: { VpcConfigs: [{ SubnetIds: ['s'] }] } }],
    });
    const notes: ListingNote[] = [];
    // Act
    const listed = await listAll(new AwsClients({ region: REGION }), notes);
    // Assert
    expect(listed.filter((c): c is MskCluster => !(c instanceof UnreadableResource)).map((c) => [c.resourceType, c.name, c.clientBroker, c.tags])).to.deep.equal([
      ['AWS::MSK::Cluster', 'a', 'TLS_PLAINTEXT', { team: 'x' }],
      ['AWS::MSK::Cluster', 'b', undefined, {}],
      ['AWS::MSK::ServerlessCluster', 's', undefined, {}],
    ]);
    // (the SDK paginator reuses its input object, so only the type filter is told apart per call)
    expect(kafka.commandCalls(ListClustersV2Command).map((c) => c.args[0].input.ClusterTypeFilter)).to.deep.equal(['PROVISIONED', 'PROVISIONED', 'SERVERLESS']);
    expect(notes.map((n) => n.tags)).to.deep.equal(['listing', 'listing']);
  });

  it('fails only the cluster whose listing entry is incomplete', async () => {
    kafka.on(ListClustersV2Command).resolves({
      ClusterInfoList: [
        { ClusterArn: clusterArn('broken'), ClusterType: 'PROVISIONED' },
        { ClusterArn: clusterArn('ok'), ClusterName: 'ok', ClusterType: 'PROVISIONED', Provisioned: { BrokerNodeGroupInfo: { ClientSubnets: ['s'], InstanceType: 'kafka.m5.large' }, NumberOfBrokerNodes: 2, EncryptionInfo: {} } },
      ],
    });
    const [first, second] = await listAll(new AwsClients({ region: REGION }));
    expect(first).to.be.instanceOf(UnreadableResource);
    expect((first as UnreadableResource).error.message).to.equal(`ListClustersV2 returned an incomplete cluster ${clusterArn('broken')}: Cluster.ClusterName: Invalid input: expected string, received undefined.`);
    expect((second as MskCluster).name).to.equal('ok');
  });

  it('gives one verdict per rule for the same cluster from a configuration item, ListClustersV2, a template and a Terraform plan', async () => {
    // Arrange
    kafka.on(ListClustersV2Command, { ClusterTypeFilter: 'PROVISIONED' }).resolves({
      ClusterInfoList: STATES.map((s) => ({
        ClusterArn: clusterArn(s.name),
        ClusterName: s.name,
        ClusterType: 'PROVISIONED',
        State: 'ACTIVE',
        Tags: s.tags,
        Provisioned: { BrokerNodeGroupInfo: { ClientSubnets: ['s'], InstanceType: 'kafka.m5.large' }, NumberOfBrokerNodes: 2, EncryptionInfo: encryptionInfo(s) },
      })),
    });
    kafka.on(ListClustersV2Command, { ClusterTypeFilter: 'SERVERLESS' }).resolves({ ClusterInfoList: [] });
    const ctx = newJudgeContext(new AwsClients({ region: REGION }), NOW);
    const params = (s: (typeof rules)[number]) => parseParameters(s.schema, {});
    const byName = new Map(STATES.map((s) => [clusterArn(s.name), s.name]));
    const api: Record<string, string> = {};
    const items: Record<string, string> = {};
    const tpl: Record<string, string> = {};
    const tf: Record<string, string> = {};
    // Act
    for (const rule of rules) {
      for (const lister of rule.resource.listers) {
        for await (const c of lister.list(ctx.clients)) {
          if (c instanceof UnreadableResource) throw c.error;
          api[`${byName.get(c.id)} ${rule.name}`] = (await judge(rule, c, params(rule), ctx)).compliance;
        }
      }
      for (const s of STATES) {
        const raw = { ...eventStyleItem({ resourceType: 'AWS::MSK::Cluster', name: s.name, arn: clusterArn(s.name), tags: s.tags, configuration: { ClusterName: s.name, Arn: clusterArn(s.name), EncryptionInfo: encryptionInfo(s) } }), resourceId: clusterArn(s.name) };
        const view = mskClusterResource.fromConfigurationItem?.(parseConfigurationItem(raw, 'fixture'));
        if (!view) throw new Error('no item builder');
        items[`${s.name} ${rule.name}`] = (await judge(rule, view, params(rule), ctx)).compliance;
      }
    }
    for (const s of STATES) {
      // The key is declared in the template (an enabled customer key), so prevention knows it offline.
      const declared = { ...encryptionInfo(s), ...(s.key ? { EncryptionAtRest: { DataVolumeKMSKeyId: KEY_REF } } : {}) };
      const properties = { ClusterName: s.name, EncryptionInfo: declared, Tags: s.tags };
      for (const v of await judgeProperties({ resourceType: 'AWS::MSK::Cluster', logicalId: s.name, properties, template: TEMPLATE, parameters: {}, now: NOW })) tpl[`${s.name} ${v.rule}`] = v.compliance;
      const planned = translateTerraform('aws_msk_cluster', {
        cluster_name: s.name,
        encryption_info: [{ ...(s.key ? { encryption_at_rest_kms_key_arn: KEY_REF } : {}), encryption_in_transit: [{ client_broker: s.clientBroker, in_cluster: s.inCluster }] }],
        tags_all: s.tags,
      });
      if (!planned) throw new Error('aws_msk_cluster not translated');
      for (const v of await judgeProperties({ resourceType: planned.resourceType, logicalId: s.name, properties: planned.properties, template: TEMPLATE, parameters: {}, now: NOW })) tf[`${s.name} ${v.rule}`] = v.compliance;
    }
    // Assert
    expect(items).to.deep.equal({
      'tls-cmk msk-encrypted-in-transit': 'COMPLIANT',
      'mixed msk-encrypted-in-transit': 'NON_COMPLIANT',
      'plain msk-encrypted-in-transit': 'NON_COMPLIANT',
      'exempt msk-encrypted-in-transit': 'NOT_APPLICABLE',
      'tls-cmk msk-encrypted-at-rest': 'COMPLIANT',
      'mixed msk-encrypted-at-rest': 'NON_COMPLIANT',
      'plain msk-encrypted-at-rest': 'NON_COMPLIANT',
      'exempt msk-encrypted-at-rest': 'NOT_APPLICABLE',
    });
    expect(api).to.deep.equal(items);
    expect(tpl).to.deep.equal(items);
    expect(tf).to.deep.equal(items);
  });

  it('applies the documented defaults to a template that declares no EncryptionInfo (TLS, InCluster true, aws/kafka)', async () => {
    const verdicts = await judgeProperties({ resourceType: 'AWS::MSK::Cluster', logicalId: 'Bare', properties: { ClusterName: 'bare' }, template: {}, parameters: {}, now: NOW });
    expect(Object.fromEntries(verdicts.map((v) => [v.rule, v.compliance]))).to.deep.equal({ 'msk-encrypted-in-transit': 'COMPLIANT', 'msk-encrypted-at-rest': 'NON_COMPLIANT' });
    const tf = translateTerraform('aws_msk_cluster', { cluster_name: 'bare', tags_all: {} });
    expect(tf?.properties).to.deep.equal({ ClusterName: 'bare', Tags: {} });
  });

  it('judges AWS::MSK::ServerlessCluster (template and aws_msk_serverless_cluster): TLS always, AWS managed keys', async () => {
    const tf = translateTerraform('aws_msk_serverless_cluster', { cluster_name: 'events', tags: { team: 'x' } });
    expect(tf).to.deep.equal({ resourceType: 'AWS::MSK::ServerlessCluster', properties: { ClusterName: 'events', Tags: { team: 'x' } } });
    const verdicts = await judgeProperties({ resourceType: 'AWS::MSK::ServerlessCluster', logicalId: 'Events', properties: tf?.properties ?? {}, template: {}, parameters: {}, now: NOW });
    expect(Object.fromEntries(verdicts.map((v) => [v.rule, v.compliance]))).to.deep.equal({ 'msk-encrypted-in-transit': 'COMPLIANT', 'msk-encrypted-at-rest': 'NON_COMPLIANT' });
  });
});
