import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClusterNotFoundFault,
  DescribeACLsCommand,
  DescribeClustersCommand,
  DescribeUsersCommand,
  InvalidClusterStateFault,
  ListTagsCommand,
  MemoryDBClient,
} from '@aws-sdk/client-memorydb';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import type * as z from 'zod/mini';
import { PreventionLookup } from '../../rules/prevention/facts';
import { UnresolvedFactError } from '../../rules/prevention/errors';
import { refMarker } from '../../rules/prevention/markers';
import { memoryDbFromCloudFormation } from '../../rules/resources/cloudformation/memorydb';
import {
  AclSchema,
  ClusterSchema,
  type MemoryDbCluster,
  UserSchema,
  aclFacts,
  memoryDbLabel,
  memoryDbResource,
  memoryDbUserFacts,
} from '../../rules/resources/memorydb';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';
import { checkTemplates } from '../../scripts/lib/check-template';
import { AwsClients } from '../../rules/runtime/clients';
import { Lookup } from '../../rules/runtime/lookup';
import { type ListingNote, UnreadableResource } from '../../rules/runtime/safeguard';
import { CHANGE_SOURCES } from '../../rules/triggers/change-sources';
import { catalog } from '../../rules/catalog';
import { REFERENCE_DIR } from '../helpers/fixtures';
import { createMemoryDbCluster, createPasswordAcl, memoryDbOn } from '../helpers/memorydb';
import { useMoto } from '../helpers/moto';
import { leafPaths } from '../helpers/schema-paths';
import { type TaggingMock, taggingDenied } from '../helpers/tagging';

const TYPE = 'AWS::MemoryDB::Cluster';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const EXEMPT = 'hipaa-safeguards:exempt';
const arn = (name: string) => `arn:aws:memorydb:us-east-1:123456789012:cluster/${name}`;
const MODEL = JSON.parse(readFileSync(join(REFERENCE_DIR, 'F-botocore-service-models', 'memorydb-2021-01-01.service-2.json'), 'utf8')) as {
  operations: Record<string, unknown>;
  shapes: Record<string, { members?: Record<string, { shape: string }> }>;
};

const [lister] = memoryDbResource.listers;
if (!lister) throw new Error('The MemoryDB adapter has no lister.');

async function collect(clients: AwsClients, onNote?: (n: ListingNote) => void): Promise<(MemoryDbCluster | UnreadableResource)[]> {
  const out: (MemoryDbCluster | UnreadableResource)[] = [];
  for await (const c of lister!.list(clients, onNote ? { onNote } : {})) out.push(c);
  return out;
}

describe('resources/memorydb', () => {
  it('reads only fields that the MemoryDB API model (botocore 2021-01-01) defines', () => {
    const memberPath = (shape: string, path: string[]): boolean => {
      const [head, ...rest] = path;
      const member = head === undefined ? undefined : MODEL.shapes[shape]?.members?.[head];
      if (!member) return false;
      return rest.length === 0 || memberPath(member.shape, rest);
    };
    const cases: [z.core.$ZodType, string][] = [
      [ClusterSchema, 'Cluster'],
      [AclSchema, 'ACL'],
      [UserSchema, 'User'],
    ];
    for (const [schema, shape] of cases) {
      for (const p of leafPaths(schema, shape).map((x) => x.split('.').slice(1))) expect(memberPath(shape, p), `${shape}.${p.join('.')}`).to.equal(true);
    }
  });

  it('comes from the MemoryDB API only: AWS Config records no MemoryDB cluster (only AWS::MemoryDB::SubnetGroup)', () => {
    expect(memoryDbResource.fromConfigurationItem).to.equal(undefined);
    expect(() => readFileSync(join(REFERENCE_DIR, 'A-config-resource-schema', 'AWS-MemoryDB-Cluster.properties.json'))).to.throw();
    expect(catalog.filter((s) => s.resource === memoryDbResource).map((s) => s.triggers)).to.deep.equal([['periodic'], ['periodic'], ['periodic']]);
  });

  describe('listing on moto', function () {
    this.timeout(60_000);
    let clients: AwsClients;
    let md: MemoryDBClient;
    beforeEach(async () => {
      const moto = await useMoto();
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
      md = memoryDbOn(moto.endpoint);
    });

    it('builds each cluster: TLS, ACL, key, status, and exemption tags in bulk (tag:GetResources, one call)', async () => {
      // Arrange
      await createPasswordAcl(md, 'phi-acl', ['phi-app']);
      await createMemoryDbCluster(md, { name: 'phi-sessions', acl: 'phi-acl', kmsKeyId: KEY, tags: { [EXEMPT]: 'CHG-9 synthetic data' } });
      await createMemoryDbCluster(md, { name: 'plain', tls: false });
      const notes: ListingNote[] = [];
      // Act
      const clusters = await collect(clients, (n) => notes.push(n));
      // Assert (moto reports no Engine: the view leaves it unknown rather than guessing)
      expect(clusters).to.deep.equal([
        { id: 'phi-sessions', resourceType: TYPE, name: 'phi-sessions', arn: arn('phi-sessions'), status: 'available', engineVersion: '7.1', tlsEnabled: true, aclName: 'phi-acl', kmsKeyId: KEY, tags: { [EXEMPT]: 'CHG-9 synthetic data' }, tagsUnreadable: false },
        { id: 'plain', resourceType: TYPE, name: 'plain', arn: arn('plain'), status: 'available', engineVersion: '7.1', tlsEnabled: false, aclName: 'open-access', tags: {}, tagsUnreadable: false },
      ]);
      expect(notes).to.deep.equal([{ resourceType: TYPE, source: 'api', tags: 'bulk' }]);
    });

    it('reads tags per resource (memorydb:ListTags) when tag:GetResources is refused, and says why once', async () => {
      // Arrange
      await createMemoryDbCluster(md, { name: 'phi-a', tags: { [EXEMPT]: 'CHG-1' } });
      await createMemoryDbCluster(md, { name: 'phi-b' });
      const tagging = taggingDenied();
      const notes: ListingNote[] = [];
      try {
        // Act
        const clusters = (await collect(clients, (n) => notes.push(n))) as MemoryDbCluster[];
        // Assert
        expect(clusters.map((c) => [c.id, c.tags])).to.deep.equal([
          ['phi-a', { [EXEMPT]: 'CHG-1' }],
          ['phi-b', {}],
        ]);
        expect(notes).to.deep.equal([{ resourceType: TYPE, source: 'api', tags: 'per-resource', reason: 'tag:GetResources was refused (AccessDeniedException): tags are read per resource' }]);
      } finally {
        tagging.restore();
      }
    });

    it('lists nothing, and reads no tags, when there is no cluster', async () => {
      expect(await collect(clients)).to.deep.equal([]);
    });
  });

  describe('listing (mocked API: shapes from the botocore model)', () => {
    let mdMock: ReturnType<typeof mockClient>;
    let tagging: TaggingMock;
    const clients = new AwsClients({ region: 'us-east-1', maxAttempts: 1 });
    const cluster = (name: string, o: Record<string, unknown> = {}) => ({ Name: name, Status: 'available', ARN: arn(name), Engine: 'valkey', EngineVersion: '7.2', TLSEnabled: true, ACLName: 'phi-acl', ...o });
    beforeEach(() => {
      mdMock = mockClient(MemoryDBClient);
      mdMock.on(ListTagsCommand).resolves({ TagList: [] });
      tagging = taggingDenied();
    });
    afterEach(() => {
      mdMock.restore();
      tagging.restore();
    });

    it('reads every page (NextToken), with the engine in lower case and the status as reported', async () => {
      mdMock.on(DescribeClustersCommand).resolves({ Clusters: [cluster('a', { Status: 'Updating', Engine: 'Redis' })], NextToken: 't1' });
      mdMock.on(DescribeClustersCommand, { NextToken: 't1' }).resolves({ Clusters: [cluster('b')] });
      const clusters = (await collect(clients)) as MemoryDbCluster[];
      expect(clusters.map((c) => [c.id, c.status, c.engine])).to.deep.equal([
        ['a', 'updating', 'redis'],
        ['b', 'available', 'valkey'],
      ]);
      expect(mdMock.commandCalls(DescribeClustersCommand)).to.have.length(2);
      expect(mdMock.commandCalls(DescribeClustersCommand)[0]?.args[0].input).to.include({ MaxResults: 100 });
    });

    it('fails one cluster whose answer lacks a required field, naming it, and lists the others', async () => {
      mdMock.on(DescribeClustersCommand).resolves({ Clusters: [{ Name: 'broken', Status: 'available' }, cluster('ok')] });
      const [first, second] = await collect(clients);
      expect(first).to.be.instanceOf(UnreadableResource);
      expect((first as UnreadableResource).error.message).to.equal('DescribeClusters returned an incomplete Cluster broken: Cluster.ARN: Invalid input: expected string, received undefined.');
      expect((second as MemoryDbCluster).id).to.equal('ok');
    });

    it('leaves out TLSEnabled and ACLName the answer does not report (the rules then cannot verify, never pass)', async () => {
      mdMock.on(DescribeClustersCommand).resolves({ Clusters: [cluster('quiet', { TLSEnabled: undefined, ACLName: undefined, Engine: undefined })] });
      const [c] = (await collect(clients)) as MemoryDbCluster[];
      expect(c).to.not.have.any.keys('tlsEnabled', 'aclName', 'engine');
    });

    it('skips a cluster deleted before its tags were read, and keeps one whose tags its state refuses', async () => {
      mdMock.on(DescribeClustersCommand).resolves({ Clusters: [cluster('gone'), cluster('creating', { Status: 'creating' })] });
      mdMock.on(ListTagsCommand, { ResourceArn: arn('gone') }).rejects(new ClusterNotFoundFault({ message: 'gone', $metadata: {} }));
      mdMock.on(ListTagsCommand, { ResourceArn: arn('creating') }).rejects(new InvalidClusterStateFault({ message: 'creating', $metadata: {} }));
      const clusters = (await collect(clients)) as MemoryDbCluster[];
      expect(clusters.map((c) => [c.id, c.tagsUnreadable])).to.deep.equal([['creating', true]]);
      expect(memoryDbLabel(clusters[0] as MemoryDbCluster)).to.equal('MemoryDB cluster creating (Valkey 7.2; creating; exemption tags unreadable)');
    });

    it('reads a creating cluster\'s exemption in bulk (tag:GetResources answers whatever the state), one call', async () => {
      tagging.restore();
      tagging = mockClient(ResourceGroupsTaggingAPIClient);
      tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: arn('creating'), Tags: [{ Key: EXEMPT, Value: 'CHG-2' }] }] });
      mdMock.on(DescribeClustersCommand).resolves({ Clusters: [cluster('creating', { Status: 'creating' }), cluster('other')] });
      const clusters = (await collect(clients)) as MemoryDbCluster[];
      expect(clusters.map((c) => [c.id, c.tags])).to.deep.equal([
        ['creating', { [EXEMPT]: 'CHG-2' }],
        ['other', {}],
      ]);
      expect(tagging.commandCalls(GetResourcesCommand)).to.have.length(1);
      expect(tagging.commandCalls(GetResourcesCommand)[0]?.args[0].input).to.deep.include({ ResourceTypeFilters: ['memorydb:cluster'], ResourcesPerPage: 100 });
      expect(mdMock.commandCalls(ListTagsCommand)).to.have.length(0);
    });
  });

  describe('ACLs and users (lookups)', () => {
    let mdMock: ReturnType<typeof mockClient>;
    afterEach(() => mdMock.restore());

    it('reads every ACL and every user once per run, however many clusters ask, and names what is not listed', async () => {
      mdMock = mockClient(MemoryDBClient);
      mdMock.on(DescribeACLsCommand).resolves({ ACLs: [{ Name: 'phi-acl', Status: 'active', UserNames: ['phi-app', 'default'] }], NextToken: 'n' });
      mdMock.on(DescribeACLsCommand, { NextToken: 'n' }).resolves({ ACLs: [{ Name: 'empty', Status: 'active' }] });
      mdMock.on(DescribeUsersCommand).resolves({
        Users: [
          { Name: 'default', Status: 'active', AccessString: 'on ~* &* +@all', Authentication: { Type: 'no-password' } },
          { Name: 'phi-app', Status: 'active', AccessString: 'on ~* +@all', Authentication: { Type: 'password', PasswordCount: 1 } },
          { Name: 'quiet', Authentication: { Type: 'no-password' } },
        ],
      });
      const lookup = new Lookup(new AwsClients({ region: 'us-east-1', maxAttempts: 1 }));
      const acls = await Promise.all(['phi-acl', 'phi-acl', 'empty', 'missing'].map((a) => aclFacts(lookup, a)));
      const users = await Promise.all(['default', 'phi-app', 'quiet', 'nobody'].map((u) => memoryDbUserFacts(lookup, u)));
      expect(acls).to.deep.equal([
        { kind: 'resolved', name: 'phi-acl', userNames: ['phi-app', 'default'] },
        { kind: 'resolved', name: 'phi-acl', userNames: ['phi-app', 'default'] },
        { kind: 'resolved', name: 'empty', userNames: [] },
        { kind: 'unresolved', name: 'missing', reason: 'DescribeACLs did not list it' },
      ]);
      expect(users).to.deep.equal([
        { kind: 'resolved', name: 'default', authenticationType: 'no-password', enabled: true, status: 'active' },
        { kind: 'resolved', name: 'phi-app', authenticationType: 'password', enabled: true, status: 'active' },
        { kind: 'resolved', name: 'quiet', authenticationType: 'no-password' },
        { kind: 'unresolved', name: 'nobody', reason: 'DescribeUsers did not list it' },
      ]);
      expect(mdMock.commandCalls(DescribeACLsCommand)).to.have.length(2);
      expect(mdMock.commandCalls(DescribeUsersCommand)).to.have.length(1);
    });

    it('fails the lookup, naming the field, when DescribeUsers answers a user without Authentication', async () => {
      mdMock = mockClient(MemoryDBClient);
      mdMock.on(DescribeUsersCommand).resolves({ Users: [{ Name: 'odd' }] });
      const lookup = new Lookup(new AwsClients({ region: 'us-east-1', maxAttempts: 1 }));
      let error: Error | undefined;
      await memoryDbUserFacts(lookup, 'odd').catch((e: Error) => (error = e));
      expect(error?.message).to.equal('DescribeUsers returned an incomplete User odd: User.Authentication: Invalid input: expected object, received undefined.');
    });
  });

  describe('from CloudFormation (AWS::MemoryDB::Cluster, ACL and User)', () => {
    const build = (properties: Record<string, unknown>) => memoryDbFromCloudFormation({ resourceType: TYPE, logicalId: 'Sessions', properties });

    it('takes TLSEnabled true and the default key when the template leaves them out (the registry schema gives no default)', () => {
      const v = build({ ClusterName: 'phi-sessions', NodeType: 'db.t4g.small', ACLName: 'phi-acl' });
      expect(v).to.deep.include({ id: 'phi-sessions', tlsEnabled: true, aclName: 'phi-acl', status: 'available', tagsUnreadable: false, tags: {} });
      expect(v).to.not.have.any.keys('kmsKeyId', 'engine');
    });

    it('reads hook-style string values: TLSEnabled "false", the key, the engine and tags', () => {
      const v = build({ ClusterName: 'plain', ACLName: 'open-access', TLSEnabled: 'false', KmsKeyId: KEY, Engine: 'Valkey', EngineVersion: 7.2, Tags: [{ Key: EXEMPT, Value: 'CHG-3' }] });
      expect(v).to.deep.include({ tlsEnabled: false, kmsKeyId: KEY, engine: 'valkey', engineVersion: '7.2', tags: { [EXEMPT]: 'CHG-3' } });
    });

    it('refuses a cluster without ACLName (required by the registry schema), naming it', () => {
      expect(() => build({ ClusterName: 'x' })).to.throw('Malformed AWS::MemoryDB::Cluster Sessions: Properties.ACLName');
    });

    it('takes an ACL and its users from the same template (by !Ref or by name), the default user offline, and UNKNOWN otherwise', async () => {
      const template = {
        PhiAcl: { type: 'AWS::MemoryDB::ACL', properties: { ACLName: 'phi-acl', UserNames: [refMarker('PhiApp'), 'default'] } },
        PhiApp: { type: 'AWS::MemoryDB::User', properties: { UserName: 'phi-app', AccessString: 'on ~* +@all', AuthenticationMode: { Type: 'iam' } } },
      };
      const lookup = new PreventionLookup({ template });
      expect(await aclFacts(lookup, refMarker('PhiAcl'))).to.deep.equal({ kind: 'resolved', name: refMarker('PhiAcl'), userNames: [refMarker('PhiApp'), 'default'] });
      expect(await aclFacts(lookup, 'phi-acl')).to.deep.include({ kind: 'resolved', userNames: [refMarker('PhiApp'), 'default'] });
      expect(await memoryDbUserFacts(lookup, refMarker('PhiApp'))).to.deep.equal({ kind: 'resolved', name: refMarker('PhiApp'), authenticationType: 'iam', enabled: true, status: 'active' });
      expect(await memoryDbUserFacts(lookup, 'default')).to.deep.equal({ kind: 'resolved', name: 'default', authenticationType: 'no-password', enabled: true, status: 'active' });
      let error: unknown;
      await aclFacts(lookup, 'elsewhere').catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(UnresolvedFactError);
      expect((error as Error).message).to.contain('the users of MemoryDB ACL elsewhere');
    });
  });

  describe('from a Terraform plan', () => {
    it('translates aws_memorydb_cluster, aws_memorydb_acl and aws_memorydb_user into the CloudFormation shape', () => {
      expect(translateTerraform('aws_memorydb_cluster', { name: 'phi', acl_name: 'phi-acl', tls_enabled: false, kms_key_arn: KEY, engine: 'valkey', engine_version: '7.2', tags: { [EXEMPT]: 'CHG-4' } })).to.deep.equal({
        resourceType: TYPE,
        properties: { ClusterName: 'phi', ACLName: 'phi-acl', TLSEnabled: false, KmsKeyId: KEY, Engine: 'valkey', EngineVersion: '7.2', Tags: [{ Key: EXEMPT, Value: 'CHG-4' }] },
      });
      // tls_enabled and kms_key_arn left out: the defaults of the CloudFormation builder (TLS on, the default key).
      const bare = translateTerraform('aws_memorydb_cluster', { name: 'phi', acl_name: 'open-access' });
      expect(memoryDbFromCloudFormation({ resourceType: TYPE, logicalId: 'aws_memorydb_cluster.phi', properties: bare?.properties })).to.deep.include({ tlsEnabled: true, aclName: 'open-access' });
      expect(translateTerraform('aws_memorydb_acl', { name: 'phi-acl', user_names: ['phi-app'] })).to.deep.equal({ resourceType: 'AWS::MemoryDB::ACL', properties: { ACLName: 'phi-acl', UserNames: ['phi-app'] } });
      expect(translateTerraform('aws_memorydb_user', { user_name: 'phi-app', access_string: 'on ~* +@all', authentication_mode: [{ type: 'password', passwords: ['x'] }] })).to.deep.equal({
        resourceType: 'AWS::MemoryDB::User',
        properties: { UserName: 'phi-app', AccessString: 'on ~* +@all', AuthenticationMode: { Type: 'password' } },
      });
    });
  });

  describe('CloudTrail re-evaluation trigger entry', () => {
    const entry = CHANGE_SOURCES.find((s) => s.id === 'memorydb');

    it('names only successful calls that exist as operations of the MemoryDB API model', () => {
      expect(entry).to.not.equal(undefined);
      expect(entry).to.deep.include({ source: 'aws.memorydb', eventSource: 'memorydb.amazonaws.com', resourceTypes: [TYPE] });
      for (const name of entry?.eventNames ?? []) expect(MODEL.operations, name).to.have.property(name);
      expect(entry?.eventNames).to.include.members(['CreateCluster', 'UpdateCluster', 'TagResource', 'UntagResource', 'UpdateACL', 'UpdateUser']);
    });

    it('starts exactly the MemoryDB safeguards (the types its adapter reports)', () => {
      const started = catalog.filter((s) => s.resource.resourceTypes.some((t) => entry?.resourceTypes.includes(t))).map((s) => s.name);
      expect(started).to.deep.equal(['memorydb-encrypted-in-transit', 'memorydb-auth-enabled', 'memorydb-encrypted-at-rest']);
      expect(memoryDbResource.resourceTypes).to.deep.equal(entry?.resourceTypes);
    });
  });
});

describe('resources/memorydb: a Terraform plan through check-template', () => {
  it('judges each planned cluster with its ACL and users from the plan, and UNKNOWN for an ACL the plan does not hold', async () => {
    // Arrange: test/fixtures/terraform/memorydb-plan.json (terraform show -json shape): a user, an ACL and a key in
    // the plan, a cluster on them, one on open-access without TLS, one on an ACL created elsewhere.
    const plan = join(__dirname, '..', 'fixtures', 'terraform', 'memorydb-plan.json');
    // Act
    const { results, failures } = await checkTemplates({ paths: [plan] });
    // Assert
    expect(failures).to.deep.equal([]);
    expect(Object.fromEntries(results.map((r) => [`${r.logicalId} ${r.rule}`, r.compliance]))).to.deep.equal({
      'aws_memorydb_cluster.sessions memorydb-encrypted-in-transit': 'COMPLIANT',
      'aws_memorydb_cluster.sessions memorydb-auth-enabled': 'COMPLIANT',
      'aws_memorydb_cluster.sessions memorydb-encrypted-at-rest': 'COMPLIANT',
      'aws_memorydb_cluster.open memorydb-encrypted-in-transit': 'NON_COMPLIANT',
      'aws_memorydb_cluster.open memorydb-auth-enabled': 'NON_COMPLIANT',
      'aws_memorydb_cluster.open memorydb-encrypted-at-rest': 'NON_COMPLIANT',
      'aws_memorydb_cluster.elsewhere memorydb-encrypted-in-transit': 'COMPLIANT',
      'aws_memorydb_cluster.elsewhere memorydb-auth-enabled': 'UNKNOWN',
      'aws_memorydb_cluster.elsewhere memorydb-encrypted-at-rest': 'COMPLIANT',
    });
    expect(results.find((r) => r.logicalId === 'aws_memorydb_cluster.elsewhere' && r.rule === 'memorydb-auth-enabled')?.annotation).to.contain('the users of MemoryDB ACL team-acl');
  });
});

describe('resources/memorydb: a CloudFormation template through check-template', () => {
  it('resolves !Ref to the ACL and its users and !GetAtt to the key declared beside the cluster', async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'memorydb-template-'));
    const file = join(dir, 'memorydb.yaml');
    writeFileSync(
      file,
      [
        'Resources:',
        '  Key:',
        '    Type: AWS::KMS::Key',
        '    Properties: {}',
        '  App:',
        '    Type: AWS::MemoryDB::User',
        '    Properties: { UserName: phi-app, AccessString: "on ~* +@all", AuthenticationMode: { Type: password, Passwords: ["a-long-password-0123456789"] } }',
        '  Acl:',
        '    Type: AWS::MemoryDB::ACL',
        '    Properties: { ACLName: phi-acl, UserNames: [!Ref App] }',
        '  WithDefault:',
        '    Type: AWS::MemoryDB::ACL',
        '    Properties: { ACLName: with-default, UserNames: [!Ref App, default] }',
        '  Sessions:',
        '    Type: AWS::MemoryDB::Cluster',
        '    Properties: { ClusterName: phi-sessions, NodeType: db.r7g.large, ACLName: !Ref Acl, KmsKeyId: !GetAtt Key.Arn }',
        '  Shared:',
        '    Type: AWS::MemoryDB::Cluster',
        '    Properties: { ClusterName: phi-shared, NodeType: db.r7g.large, ACLName: !Ref WithDefault, TLSEnabled: false }',
        '',
      ].join('\n'),
    );
    // Act
    const { results, failures } = await checkTemplates({ paths: [file] });
    // Assert
    expect(failures).to.deep.equal([]);
    expect(Object.fromEntries(results.map((r) => [`${r.logicalId} ${r.rule}`, r.compliance]))).to.deep.equal({
      'Sessions memorydb-encrypted-in-transit': 'COMPLIANT',
      'Sessions memorydb-auth-enabled': 'COMPLIANT',
      'Sessions memorydb-encrypted-at-rest': 'COMPLIANT',
      'Shared memorydb-encrypted-in-transit': 'NON_COMPLIANT',
      'Shared memorydb-auth-enabled': 'NON_COMPLIANT',
      'Shared memorydb-encrypted-at-rest': 'NON_COMPLIANT',
    });
    expect(results.find((r) => r.logicalId === 'Shared' && r.rule === 'memorydb-auth-enabled')?.annotation).to.contain('holds the built-in default user (no-password, on)');
  });
});
