import { expect } from 'chai';
import { CURRENT_GENERATION_FAMILIES, elastiCacheCurrentGenerationNodes as rule, handler as exportedHandler } from '../../rules/elasticache-current-generation-nodes';
import type { ElastiCacheResource } from '../../rules/resources/elasticache';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { defaultAsString, parseParameters } from '../../rules/runtime/parameters';
import {
  clusterView,
  createCluster,
  createGroup,
  elastiCacheOn,
  fakeMissingElastiCacheApis,
  groupView,
  sdkServerlessCache,
  serverlessView,
  elastiCacheRuntime,
} from '../helpers/elasticache';

const CITE = '45 CFR 164.308(a)(1)(ii)(B)';
const NOW = new Date('2026-11-22T12:00:00Z');
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const run = (r: ElastiCacheResource, p = params()) => rule.evaluate(r, p, { now: NOW, facts: undefined });

describe('elasticache-current-generation-nodes', () => {
  it('exports a Lambda handler', () => expect(exportedHandler).to.be.a('function'));

  it('documents its default family list and leaves every previous-generation family out', () => {
    expect(defaultAsString(rule.schema.currentGenerationFamilies)).to.equal('t2,t3,t4g,m4,m5,m6g,m7g,r4,r5,r6g,r6gd,r7g,c7gn');
    for (const old of ['t1', 'm1', 'm2', 'm3', 'c1', 'r3']) expect(CURRENT_GENERATION_FAMILIES).to.not.include(old);
  });

  describe('evaluate', () => {
    it('returns NOT_APPLICABLE for a serverless cache (scenario 1)', () => {
      expect(run(serverlessView())).to.deep.equal({
        compliance: 'NOT_APPLICABLE',
        annotation: `Serverless cache claims-cache has no node types to choose (serverless). ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when no node type is reported (scenario 2)', () => {
      expect(run(groupView({ nodeTypes: [] }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions reports no CacheNodeType, so its node generation cannot be verified. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a node type it cannot read (scenario 3)', () => {
      expect(run(clusterView({ nodeTypes: ['db.r6g.large'] }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Cache cluster lab-cache uses node type db.r6g.large, which is not of the form cache.<family>.<size>. ${CITE}`,
      });
    });

    for (const type of ['cache.t1.micro', 'cache.m1.small', 'cache.m2.xlarge', 'cache.m3.medium', 'cache.c1.xlarge', 'cache.r3.large']) {
      it(`returns NON_COMPLIANT for previous-generation ${type} (scenario 4)`, () => {
        const family = type.split('.')[1] ?? '';
        expect(run(clusterView({ nodeTypes: [type] }))).to.deep.equal({
          compliance: 'NON_COMPLIANT',
          annotation: `Cache cluster lab-cache uses previous-generation node type ${type} (family ${family} is not in currentGenerationFamilies). Scale to a current-generation node type. ${CITE}`,
        });
      });
    }

    it('returns NON_COMPLIANT for a group mid-scaling while one node type is old (scenario 4)', () => {
      expect(run(groupView({ nodeTypes: ['cache.r6g.large', 'cache.r3.large'] })).compliance).to.equal('NON_COMPLIANT');
    });

    it('returns NON_COMPLIANT for t2 once the parameter drops it (scenario 4)', () => {
      expect(run(clusterView({ nodeTypes: ['cache.t2.micro'] }), params({ currentGenerationFamilies: 't3,t4g,r7g' })).compliance).to.equal('NON_COMPLIANT');
    });

    it('returns COMPLIANT for current-generation node types (scenario 5)', () => {
      expect(run(groupView({ nodeTypes: ['cache.r7g.xlarge', 'cache.r6gd.xlarge'] }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions uses current-generation node type cache.r7g.xlarge, cache.r6gd.xlarge. ${CITE}`,
      });
    });
  });

  describe('judged through the runtime', function () {
    this.timeout(120_000);
    const env = elastiCacheRuntime((clients) => judgeAll(rule, params(), newJudgeContext(clients, NOW)));

    it('judges the node types of many groups and clusters (moto)', async () => {
      // Arrange
      const ec = elastiCacheOn(env.moto.endpoint);
      for (let i = 0; i < 30; i++) await createGroup(ec, { id: `cur-${i}`, nodeType: 'cache.r7g.large' });
      await createGroup(ec, { id: 'old-grp', nodeType: 'cache.r3.large' });
      await createCluster(ec, { id: 'old-mc', nodeType: 'cache.m3.medium' });
      await createCluster(ec, { id: 'new-mc', nodeType: 'cache.t4g.small' });
      fakeMissingElastiCacheApis({ serverless: [sdkServerlessCache({ ServerlessCacheName: 'claims' })] });
      // Act
      const { judged, failures } = await judgeAll(rule, params(), newJudgeContext(env.clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      const count = (c: string) => judged.filter((j) => j.verdict.compliance === c).length;
      expect([count('COMPLIANT'), count('NON_COMPLIANT'), count('NOT_APPLICABLE')]).to.deep.equal([31, 2, 1]);
      expect(judged.find((j) => j.resource.id === 'old-grp')?.verdict.annotation).to.equal(
        `Replication group old-grp uses previous-generation node type cache.r3.large (family r3 is not in currentGenerationFamilies). Scale to a current-generation node type. ${CITE}`,
      );
    });
  });
});
