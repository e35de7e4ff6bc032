import { expect } from 'chai';
import { elastiCacheSecurityUpdatesApplied as rule, handler as exportedHandler } from '../../rules/elasticache-security-updates-applied';
import type { ElastiCacheResource, PendingSecurityUpdate } from '../../rules/resources/elasticache';
import { judge, judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import {
  clusterView,
  createCluster,
  createGroup,
  elastiCacheOn,
  fakeMissingElastiCacheApis,
  groupView,
  sdkServerlessCache,
  sdkUpdateAction,
  serverlessView,
  elastiCacheRuntime,
} from '../helpers/elasticache';

const CITE = '45 CFR 164.308(a)(1)(ii)(B)';
const NOW = new Date('2026-11-22T12:00:00Z');
const params = parseParameters(rule.schema, {});
const run = (r: ElastiCacheResource, updates: PendingSecurityUpdate[] = []) => rule.evaluate(r, params, { now: NOW, facts: { updates } });
const update = (name: string, due: string | undefined, status = 'not-applied'): PendingSecurityUpdate => ({
  serviceUpdateName: name,
  replicationGroupId: 'phi-sessions',
  status,
  ...(due ? { recommendedApplyBy: new Date(due) } : {}),
});

describe('elasticache-security-updates-applied', () => {
  it('exports a Lambda handler', () => expect(exportedHandler).to.be.a('function'));

  describe('evaluate', () => {
    it('returns NOT_APPLICABLE for a serverless cache (scenario 1)', () => {
      expect(run(serverlessView())).to.deep.equal({
        compliance: 'NOT_APPLICABLE',
        annotation: `Serverless cache claims-cache is patched by AWS: serverless caches have no update actions. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT naming each overdue update, its date and status, oldest first (scenario 2)', () => {
      // Arrange
      const updates = [
        update('elasticache-20261001-002', '2026-11-01T00:00:00Z', 'stopped'),
        update('elasticache-20260901-001', '2026-10-15T00:00:00Z'),
        update('elasticache-20261101-003', '2026-12-15T00:00:00Z'),
      ];
      // Act
      const v = run(groupView(), updates);
      // Assert
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions has 2 overdue security update(s): elasticache-20260901-001 due 2026-10-15 (not-applied); elasticache-20261001-002 due 2026-11-01 (stopped). Apply with BatchApplyUpdateAction. ${CITE}`,
      });
    });

    it('returns COMPLIANT naming the next due update when none is overdue (scenario 3)', () => {
      const updates = [update('later', '2027-02-01T00:00:00Z'), update('sooner', '2026-12-15T00:00:00Z', 'scheduled'), update('undated', undefined)];
      expect(run(clusterView(), updates)).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Cache cluster lab-cache has no overdue security update; 3 pending, next due 2026-12-15 (sooner). ${CITE}`,
      });
    });

    it('never counts an update without an apply-by date as overdue (scenario 3)', () => {
      expect(run(groupView(), [update('undated', undefined, 'in-progress')]).annotation).to.equal(
        `Replication group phi-sessions has no overdue security update; 1 pending, without an apply-by date (undated). ${CITE}`,
      );
    });

    it('returns COMPLIANT when no security update is outstanding (scenario 4)', () => {
      expect(run(groupView())).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Replication group phi-sessions has no pending security update. ${CITE}` });
    });
  });

  describe('judged through the runtime', function () {
    this.timeout(120_000);
    const env = elastiCacheRuntime((clients) => judgeAll(rule, params, newJudgeContext(clients, NOW)));

    it('matches update actions to groups (also through member clusters) and clusters, reading them once per run', async () => {
      // Arrange: resources in moto; DescribeUpdateActions mocked (moto lacks it), shapes from the botocore model
      const ec = elastiCacheOn(env.moto.endpoint);
      for (let i = 0; i < 40; i++) await createGroup(ec, { id: `grp-${i}` });
      await createCluster(ec, { id: 'mc-1' });
      const overdue = new Date('2026-10-01T00:00:00Z');
      const api = fakeMissingElastiCacheApis({
        serverless: [sdkServerlessCache({ ServerlessCacheName: 'claims' })],
        updateActions: [
          sdkUpdateAction({ ServiceUpdateName: 'sec-group', ReplicationGroupId: 'grp-1', ServiceUpdateRecommendedApplyByDate: overdue }),
          sdkUpdateAction({ ServiceUpdateName: 'sec-member', CacheClusterId: 'grp-2-001', ServiceUpdateRecommendedApplyByDate: overdue, UpdateActionStatus: 'scheduled' }),
          sdkUpdateAction({ ServiceUpdateName: 'sec-cluster', CacheClusterId: 'mc-1', ServiceUpdateRecommendedApplyByDate: overdue, Engine: 'memcached' }),
          sdkUpdateAction({ ServiceUpdateName: 'sec-done', ReplicationGroupId: 'grp-3', ServiceUpdateRecommendedApplyByDate: overdue, UpdateActionStatus: 'complete' }),
        ],
      });
      // Act
      const { judged, failures } = await judgeAll(rule, params, newJudgeContext(env.clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      const verdicts = Object.fromEntries(judged.map((j) => [j.resource.id, j.verdict]));
      expect(Object.keys(verdicts)).to.have.length(42);
      expect(verdicts['grp-1']?.annotation).to.equal(
        `Replication group grp-1 has 1 overdue security update(s): sec-group due 2026-10-01 (not-applied). Apply with BatchApplyUpdateAction. ${CITE}`,
      );
      expect(verdicts['grp-2']?.annotation).to.equal(
        `Replication group grp-2 has 1 overdue security update(s): sec-member due 2026-10-01 (scheduled). Apply with BatchApplyUpdateAction. ${CITE}`,
      );
      expect(verdicts['mc-1']?.compliance).to.equal('NON_COMPLIANT');
      expect(verdicts['grp-3']?.compliance).to.equal('COMPLIANT');
      expect(verdicts.claims?.compliance).to.equal('NOT_APPLICABLE');
      expect(judged.filter((j) => j.verdict.compliance === 'NON_COMPLIANT')).to.have.length(3);
      expect(api.calls.filter((c) => c === 'DescribeUpdateActions')).to.have.length(1);
    });

    it("fails each node-based resource with moto's DescribeUpdateActions error and still judges serverless caches", async () => {
      await createGroup(elastiCacheOn(env.moto.endpoint), { id: 'grp' });
      await createCluster(elastiCacheOn(env.moto.endpoint), { id: 'mc-1' });
      const api = fakeMissingElastiCacheApis({ serverless: [sdkServerlessCache({ ServerlessCacheName: 'claims' })] });
      const { judged, failures } = await judgeAll(rule, params, newJudgeContext(env.clients, NOW));
      expect(failures.map((f) => [f.resourceType, f.resourceId])).to.deep.equal([
        ['AWS::ElastiCache::ReplicationGroup', 'grp'],
        ['AWS::ElastiCache::CacheCluster', 'mc-1'],
      ]);
      // A failed lookup is not cached: the next resource asks again, so a passing fault costs one verdict.
      expect(api.calls.filter((c) => c === 'DescribeUpdateActions')).to.have.length(2);
      expect(judged.map((j) => [j.resource.id, j.verdict.compliance])).to.deep.equal([['claims', 'NOT_APPLICABLE']]);
    });

    it('does not ask for update actions of an exempt resource', async () => {
      const api = fakeMissingElastiCacheApis({ updateActions: [] });
      const v = await judge(rule, groupView({ tags: { 'hipaa-safeguards:exempt': 'CHG-1' } }), params, newJudgeContext(env.clients, NOW));
      expect(v.compliance).to.equal('NOT_APPLICABLE');
      expect(api.calls).to.deep.equal([]);
    });
  });
});
