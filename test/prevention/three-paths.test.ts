/**
 * One view, many sources (STYLE 16): for every catalog resource type, the same resource state read from a
 * configuration item (the types AWS Config records), from the service API (the listers, as `scan` and the periodic
 * Lambda read it) and from CloudFormation properties (check-template, the hook) gets the same verdict from every rule.
 * API answers come from aws-sdk-client-mock, shaped as the SDK types them.
 */
import { DescribeDeliveryStreamCommand, FirehoseClient, ListDeliveryStreamsCommand, ListTagsForDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand, ListTagsForStreamCommand } from '@aws-sdk/client-kinesis';
import { KinesisVideoClient, ListStreamsCommand as ListVideoStreamsCommand, ListTagsForStreamCommand as ListVideoTagsCommand } from '@aws-sdk/client-kinesis-video';
import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeUpdateActionsCommand,
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ElastiCacheClient,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeDomainsCommand, ListDomainNamesCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { BatchGetCollectionCommand, ListCollectionsCommand, OpenSearchServerlessClient } from '@aws-sdk/client-opensearchserverless';
import { DescribeACLsCommand, DescribeClustersCommand, DescribeUsersCommand as DescribeMemoryDbUsersCommand, ListTagsCommand, MemoryDBClient } from '@aws-sdk/client-memorydb';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBParametersCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { catalog } from '../../rules/catalog';
import { judgeProperties } from '../../rules/prevention/judge';
import { marker } from '../../rules/prevention/markers';
import type { TemplateResource } from '../../rules/prevention/facts';
import { AwsClients } from '../../rules/runtime/clients';
import { parseConfigurationItem } from '../../rules/runtime/event';
import { judge, judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { ACCOUNT, REGION, eventStyleItem, kinesisItemEventStyle } from '../helpers/fixtures';

const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1111aaaa-12ab-34cd-56ef-1234567890ab`;
const OFF_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/2222bbbb-12ab-34cd-56ef-1234567890ab`;
const NOW = new Date('2026-12-01T00:00:00Z');

/** The same keys, declared in the template: KEY is an enabled customer key, OFF_KEY a disabled one. */
const KEYS: Record<string, TemplateResource> = {
  Key: { type: 'AWS::KMS::Key', properties: {} },
  OffKey: { type: 'AWS::KMS::Key', properties: { Enabled: false } },
};
const asTemplateKey = (k: string | undefined) => (k === KEY ? marker('!GetAtt Key.Arn') : k === OFF_KEY ? marker('!GetAtt OffKey.Arn') : k);

/** One resource state, in each source's words. */
interface State {
  readonly name: string;
  readonly template: Record<string, unknown>;
}

type Verdicts = Record<string, string>;

let restorers: (() => void)[] = [];
/** A client mock restored after the test. */
const newTaggingMock = () => mockClient(ResourceGroupsTaggingAPIClient);
let tagging: ReturnType<typeof newTaggingMock>;
const newAossMock = () => mockClient(OpenSearchServerlessClient);
let aoss: ReturnType<typeof newAossMock>;

function track<T extends { restore(): void }>(m: T): T {
  restorers.push(() => m.restore());
  return m;
}

function mockKms(): void {
  const kms = track(mockClient(KMSClient));
  kms.on(DescribeKeyCommand, { KeyId: KEY }).resolves({ KeyMetadata: { KeyId: 'k1', Arn: KEY, KeyManager: 'CUSTOMER', KeyState: 'Enabled' } });
  kms.on(DescribeKeyCommand, { KeyId: OFF_KEY }).resolves({ KeyMetadata: { KeyId: 'k2', Arn: OFF_KEY, KeyManager: 'CUSTOMER', KeyState: 'Disabled' } });
}

const rulesOf = (type: string) => catalog.filter((s) => s.resource.resourceTypes.includes(type));
const paramsFor = (s: Safeguard, parameters: Record<string, Record<string, string>>) => parseParameters(s.schema, parameters[s.name] ?? {});

/** Detect path, periodic: list through the API and judge, as `scan` does. */
async function viaApi(type: string, parameters: Record<string, Record<string, string>>): Promise<Verdicts> {
  const ctx = newJudgeContext(new AwsClients({ region: REGION }), NOW);
  const out: Verdicts = {};
  for (const s of rulesOf(type)) {
    const { judged, failures } = await judgeAll(s, paramsFor(s, parameters), ctx);
    expect(failures, `${s.name} API failures`).to.deep.equal([]);
    for (const j of judged) if (j.resource.resourceType === type) out[`${j.resource.id} ${s.name}`] = j.verdict.compliance;
  }
  return out;
}

/** Detect path, change-triggered: the configuration item. */
async function viaItems(type: string, items: Record<string, unknown>[], parameters: Record<string, Record<string, string>>): Promise<Verdicts> {
  const ctx = newJudgeContext(new AwsClients({ region: REGION }), NOW);
  const out: Verdicts = {};
  for (const s of rulesOf(type)) {
    for (const raw of items) {
      const read = s.resource.fromConfigurationItem;
      if (!read) throw new Error(`${type} has no configuration item builder`);
      const view = read(parseConfigurationItem(raw, 'fixture'));
      out[`${view.id} ${s.name}`] = (await judge(s, view, paramsFor(s, parameters), ctx)).compliance;
    }
  }
  return out;
}

/** Prevent path: the declared properties, offline, facts from the template. */
async function viaTemplate(type: string, states: readonly State[], parameters: Record<string, Record<string, string>>, extra: Record<string, TemplateResource> = {}): Promise<Verdicts> {
  const template = { ...KEYS, ...extra, ...Object.fromEntries(states.map((s) => [s.name, { type, properties: s.template }])) };
  const out: Verdicts = {};
  for (const st of states) {
    for (const v of await judgeProperties({ resourceType: type, logicalId: st.name, properties: st.template, template, parameters, now: NOW })) out[`${st.name} ${v.rule}`] = v.compliance;
  }
  return out;
}

const tagList = (tags: Record<string, string> = {}) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

describe('prevention: the three paths agree', () => {
  beforeEach(() => {
    restorers = [];
    mockKms();
    // The listers read tags in bulk (tag:GetResources lists tagged resources only): none, unless a test says so.
    tagging = track(newTaggingMock());
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    // The OpenSearch rules list serverless collections too: none, unless a test says so.
    aoss = track(newAossMock());
    aoss.on(ListCollectionsCommand).resolves({ collectionSummaries: [] });
  });
  afterEach(() => {
    for (const restore of restorers) restore();
  });

  it('AWS::Kinesis::Stream: configuration item, API and template give one verdict per state', async () => {
    // Arrange: name, encryption, tags
    const states: { name: string; enc?: { EncryptionType: string; KeyId: string }; tags: Record<string, string> }[] = [
      { name: 'plain', enc: undefined, tags: {} },
      { name: 'customer-key', enc: { EncryptionType: 'KMS', KeyId: KEY }, tags: {} },
      { name: 'disabled-key', enc: { EncryptionType: 'KMS', KeyId: OFF_KEY }, tags: {} },
      { name: 'aws-key', enc: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }, tags: {} },
      { name: 'exempt', enc: undefined, tags: { 'hipaa-safeguards:exempt': 'CHG-1' } },
    ];
    const parameters = { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } };
    const kinesis = track(mockClient(KinesisClient));
    kinesis.on(ListStreamsCommand).resolves({ StreamNames: states.map((s) => s.name), HasMoreStreams: false });
    for (const s of states) {
      kinesis.on(DescribeStreamSummaryCommand, { StreamName: s.name }).resolves({
        StreamDescriptionSummary: {
          StreamName: s.name,
          StreamARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${s.name}`,
          StreamStatus: 'ACTIVE',
          RetentionPeriodHours: 24,
          StreamCreationTimestamp: NOW,
          EnhancedMonitoring: [],
          OpenShardCount: 1,
          EncryptionType: s.enc ? 'KMS' : 'NONE',
          ...(s.enc ? { KeyId: s.enc.KeyId } : {}),
        },
      });
      kinesis.on(ListTagsForStreamCommand, { StreamName: s.name }).resolves({ Tags: tagList(s.tags), HasMoreTags: false });
    }
    tagging
      .on(GetResourcesCommand)
      .resolves({
        ResourceTagMappingList: states
          .filter((s) => Object.keys(s.tags).length > 0)
          .map((s) => ({ ResourceARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${s.name}`, Tags: tagList(s.tags) })),
      });
    // Act
    const api = await viaApi('AWS::Kinesis::Stream', parameters);
    const items = await viaItems('AWS::Kinesis::Stream', states.map((s) => kinesisItemEventStyle({ name: s.name, encryption: s.enc ?? null, tags: s.tags })), parameters);
    const tpl = await viaTemplate(
      'AWS::Kinesis::Stream',
      states.map((s) => ({ name: s.name, template: { Name: s.name, ...(s.enc ? { StreamEncryption: { ...s.enc, KeyId: asTemplateKey(s.enc.KeyId) } } : {}), Tags: tagList(s.tags) } })),
      parameters,
    );
    // Assert
    expect(api).to.deep.equal(items);
    expect(tpl).to.deep.equal(items);
    expect(new Set(Object.values(items))).to.deep.equal(new Set(['NON_COMPLIANT', 'COMPLIANT', 'NOT_APPLICABLE']));
  });

  it('AWS::KinesisVideo::Stream: configuration item, API and template give one verdict per state', async () => {
    const states = [
      { name: 'default-key', key: undefined },
      { name: 'customer-key', key: KEY },
      { name: 'disabled-key', key: OFF_KEY },
      { name: 'aws-alias', key: 'alias/aws/kinesisvideo' },
    ];
    const video = track(mockClient(KinesisVideoClient));
    video.on(ListVideoStreamsCommand).resolves({
      StreamInfoList: states.map((s) => ({ StreamName: s.name, StreamARN: `arn:aws:kinesisvideo:${REGION}:${ACCOUNT}:stream/${s.name}/1`, Status: 'ACTIVE', ...(s.key ? { KmsKeyId: s.key } : {}) })),
    });
    video.on(ListVideoTagsCommand).resolves({ Tags: {} });
    const api = await viaApi('AWS::KinesisVideo::Stream', {});
    const items = await viaItems(
      'AWS::KinesisVideo::Stream',
      states.map((s) =>
        eventStyleItem({
          resourceType: 'AWS::KinesisVideo::Stream',
          name: s.name,
          arn: `arn:aws:kinesisvideo:${REGION}:${ACCOUNT}:stream/${s.name}/1`,
          configuration: { Name: s.name, ...(s.key ? { KmsKeyId: s.key } : {}) },
        }),
      ),
      {},
    );
    const tpl = await viaTemplate('AWS::KinesisVideo::Stream', states.map((s) => ({ name: s.name, template: { Name: s.name, ...(s.key ? { KmsKeyId: asTemplateKey(s.key) } : {}) } })), {});
    expect(api).to.deep.equal(items);
    expect(tpl).to.deep.equal(items);
    expect(new Set(Object.values(items))).to.deep.equal(new Set(['NON_COMPLIANT', 'COMPLIANT']));
  });

  it('AWS::KinesisFirehose::DeliveryStream: configuration item, API and template give one verdict per state', async () => {
    const sourceArn = (n: string) => `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${n}`;
    const states = [
      { name: 'direct-plain', type: 'DirectPut', key: undefined, source: undefined, open: false },
      { name: 'direct-aws-owned', type: 'DirectPut', key: 'AWS_OWNED_CMK', source: undefined, open: false },
      { name: 'direct-open-s3', type: 'DirectPut', key: 'AWS_OWNED_CMK', source: undefined, open: true },
      { name: 'from-plain', type: 'KinesisStreamAsSource', key: undefined, source: 'src-plain', open: false },
      { name: 'from-encrypted', type: 'KinesisStreamAsSource', key: undefined, source: 'src-encrypted', open: false },
    ];
    const s3 = (open: boolean) => ({ BucketARN: 'arn:aws:s3:::phi', RoleARN: 'arn:aws:iam::123456789012:role/fh', EncryptionConfiguration: open ? { NoEncryptionConfig: 'NoEncryption' } : { KMSEncryptionConfig: { AWSKMSKeyARN: KEY } } });
    const firehose = track(mockClient(FirehoseClient));
    firehose.on(ListDeliveryStreamsCommand).resolves({ DeliveryStreamNames: states.map((s) => s.name), HasMoreDeliveryStreams: false });
    firehose.on(ListTagsForDeliveryStreamCommand).resolves({ Tags: [], HasMoreTags: false });
    for (const s of states) {
      firehose.on(DescribeDeliveryStreamCommand, { DeliveryStreamName: s.name }).resolves({
        DeliveryStreamDescription: {
          DeliveryStreamName: s.name,
          DeliveryStreamARN: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${s.name}`,
          DeliveryStreamStatus: 'ACTIVE',
          DeliveryStreamType: s.type as never,
          VersionId: '1',
          HasMoreDestinations: false,
          ...(s.key ? { DeliveryStreamEncryptionConfiguration: { KeyType: s.key as never, Status: 'ENABLED' } } : {}),
          ...(s.source ? { Source: { KinesisStreamSourceDescription: { KinesisStreamARN: sourceArn(s.source) } } } : {}),
          Destinations: [{ DestinationId: 'd1', ExtendedS3DestinationDescription: { ...s3(s.open), BufferingHints: {}, CompressionFormat: 'UNCOMPRESSED' } as never }],
        },
      });
    }
    const kinesis = track(mockClient(KinesisClient));
    for (const [n, enc] of [['src-plain', undefined], ['src-encrypted', KEY]] as const) {
      kinesis.on(DescribeStreamSummaryCommand, { StreamARN: sourceArn(n) }).resolves({
        StreamDescriptionSummary: { StreamName: n, StreamARN: sourceArn(n), StreamStatus: 'ACTIVE', RetentionPeriodHours: 24, StreamCreationTimestamp: NOW, EnhancedMonitoring: [], OpenShardCount: 1, EncryptionType: enc ? 'KMS' : 'NONE', ...(enc ? { KeyId: enc } : {}) },
      });
    }
    const api = await viaApi('AWS::KinesisFirehose::DeliveryStream', {});
    const configuration = (s: (typeof states)[number]) => ({
      DeliveryStreamName: s.name,
      DeliveryStreamType: s.type,
      ...(s.key ? { DeliveryStreamEncryptionConfigurationInput: { KeyType: s.key } } : {}),
      ...(s.source ? { KinesisStreamSourceConfiguration: { KinesisStreamARN: sourceArn(s.source), RoleARN: 'arn:aws:iam::123456789012:role/fh' } } : {}),
      ExtendedS3DestinationConfiguration: s3(s.open),
    });
    const items = await viaItems(
      'AWS::KinesisFirehose::DeliveryStream',
      states.map((s) => eventStyleItem({ resourceType: 'AWS::KinesisFirehose::DeliveryStream', name: s.name, arn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${s.name}`, configuration: configuration(s) })),
      {},
    );
    // In the template, the source streams are declared beside the delivery streams.
    const sources: Record<string, TemplateResource> = {
      SrcPlain: { type: 'AWS::Kinesis::Stream', properties: { Name: 'src-plain' } },
      SrcEncrypted: { type: 'AWS::Kinesis::Stream', properties: { Name: 'src-encrypted', StreamEncryption: { EncryptionType: 'KMS', KeyId: marker('!GetAtt Key.Arn') } } },
    };
    const srcRef = (n: string) => marker(`!GetAtt ${n === 'src-plain' ? 'SrcPlain' : 'SrcEncrypted'}.Arn`);
    const tpl = await viaTemplate(
      'AWS::KinesisFirehose::DeliveryStream',
      states.map((s) => {
        const c = configuration(s);
        return { name: s.name, template: { ...c, ...(s.source ? { KinesisStreamSourceConfiguration: { KinesisStreamARN: srcRef(s.source), RoleARN: 'r' } } : {}) } };
      }),
      {},
      sources,
    );
    expect(api).to.deep.equal(items);
    expect(tpl).to.deep.equal(items);
    expect(new Set(Object.values(items))).to.deep.equal(new Set(['NON_COMPLIANT', 'COMPLIANT']));
  });

  describe('ElastiCache (not recorded by AWS Config: API and template)', () => {
    const groups = [
      { id: 'good', engine: 'valkey', version: '7.2.6', node: 'cache.r7g.large', atRest: true, transit: true, mode: 'required', token: true, userGroups: [] as string[] },
      { id: 'bad', engine: 'redis', version: '3.2.4', node: 'cache.m3.medium', atRest: false, transit: false, mode: undefined, token: false, userGroups: [] },
      { id: 'preferred', engine: 'redis', version: '7.1.0', node: 'cache.r6g.large', atRest: true, transit: true, mode: 'preferred', token: true, userGroups: [] },
      { id: 'default-user', engine: 'valkey', version: '8.0.1', node: 'cache.t4g.small', atRest: true, transit: true, mode: 'required', token: false, userGroups: ['open-group'] },
      { id: 'rbac', engine: 'valkey', version: '8.0.1', node: 'cache.t4g.small', atRest: true, transit: true, mode: 'required', token: false, userGroups: ['phi-group'] },
    ];
    const clusters = [
      { id: 'memcached', engine: 'memcached', version: '1.6.22', node: 'cache.m3.large', transit: false },
      { id: 'redis-tls', engine: 'redis', version: '6.2.6', node: 'cache.t3.micro', transit: true },
    ];
    const serverless = [
      { id: 'srv-open', engine: 'redis', major: '7', userGroup: undefined },
      { id: 'srv-rbac', engine: 'valkey', major: '8', userGroup: 'phi-group' },
    ];
    const rbac: Record<string, TemplateResource> = {
      PhiGroup: { type: 'AWS::ElastiCache::UserGroup', properties: { UserGroupId: 'phi-group', Engine: 'valkey', UserIds: ['phi-app'] } },
      OpenGroup: { type: 'AWS::ElastiCache::UserGroup', properties: { UserGroupId: 'open-group', Engine: 'valkey', UserIds: ['default', 'phi-app'] } },
      PhiApp: { type: 'AWS::ElastiCache::User', properties: { UserId: 'phi-app', UserName: 'default', Engine: 'valkey', AccessString: 'on ~* +@all', AuthenticationMode: { Type: 'password', Passwords: ['p'.repeat(16)] } } },
    };

    beforeEach(() => {
      const ec = track(mockClient(ElastiCacheClient));
      ec.on(DescribeReplicationGroupsCommand).resolves({
        ReplicationGroups: groups.map((g) => ({
          ReplicationGroupId: g.id,
          Status: 'available',
          ARN: `arn:aws:elasticache:${REGION}:${ACCOUNT}:replicationgroup:${g.id}`,
          Engine: g.engine,
          CacheNodeType: g.node,
          MemberClusters: [`${g.id}-001`],
          AtRestEncryptionEnabled: g.atRest,
          TransitEncryptionEnabled: g.transit,
          ...(g.mode ? { TransitEncryptionMode: g.mode as never } : {}),
          AuthTokenEnabled: g.token,
          UserGroupIds: g.userGroups,
        })),
      });
      ec.on(DescribeCacheClustersCommand).resolves({
        CacheClusters: [
          ...groups.map((g) => ({ CacheClusterId: `${g.id}-001`, CacheClusterStatus: 'available', ARN: `arn:aws:elasticache:${REGION}:${ACCOUNT}:cluster:${g.id}-001`, Engine: g.engine, EngineVersion: g.version, CacheNodeType: g.node, ReplicationGroupId: g.id })),
          ...clusters.map((c) => ({
            CacheClusterId: c.id,
            CacheClusterStatus: 'available',
            ARN: `arn:aws:elasticache:${REGION}:${ACCOUNT}:cluster:${c.id}`,
            Engine: c.engine,
            EngineVersion: c.version,
            CacheNodeType: c.node,
            AtRestEncryptionEnabled: false,
            TransitEncryptionEnabled: c.transit,
            AuthTokenEnabled: false,
          })),
        ],
      });
      ec.on(DescribeServerlessCachesCommand).resolves({
        ServerlessCaches: serverless.map((s) => ({
          ServerlessCacheName: s.id,
          Status: 'available',
          ARN: `arn:aws:elasticache:${REGION}:${ACCOUNT}:serverlesscache:${s.id}`,
          Engine: s.engine,
          MajorEngineVersion: s.major,
          ...(s.userGroup ? { UserGroupId: s.userGroup } : {}),
        })),
      });
      ec.on(ListTagsForResourceCommand).resolves({ TagList: [] });
      ec.on(DescribeUpdateActionsCommand).resolves({ UpdateActions: [] });
      ec.on(DescribeUserGroupsCommand, { UserGroupId: 'phi-group' }).resolves({ UserGroups: [{ UserGroupId: 'phi-group', UserIds: ['phi-app'] }] });
      ec.on(DescribeUserGroupsCommand, { UserGroupId: 'open-group' }).resolves({ UserGroups: [{ UserGroupId: 'open-group', UserIds: ['default', 'phi-app'] }] });
      ec.on(DescribeUsersCommand, { UserId: 'phi-app' }).resolves({ Users: [{ UserId: 'phi-app', UserName: 'default', AccessString: 'on ~* +@all', Authentication: { Type: 'password', PasswordCount: 1 } }] });
      ec.on(DescribeUsersCommand, { UserId: 'default' }).resolves({ Users: [{ UserId: 'default', UserName: 'default', AccessString: 'on ~* +@all', Authentication: { Type: 'no-password' } }] });
    });

    it('AWS::ElastiCache::ReplicationGroup: API and template give one verdict per state and rule', async () => {
      const api = await viaApi('AWS::ElastiCache::ReplicationGroup', {});
      const tpl = await viaTemplate(
        'AWS::ElastiCache::ReplicationGroup',
        groups.map((g) => ({
          name: g.id,
          template: {
            ReplicationGroupId: g.id,
            ReplicationGroupDescription: g.id,
            Engine: g.engine,
            EngineVersion: g.version,
            CacheNodeType: g.node,
            AtRestEncryptionEnabled: g.atRest,
            TransitEncryptionEnabled: g.transit,
            ...(g.mode === 'preferred' ? { TransitEncryptionMode: g.mode } : {}),
            ...(g.token ? { AuthToken: '{{resolve:secretsmanager:token}}' } : {}),
            ...(g.userGroups.length ? { UserGroupIds: g.userGroups } : {}),
          },
        })),
        {},
        rbac,
      );
      expect(tpl).to.deep.equal(api);
      expect(Object.keys(api)).to.have.length(groups.length * 6);
      expect(new Set(Object.values(api))).to.deep.equal(new Set(['NON_COMPLIANT', 'COMPLIANT']));
    });

    it('AWS::ElastiCache::CacheCluster: API and template give one verdict per state and rule', async () => {
      const api = await viaApi('AWS::ElastiCache::CacheCluster', {});
      const tpl = await viaTemplate(
        'AWS::ElastiCache::CacheCluster',
        clusters.map((c) => ({ name: c.id, template: { ClusterName: c.id, Engine: c.engine, EngineVersion: c.version, CacheNodeType: c.node, NumCacheNodes: 1, TransitEncryptionEnabled: c.transit } })),
        {},
      );
      expect(tpl).to.deep.equal(api);
      expect(Object.keys(api)).to.have.length(clusters.length * 6);
      expect(new Set(Object.values(api))).to.deep.equal(new Set(['NON_COMPLIANT', 'COMPLIANT', 'NOT_APPLICABLE']));
    });

    it('AWS::ElastiCache::ServerlessCache: API and template give one verdict per state and rule', async () => {
      const api = await viaApi('AWS::ElastiCache::ServerlessCache', {});
      const tpl = await viaTemplate(
        'AWS::ElastiCache::ServerlessCache',
        serverless.map((s) => ({ name: s.id, template: { ServerlessCacheName: s.id, Engine: s.engine, MajorEngineVersion: s.major, ...(s.userGroup ? { UserGroupId: s.userGroup } : {}) } })),
        {},
        rbac,
      );
      expect(tpl).to.deep.equal(api);
      expect(Object.keys(api)).to.have.length(serverless.length * 6);
    });
  });

  it('AWS::OpenSearch::Domain: configuration item, API and template (AWS::OpenSearchService::Domain) give one verdict per state and rule', async () => {
    // Arrange: the option members are spelled alike in the Config item, DescribeDomains and the template
    const states: { name: string; options: Record<string, unknown>; tags?: Record<string, string> }[] = [
      { name: 'defaults', options: {} },
      {
        name: 'customer-key-tls12',
        options: { EncryptionAtRestOptions: { Enabled: true, KmsKeyId: KEY }, NodeToNodeEncryptionOptions: { Enabled: true }, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' } },
      },
      {
        name: 'disabled-key-tls10',
        options: { EncryptionAtRestOptions: { Enabled: true, KmsKeyId: OFF_KEY }, NodeToNodeEncryptionOptions: { Enabled: true }, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07' } },
      },
      { name: 'exempt', options: {}, tags: { 'hipaa-safeguards:exempt': 'CHG-5' } },
    ];
    const parameters = { 'opensearch-encrypted-at-rest': { requireCustomerManagedKey: 'true' } };
    const arn = (name: string) => `arn:aws:es:${REGION}:${ACCOUNT}:domain/${name}`;
    const os = track(mockClient(OpenSearchClient));
    os.on(ListDomainNamesCommand).resolves({ DomainNames: states.map((s) => ({ DomainName: s.name, EngineType: 'OpenSearch' })) });
    os.on(DescribeDomainsCommand).callsFake((input: { DomainNames: string[] }) => ({
      DomainStatusList: states
        .filter((s) => input.DomainNames.includes(s.name))
        .map((s) => ({ DomainId: `${ACCOUNT}/${s.name}`, DomainName: s.name, ARN: arn(s.name), ClusterConfig: {}, EngineVersion: 'OpenSearch_2.11', ...s.options })),
    }));
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: states.filter((s) => s.tags).map((s) => ({ ResourceARN: arn(s.name), Tags: tagList(s.tags) })) });
    // Act
    const api = await viaApi('AWS::OpenSearch::Domain', parameters);
    const items = await viaItems(
      'AWS::OpenSearch::Domain',
      states.map((s) => ({
        ...eventStyleItem({ resourceType: 'AWS::OpenSearch::Domain', name: s.name, arn: arn(s.name), configuration: { DomainName: s.name, ...s.options }, tags: s.tags ?? {} }),
        resourceId: `${ACCOUNT}/${s.name}`,
      })),
      parameters,
    );
    const declared = await viaTemplate(
      'AWS::OpenSearchService::Domain',
      states.map((s) => {
        const enc = s.options.EncryptionAtRestOptions as { KmsKeyId?: string } | undefined;
        return { name: s.name, template: { DomainName: s.name, ...s.options, ...(enc ? { EncryptionAtRestOptions: { ...enc, KmsKeyId: asTemplateKey(enc.KmsKeyId) } } : {}), Tags: tagList(s.tags) } };
      }),
      parameters,
    );
    // A template names a domain before it has an account: the same domain is `<account>/<name>` once it exists.
    const tpl = Object.fromEntries(Object.entries(declared).map(([k, v]) => [`${ACCOUNT}/${k}`, v]));
    // Assert
    expect(api).to.deep.equal(items);
    expect(tpl).to.deep.equal(items);
    expect(Object.keys(items)).to.have.length(states.length * 2);
    expect(new Set(Object.values(items))).to.deep.equal(new Set(['NON_COMPLIANT', 'COMPLIANT', 'NOT_APPLICABLE']));
  });

  describe('MemoryDB (not recorded by AWS Config: API and template)', () => {
    const clusters = [
      { name: 'good', tls: true, acl: 'phi-acl', key: KEY as string | undefined },
      { name: 'plain', tls: false, acl: 'open-access', key: undefined },
      { name: 'default-user', tls: true, acl: 'with-default', key: OFF_KEY },
      { name: 'default-key', tls: true, acl: 'phi-acl', key: undefined },
    ];
    const acls: Record<string, TemplateResource> = {
      PhiAcl: { type: 'AWS::MemoryDB::ACL', properties: { ACLName: 'phi-acl', UserNames: ['phi-app'] } },
      WithDefault: { type: 'AWS::MemoryDB::ACL', properties: { ACLName: 'with-default', UserNames: ['default', 'phi-app'] } },
      PhiApp: { type: 'AWS::MemoryDB::User', properties: { UserName: 'phi-app', AccessString: 'on ~* +@all', AuthenticationMode: { Type: 'password', Passwords: ['p'.repeat(16)] } } },
    };

    beforeEach(() => {
      const md = track(mockClient(MemoryDBClient));
      md.on(DescribeClustersCommand).resolves({
        Clusters: clusters.map((c) => ({
          Name: c.name,
          Status: 'available',
          ARN: `arn:aws:memorydb:${REGION}:${ACCOUNT}:cluster/${c.name}`,
          Engine: 'valkey',
          EngineVersion: '7.2',
          TLSEnabled: c.tls,
          ACLName: c.acl,
          ...(c.key ? { KmsKeyId: c.key } : {}),
        })),
      });
      md.on(DescribeACLsCommand).resolves({
        ACLs: [
          { Name: 'open-access', Status: 'active', UserNames: ['default'] },
          { Name: 'phi-acl', Status: 'active', UserNames: ['phi-app'] },
          { Name: 'with-default', Status: 'active', UserNames: ['default', 'phi-app'] },
        ],
      });
      md.on(DescribeMemoryDbUsersCommand).resolves({
        Users: [
          { Name: 'default', Status: 'active', AccessString: 'on ~* &* +@all', Authentication: { Type: 'no-password' } },
          { Name: 'phi-app', Status: 'active', AccessString: 'on ~* +@all', Authentication: { Type: 'password', PasswordCount: 1 } },
        ],
      });
      md.on(ListTagsCommand).resolves({ TagList: [] });
    });

    it('AWS::MemoryDB::Cluster: API and template give one verdict per state and rule', async () => {
      const api = await viaApi('AWS::MemoryDB::Cluster', {});
      const tpl = await viaTemplate(
        'AWS::MemoryDB::Cluster',
        clusters.map((c) => ({
          name: c.name,
          template: { ClusterName: c.name, NodeType: 'db.t4g.small', Engine: 'valkey', EngineVersion: '7.2', ACLName: c.acl, TLSEnabled: c.tls, ...(c.key ? { KmsKeyId: asTemplateKey(c.key) } : {}) },
        })),
        {},
        acls,
      );
      expect(tpl).to.deep.equal(api);
      expect(api).to.deep.equal({
        'good memorydb-encrypted-in-transit': 'COMPLIANT',
        'plain memorydb-encrypted-in-transit': 'NON_COMPLIANT',
        'default-user memorydb-encrypted-in-transit': 'COMPLIANT',
        'default-key memorydb-encrypted-in-transit': 'COMPLIANT',
        'good memorydb-auth-enabled': 'COMPLIANT',
        'plain memorydb-auth-enabled': 'NON_COMPLIANT',
        'default-user memorydb-auth-enabled': 'NON_COMPLIANT',
        'default-key memorydb-auth-enabled': 'COMPLIANT',
        'good memorydb-encrypted-at-rest': 'COMPLIANT',
        'plain memorydb-encrypted-at-rest': 'NON_COMPLIANT',
        'default-user memorydb-encrypted-at-rest': 'NON_COMPLIANT',
        'default-key memorydb-encrypted-at-rest': 'NON_COMPLIANT',
      });
    });
  });

  describe('RDS, Aurora, DocumentDB, Neptune (one RDS API; configuration item, API and template)', () => {
    // DescribeDBParameters for the custom group `tls-on`: rds.force_ssl 1 (aws-sdk-client-mock, shapes of the SDK).
    const TLS_GROUP: TemplateResource = { type: 'AWS::RDS::DBParameterGroup', properties: { Family: 'postgres14', Description: 'tls', Parameters: { 'rds.force_ssl': '1' } } };
    const instances = [
      { name: 'open', engine: 'postgres', version: '14.12', encrypted: false, key: undefined, group: undefined },
      { name: 'sealed', engine: 'postgres', version: '14.12', encrypted: true, key: KEY, group: 'tls-on' },
      { name: 'off-key', engine: 'mysql', version: '8.0.39', encrypted: true, key: OFF_KEY, group: undefined },
      { name: 'pg16', engine: 'postgres', version: '16.4', encrypted: true, key: 'alias/aws/rds', group: undefined },
    ];
    const defaultGroup = (engine: string, version: string) => `default.${engine}${engine === 'postgres' ? version.split('.')[0] : version.split('.').slice(0, 2).join('.')}`;

    it('AWS::RDS::DBInstance: configuration item, API and template give one verdict per state and rule', async () => {
      // Arrange
      const parameters = { 'rds-encrypted-at-rest': { requireCustomerManagedKey: 'true' } };
      const rds = track(mockClient(RDSClient));
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: instances.map((i) => ({
          DBInstanceIdentifier: i.name,
          DbiResourceId: i.name,
          Engine: i.engine,
          EngineVersion: i.version,
          StorageEncrypted: i.encrypted,
          ...(i.encrypted ? { KmsKeyId: i.key } : {}),
          DBParameterGroups: [{ DBParameterGroupName: i.group ?? defaultGroup(i.engine, i.version), ParameterApplyStatus: 'in-sync' }],
          TagList: [],
        })),
      });
      rds.on(DescribeDBParametersCommand, { DBParameterGroupName: 'tls-on' }).resolves({ Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: '1', ApplyType: 'dynamic' }] });
      // Act
      const api = await viaApi('AWS::RDS::DBInstance', parameters);
      const items = await viaItems(
        'AWS::RDS::DBInstance',
        instances.map((i) => ({
          ...eventStyleItem({
            resourceType: 'AWS::RDS::DBInstance',
            name: i.name,
            arn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${i.name}`,
            configuration: {
              dBInstanceIdentifier: i.name,
              engine: i.engine,
              engineVersion: i.version,
              storageEncrypted: i.encrypted,
              kmsKeyId: i.encrypted ? i.key : null,
              dBParameterGroups: [{ dBParameterGroupName: i.group ?? defaultGroup(i.engine, i.version), parameterApplyStatus: 'in-sync' }],
            },
          }),
          resourceId: i.name,
        })),
        parameters,
      );
      const tpl = await viaTemplate(
        'AWS::RDS::DBInstance',
        instances.map((i) => ({
          name: i.name,
          template: {
            DBInstanceIdentifier: i.name,
            Engine: i.engine,
            EngineVersion: i.version,
            StorageEncrypted: i.encrypted,
            ...(i.encrypted && i.key !== 'alias/aws/rds' ? { KmsKeyId: asTemplateKey(i.key) } : {}),
            ...(i.group ? { DBParameterGroupName: marker('!Ref TlsOn') } : {}),
          },
        })),
        parameters,
        { TlsOn: TLS_GROUP },
      );
      // Assert
      expect(api).to.deep.equal(items);
      expect(tpl).to.deep.equal(items);
      expect(items).to.deep.equal({
        'open rds-encrypted-at-rest': 'NON_COMPLIANT',
        'sealed rds-encrypted-at-rest': 'COMPLIANT',
        'off-key rds-encrypted-at-rest': 'NON_COMPLIANT',
        'pg16 rds-encrypted-at-rest': 'NON_COMPLIANT',
        'open rds-tls-enforced': 'NON_COMPLIANT',
        'sealed rds-tls-enforced': 'COMPLIANT',
        'off-key rds-tls-enforced': 'NON_COMPLIANT',
        'pg16 rds-tls-enforced': 'COMPLIANT',
      });
    });

    it('AWS::RDS::DBCluster: DocumentDB and Neptune from their own template types give the API\'s and the item\'s verdicts', async () => {
      const clusters = [
        { name: 'docs', engine: 'docdb', type: 'AWS::DocDB::DBCluster', version: '5.0.0', encrypted: true },
        { name: 'graph', engine: 'neptune', type: 'AWS::Neptune::DBCluster', version: '1.3.2.1', encrypted: false },
        { name: 'aurora', engine: 'aurora-mysql', type: 'AWS::RDS::DBCluster', version: '8.0.mysql_aurora.3.07.1', encrypted: true },
      ];
      const rds = track(mockClient(RDSClient));
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: clusters.map((c) => ({ DBClusterIdentifier: c.name, DbClusterResourceId: c.name, Engine: c.engine, EngineVersion: c.version, StorageEncrypted: c.encrypted, ...(c.encrypted ? { KmsKeyId: 'alias/aws/rds' } : {}), DBClusterParameterGroup: `default.${c.engine}`, DBClusterMembers: [], TagList: [] })),
      });
      const api = await viaApi('AWS::RDS::DBCluster', {});
      const items = await viaItems(
        'AWS::RDS::DBCluster',
        clusters.map((c) => ({
          ...eventStyleItem({
            resourceType: 'AWS::RDS::DBCluster',
            name: c.name,
            arn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${c.name}`,
            configuration: { dbclusterIdentifier: c.name, engine: c.engine, engineVersion: c.version, storageEncrypted: c.encrypted, kmsKeyId: c.encrypted ? 'alias/aws/rds' : null, dbclusterParameterGroup: `default.${c.engine}`, dbclusterMembers: [] },
          }),
          resourceId: c.name,
        })),
        {},
      );
      const tpl: Verdicts = {};
      for (const c of clusters) {
        const properties = { DBClusterIdentifier: c.name, EngineVersion: c.version, StorageEncrypted: c.encrypted, ...(c.type === 'AWS::RDS::DBCluster' ? { Engine: c.engine } : {}) };
        for (const v of await judgeProperties({ resourceType: c.type, logicalId: c.name, properties, now: NOW })) tpl[`${c.name} ${v.rule}`] = v.compliance;
      }
      expect(api).to.deep.equal(items);
      expect(tpl).to.deep.equal(items);
      expect(items).to.deep.include({ 'docs rds-tls-enforced': 'COMPLIANT', 'graph rds-tls-enforced': 'COMPLIANT', 'aurora rds-tls-enforced': 'NON_COMPLIANT', 'graph rds-encrypted-at-rest': 'NON_COMPLIANT' });
    });
  });

  it('AWS::OpenSearchServerless::Collection: API and template (EncryptionConfig, or the template\'s encryption policy) give one verdict per state and rule', async () => {
    // Arrange: the key as BatchGetCollection reports it (kmsKeyArn; auto for an AWS owned key) and as a template declares it
    const states: { name: string; kmsKeyArn: string; template: Record<string, unknown>; tags?: Record<string, string> }[] = [
      { name: 'owned', kmsKeyArn: 'auto', template: {} },
      { name: 'customer', kmsKeyArn: KEY, template: { EncryptionConfig: { KmsKeyArn: asTemplateKey(KEY) } } },
      { name: 'disabled', kmsKeyArn: OFF_KEY, template: {} },
      { name: 'exempt', kmsKeyArn: 'auto', template: { EncryptionConfig: { AWSOwnedKey: true } }, tags: { 'hipaa-safeguards:exempt': 'CHG-6' } },
    ];
    const policy = (name: string, rules: string[], key: Record<string, unknown>): TemplateResource => ({
      type: 'AWS::OpenSearchServerless::SecurityPolicy',
      properties: { Name: name, Type: 'encryption', Policy: JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: rules }], ...key }) },
    });
    const policies = {
      OwnedPolicy: policy('owned-enc', ['collection/own*'], { AWSOwnedKey: true }),
      DisabledKeyPolicy: policy('disabled-enc', ['collection/disabled'], { AWSOwnedKey: false, KmsARN: asTemplateKey(OFF_KEY) }),
    };
    const parameters = { 'opensearch-encrypted-at-rest': { requireCustomerManagedKey: 'true' } };
    const arn = (id: string) => `arn:aws:aoss:${REGION}:${ACCOUNT}:collection/${id}`;
    aoss.on(ListCollectionsCommand).resolves({ collectionSummaries: states.map((s) => ({ id: s.name, name: s.name, status: 'ACTIVE', arn: arn(s.name) })) });
    aoss.on(BatchGetCollectionCommand).resolves({ collectionDetails: states.map((s) => ({ id: s.name, name: s.name, arn: arn(s.name), status: 'ACTIVE', kmsKeyArn: s.kmsKeyArn })) });
    // The same rules list domains: none here.
    track(mockClient(OpenSearchClient)).on(ListDomainNamesCommand).resolves({ DomainNames: [] });
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: states.filter((s) => s.tags).map((s) => ({ ResourceARN: arn(s.name), Tags: tagList(s.tags) })) });
    // Act
    const api = await viaApi('AWS::OpenSearchServerless::Collection', parameters);
    const declared = await viaTemplate(
      'AWS::OpenSearchServerless::Collection',
      states.map((s) => ({ name: s.name, template: { Name: s.name, ...s.template, Tags: tagList(s.tags) } })),
      parameters,
      policies,
    );
    // A template names a collection; once it exists, its resource ID is its ARN (here the ID is the name).
    const tpl = Object.fromEntries(Object.entries(declared).map(([k, v]) => [arn(k.split(' ')[0] ?? '') + ' ' + k.split(' ')[1], v]));
    // Assert
    expect(tpl).to.deep.equal(api);
    expect(api).to.deep.include({
      [`${arn('owned')} opensearch-encrypted-at-rest`]: 'NON_COMPLIANT',
      [`${arn('customer')} opensearch-encrypted-at-rest`]: 'COMPLIANT',
      [`${arn('disabled')} opensearch-encrypted-at-rest`]: 'NON_COMPLIANT',
      [`${arn('exempt')} opensearch-encrypted-at-rest`]: 'NOT_APPLICABLE',
      [`${arn('owned')} opensearch-encrypted-in-transit`]: 'COMPLIANT',
    });
  });

  it('covers every resource type of the catalog', () => {
    const covered = [
      'AWS::Kinesis::Stream',
      'AWS::KinesisVideo::Stream',
      'AWS::KinesisFirehose::DeliveryStream',
      'AWS::ElastiCache::ReplicationGroup',
      'AWS::ElastiCache::CacheCluster',
      'AWS::ElastiCache::ServerlessCache',
      'AWS::OpenSearch::Domain',
      'AWS::OpenSearchServerless::Collection',
      'AWS::RDS::DBInstance',
      'AWS::RDS::DBCluster',
    ];
    // MSK: the cluster ID is its ARN from Config and the API, its name before deployment, so its sources are held to
    // one verdict by name in test/resources/msk.test.ts.
    covered.push('AWS::MSK::Cluster', 'AWS::MSK::ServerlessCluster');
    covered.push('AWS::MemoryDB::Cluster');
    // SQS and SNS: their sources (API, configuration item, template) are held to one verdict in test/resources/{sqs-queue,sns-topic}.test.ts.
    covered.push('AWS::SQS::Queue', 'AWS::SNS::Topic');
    expect([...new Set(catalog.flatMap((s) => s.resource.resourceTypes))].sort()).to.deep.equal([...covered].sort());
  });
});
