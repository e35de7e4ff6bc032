import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeUpdateActionsCommand,
  ElastiCacheClient,
  UserGroupNotFoundFault,
  type ServerlessCache as SdkServerlessCache,
  type UpdateAction,
} from '@aws-sdk/client-elasticache';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient } from 'aws-sdk-client-mock';
import sinon from 'sinon';
import type { NodeBasedCache, ServerlessCache } from '../../rules/resources/elasticache';
import { expect } from 'chai';
import { AwsClients } from '../../rules/runtime/clients';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { ACCOUNT, REGION } from './fixtures';
import { useMoto } from './moto';

/** An ElastiCache client on moto, for seeding. */
export function elastiCacheOn(endpoint: string): ElastiCacheClient {
  return new ElastiCacheClient({ region: REGION, endpoint, requestHandler: new NodeHttpHandler() });
}

export interface GroupSeed {
  id: string;
  engine?: 'redis' | 'valkey';
  /** Engine version of the member clusters. */
  version?: string;
  nodeType?: string;
  atRest?: boolean;
  kmsKeyId?: string;
  transit?: boolean;
  mode?: 'preferred' | 'required';
  authToken?: string;
  userGroupIds?: string[];
  clusterMode?: boolean;
  tags?: Record<string, string>;
}

const tagList = (tags: Record<string, string> = {}) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/**
 * Creates a replication group in moto the way AWS shows it: moto lists member IDs but creates no member clusters,
 * so Redis OSS members are created as cache clusters of the group (they carry the engine version). moto drops
 * ReplicationGroupId from non-redis clusters, so Valkey groups get no members (their version stays unknown).
 */
export async function createGroup(ec: ElastiCacheClient, s: GroupSeed): Promise<string[]> {
  const engine = s.engine ?? 'redis';
  const nodeType = s.nodeType ?? 'cache.r6g.large';
  const out = await ec.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: s.id,
      ReplicationGroupDescription: `seed ${s.id}`,
      Engine: engine,
      EngineVersion: s.version ?? '7.1',
      CacheNodeType: nodeType,
      ...(s.atRest !== undefined ? { AtRestEncryptionEnabled: s.atRest } : {}),
      ...(s.kmsKeyId ? { KmsKeyId: s.kmsKeyId } : {}),
      ...(s.transit !== undefined ? { TransitEncryptionEnabled: s.transit } : {}),
      ...(s.mode ? { TransitEncryptionMode: s.mode } : {}),
      ...(s.authToken ? { AuthToken: s.authToken } : {}),
      ...(s.userGroupIds ? { UserGroupIds: s.userGroupIds } : {}),
      ...(s.clusterMode ? { ClusterMode: 'enabled', NumNodeGroups: 2, ReplicasPerNodeGroup: 1 } : {}),
      Tags: tagList(s.tags),
    }),
  );
  const members = out.ReplicationGroup?.MemberClusters ?? [];
  if (engine === 'redis') {
    for (const m of members) {
      await ec.send(
        new CreateCacheClusterCommand({ CacheClusterId: m, ReplicationGroupId: s.id, Engine: 'redis', EngineVersion: s.version ?? '7.1', CacheNodeType: nodeType }),
      );
    }
  }
  return members;
}

export interface ClusterSeed {
  id: string;
  engine?: 'redis' | 'memcached';
  version?: string;
  nodeType?: string;
  transit?: boolean;
  authToken?: string;
  tags?: Record<string, string>;
}

export async function createCluster(ec: ElastiCacheClient, s: ClusterSeed): Promise<void> {
  await ec.send(
    new CreateCacheClusterCommand({
      CacheClusterId: s.id,
      Engine: s.engine ?? 'memcached',
      EngineVersion: s.version ?? '1.6.22',
      CacheNodeType: s.nodeType ?? 'cache.t4g.small',
      NumCacheNodes: 1,
      ...(s.transit !== undefined ? { TransitEncryptionEnabled: s.transit } : {}),
      ...(s.authToken ? { AuthToken: s.authToken } : {}),
      Tags: tagList(s.tags),
    }),
  );
}

export const arnOf = (kind: 'replicationgroup' | 'cluster' | 'serverlesscache' | 'usergroup', id: string) => `arn:aws:elasticache:${REGION}:${ACCOUNT}:${kind}:${id}`;

/** A DescribeServerlessCaches item (botocore model shape ServerlessCache), for the API moto lacks. */
export function sdkServerlessCache(o: Partial<SdkServerlessCache> & { ServerlessCacheName: string }): SdkServerlessCache {
  return {
    Description: 'serverless',
    CreateTime: new Date('2026-01-05T10:00:00Z'),
    Status: 'available',
    Engine: 'valkey',
    MajorEngineVersion: '8',
    FullEngineVersion: '8.0',
    ARN: arnOf('serverlesscache', o.ServerlessCacheName),
    SecurityGroupIds: ['sg-0123456789abcdef0'],
    SubnetIds: ['subnet-0123456789abcdef0'],
    ...o,
  };
}

/** A DescribeUpdateActions item (botocore model shape UpdateAction). */
export function sdkUpdateAction(o: Partial<UpdateAction> & { ServiceUpdateName: string }): UpdateAction {
  return {
    ServiceUpdateReleaseDate: new Date('2026-08-01T00:00:00Z'),
    ServiceUpdateSeverity: 'important',
    ServiceUpdateStatus: 'available',
    ServiceUpdateType: 'security-update',
    UpdateActionStatus: 'not-applied',
    Engine: 'redis',
    ...o,
  };
}

/** Normalized views for pure `evaluate` tests. */
export function groupView(o: Partial<NodeBasedCache> = {}): NodeBasedCache {
  return {
    kind: 'replicationGroup',
    id: 'phi-sessions',
    resourceType: 'AWS::ElastiCache::ReplicationGroup',
    arn: arnOf('replicationgroup', o.id ?? 'phi-sessions'),
    status: 'available',
    engine: 'redis',
    clusterMode: 'disabled',
    memberClusters: ['phi-sessions-001', 'phi-sessions-002'],
    engineVersion: '7.1.0',
    engineVersions: ['7.1.0'],
    nodeTypes: ['cache.r6g.large'],
    atRestEncryptionEnabled: true,
    transitEncryptionEnabled: true,
    transitEncryptionMode: 'required',
    authTokenEnabled: true,
    userGroupIds: [],
    tags: {},
    tagsUnreadable: false,
    missingFields: [],
    ...o,
  };
}

export function clusterView(o: Partial<NodeBasedCache> = {}): NodeBasedCache {
  return {
    kind: 'cacheCluster',
    id: 'lab-cache',
    resourceType: 'AWS::ElastiCache::CacheCluster',
    arn: arnOf('cluster', o.id ?? 'lab-cache'),
    status: 'available',
    engine: 'redis',
    memberClusters: [],
    engineVersion: '7.1.0',
    engineVersions: ['7.1.0'],
    nodeTypes: ['cache.t4g.small'],
    atRestEncryptionEnabled: false,
    transitEncryptionEnabled: true,
    authTokenEnabled: true,
    userGroupIds: [],
    tags: {},
    tagsUnreadable: false,
    missingFields: [],
    ...o,
  };
}

export function serverlessView(o: Partial<ServerlessCache> = {}): ServerlessCache {
  return {
    kind: 'serverlessCache',
    id: 'claims-cache',
    resourceType: 'AWS::ElastiCache::ServerlessCache',
    arn: arnOf('serverlesscache', o.id ?? 'claims-cache'),
    status: 'available',
    engine: 'valkey',
    engineVersion: '8.0',
    userGroupId: 'phi-users',
    tags: {},
    tagsUnreadable: false,
    missingFields: [],
    ...o,
  };
}

/**
 * Answers what moto lacks for serverless caches: DescribeServerlessCaches (these caches) and ListTagsForResource
 * on serverless ARNs (moto rejects them as InvalidARN); DescribeUpdateActions and DescribeUserGroups when given.
 * Every other call goes to moto. Restore with sinon.restore().
 */
export function fakeMissingElastiCacheApis(o: {
  serverless?: SdkServerlessCache[];
  serverlessTags?: Record<string, Record<string, string>>;
  updateActions?: UpdateAction[];
  userGroups?: Record<string, string[]>;
}): { calls: string[] } {
  const calls: string[] = [];
  const original = ElastiCacheClient.prototype.send as (this: unknown, c: unknown) => Promise<unknown>;
  sinon.stub(ElastiCacheClient.prototype, 'send').callsFake(function (this: unknown, c: unknown) {
    const cmd = c as { constructor: { name: string }; input: Record<string, unknown> };
    const name = cmd.constructor.name.replace(/Command$/, '');
    calls.push(name);
    if (name === 'DescribeServerlessCaches' && o.serverless) return Promise.resolve({ ServerlessCaches: o.serverless });
    if (name === 'ListTagsForResource' && String(cmd.input.ResourceName).includes(':serverlesscache:')) {
      const id = String(cmd.input.ResourceName).split(':').at(-1) ?? '';
      return Promise.resolve({ TagList: tagList(o.serverlessTags?.[id]) });
    }
    if (name === 'DescribeUpdateActions' && o.updateActions) return Promise.resolve({ UpdateActions: o.updateActions });
    if (name === 'DescribeUserGroups' && o.userGroups) {
      const id = String(cmd.input.UserGroupId);
      const userIds = o.userGroups[id];
      if (!userIds) return Promise.reject(new UserGroupNotFoundFault({ message: `User group ${id} not found.`, $metadata: {} }));
      return Promise.resolve({ UserGroups: [{ UserGroupId: id, Status: 'active', Engine: 'redis', UserIds: userIds, ARN: arnOf('usergroup', id) }] });
    }
    return original.call(this, c);
  } as never);
  return { calls };
}

/** An ElastiCache API with no resources at all (mocked), for the no-resource case. */
export function emptyElastiCache() {
  const ec = mockClient(ElastiCacheClient);
  ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [] });
  ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [] });
  ec.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [] });
  ec.on(DescribeUpdateActionsCommand).resolves({ UpdateActions: [] });
  return ec;
}

/**
 * The moto server and clients a rule's runtime tests use (reset before each test, fakes restored after), plus the
 * case every ElastiCache rule shares: no resource in the account gives no verdict and no failure.
 * @example const env = elastiCacheRuntime((clients) => judgeAll(rule, params, newJudgeContext(clients, NOW)));
 */
export function elastiCacheRuntime(judgeEmpty: (clients: AwsClients) => Promise<unknown>): { moto: MotoServer; clients: AwsClients } {
  const env = {} as { moto: MotoServer; clients: AwsClients };
  beforeEach(async () => {
    env.moto = await useMoto();
    env.clients = new AwsClients({ region: REGION, endpoint: env.moto.endpoint, maxAttempts: 1 });
  });
  afterEach(() => sinon.restore());

  it('gives no verdict when the account has no ElastiCache resource', async () => {
    const ec = emptyElastiCache();
    try {
      expect(await judgeEmpty(env.clients)).to.deep.equal({ judged: [], failures: [], skipped: [] });
    } finally {
      ec.restore();
    }
  });
  return env;
}
