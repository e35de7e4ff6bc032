import {
  AddTagsToResourceCommand,
  type CreateReplicationGroupCommandInput,
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import sinon from 'sinon';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type CallOverride, type SimulationOptions, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';
import { emulateModifyReplicationGroup } from './elasticache-emulation';

// moto creates and describes the replication groups (with their TLS settings) and deletes them. moto has no
// ModifyReplicationGroup and creates no member cache clusters: elasticache-emulation.ts answers those (the
// modification applies after one "modifying" read, as ElastiCache applies it asynchronously) and says how.
const DOCUMENT = 'HIPAA-ElastiCacheEnableTransitEncryption';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const GROUP = 'phi-sessions';

const READ = ['BranchOnResourceType', 'ProbeReplicationGroup', 'ReadReplicationGroup', 'AssertReplicationGroupAvailable', 'ReadTags', 'CheckExemption', 'BranchOnExemption', 'BranchOnTransitEncryptionEnabled'];
const TO_PREFERRED = ['ReadEngineVersion', 'BranchOnEngineVersion', 'EnableTransitEncryptionPreferred', 'WaitForTransitEncryptionEnabled', 'WaitForAvailableAfterPreferred', 'BranchOnPreferredHours'];
const RECHECK = ['AssertAvailableBeforeRequired', 'AssertStillPreferredBeforeRequired', 'ReadTagsBeforeRequired', 'CheckExemptionBeforeRequired', 'BranchOnExemptionBeforeRequired'];
const TO_REQUIRED = [...RECHECK, 'SetTransitEncryptionRequired', 'WaitForTransitEncryptionRequired', 'WaitForAvailableAfterRequired', 'VerifyTransitEncryptionRequired'];

describe('remediations/HIPAA-ElastiCacheEnableTransitEncryption', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let ec: ElastiCacheClient;

  beforeEach(async () => {
    const moto = await useMoto();
    ec = new ElastiCacheClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
  });
  afterEach(() => sinon.restore());

  const createGroup = (settings: Partial<CreateReplicationGroupCommandInput> = {}) =>
    ec.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: GROUP,
        ReplicationGroupDescription: 'sessions',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 2,
        ...settings,
      }),
    );
  const run = (parameters: Record<string, unknown>, override: CallOverride, options: Partial<SimulationOptions> = {}) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, ResourceId: GROUP, ...parameters }, override, pollIntervalMs: 5, maxWaitMs: 2_000, ...options });

  it('declares exactly the IAM actions its steps call', () => {
    expect([...doc.iamActions].sort()).to.deep.equal(['elasticache:DescribeCacheClusters', 'elasticache:DescribeReplicationGroups', 'elasticache:ListTagsForResource', 'elasticache:ModifyReplicationGroup']);
  });

  it('moves a Redis OSS 7 group from plaintext to preferred, then to required, and confirms required', async () => {
    // Arrange
    await createGroup();
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    // Act
    const result = await run({ PreferredHours: 0 }, emulation.override);
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, ...TO_PREFERRED, ...TO_REQUIRED]);
    expect(emulation.requests).to.deep.equal([
      { ReplicationGroupId: GROUP, TransitEncryptionEnabled: true, TransitEncryptionMode: 'preferred', ApplyImmediately: true },
      { ReplicationGroupId: GROUP, TransitEncryptionMode: 'required', ApplyImmediately: true },
    ]);
    // Each wait saw the group modifying once before the change showed.
    expect(result.calls.filter((c) => c.step === 'WaitForTransitEncryptionEnabled')).to.have.lengthOf(2);
    expect(result.calls.find((c) => c.step === 'ReadEngineVersion')?.params).to.deep.equal({ CacheClusterId: `${GROUP}-001` });
    const after = await emulation.override({ step: 'test', service: 'elasticache', api: 'DescribeReplicationGroups', params: { ReplicationGroupId: GROUP }, fromScript: false });
    expect(after).to.have.nested.property('ReplicationGroups[0].TransitEncryptionMode', 'required');
  });

  describe('run-time re-checks stop a change that is no longer allowed or needed', () => {
    it('changes nothing on an exempt group', async () => {
      await createGroup({ Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-9 plaintext legacy client' }] });
      const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
      const result = await run({}, emulation.override);
      expect(result.status).to.equal('Success');
      expect(result.stepPath.at(-1)).to.equal('BranchOnExemption');
      expect(emulation.requests).to.deep.equal([]);
    });

    it('does not require TLS when the group was exempted during the PreferredHours wait', async () => {
      // Arrange: a person records an exemption while clients move (the sleep stands for those hours)
      await createGroup({ Engine: 'valkey' });
      const emulation = emulateModifyReplicationGroup(ec, { engine: 'valkey', engineVersion: '8.0.1' });
      const sleep = async () => {
        await ec.send(new AddTagsToResourceCommand({ ResourceName: `arn:aws:elasticache:us-east-1:123456789012:replicationgroup:${GROUP}`, Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-10' }] }));
      };
      // Act
      const result = await run({ PreferredHours: 2 }, emulation.override, { sleep });
      // Assert: only the first change was made
      expect(result.status).to.equal('Success');
      expect(result.stepPath.slice(-2)).to.deep.equal(['CheckExemptionBeforeRequired', 'BranchOnExemptionBeforeRequired']);
      expect(emulation.requests.map((r) => r.TransitEncryptionMode)).to.deep.equal(['preferred']);
    });

    it('does not set required again when a person already did during the wait', async () => {
      await createGroup({ Engine: 'valkey' });
      const emulation = emulateModifyReplicationGroup(ec, { engine: 'valkey', engineVersion: '8.0.1' });
      const sleep = async () => {
        await emulation.override({ step: 'person', service: 'elasticache', api: 'ModifyReplicationGroup', params: { ReplicationGroupId: GROUP, TransitEncryptionMode: 'required' }, fromScript: false });
        await emulation.override({ step: 'person', service: 'elasticache', api: 'DescribeReplicationGroups', params: { ReplicationGroupId: GROUP }, fromScript: false });
      };
      const result = await run({ PreferredHours: 2 }, emulation.override, { sleep });
      expect(result.status).to.equal('Success');
      expect(result.stepPath.slice(-2)).to.deep.equal(['AssertStillPreferredBeforeRequired', 'VerifyTransitEncryptionRequired']);
      // The document's own requests: the first change only (the person's is the emulation's second request).
      expect(result.calls.filter((c) => c.api === 'ModifyReplicationGroup').map((c) => c.params.TransitEncryptionMode)).to.deep.equal(['preferred']);
    });

    it('stops before requiring TLS when the group is no longer available after the wait', async () => {
      await createGroup({ Engine: 'valkey' });
      const emulation = emulateModifyReplicationGroup(ec, { engine: 'valkey', engineVersion: '8.0.1' });
      const override: CallOverride = (c) => (c.step === 'AssertAvailableBeforeRequired' ? { ReplicationGroups: [{ ReplicationGroupId: GROUP, Status: 'snapshotting' }] } : emulation.override(c));
      const result = await run({ PreferredHours: 0 }, override);
      expect(result.failure).to.deep.equal({ step: 'AssertAvailableBeforeRequired', message: 'Expected $.ReplicationGroups[0].Status to be one of [available] but found snapshotting.' });
      expect(emulation.requests.map((r) => r.TransitEncryptionMode)).to.deep.equal(['preferred']);
    });
  });

  it('waits PreferredHours in preferred mode before requiring TLS', async () => {
    // Arrange
    await createGroup({ Engine: 'valkey' });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'valkey', engineVersion: '8.0.1' });
    const sleep = sinon.stub().resolves();
    // Act
    const result = await run({ PreferredHours: 6 }, emulation.override, { sleep });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, ...TO_PREFERRED, 'WaitForClientsToMoveToTls', ...TO_REQUIRED]);
    expect(sleep.calledOnceWithExactly(6 * 3600_000)).to.equal(true);
    expect(result.steps.find((s) => s.name === 'WaitForClientsToMoveToTls')?.inputs).to.deep.equal({ Duration: 'PT6H' });
  });

  it('changes nothing on a group that already requires TLS (no write call)', async () => {
    await createGroup({ TransitEncryptionEnabled: true, TransitEncryptionMode: 'required' });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, 'ReadTransitEncryptionMode', 'BranchOnTransitEncryptionMode', 'VerifyTransitEncryptionRequired']);
    expect(emulation.requests).to.deep.equal([]);
  });

  it('changes nothing on a TLS group older than TransitEncryptionMode (no mode reported), and verifies TLS', async () => {
    // Arrange: moto reports no TransitEncryptionMode when the group was created without one
    await createGroup({ TransitEncryptionEnabled: true });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '6.2.6' });
    // Act
    const result = await run({}, emulation.override);
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, 'ReadTransitEncryptionMode', 'BranchOnTransitEncryptionMode', 'VerifyTransitEncryptionEnabled']);
    expect(result.steps.find((s) => s.name === 'BranchOnTransitEncryptionMode')?.status).to.equal('Failed');
    expect(emulation.requests).to.deep.equal([]);
  });

  it('resumes a group left in preferred: only the required step runs', async () => {
    await createGroup({ TransitEncryptionEnabled: true, TransitEncryptionMode: 'preferred' });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.0.7' });
    const result = await run({}, emulation.override);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, 'ReadTransitEncryptionMode', 'BranchOnTransitEncryptionMode', 'BranchOnPreferredHours', ...TO_REQUIRED]);
    expect(emulation.requests).to.deep.equal([{ ReplicationGroupId: GROUP, TransitEncryptionMode: 'required', ApplyImmediately: true }]);
  });

  it('stops on Redis OSS before 7.0, naming the engine and the way out (no write)', async () => {
    // Arrange
    await createGroup();
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '6.2.6' });
    // Act
    const result = await run({}, emulation.override);
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.stepPath).to.deep.equal([...READ, 'ReadEngineVersion', 'BranchOnEngineVersion', 'StopEngineTooOld']);
    expect(result.failure?.message).to.equal(
      'RemediationStopped: Replication group phi-sessions runs redis 6.2.6: ElastiCache enables TLS in place only on Valkey and on Redis OSS 7.0 or later. Upgrade the engine, then run this document again; or create a new replication group with TransitEncryptionEnabled, move the data, and delete this one with HIPAA-ElastiCacheSnapshotAndDelete. Nothing was changed.',
    );
    expect(emulation.requests).to.deep.equal([]);
  });

  it('stops on a standalone cache cluster found by Auto, naming HIPAA-ElastiCacheSnapshotAndDelete (no write)', async () => {
    // Arrange
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'memc', Engine: 'memcached', CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1 }));
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    // Act
    const result = await run({ ResourceId: 'memc' }, emulation.override);
    // Assert
    expect(result.stepPath).to.deep.equal(['BranchOnResourceType', 'ProbeReplicationGroup', 'StopNotAReplicationGroup']);
    expect(result.failure?.message).to.equal(
      'RemediationStopped: memc is not a replication group (ResourceType Auto): ElastiCache enables TLS in place only on Valkey and Redis OSS 7.0+ replication groups. A standalone cache cluster or a Memcached cluster gets TLS only at creation: create a new cache with TransitEncryptionEnabled, move the data, then delete the old one (HIPAA-ElastiCacheSnapshotAndDelete takes a final snapshot and deletes it). Nothing was changed.',
    );
    expect(emulation.requests).to.deep.equal([]);
  });

  it('stops at once, without any API call, for ResourceType AWS::ElastiCache::CacheCluster', async () => {
    const result = await run({ ResourceId: 'memc', ResourceType: 'AWS::ElastiCache::CacheCluster' }, () => undefined);
    expect(result.stepPath).to.deep.equal(['BranchOnResourceType', 'StopNotAReplicationGroup']);
    expect(result.calls).to.deep.equal([]);
  });

  it('refuses a group that is not available (deleting), without writing', async () => {
    await createGroup();
    await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: GROUP }));
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.failure).to.deep.equal({ step: 'AssertReplicationGroupAvailable', message: 'Expected $.ReplicationGroups[0].Status to be one of [available] but found deleting.' });
    expect(emulation.requests).to.deep.equal([]);
  });

  for (const hours of [169, 1000]) {
    it(`refuses PreferredHours ${hours} (more than 168) before any step runs`, async () => {
      let caught: unknown;
      await run({ PreferredHours: hours }, () => undefined).catch((e: unknown) => (caught = e));
      expect(caught).to.be.instanceOf(SimulationError);
      expect((caught as Error).message).to.contain('Parameter PreferredHours value "' + String(hours) + '" does not match allowedPattern');
    });
  }
});
