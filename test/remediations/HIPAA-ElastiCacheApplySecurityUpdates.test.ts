import { CreateCacheClusterCommand, CreateReplicationGroupCommand, ElastiCacheClient, type UpdateAction } from '@aws-sdk/client-elasticache';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { type CallOverride, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';

// moto creates and describes the replication groups and cache clusters. moto has neither DescribeUpdateActions nor
// BatchApplyUpdateAction: `emulateUpdateActions` below answers both from a list of update actions in the shape of the
// botocore model (shared/reference/F-botocore-service-models/elasticache-2015-02-02.service-2.json), with its filters
// (resource IDs, ServiceUpdateName, ServiceUpdateStatus, UpdateActionStatus), and moves an applied action from
// not-applied or stopped to waiting-to-start, as ElastiCache does; any other status comes back unprocessed.
const DOCUMENT = 'HIPAA-ElastiCacheApplySecurityUpdates';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const GROUP = 'phi-sessions';
const DAY = 24 * 3600_000;

const RG_CHECKS = ['ReadReplicationGroup', 'AssertReplicationGroupAvailable', 'ReadTagsOfReplicationGroup', 'CheckExemptionOfReplicationGroup', 'BranchOnExemptionOfReplicationGroup'];
const RG_PATH = ['BranchOnResourceType', 'ProbeReplicationGroup', ...RG_CHECKS, 'ReadReplicationGroupUpdateActions', 'SelectOverdueReplicationGroupUpdates', 'BranchOnReplicationGroupUpdates'];

function action(name: string, target: { ReplicationGroupId: string } | { CacheClusterId: string }, applyBy: Date | undefined, status = 'not-applied', type = 'security-update'): UpdateAction {
  return {
    ...target,
    ServiceUpdateName: name,
    ServiceUpdateReleaseDate: new Date(Date.now() - 90 * DAY),
    ServiceUpdateSeverity: 'important',
    ServiceUpdateStatus: 'available',
    ...(applyBy ? { ServiceUpdateRecommendedApplyByDate: applyBy } : {}),
    ServiceUpdateType: type as UpdateAction['ServiceUpdateType'],
    UpdateActionAvailableDate: new Date(Date.now() - 90 * DAY),
    UpdateActionStatus: status as UpdateAction['UpdateActionStatus'],
    NodesUpdated: '0/2',
    Engine: 'redis',
  };
}

function emulateUpdateActions(actions: UpdateAction[]): { override: CallOverride; applied: Record<string, unknown>[] } {
  const applied: Record<string, unknown>[] = [];
  const ids = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  const matches = (a: UpdateAction, p: Record<string, unknown>) => {
    const groups = ids(p.ReplicationGroupIds);
    const clusters = ids(p.CacheClusterIds);
    return (
      (!groups || groups.includes(a.ReplicationGroupId ?? '')) &&
      (!clusters || clusters.includes(a.CacheClusterId ?? '')) &&
      (p.ServiceUpdateName === undefined || p.ServiceUpdateName === a.ServiceUpdateName) &&
      (!ids(p.ServiceUpdateStatus) || ids(p.ServiceUpdateStatus)?.includes(a.ServiceUpdateStatus ?? '')) &&
      (!ids(p.UpdateActionStatus) || ids(p.UpdateActionStatus)?.includes(a.UpdateActionStatus ?? ''))
    );
  };
  const override: CallOverride = (c) => {
    if (c.api === 'DescribeUpdateActions') return { UpdateActions: actions.filter((a) => matches(a, c.params)) };
    if (c.api !== 'BatchApplyUpdateAction') return undefined;
    applied.push(c.params);
    const name = String(c.params.ServiceUpdateName);
    if (!actions.some((a) => a.ServiceUpdateName === name)) throw Object.assign(new Error(`Service update ${name} not found.`), { name: 'ServiceUpdateNotFoundFault' });
    const result: { ProcessedUpdateActions: unknown[]; UnprocessedUpdateActions: unknown[] } = { ProcessedUpdateActions: [], UnprocessedUpdateActions: [] };
    for (const a of actions.filter((x) => x.ServiceUpdateName === name && matches(x, { ReplicationGroupIds: c.params.ReplicationGroupIds, CacheClusterIds: c.params.CacheClusterIds }))) {
      const target = a.ReplicationGroupId ? { ReplicationGroupId: a.ReplicationGroupId } : { CacheClusterId: a.CacheClusterId };
      if (a.UpdateActionStatus === 'not-applied' || a.UpdateActionStatus === 'stopped') {
        a.UpdateActionStatus = 'waiting-to-start';
        result.ProcessedUpdateActions.push({ ...target, ServiceUpdateName: name, UpdateActionStatus: 'waiting-to-start' });
      } else {
        result.UnprocessedUpdateActions.push({ ...target, ServiceUpdateName: name, ErrorType: 'InvalidState', ErrorMessage: `Update action is ${String(a.UpdateActionStatus)}.` });
      }
    }
    return result;
  };
  return { override, applied };
}

describe('remediations/HIPAA-ElastiCacheApplySecurityUpdates', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let ec: ElastiCacheClient;

  beforeEach(async () => {
    const moto = await useMoto();
    ec = new ElastiCacheClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
  });

  const createGroup = (tags: Record<string, string> = {}) =>
    ec.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: GROUP,
        ReplicationGroupDescription: 'sessions',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 2,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  const run = (parameters: Record<string, unknown>, override: CallOverride) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, ResourceId: GROUP, ...parameters }, override });
  const applies = (r: SimulationResult) => r.calls.filter((c) => c.api === 'BatchApplyUpdateAction');

  it('declares exactly the IAM actions its steps call', () => {
    expect([...doc.iamActions].sort()).to.deep.equal([
      'elasticache:BatchApplyUpdateAction',
      'elasticache:DescribeCacheClusters',
      'elasticache:DescribeReplicationGroups',
      'elasticache:DescribeUpdateActions',
      'elasticache:ListTagsForResource',
    ]);
  });

  it('keeps one selection function: both Select steps carry the same script', () => {
    const steps = (doc.content as { mainSteps: { name: string; inputs: { Script?: string } }[] }).mainSteps;
    const script = (name: string) => steps.find((s) => s.name === name)?.inputs.Script;
    expect(script('SelectOverdueReplicationGroupUpdates')).to.be.a('string').and.equal(script('SelectOverdueCacheClusterUpdates'));
  });

  it('applies the oldest overdue security update to a replication group and confirms it started', async () => {
    // Arrange
    await createGroup();
    const rg = { ReplicationGroupId: GROUP };
    const updates = emulateUpdateActions([
      action('elasticache-20250801-001', rg, new Date(Date.now() - 10 * DAY)),
      action('elasticache-20250601-002', rg, new Date(Date.now() - 40 * DAY), 'stopped'),
      action('elasticache-20251101-003', rg, new Date(Date.now() + 20 * DAY)), // not due yet
      action('elasticache-20250501-004', rg, undefined), // no apply-by date: never overdue
      action('elasticache-20250401-005', rg, new Date(Date.now() - 60 * DAY), 'in-progress'), // already applying
      action('elasticache-20250301-006', { ReplicationGroupId: 'other-group' }, new Date(Date.now() - 60 * DAY)),
    ]);
    // Act
    const result = await run({}, updates.override);
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...RG_PATH, 'ApplyReplicationGroupUpdate', 'VerifyReplicationGroupUpdateStarted']);
    expect(result.calls.find((c) => c.step === 'ReadReplicationGroupUpdateActions')?.params).to.deep.equal({
      ReplicationGroupIds: [GROUP],
      ServiceUpdateStatus: ['available'],
      UpdateActionStatus: ['not-applied', 'stopped'],
      MaxRecords: 100,
    });
    expect(result.documentOutputs).to.deep.equal({
      'SelectOverdueReplicationGroupUpdates.Count': 2,
      'SelectOverdueReplicationGroupUpdates.ServiceUpdateNames': ['elasticache-20250601-002', 'elasticache-20250801-001'],
      'ApplyReplicationGroupUpdate.Unprocessed': [],
    });
    expect(updates.applied).to.deep.equal([{ ServiceUpdateName: 'elasticache-20250601-002', ReplicationGroupIds: [GROUP] }]);
  });

  it('ends without any write when no security update is overdue', async () => {
    // Arrange
    await createGroup();
    const updates = emulateUpdateActions([action('elasticache-20251101-003', { ReplicationGroupId: GROUP }, new Date(Date.now() + 20 * DAY))]);
    // Act
    const result = await run({}, updates.override);
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(RG_PATH);
    expect(result.outputs['SelectOverdueReplicationGroupUpdates.Count']).to.equal(0);
    expect(applies(result)).to.deep.equal([]);
  });

  it('ignores an overdue update whose type is not security-update', async () => {
    await createGroup();
    const updates = emulateUpdateActions([action('elasticache-engine-x', { ReplicationGroupId: GROUP }, new Date(Date.now() - 5 * DAY), 'not-applied', 'engine-update')]);
    const result = await run({}, updates.override);
    expect(applies(result)).to.deep.equal([]);
  });

  it('applies to a standalone Memcached cluster found by Auto, with CacheClusterIds', async () => {
    // Arrange
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'memc', Engine: 'memcached', CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1 }));
    const updates = emulateUpdateActions([action('elasticache-memcached-001', { CacheClusterId: 'memc' }, new Date(Date.now() - DAY))]);
    // Act
    const result = await run({ ResourceId: 'memc' }, updates.override);
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([
      'BranchOnResourceType',
      'ProbeReplicationGroup',
      'ReadCacheCluster',
      'AssertCacheClusterAvailable',
      'ReadTagsOfCacheCluster',
      'CheckExemptionOfCacheCluster',
      'BranchOnExemptionOfCacheCluster',
      'ReadCacheClusterUpdateActions',
      'SelectOverdueCacheClusterUpdates',
      'BranchOnCacheClusterUpdates',
      'ApplyCacheClusterUpdate',
      'VerifyCacheClusterUpdateStarted',
    ]);
    expect(updates.applied).to.deep.equal([{ ServiceUpdateName: 'elasticache-memcached-001', CacheClusterIds: ['memc'] }]);
  });

  it('fails at the check, with ElastiCache\'s reason in the output, when the update is not accepted', async () => {
    // Arrange: the action turns in-progress between the read and the apply (someone else applied it)
    await createGroup();
    const list = [action('elasticache-20250801-001', { ReplicationGroupId: GROUP }, new Date(Date.now() - DAY))];
    const updates = emulateUpdateActions(list);
    const override: CallOverride = (c) => {
      if (c.api === 'BatchApplyUpdateAction' && list[0]) list[0].UpdateActionStatus = 'stopping';
      return updates.override(c);
    };
    // Act
    const result = await run({ ResourceType: 'AWS::ElastiCache::ReplicationGroup' }, override);
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.failure).to.deep.equal({
      step: 'VerifyReplicationGroupUpdateStarted',
      message: 'Expected $.UpdateActions[0].UpdateActionStatus to be one of [waiting-to-start, scheduling, scheduled, in-progress, complete] but found stopping.',
    });
    expect(result.outputs['ApplyReplicationGroupUpdate.Unprocessed']).to.deep.equal([
      { ReplicationGroupId: GROUP, ServiceUpdateName: 'elasticache-20250801-001', ErrorType: 'InvalidState', ErrorMessage: 'Update action is stopping.' },
    ]);
  });

  describe('run-time re-checks stop an update that is no longer allowed', () => {
    it('applies nothing to an exempt group, however overdue the update', async () => {
      await createGroup({ 'hipaa-safeguards:exempt': 'CHG-5 patch window agreed for Q3', 'hipaa-safeguards:exempt-until': '2999-01-01' });
      const updates = emulateUpdateActions([action('elasticache-redis-7-1-sec-001', { ReplicationGroupId: GROUP }, new Date(Date.now() - 30 * DAY))]);
      const result = await run({}, updates.override);
      expect(result.status).to.equal('Success');
      expect(result.stepPath.at(-1)).to.equal('BranchOnExemptionOfReplicationGroup');
      expect(result.outputs['CheckExemptionOfReplicationGroup.Reason']).to.equal(
        `Replication group ${GROUP} is exempt by tag hipaa-safeguards:exempt (CHG-5 patch window agreed for Q3) until 2999-01-01. Nothing was changed.`,
      );
      expect(applies(result)).to.deep.equal([]);
    });

    it('applies nothing to an exempt standalone cluster', async () => {
      await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'memc', Engine: 'memcached', CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1, Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'INC-3' }] }));
      const updates = emulateUpdateActions([action('elasticache-memcached-001', { CacheClusterId: 'memc' }, new Date(Date.now() - DAY))]);
      const result = await run({ ResourceId: 'memc' }, updates.override);
      expect(result.stepPath.at(-1)).to.equal('BranchOnExemptionOfCacheCluster');
      expect(applies(result)).to.deep.equal([]);
    });

    it('applies nothing to a group that is not available (modifying)', async () => {
      await createGroup();
      const updates = emulateUpdateActions([action('elasticache-redis-7-1-sec-001', { ReplicationGroupId: GROUP }, new Date(Date.now() - 30 * DAY))]);
      const override: CallOverride = (c) => (c.step === 'AssertReplicationGroupAvailable' ? { ReplicationGroups: [{ ReplicationGroupId: GROUP, Status: 'modifying' }] } : updates.override(c));
      const result = await run({}, override);
      expect(result.failure).to.deep.equal({ step: 'AssertReplicationGroupAvailable', message: 'Expected $.ReplicationGroups[0].Status to be one of [available] but found modifying.' });
      expect(applies(result)).to.deep.equal([]);
    });
  });

  it('fails at ReadCacheCluster when the ID is neither a group nor a cluster (nothing applied)', async () => {
    const updates = emulateUpdateActions([]);
    const result = await run({ ResourceId: 'gone' }, updates.override);
    expect(result.stepPath).to.deep.equal(['BranchOnResourceType', 'ProbeReplicationGroup', 'ReadCacheCluster']);
    expect(result.failure?.message).to.match(/^elasticache:DescribeCacheClusters failed: CacheClusterNotFoundFault: /);
    expect(updates.applied).to.deep.equal([]);
  });
});
