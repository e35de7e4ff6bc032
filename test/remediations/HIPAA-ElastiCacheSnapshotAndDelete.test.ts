import {
  AddTagsToResourceCommand,
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type CallOverride, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';
import { useMoto } from '../helpers/moto';
import { elastiCacheEncryptedAtRest } from '../../rules/elasticache-encrypted-at-rest';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import { AwsClients } from '../../rules/runtime/clients';

// What runs for real: moto creates, describes, tags, deletes (status "deleting") replication groups and cache clusters,
// and creates and describes snapshots. The Decide steps' Python runs under python3.
// What the override hook answers, and why:
// - config:GetComplianceDetailsByResource: moto has no such API; answered with EvaluationResults in the shape of the
//   botocore model (shared/reference/F-botocore-service-models/config-2014-11-12.service-2.json).
// - FinalSnapshotIdentifier: moto accepts it but takes no snapshot. The hook sees the delete call first and creates that
//   snapshot in moto with CreateSnapshot (as ElastiCache would), then lets the delete itself go to moto.
// - Creation times and statuses moto cannot produce (a cache 30 hours old, "modifying") patch moto's real answer.
const DOCUMENT = 'HIPAA-ElastiCacheSnapshotAndDelete';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const RULE = 'elasticache-encrypted-at-rest';
const GROUP = 'phi-sessions';
const FINAL_SNAPSHOT = /^phi-sessions-hipaa-final-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const RG_READS = ['ReadReplicationGroup', 'AssertReplicationGroupAvailable', 'ReadReplicationGroupTags', 'ReadReplicationGroupVerdict', 'DecideReplicationGroupDeletion', 'BranchOnReplicationGroupDecision'];
const CC_READS = ['ReadCacheCluster', 'AssertCacheClusterAvailable', 'ReadCacheClusterTags', 'ReadCacheClusterVerdict', 'DecideCacheClusterDeletion', 'BranchOnCacheClusterDecision'];
const FINAL = ['WaitForFinalSnapshotAvailable', 'DescribeFinalSnapshot', 'VerifyFinalSnapshotAvailable'];

const nonCompliant = (resourceType: string, resourceId: string, rule = RULE) => ({
  EvaluationResultIdentifier: {
    EvaluationResultQualifier: { ConfigRuleName: rule, ResourceType: resourceType, ResourceId: resourceId, EvaluationMode: 'DETECTIVE' },
    OrderingTimestamp: '2026-01-05T10:00:00.000Z',
  },
  ComplianceType: 'NON_COMPLIANT',
  ResultRecordedTime: '2026-01-05T10:00:02.000Z',
  ConfigRuleInvokedTime: '2026-01-05T10:00:01.000Z',
  Annotation: `Not encrypted at rest (AtRestEncryptionEnabled false). 45 CFR 164.312(a)(2)(iv)`,
});

describe('remediations/HIPAA-ElastiCacheSnapshotAndDelete', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let ec: ElastiCacheClient;

  beforeEach(async () => {
    const moto = await useMoto();
    ec = new ElastiCacheClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
  });

  const createGroup = async (id = GROUP) => {
    const { ReplicationGroup } = await ec.send(
      new CreateReplicationGroupCommand({ ReplicationGroupId: id, ReplicationGroupDescription: 'sessions', Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.t3.micro', NumCacheClusters: 1 }),
    );
    return ReplicationGroup?.ARN ?? '';
  };
  const createCluster = async (id: string, engine: 'memcached' | 'redis') => {
    const { CacheCluster } = await ec.send(new CreateCacheClusterCommand({ CacheClusterId: id, Engine: engine, CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1 }));
    return CacheCluster?.ARN ?? '';
  };
  const tag = (arn: string, tags: Record<string, string>) =>
    ec.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  const groupStatus = async (id = GROUP) => (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0]?.Status;
  const clusterStatus = async (id: string) => (await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: id }))).CacheClusters?.[0]?.CacheClusterStatus;
  const snapshots = async () => (await ec.send(new DescribeSnapshotsCommand({}))).Snapshots ?? [];

  /**
   * The standard hook: the rule's verdict (NON_COMPLIANT for RULE unless told otherwise), and the final snapshot
   * ElastiCache takes on a delete with FinalSnapshotIdentifier. `extra` answers first when it returns something.
   */
  const hook =
    (options: { verdicts?: unknown[]; extra?: CallOverride } = {}): CallOverride =>
    async (c) => {
      const answer = await options.extra?.(c);
      if (answer !== undefined) return answer;
      if (c.api === 'GetComplianceDetailsByResource') {
        return { EvaluationResults: options.verdicts ?? [nonCompliant(String(c.params.ResourceType), String(c.params.ResourceId))] };
      }
      const final = c.params.FinalSnapshotIdentifier;
      if ((c.api === 'DeleteReplicationGroup' || c.api === 'DeleteCacheCluster') && typeof final === 'string') {
        const source = c.api === 'DeleteReplicationGroup' ? { ReplicationGroupId: String(c.params.ReplicationGroupId) } : { CacheClusterId: String(c.params.CacheClusterId) };
        await ec.send(new CreateSnapshotCommand({ SnapshotName: final, ...source }));
      }
      return undefined;
    };
  /** Patches moto's real DescribeReplicationGroups / DescribeCacheClusters answer in the Read step. */
  const patchRead =
    (patch: Record<string, unknown>): CallOverride =>
    async (c) => {
      if (c.step === 'ReadReplicationGroup') {
        const real = await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: GROUP }));
        return { ReplicationGroups: [{ ...real.ReplicationGroups?.[0], ...patch }] };
      }
      return undefined;
    };
  const run = (parameters: Record<string, unknown>, override: CallOverride = hook()) =>
    simulateDocument(doc, {
      parameters: { AutomationAssumeRole: ROLE, ResourceId: GROUP, ConfigRuleName: RULE, ...parameters },
      override,
      pollIntervalMs: 5,
      maxWaitMs: 2_000,
    });
  const deletes = (r: SimulationResult) => r.calls.filter((c) => c.api.startsWith('Delete'));
  const decision = (r: SimulationResult) => ({
    decision: r.outputs['DecideReplicationGroupDeletion.Decision'] ?? r.outputs['DecideCacheClusterDeletion.Decision'],
    reason: r.outputs['DecideReplicationGroupDeletion.Reason'] ?? r.outputs['DecideCacheClusterDeletion.Reason'],
  });

  it('declares exactly the IAM actions its steps call, with CreateSnapshot for the final snapshots', () => {
    expect([...doc.iamActions].sort()).to.deep.equal([
      'config:GetComplianceDetailsByResource',
      'elasticache:CreateSnapshot',
      'elasticache:DeleteCacheCluster',
      'elasticache:DeleteReplicationGroup',
      'elasticache:DescribeCacheClusters',
      'elasticache:DescribeReplicationGroups',
      'elasticache:DescribeSnapshots',
      'elasticache:ListTagsForResource',
    ]);
  });

  it('would be refused by the document checks without CreateSnapshot, which a final snapshot needs', () => {
    const without = { ...doc, iamActions: doc.iamActions.filter((a) => a !== 'elasticache:CreateSnapshot') };
    expect(checkDocument(without).map(formatProblem)).to.deep.equal([
      `${DOCUMENT}: step DeleteReplicationGroupWithFinalSnapshot, # IAM actions: Step needs elasticache:CreateSnapshot (a final snapshot needs it, per the DeleteReplicationGroup API reference), which "# IAM actions:" does not declare; the remediation role would be denied.`,
    ]);
  });

  it('keeps one decision function: both Decide steps carry the same script', () => {
    const steps = (doc.content as { mainSteps: { name: string; inputs: { Script?: string } }[] }).mainSteps;
    const script = (name: string) => steps.find((s) => s.name === name)?.inputs.Script;
    expect(script('DecideReplicationGroupDeletion')).to.be.a('string').and.equal(script('DecideCacheClusterDeletion'));
  });

  describe('replication group', () => {
    it('deletes a new NON_COMPLIANT group with a final snapshot, found by Auto, and confirms the snapshot', async () => {
      // Arrange
      await createGroup();
      expect(await groupStatus()).to.equal('available');
      // Act
      const result = await run({});
      // Assert
      expect(result.failure).to.equal(undefined);
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal(['BranchOnResourceType', 'ProbeReplicationGroup', ...RG_READS, 'DeleteReplicationGroupWithFinalSnapshot', ...FINAL]);
      const [del] = deletes(result);
      expect(del?.params).to.include({ ReplicationGroupId: GROUP, RetainPrimaryCluster: false });
      expect(String(del?.params.FinalSnapshotIdentifier)).to.match(FINAL_SNAPSHOT);
      expect(del?.answeredBy).to.equal('endpoint');
      expect(await groupStatus()).to.equal('deleting');
      const [snapshot] = await snapshots();
      expect(snapshot).to.deep.include({ SnapshotName: del?.params.FinalSnapshotIdentifier, ReplicationGroupId: GROUP, SnapshotStatus: 'available' });
      expect(result.documentOutputs).to.deep.include({
        'DecideReplicationGroupDeletion.Decision': 'Delete',
        'DescribeFinalSnapshot.SnapshotName': snapshot?.SnapshotName,
        'DescribeFinalSnapshot.SnapshotArn': snapshot?.ARN,
      });
      expect(result.calls.find((c) => c.api === 'GetComplianceDetailsByResource')?.params).to.deep.equal({
        ResourceType: 'AWS::ElastiCache::ReplicationGroup',
        ResourceId: GROUP,
        ComplianceTypes: ['NON_COMPLIANT'],
      });
    });

    it('gives each execution its own final snapshot name', async () => {
      await createGroup();
      await createGroup('phi-sessions-2');
      const first = await run({});
      const second = await run({ ResourceId: 'phi-sessions-2' });
      const names = [first, second].map((r) => deletes(r)[0]?.params.FinalSnapshotIdentifier);
      expect(new Set(names).size).to.equal(2);
    });

    it('deletes nothing when the rule no longer judges the group NON_COMPLIANT, and succeeds', async () => {
      // Arrange
      await createGroup();
      // Act
      const result = await run({ ResourceType: 'AWS::ElastiCache::ReplicationGroup' }, hook({ verdicts: [] }));
      // Assert
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal(['BranchOnResourceType', ...RG_READS]);
      expect(decision(result)).to.deep.equal({ decision: 'Keep', reason: `Replication group ${GROUP} is no longer NON_COMPLIANT for rule ${RULE}. Nothing was deleted.` });
      expect(deletes(result)).to.deep.equal([]);
      expect(await groupStatus()).to.equal('available');
    });

    it('deletes nothing when only another rule judges it NON_COMPLIANT', async () => {
      await createGroup();
      const result = await run({}, hook({ verdicts: [nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP, 'elasticache-auth-enabled')] }));
      expect(decision(result).decision).to.equal('Keep');
      expect(deletes(result)).to.deep.equal([]);
    });

    it('deletes when the verdict comes from the same rule deployed by a conformance pack', async () => {
      await createGroup();
      const result = await run({}, hook({ verdicts: [nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP, `${RULE}-conformance-pack-x1y2z3`)] }));
      expect(decision(result).decision).to.equal('Delete');
      expect(await groupStatus()).to.equal('deleting');
    });

    it('deletes nothing on an exempt group (no end date), and succeeds', async () => {
      // Arrange
      await tag(await createGroup(), { 'hipaa-safeguards:exempt': 'CHG-1234 legacy sessions' });
      // Act
      const result = await run({});
      // Assert
      expect(result.status).to.equal('Success');
      expect(decision(result)).to.deep.equal({ decision: 'Keep', reason: `Replication group ${GROUP} is exempt by tag hipaa-safeguards:exempt (CHG-1234 legacy sessions). Nothing was deleted.` });
      expect(deletes(result)).to.deep.equal([]);
      expect(await groupStatus()).to.equal('available');
    });

    it('deletes nothing while an exemption runs (exempt-until in the future)', async () => {
      await tag(await createGroup(), { 'hipaa-safeguards:exempt': 'CHG-1', 'hipaa-safeguards:exempt-until': '2999-12-31' });
      const result = await run({});
      expect(decision(result).reason).to.equal(`Replication group ${GROUP} is exempt by tag hipaa-safeguards:exempt (CHG-1) until 2999-12-31. Nothing was deleted.`);
      expect(await groupStatus()).to.equal('available');
    });

    it('deletes once an exemption has expired, as the rule judges it', async () => {
      await tag(await createGroup(), { 'hipaa-safeguards:exempt': 'CHG-1', 'hipaa-safeguards:exempt-until': '2020-01-31T00:00Z' });
      const result = await run({});
      expect(decision(result).decision).to.equal('Delete');
      expect(await groupStatus()).to.equal('deleting');
    });

    it('stops, deleting nothing, when exempt-until is not a date', async () => {
      await tag(await createGroup(), { 'hipaa-safeguards:exempt': 'CHG-1', 'hipaa-safeguards:exempt-until': 'end of Q3' });
      const result = await run({});
      expect(result.status).to.equal('Failed');
      expect(result.failure).to.deep.equal({
        step: 'DecideReplicationGroupDeletion',
        message: `RemediationStopped: Replication group ${GROUP} has tag hipaa-safeguards:exempt-until 'end of Q3', which is not an ISO 8601 date. The rule ignores such a tag, but nothing is deleted on a guess: fix or remove the tag, then run again. Nothing was deleted.`,
      });
      expect(await groupStatus()).to.equal('available');
    });

    it('stops with a message for a person, deleting nothing, when the group is older than MaxAgeHours', async () => {
      // Arrange: moto stamps groups with the current time; the read answers with moto's group, created 30 hours ago.
      await createGroup();
      const created = new Date(Date.now() - 30 * 3600_000);
      // Act
      const result = await run({ MaxAgeHours: 24 }, hook({ extra: patchRead({ ReplicationGroupCreateTime: created }) }));
      // Assert
      expect(result.status).to.equal('Failed');
      expect(result.failure?.step).to.equal('DecideReplicationGroupDeletion');
      expect(result.failure?.message).to.equal(
        `RemediationStopped: Replication group ${GROUP} was created ${created.toISOString().slice(0, 16).replace('T', ' ')} UTC, 30 hours ago: this document deletes only caches created less than MaxAgeHours (24) hours ago, so that a cache already in use is never wiped. A person must act: move the data to a compliant cache and delete this one, or record an exception with the tag hipaa-safeguards:exempt. Nothing was deleted.`,
      );
      expect(deletes(result)).to.deep.equal([]);
      expect(await groupStatus()).to.equal('available');
    });

    it('deletes nothing with MaxAgeHours 0, however new the group', async () => {
      await createGroup();
      const result = await run({ MaxAgeHours: 0 });
      expect(result.failure?.message).to.match(/^RemediationStopped: Replication group phi-sessions was created .*, 0 hours ago: .*MaxAgeHours \(0\)/);
      expect(await groupStatus()).to.equal('available');
    });

    it('stops at the status check, deleting nothing, when the group is already deleting', async () => {
      // Arrange
      await createGroup();
      await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: GROUP }));
      // Act
      const result = await run({});
      // Assert
      expect(result.status).to.equal('Failed');
      expect(result.failure).to.deep.equal({ step: 'AssertReplicationGroupAvailable', message: 'Expected $.ReplicationGroups[0].Status to be one of [available] but found deleting.' });
      expect(deletes(result)).to.deep.equal([]);
      expect(result.calls.map((c) => c.api)).to.not.include('GetComplianceDetailsByResource');
    });

    for (const status of ['creating', 'modifying', 'snapshotting']) {
      it(`stops at the status check when the group is ${status} (canned status, moto keeps groups available)`, async () => {
        await createGroup();
        const override = hook({
          extra: async (c) => (c.step === 'AssertReplicationGroupAvailable' ? { ReplicationGroups: [{ ReplicationGroupId: GROUP, Status: status }] } : undefined),
        });
        const result = await run({}, override);
        expect(result.failure?.message).to.equal(`Expected $.ReplicationGroups[0].Status to be one of [available] but found ${status}.`);
        expect(await groupStatus()).to.equal('available');
      });
    }

    it('fails at the snapshot wait (after the delete started) when the final snapshot never becomes available', async () => {
      // Arrange: the snapshot is answered as "creating" for ever (canned DescribeSnapshots)
      await createGroup();
      const override = hook({ extra: (c) => (c.api === 'DescribeSnapshots' ? { Snapshots: [{ SnapshotName: 'x', SnapshotStatus: 'creating' }] } : undefined) });
      // Act
      const result = await simulateDocument(doc, {
        parameters: { AutomationAssumeRole: ROLE, ResourceId: GROUP, ConfigRuleName: RULE },
        override,
        pollIntervalMs: 5,
        maxWaitMs: 50,
      });
      // Assert: the execution fails where the data's safety is not yet confirmed
      expect(result.status).to.equal('Failed');
      expect(result.failure?.step).to.equal('WaitForFinalSnapshotAvailable');
      expect(result.steps.find((s) => s.name === 'WaitForFinalSnapshotAvailable')?.attempts).to.equal(3);
    });
  });

  describe('standalone cache cluster', () => {
    it('stops, deleting nothing, on a Memcached cluster without AllowDeleteWithoutSnapshot', async () => {
      // Arrange
      await createCluster('memc', 'memcached');
      // Act
      const result = await run({ ResourceId: 'memc' });
      // Assert
      expect(result.status).to.equal('Failed');
      expect(result.stepPath).to.deep.equal(['BranchOnResourceType', 'ProbeReplicationGroup', ...CC_READS, 'BranchOnCacheClusterEngine', 'BranchOnDeleteWithoutSnapshot', 'StopMemcachedWithoutSnapshot']);
      expect(result.steps.find((s) => s.name === 'ProbeReplicationGroup')).to.deep.include({ status: 'Failed' });
      expect(result.failure).to.deep.equal({
        step: 'StopMemcachedWithoutSnapshot',
        message:
          'RemediationStopped: Cache cluster memc runs Memcached, which has no snapshots: deleting it loses its data. It is deleted only with AllowDeleteWithoutSnapshot true; otherwise a person must move or discard the data. Nothing was deleted.',
      });
      expect(deletes(result)).to.deep.equal([]);
      expect(await clusterStatus('memc')).to.equal('available');
    });

    it('deletes a Memcached cluster without a snapshot when AllowDeleteWithoutSnapshot is true', async () => {
      await createCluster('memc', 'memcached');
      const result = await run({ ResourceId: 'memc', ResourceType: 'AWS::ElastiCache::CacheCluster', AllowDeleteWithoutSnapshot: true });
      expect(result.status).to.equal('Success');
      expect(result.stepPath.slice(-3)).to.deep.equal(['BranchOnDeleteWithoutSnapshot', 'DeleteMemcachedCluster', 'VerifyMemcachedClusterDeleting']);
      expect(deletes(result).map((c) => c.params)).to.deep.equal([{ CacheClusterId: 'memc' }]);
      expect(await clusterStatus('memc')).to.equal('deleting');
      expect(await snapshots()).to.deep.equal([]);
    });

    it('deletes a standalone Redis OSS cluster with a final snapshot', async () => {
      await createCluster('sessions-1', 'redis');
      const result = await run({ ResourceId: 'sessions-1', ResourceType: 'AWS::ElastiCache::CacheCluster' });
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal(['BranchOnResourceType', ...CC_READS, 'BranchOnCacheClusterEngine', 'DeleteCacheClusterWithFinalSnapshot', ...FINAL]);
      expect(String(deletes(result)[0]?.params.FinalSnapshotIdentifier)).to.match(/^sessions-1-hipaa-final-[0-9a-f-]{36}$/);
      expect(await clusterStatus('sessions-1')).to.equal('deleting');
      expect((await snapshots()).map((s) => s.CacheClusterId)).to.deep.equal(['sessions-1']);
      expect(result.calls.find((c) => c.api === 'GetComplianceDetailsByResource')?.params.ResourceType).to.equal('AWS::ElastiCache::CacheCluster');
    });

    it('deletes nothing on an exempt cluster', async () => {
      await tag(await createCluster('memc', 'memcached'), { 'hipaa-safeguards:exempt': 'INC-77' });
      const result = await run({ ResourceId: 'memc', AllowDeleteWithoutSnapshot: true });
      expect(result.status).to.equal('Success');
      expect(decision(result).decision).to.equal('Keep');
      expect(await clusterStatus('memc')).to.equal('available');
    });

    it('fails at ReadCacheCluster when the ID is neither a group nor a cluster', async () => {
      const result = await run({ ResourceId: 'gone' });
      expect(result.stepPath).to.deep.equal(['BranchOnResourceType', 'ProbeReplicationGroup', 'ReadCacheCluster']);
      expect(result.failure?.message).to.match(/^elasticache:DescribeCacheClusters failed: CacheClusterNotFoundFault: /);
    });
  });

  describe('the rule and the document together (issue 9: an encrypted cache is never deleted for its key)', () => {
    it('deletes nothing when the real rule judges an encrypted group NON_COMPLIANT only because its key cannot be read', async () => {
      // Arrange: encrypted at rest with a key in a central key account that this account cannot describe
      const foreignKey = 'arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      await ec.send(
        new CreateReplicationGroupCommand({ ReplicationGroupId: GROUP, ReplicationGroupDescription: 'sessions', Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.t3.micro', NumCacheClusters: 1, AtRestEncryptionEnabled: true, KmsKeyId: foreignKey }),
      );
      const clients = new AwsClients({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL ?? '', maxAttempts: 1 });
      const params = parseParameters(elastiCacheEncryptedAtRest.schema, { requireCustomerManagedKey: 'true' });
      const { judged } = await judgeAll(elastiCacheEncryptedAtRest, params, newJudgeContext(clients));
      const verdict = judged.find((j) => j.resource.id === GROUP)?.verdict;
      expect(verdict?.compliance).to.equal('NON_COMPLIANT');
      const stored = { ...nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP), Annotation: verdict?.annotation };
      // Act
      const result = await run({}, hook({ verdicts: [stored] }));
      // Assert
      expect(deletes(result)).to.deep.equal([]);
      expect(await groupStatus()).to.equal('available');
    });
  });

  describe('ResourceId allowedPattern', () => {
    for (const value of ['Phi-Sessions', 'phi--sessions', 'phi-', '1phi', 'a'.repeat(51)]) {
      it(`rejects ${JSON.stringify(value)} before any step runs`, async () => {
        let caught: unknown;
        await run({ ResourceId: value }).catch((e: unknown) => (caught = e));
        expect(caught).to.be.instanceOf(SimulationError);
        expect((caught as Error).message).to.contain('Parameter ResourceId value');
      });
    }
  });
});
