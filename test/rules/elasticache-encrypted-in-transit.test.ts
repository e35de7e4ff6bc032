import { expect } from 'chai';
import { elastiCacheEncryptedInTransit as rule, handler as exportedHandler } from '../../rules/elasticache-encrypted-in-transit';
import type { ElastiCacheResource } from '../../rules/resources/elasticache';
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

const CITE = '45 CFR 164.312(e)(2)(ii)';
const NOW = new Date('2026-11-22T12:00:00Z');
const params = parseParameters(rule.schema, {});
const run = (r: ElastiCacheResource) => rule.evaluate(r, params, { now: NOW, facts: undefined });

describe('elasticache-encrypted-in-transit', () => {
  it('exports a Lambda handler', () => expect(exportedHandler).to.be.a('function'));

  describe('evaluate', () => {
    it('returns COMPLIANT for a serverless cache, which always requires TLS (scenario 1)', () => {
      expect(run(serverlessView())).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Serverless cache claims-cache requires TLS in transit (always, for serverless caches). ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a replication group without TLS (scenario 2)', () => {
      // Arrange
      const g = groupView({ transitEncryptionEnabled: false, transitEncryptionMode: undefined });
      // Act
      const v = run(g);
      // Assert
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions is not encrypted in transit (TransitEncryptionEnabled false). Enable TLS with TransitEncryptionMode preferred, move every client to TLS, then set required. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a standalone cluster without TLS (scenario 3)', () => {
      expect(run(clusterView({ engine: 'memcached', transitEncryptionEnabled: false }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Cache cluster lab-cache is not encrypted in transit (TransitEncryptionEnabled false). A cluster gets TLS only at creation: recreate it with TransitEncryptionEnabled. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for TLS in preferred mode, which still accepts plaintext (scenario 4)', () => {
      expect(run(groupView({ transitEncryptionMode: 'preferred' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions still accepts plaintext connections (TransitEncryptionMode preferred). Set TransitEncryptionMode to required once every client uses TLS. ${CITE}`,
      });
    });

    it('returns COMPLIANT for TLS in required mode (scenario 5)', () => {
      expect(run(groupView({ engine: 'valkey' }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions requires TLS in transit (TransitEncryptionMode required). ${CITE}`,
      });
    });

    it('returns COMPLIANT for a Memcached cluster with TLS and no mode (scenario 6)', () => {
      expect(run(clusterView({ engine: 'memcached', transitEncryptionEnabled: true }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Cache cluster lab-cache requires TLS in transit (TransitEncryptionEnabled true). ${CITE}`,
      });
    });
  });

  describe('judged through the runtime', function () {
    this.timeout(120_000);
    const env = elastiCacheRuntime((clients) => judgeAll(rule, params, newJudgeContext(clients, NOW)));

    it('judges many resources of every kind: cluster mode, preferred mode, Memcached with TLS', async () => {
      // Arrange
      const ec = elastiCacheOn(env.moto.endpoint);
      for (let i = 0; i < 30; i++) await createGroup(ec, { id: `tls-${i}`, transit: true, mode: 'required' });
      await createGroup(ec, { id: 'cm-plain', engine: 'valkey', clusterMode: true });
      await createGroup(ec, { id: 'migrating', transit: true, mode: 'preferred' });
      await createCluster(ec, { id: 'mc-tls', transit: true });
      await createCluster(ec, { id: 'mc-plain' });
      fakeMissingElastiCacheApis({ serverless: [sdkServerlessCache({ ServerlessCacheName: 'claims' })] });
      // Act
      const { judged, failures } = await judgeAll(rule, params, newJudgeContext(env.clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      const verdicts = Object.fromEntries(judged.map((j) => [j.resource.id, j.verdict.compliance]));
      expect(Object.keys(verdicts)).to.have.length(35);
      expect(Object.entries(verdicts).filter(([id]) => id.startsWith('tls-')).every(([, c]) => c === 'COMPLIANT')).to.equal(true);
      expect(verdicts).to.deep.include({ 'cm-plain': 'NON_COMPLIANT', migrating: 'NON_COMPLIANT', 'mc-tls': 'COMPLIANT', 'mc-plain': 'NON_COMPLIANT', claims: 'COMPLIANT' });
    });
  });
});
