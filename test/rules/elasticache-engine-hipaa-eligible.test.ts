import { expect } from 'chai';
import { elastiCacheEngineHipaaEligible as rule, handler as exportedHandler } from '../../rules/elasticache-engine-hipaa-eligible';
import type { ElastiCacheResource } from '../../rules/resources/elasticache';
import { InvalidParameterError } from '../../rules/runtime/errors';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
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

const CITE = '45 CFR 164.308(b)(1)';
const NOW = new Date('2026-11-22T12:00:00Z');
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const run = (r: ElastiCacheResource, p = params()) => rule.evaluate(r, p, { now: NOW, facts: undefined });
const redis = (version: string) => groupView({ engineVersion: version, engineVersions: [version] });

describe('elasticache-engine-hipaa-eligible', () => {
  it('exports a Lambda handler', () => expect(exportedHandler).to.be.a('function'));

  describe('evaluate', () => {
    it('returns NON_COMPLIANT for Memcached with the default allowedEngines (scenario 1)', () => {
      expect(run(clusterView({ engine: 'memcached', engineVersion: '1.6.22', engineVersions: ['1.6.22'] }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Cache cluster lab-cache runs Memcached, which is not HIPAA eligible under the AWS BAA. Move PHI to a Valkey or Redis OSS cache. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for an engine allowedEngines leaves out (scenario 2)', () => {
      expect(run(redis('7.1.0'), params({ allowedEngines: 'valkey' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions runs Redis OSS, which is not in allowedEngines (valkey). Move PHI to an allowed engine. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for Redis OSS of unknown version (scenario 3)', () => {
      expect(run(groupView({ engineVersion: undefined, engineVersions: [] }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions runs Redis OSS of unknown version (no member cluster reports EngineVersion). It is evaluated again on the next run. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for Redis OSS 4.0.9 (scenario 4)', () => {
      expect(run(redis('4.0.9'))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions runs Redis OSS 4.0.9, below the HIPAA-eligible minimum 4.0.10 (3.2.6 is also accepted). Upgrade the engine version. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when any member of a group mid-upgrade runs an old version (scenario 4)', () => {
      const g = groupView({ engineVersion: '3.2.6', engineVersions: ['3.2.6', '4.0.9'] });
      expect(run(g).annotation).to.equal(
        `Replication group phi-sessions runs Redis OSS 4.0.9, below the HIPAA-eligible minimum 4.0.10 (3.2.6 is also accepted). Upgrade the engine version. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for 3.2.6 once minimumRedisVersion is raised above 4.0.10 (scenario 4)', () => {
      expect(run(redis('3.2.6'), params({ minimumRedisVersion: '6.2' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions runs Redis OSS 3.2.6, below the HIPAA-eligible minimum 6.2. Upgrade the engine version. ${CITE}`,
      });
    });

    it('returns COMPLIANT for Redis OSS 3.2.6, the whitepaper version (scenario 5)', () => {
      expect(run(redis('3.2.6'))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions runs Redis OSS 3.2.6, HIPAA eligible as the AWS HIPAA whitepaper names it. ${CITE}`,
      });
    });

    it('returns COMPLIANT for Redis OSS at the minimum (scenario 6)', () => {
      expect(run(redis('4.0.10'))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions runs Redis OSS 4.0.10 (minimum 4.0.10). ${CITE}`,
      });
    });

    it('returns COMPLIANT for a serverless Redis OSS cache above a raised minimum (scenario 6)', () => {
      expect(run(serverlessView({ engine: 'redis', engineVersion: '7.1' }), params({ minimumRedisVersion: '7.0' })).annotation).to.equal(
        `Serverless cache claims-cache runs Redis OSS 7.1 (minimum 7.0). ${CITE}`,
      );
    });

    it('returns COMPLIANT for Valkey (scenario 7)', () => {
      expect(run(serverlessView())).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Serverless cache claims-cache runs Valkey 8.0, an allowed engine. ${CITE}`,
      });
    });

    it('returns COMPLIANT for Memcached when allowedEngines lists it (scenario 7)', () => {
      const v = run(clusterView({ engine: 'memcached', engineVersion: '1.6.22', engineVersions: ['1.6.22'] }), params({ allowedEngines: 'redis,valkey,memcached' }));
      expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Cache cluster lab-cache runs Memcached 1.6.22, an allowed engine. ${CITE}` });
    });

    it('rejects an engine name it does not know, naming the parameter', () => {
      expect(() => params({ allowedEngines: 'Redis' })).to.throw(InvalidParameterError, 'Rule parameter allowedEngines contains "Redis".');
      expect(() => params({ minimumRedisVersion: 'latest' })).to.throw(InvalidParameterError, 'Rule parameter minimumRedisVersion is "latest".');
    });
  });

  describe('judged through the runtime', function () {
    this.timeout(120_000);
    const env = elastiCacheRuntime((clients) => judgeAll(rule, params(), newJudgeContext(clients, NOW)));

    it('judges many caches by the engine versions of their member clusters (moto)', async () => {
      // Arrange
      const ec = elastiCacheOn(env.moto.endpoint);
      for (let i = 0; i < 25; i++) await createGroup(ec, { id: `r7-${i}`, version: '7.1.0' });
      await createGroup(ec, { id: 'wp-326', version: '3.2.6' });
      await createGroup(ec, { id: 'old-409', version: '4.0.9' });
      await createGroup(ec, { id: 'valkey', engine: 'valkey' });
      await createCluster(ec, { id: 'mc-1', engine: 'memcached' });
      await createCluster(ec, { id: 'solo-redis', engine: 'redis', version: '6.2.6', nodeType: 'cache.t3.micro' });
      fakeMissingElastiCacheApis({ serverless: [sdkServerlessCache({ ServerlessCacheName: 'sl-memcached', Engine: 'memcached', FullEngineVersion: '1.6' })] });
      // Act
      const { judged, failures } = await judgeAll(rule, params(), newJudgeContext(env.clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      const verdicts = Object.fromEntries(judged.map((j) => [j.resource.id, j.verdict.compliance]));
      expect(Object.keys(verdicts)).to.have.length(31);
      expect(verdicts).to.deep.include({
        'r7-0': 'COMPLIANT',
        'r7-24': 'COMPLIANT',
        'wp-326': 'COMPLIANT',
        'old-409': 'NON_COMPLIANT',
        valkey: 'COMPLIANT',
        'mc-1': 'NON_COMPLIANT',
        'solo-redis': 'COMPLIANT',
        'sl-memcached': 'NON_COMPLIANT',
      });
    });
  });
});
