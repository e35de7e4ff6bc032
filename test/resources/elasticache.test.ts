import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateUserCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeUpdateActionsCommand,
  DescribeUserGroupsCommand,
  ElastiCacheClient,
  ElastiCacheServiceException,
  InvalidReplicationGroupStateFault,
  ListTagsForResourceCommand,
  ReplicationGroupNotFoundFault,
  UserGroupNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import sinon from 'sinon';
import * as z from 'zod';
import {
  CacheClusterSchema,
  type ElastiCacheResource,
  ReplicationGroupSchema,
  ServerlessCacheSchema,
  UpdateActionSchema,
  UserSchema,
  accessStringEnabled,
  compareVersions,
  describeUser,
  describeUserGroup,
  elastiCacheLabel,
  elastiCacheResource,
  listPendingSecurityUpdates,
  parseVersion,
  pendingSecurityUpdates,
  userFacts,
} from '../../rules/resources/elasticache';
import { AwsClients } from '../../rules/runtime/clients';
import { UnreadableResource } from '../../rules/runtime/safeguard';
import { NonAwsResponseError } from '../../rules/runtime/aws-errors';
import { InvalidResponseError } from '../../rules/runtime/errors';
import { Lookup } from '../../rules/runtime/lookup';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { arnOf, createCluster, createGroup, elastiCacheOn, groupView, sdkServerlessCache, sdkUpdateAction, serverlessView } from '../helpers/elasticache';
import { REFERENCE_DIR } from '../helpers/fixtures';
import { interceptClient } from '../helpers/intercept';
import { leafPaths } from '../helpers/schema-paths';
import { useMoto } from '../helpers/moto';
import { type TaggingMock, taggingDenied } from '../helpers/tagging';

const KMS_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Every view a lister yields; an unreadable resource fails the test with its error (see collectAll). */
async function collect<T>(items: AsyncIterable<T | UnreadableResource>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) {
    if (i instanceof UnreadableResource) throw i.error;
    out.push(i);
  }
  return out;
}

function lister(resourceType: string) {
  const found = elastiCacheResource.listers.find((l) => l.resourceType === resourceType);
  if (!found) throw new Error(`no lister for ${resourceType}`);
  return found;
}
const listGroups = (c: AwsClients) => collect(lister('AWS::ElastiCache::ReplicationGroup').list(c));
const listClusters = (c: AwsClients) => collect(lister('AWS::ElastiCache::CacheCluster').list(c));
const listServerless = (c: AwsClients) => collect(lister('AWS::ElastiCache::ServerlessCache').list(c));
/** Everything a lister yields, unreadable resources included. */
async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) out.push(i);
  return out;
}
const listGroupsAll = (c: AwsClients) => collectAll(lister('AWS::ElastiCache::ReplicationGroup').list(c));
const listClustersAll = (c: AwsClients) => collectAll(lister('AWS::ElastiCache::CacheCluster').list(c));
const listServerlessAll = (c: AwsClients) => collectAll(lister('AWS::ElastiCache::ServerlessCache').list(c));

/** Inputs of every `command` call, copied when sent (paginators reuse and change one input object). */
function recordInputs(command: string): Record<string, unknown>[] {
  const inputs: Record<string, unknown>[] = [];
  const original = ElastiCacheClient.prototype.send as (this: unknown, c: unknown) => Promise<unknown>;
  sinon.stub(ElastiCacheClient.prototype, 'send').callsFake(function (this: unknown, c: unknown) {
    const cmd = c as { constructor: { name: string }; input: Record<string, unknown> };
    if (cmd.constructor.name === `${command}Command`) inputs.push(structuredClone(cmd.input));
    return original.call(this, c);
  } as never);
  return inputs;
}

const fault = <T>(Fault: new (o: { message: string; $metadata: object }) => T, message = 'simulated') => new Fault({ message, $metadata: {} });

describe('resources/elasticache', () => {
  it('reads only fields that the ElastiCache API model (botocore 2015-02-02) defines', () => {
    // Arrange
    const model = JSON.parse(readFileSync(join(REFERENCE_DIR, 'F-botocore-service-models', 'elasticache-2015-02-02.service-2.json'), 'utf8')) as {
      shapes: Record<string, { members?: Record<string, { shape: string }> }>;
    };
    const memberPath = (shape: string, path: string[]): boolean => {
      const [head, ...rest] = path;
      const member = head === undefined ? undefined : model.shapes[shape]?.members?.[head];
      if (!member) return false;
      return rest.length === 0 || memberPath(member.shape, rest);
    };
    const cases: [z.core.$ZodType, string][] = [
      [ReplicationGroupSchema, 'ReplicationGroup'],
      [CacheClusterSchema, 'CacheCluster'],
      [ServerlessCacheSchema, 'ServerlessCache'],
      [UpdateActionSchema, 'UpdateAction'],
      [UserSchema, 'User'],
    ];
    for (const [schema, shape] of cases) {
      // Act
      const paths = leafPaths(schema, shape).map((p) => p.split('.').slice(1));
      // Assert
      for (const p of paths) expect(memberPath(shape, p), `${shape}.${p.join('.')}`).to.equal(true);
    }
  });

  describe('listing on moto', function () {
    this.timeout(120_000);
    let moto: MotoServer;
    let clients: AwsClients;
    beforeEach(async () => {
      moto = await useMoto();
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
    });
    afterEach(() => sinon.restore());

    it('builds a replication group from the group and its member clusters: version, node type, encryption, token, tags', async () => {
      // Arrange
      const ec = elastiCacheOn(moto.endpoint);
      await createGroup(ec, {
        id: 'phi-sessions',
        version: '6.2.6',
        nodeType: 'cache.r6g.large',
        atRest: true,
        kmsKeyId: KMS_ARN,
        transit: true,
        mode: 'preferred',
        authToken: 'a-very-long-auth-token-1234',
        tags: { team: 'ehr', 'hipaa-safeguards:exempt': 'CHG-9' },
      });
      // Act
      const groups = await listGroups(clients);
      // Assert
      expect(groups).to.deep.equal([
        {
          kind: 'replicationGroup',
          id: 'phi-sessions',
          resourceType: 'AWS::ElastiCache::ReplicationGroup',
          arn: arnOf('replicationgroup', 'phi-sessions'),
          status: 'available',
          engine: 'redis',
          clusterMode: 'disabled',
          memberClusters: ['phi-sessions-001'],
          missingFields: [],
          engineVersion: '6.2.6',
          engineVersions: ['6.2.6'],
          nodeTypes: ['cache.r6g.large'],
          atRestEncryptionEnabled: true,
          kmsKeyId: KMS_ARN,
          transitEncryptionEnabled: true,
          transitEncryptionMode: 'preferred',
          authTokenEnabled: true,
          userGroupIds: [],
          tags: { team: 'ehr', 'hipaa-safeguards:exempt': 'CHG-9' },
          tagsUnreadable: false,
        },
      ]);
    });

    it('reads a Valkey group with cluster mode enabled (moto creates no member clusters, so no version)', async () => {
      await createGroup(elastiCacheOn(moto.endpoint), { id: 'valkey-cm', engine: 'valkey', clusterMode: true, userGroupIds: ['phi-users'] });
      const [group] = await listGroups(clients);
      expect(group).to.deep.include({
        engine: 'valkey',
        clusterMode: 'enabled',
        memberClusters: ['valkey-cm-0001-001', 'valkey-cm-0001-002', 'valkey-cm-0002-001', 'valkey-cm-0002-002'],
        engineVersions: [],
        userGroupIds: ['phi-users'],
        atRestEncryptionEnabled: false,
        transitEncryptionEnabled: false,
      });
      expect(group).to.not.have.property('engineVersion');
    });

    it('lists standalone cache clusters only, not the member clusters of a group', async () => {
      // Arrange: moto ignores ShowCacheClustersNotInReplicationGroups, so the adapter must filter too
      const ec = elastiCacheOn(moto.endpoint);
      await createGroup(ec, { id: 'grp' });
      await createCluster(ec, { id: 'mc-tls', engine: 'memcached', version: '1.6.22', transit: true, tags: { app: 'lab' } });
      const spy = interceptClient(ElastiCacheClient, {});
      // Act
      const clusters = await listClusters(clients);
      // Assert
      expect(clusters).to.deep.equal([
        {
          kind: 'cacheCluster',
          id: 'mc-tls',
          resourceType: 'AWS::ElastiCache::CacheCluster',
          arn: arnOf('cluster', 'mc-tls'),
          status: 'available',
          engine: 'memcached',
          memberClusters: [],
          missingFields: [],
          engineVersion: '1.6.22',
          engineVersions: ['1.6.22'],
          nodeTypes: ['cache.t4g.small'],
          atRestEncryptionEnabled: false,
          transitEncryptionEnabled: true,
          authTokenEnabled: false,
          userGroupIds: [],
          tags: { app: 'lab' },
          tagsUnreadable: false,
        },
      ]);
      expect(spy.of('DescribeCacheClusters')[0]).to.include({ ShowCacheClustersNotInReplicationGroups: true, MaxRecords: 100 });
    });

    it('reads every page: more than 100 replication groups', async () => {
      // Arrange
      const ec = elastiCacheOn(moto.endpoint);
      const ids = Array.from({ length: 130 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
      for (const id of ids) await createGroup(ec, { id, engine: 'valkey' });
      const calls = recordInputs('DescribeReplicationGroups');
      // Act
      const groups = await listGroups(clients);
      // Assert
      expect(groups.map((g) => g.id).sort()).to.deep.equal(ids);
      expect(calls).to.have.length(2);
      expect(calls[0]).to.deep.include({ MaxRecords: 100, Marker: undefined });
      expect(calls[1]?.Marker).to.be.a('string').and.not.equal('');
    });

    it('reports a group being deleted with its status', async () => {
      const ec = elastiCacheOn(moto.endpoint);
      await createGroup(ec, { id: 'leaving' });
      await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'leaving' }));
      const [group] = await listGroups(clients);
      expect(group?.status).to.equal('deleting');
      expect(elastiCacheLabel(group as ElastiCacheResource)).to.equal('Replication group leaving (deleting)');
    });

    it('fails the serverless kind with a non-AWS response: moto answers an HTML 500 page for DescribeServerlessCaches', async () => {
      const err = await listServerless(clients).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NonAwsResponseError);
      expect((err as Error).message).to.equal(
        'ElastiCache.DescribeServerlessCaches: the endpoint returned a non-AWS response (HTTP 500, text/html; charset=utf-8).',
      );
    });
  });

  describe('listing (mocked API: shapes from the botocore model)', () => {
    let ec: ReturnType<typeof mockClient>;
    let tagging: TaggingMock;
    const clients = new AwsClients({ region: 'us-east-1', maxAttempts: 1 });
    beforeEach(() => {
      ec = mockClient(ElastiCacheClient);
      ec.on(ListTagsForResourceCommand).resolves({ TagList: [] });
      // Per resource unless a test answers GetResources: the caller may not call tag:GetResources.
      tagging = taggingDenied();
    });
    afterEach(() => {
      ec.restore();
      tagging.restore();
    });

    const rg = (id: string, o: Record<string, unknown> = {}) => ({
      ReplicationGroupId: id,
      Status: 'available',
      ARN: arnOf('replicationgroup', id),
      Engine: 'redis',
      CacheNodeType: 'cache.r6g.large',
      MemberClusters: [`${id}-001`],
      ...o,
    });
    const member = (id: string, group: string, o: Record<string, unknown> = {}) => ({
      CacheClusterId: id,
      CacheClusterStatus: 'available',
      ARN: arnOf('cluster', id),
      Engine: 'redis',
      EngineVersion: '7.1.0',
      CacheNodeType: 'cache.r6g.large',
      ReplicationGroupId: group,
      ...o,
    });

    it('reads serverless caches on every page, with lower-case status', async () => {
      // Arrange
      ec.on(DescribeServerlessCachesCommand)
        .resolvesOnce({ ServerlessCaches: [sdkServerlessCache({ ServerlessCacheName: 'claims', Status: 'CREATING', KmsKeyId: KMS_ARN })], NextToken: 'p2' })
        .resolves({ ServerlessCaches: [sdkServerlessCache({ ServerlessCacheName: 'notes', Engine: 'redis', FullEngineVersion: undefined, MajorEngineVersion: '7', UserGroupId: 'ug-1' })] });
      // Act
      const caches = await listServerless(clients);
      // Assert
      const { userGroupId: _none, ...claims } = serverlessView({ id: 'claims', status: 'creating', kmsKeyId: KMS_ARN });
      expect(caches).to.deep.equal([claims, serverlessView({ id: 'notes', engine: 'redis', engineVersion: '7', userGroupId: 'ug-1' })]);
      expect(ec.commandCalls(DescribeServerlessCachesCommand)[1]?.args[0].input).to.deep.equal({ MaxResults: 100, NextToken: 'p2' });
    });

    it('gives a creating group its verdict inputs even though ListTagsForResource refuses to answer', async () => {
      // Arrange: AWS reads tags only for available resources
      ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('new-grp', { Status: 'creating' })] });
      ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [member('new-grp-001', 'new-grp', { CacheClusterStatus: 'creating' })] });
      ec.on(ListTagsForResourceCommand).rejects(fault(InvalidReplicationGroupStateFault, 'Replication group new-grp is not available'));
      // Act
      const [group] = await listGroups(clients);
      // Assert
      expect(group).to.deep.include({ status: 'creating', tags: {}, tagsUnreadable: true, engineVersion: '7.1.0' });
      expect(elastiCacheLabel(group as ElastiCacheResource)).to.equal('Replication group new-grp (creating; exemption tags unreadable)');
    });

    it('reads a creating group\'s exemption in bulk (tag:GetResources answers whatever the status), one call for the kind', async () => {
      // Arrange: ListTagsForResource would refuse; GetResources returns the group among every tagged replication group
      ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('new-grp', { Status: 'creating' }), rg('plain')] });
      ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [member('new-grp-001', 'new-grp'), member('plain-001', 'plain')] });
      ec.on(ListTagsForResourceCommand).rejects(fault(InvalidReplicationGroupStateFault, 'Replication group new-grp is not available'));
      tagging.reset();
      tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: arnOf('replicationgroup', 'new-grp'), Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-9' }] }] });
      // Act
      const groups = await listGroups(clients);
      // Assert
      expect(groups.map((g) => [g.id, g.tags, g.tagsUnreadable])).to.deep.equal([
        ['new-grp', { 'hipaa-safeguards:exempt': 'CHG-9' }, false],
        ['plain', {}, false],
      ]);
      expect(ec.commandCalls(ListTagsForResourceCommand)).to.have.length(0);
      expect(tagging.commandCalls(GetResourcesCommand).map((c) => c.args[0].input.ResourceTypeFilters)).to.deep.equal([['elasticache:replicationgroup']]);
    });

    it('skips a group deleted between the listing and its tags', async () => {
      ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('gone'), rg('here')] });
      ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [member('gone-001', 'gone'), member('here-001', 'here')] });
      ec.on(ListTagsForResourceCommand, { ResourceName: arnOf('replicationgroup', 'gone') }).rejects(fault(ReplicationGroupNotFoundFault));
      const groups = await listGroups(clients);
      expect(groups.map((g) => g.id)).to.deep.equal(['here']);
    });

    it('takes the lowest member version and every distinct node type of a group mid-upgrade', async () => {
      ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('mixed', { MemberClusters: ['m-1', 'm-2', 'm-3'] })] });
      ec.on(DescribeCacheClustersCommand).resolves({
        CacheClusters: [
          member('m-1', 'mixed', { EngineVersion: '6.2.6' }),
          member('m-2', 'mixed', { EngineVersion: '6.0.5', CacheNodeType: 'cache.m3.medium' }),
          member('m-3', 'mixed', { EngineVersion: '6.2.6' }),
          member('other', 'elsewhere', { EngineVersion: '2.8.24' }),
        ],
      });
      const [group] = await listGroups(clients);
      expect(group).to.deep.include({ engineVersion: '6.0.5', engineVersions: ['6.0.5', '6.2.6'], nodeTypes: ['cache.r6g.large', 'cache.m3.medium'] });
    });

    it('takes the engine from the member clusters when the group does not report it (older API)', async () => {
      ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('old', { Engine: undefined, CacheNodeType: undefined })] });
      ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [member('old-001', 'old', { EngineVersion: '4.0.10', CacheNodeType: 'cache.r4.large' })] });
      const [group] = await listGroups(clients);
      expect(group).to.deep.include({ engine: 'redis', engineVersion: '4.0.10', nodeTypes: ['cache.r4.large'] });
    });

    it('describes no cache clusters when there is no replication group', async () => {
      ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [] });
      expect(await listGroups(clients)).to.deep.equal([]);
      expect(ec.commandCalls(DescribeCacheClustersCommand)).to.have.length(0);
    });

    const incomplete = [
      {
        what: 'a replication group without ARN',
        arrange: () => ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('no-arn', { ARN: undefined })] }),
        list: listGroupsAll,
        message: 'DescribeReplicationGroups returned an incomplete ReplicationGroup no-arn: ReplicationGroup.ARN: Invalid input: expected string, received undefined.',
      },
      {
        what: 'a cache cluster without Engine',
        arrange: () => ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [member('c1', '', { ReplicationGroupId: undefined, Engine: undefined })] }),
        list: listClustersAll,
        message: 'DescribeCacheClusters returned an incomplete CacheCluster c1: CacheCluster.Engine: Invalid input: expected string, received undefined.',
      },
      {
        what: 'a serverless cache without Status',
        arrange: () => ec.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [sdkServerlessCache({ ServerlessCacheName: 's1', Status: undefined })] }),
        list: listServerlessAll,
        message: 'DescribeServerlessCaches returned an incomplete ServerlessCache s1: ServerlessCache.Status: Invalid input: expected string, received undefined.',
      },
      {
        what: 'a group with neither Engine nor a listed member cluster',
        arrange: () => {
          ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('bare', { Engine: undefined })] });
          ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [] });
        },
        list: listGroupsAll,
        message:
          'DescribeReplicationGroups returned replication group bare without Engine, and DescribeCacheClusters listed none of its member clusters (bare-001).',
      },
    ];
    for (const c of incomplete) {
      it(`fails that resource only, with a message naming the missing field: ${c.what}`, async () => {
        c.arrange();
        const [item, ...rest] = await c.list(clients);
        expect(rest).to.deep.equal([]);
        expect(item).to.be.instanceOf(UnreadableResource);
        expect((item as UnreadableResource).error).to.be.instanceOf(InvalidResponseError);
        expect((item as UnreadableResource).error.message).to.equal(c.message);
      });
    }

    it('marks EngineVersion and CacheNodeType unknown when one cluster\'s answer leaves them out, and still lists the others', async () => {
      // Arrange
      ec.on(DescribeCacheClustersCommand).resolves({
        CacheClusters: [
          member('partial', '', { ReplicationGroupId: undefined, EngineVersion: undefined, CacheNodeType: undefined }),
          member('whole', '', { ReplicationGroupId: undefined }),
        ],
      });
      // Act
      const [partial, whole] = await listClusters(clients);
      // Assert
      expect(partial).to.deep.include({ id: 'partial', engineVersions: [], nodeTypes: [], missingFields: ['EngineVersion', 'CacheNodeType'] });
      expect(partial).to.not.have.property('engineVersion');
      expect(whole).to.deep.include({ id: 'whole', engineVersion: '7.1.0', missingFields: [] });
    });

    it('marks a group\'s EngineVersion unknown when a member\'s answer leaves it out', async () => {
      ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [rg('g', { MemberClusters: ['g-1', 'g-2'] })] });
      ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [member('g-1', 'g', { EngineVersion: '7.1.0' }), member('g-2', 'g', { EngineVersion: undefined })] });
      const [group] = await listGroups(clients);
      expect(group).to.deep.include({ engineVersions: ['7.1.0'], missingFields: ['EngineVersion'] });
    });

    it('lets an access error on tags fail the kind instead of dropping exemptions', async () => {
      ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [member('c1', '', { ReplicationGroupId: undefined })] });
      ec.on(ListTagsForResourceCommand).rejects(
        new ElastiCacheServiceException({ name: 'AccessDenied', $fault: 'client', message: 'not authorized', $metadata: { httpStatusCode: 403 } }),
      );
      const err = await listClusters(clients).catch((e: unknown) => e);
      expect((err as Error).name).to.equal('AccessDenied');
    });
  });

  describe('elastiCacheLabel', () => {
    const cases: [ElastiCacheResource, string][] = [
      [groupView({ id: 'g' }), 'Replication group g'],
      [groupView({ id: 'g', kind: 'cacheCluster', status: 'snapshotting' }), 'Cache cluster g (snapshotting)'],
      [serverlessView({ id: 's', status: 'creating', tagsUnreadable: true }), 'Serverless cache s (creating; exemption tags unreadable)'],
    ];
    for (const [resource, label] of cases) it(`names ${label}`, () => expect(elastiCacheLabel(resource)).to.equal(label));
  });

  describe('versions and access strings', () => {
    const compare: [string, string, number][] = [
      ['3.2.6', '4.0.10', -1],
      ['4.0.9', '4.0.10', -1],
      ['4.0.10', '4.0.10', 0],
      ['7.1', '7.1.0', 0],
      ['6.x', '6.0', 0],
      ['10.0.0', '9.9.9', 1],
    ];
    for (const [a, b, sign] of compare) it(`compares ${a} with ${b}`, () => expect(Math.sign(compareVersions(a, b))).to.equal(sign));
    it('reads no version from text without digits', () => expect(parseVersion('latest')).to.equal(undefined));

    const access: [string, boolean][] = [
      ['on ~* +@all', true],
      ['off ~* +@all', false],
      ['~* +@all', false],
      ['on ~app:* -@all +get off', false],
    ];
    for (const [s, on] of access) it(`reads "${s}" as ${on ? 'on' : 'off'}`, () => expect(accessStringEnabled(s)).to.equal(on));
  });

  describe('lookups', function () {
    this.timeout(60_000);
    let moto: MotoServer;
    beforeEach(async () => {
      moto = await useMoto();
    });
    afterEach(() => sinon.restore());

    it('reads the built-in default user from moto as switched on without a password', async () => {
      const user = await describeUser(elastiCacheOn(moto.endpoint), 'default');
      expect(user).to.deep.equal({ kind: 'resolved', id: 'default', name: 'default', authenticationType: 'no-password', enabled: true });
    });

    it('reads a password user from moto, and an unknown user as unresolved', async () => {
      const ec = elastiCacheOn(moto.endpoint);
      await ec.send(new CreateUserCommand({ UserId: 'app', UserName: 'app', Engine: 'redis', AccessString: 'on ~app:* +@read', Passwords: ['a-long-password-123456'] }));
      expect(await describeUser(ec, 'app')).to.deep.equal({ kind: 'resolved', id: 'app', name: 'app', authenticationType: 'password', enabled: true });
      expect(await describeUser(ec, 'nobody')).to.deep.equal({ kind: 'unresolved', id: 'nobody', reason: 'DescribeUsers failed: UserNotFoundFault' });
    });

    it('reads a user group, and a missing one as unresolved (DescribeUserGroups mocked: moto lacks it)', async () => {
      const ec = mockClient(ElastiCacheClient);
      try {
        ec.on(DescribeUserGroupsCommand, { UserGroupId: 'phi-users' }).resolves({
          UserGroups: [{ UserGroupId: 'phi-users', Status: 'active', Engine: 'redis', UserIds: ['default', 'app'], MinimumEngineVersion: '6.0', ARN: 'arn:aws:elasticache:us-east-1:123456789012:usergroup:phi-users' }],
        });
        ec.on(DescribeUserGroupsCommand, { UserGroupId: 'gone' }).rejects(fault(UserGroupNotFoundFault));
        const client = new ElastiCacheClient({ region: 'us-east-1' });
        expect(await describeUserGroup(client, 'phi-users')).to.deep.equal({ kind: 'resolved', id: 'phi-users', userIds: ['default', 'app'] });
        expect(await describeUserGroup(client, 'gone')).to.deep.equal({ kind: 'unresolved', id: 'gone', reason: 'DescribeUserGroups failed: UserGroupNotFoundFault' });
      } finally {
        ec.restore();
      }
    });

    it('lists pending security updates on every page with the filters sent, and keeps only unfinished security updates', async () => {
      // Arrange
      const ec = mockClient(ElastiCacheClient);
      try {
        const due = new Date('2026-10-01T00:00:00Z');
        const pages = [
          {
            UpdateActions: [
              sdkUpdateAction({ ServiceUpdateName: 'sec-1', ReplicationGroupId: 'g1', ServiceUpdateRecommendedApplyByDate: due }),
              sdkUpdateAction({ ServiceUpdateName: 'done', ReplicationGroupId: 'g1', UpdateActionStatus: 'complete' }),
            ],
            Marker: 'm2',
          },
          {
            UpdateActions: [
              sdkUpdateAction({ ServiceUpdateName: 'sec-2', CacheClusterId: 'c1', UpdateActionStatus: 'stopped' }),
              sdkUpdateAction({ ServiceUpdateName: 'cancelled', CacheClusterId: 'c1', ServiceUpdateStatus: 'cancelled' }),
            ],
          },
        ];
        const inputs: Record<string, unknown>[] = [];
        ec.on(DescribeUpdateActionsCommand).callsFake((input: Record<string, unknown>) => {
          inputs.push(structuredClone(input));
          return pages[inputs.length - 1];
        });
        // Act
        const updates = await listPendingSecurityUpdates(new ElastiCacheClient({ region: 'us-east-1' }));
        // Assert
        expect(updates).to.deep.equal([
          { serviceUpdateName: 'sec-1', replicationGroupId: 'g1', status: 'not-applied', recommendedApplyBy: due, severity: 'important' },
          { serviceUpdateName: 'sec-2', cacheClusterId: 'c1', status: 'stopped', severity: 'important' },
        ]);
        expect(inputs).to.have.length(2);
        expect(inputs[0]).to.deep.include({
          ServiceUpdateStatus: ['available'],
          UpdateActionStatus: ['not-applied', 'waiting-to-start', 'scheduling', 'scheduled', 'in-progress', 'stopping', 'stopped'],
          MaxRecords: 100,
          Marker: undefined,
        });
        expect(inputs[1]?.Marker).to.equal('m2');
      } finally {
        ec.restore();
      }
    });

    it('fails with a message when an update action names no resource', async () => {
      const ec = mockClient(ElastiCacheClient);
      try {
        ec.on(DescribeUpdateActionsCommand).resolves({ UpdateActions: [sdkUpdateAction({ ServiceUpdateName: 'orphan' })] });
        const err = await listPendingSecurityUpdates(new ElastiCacheClient({ region: 'us-east-1' })).catch((e: unknown) => e);
        expect((err as Error).message).to.equal('DescribeUpdateActions returned update action orphan with neither ReplicationGroupId nor CacheClusterId.');
      } finally {
        ec.restore();
      }
    });

    it('reads each user and the update actions once per run through Lookup', async () => {
      // Arrange
      const spy = interceptClient(ElastiCacheClient, { DescribeUpdateActions: () => ({ UpdateActions: [] }) });
      const lookup = new Lookup(new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint }));
      // Act
      await Promise.all([userFacts(lookup, 'default'), userFacts(lookup, 'default'), pendingSecurityUpdates(lookup)]);
      await pendingSecurityUpdates(lookup);
      // Assert
      expect(spy.of('DescribeUsers')).to.have.length(1);
      expect(spy.of('DescribeUpdateActions')).to.have.length(1);
    });
  });
});
