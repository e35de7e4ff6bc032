import { expect } from 'chai';
import { memoryDbEncryptedInTransit as rule } from '../../rules/memorydb-encrypted-in-transit';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { AwsClients } from '../../rules/runtime/clients';
import { parseParameters } from '../../rules/runtime/parameters';
import { createMemoryDbCluster, memoryDbCluster, memoryDbOn } from '../helpers/memorydb';
import { useMoto } from '../helpers/moto';

const CITE = '45 CFR 164.312(e)(2)(ii)';
const NOW = new Date('2026-11-22T12:00:00Z');
const params = parseParameters(rule.schema, {});
const run = (c = memoryDbCluster()) => rule.evaluate(c, params, { now: NOW, facts: undefined });

describe('memorydb-encrypted-in-transit', () => {
  describe('evaluate', () => {
    it('returns COMPLIANT when TLSEnabled is true (scenario 1)', () => {
      expect(run()).to.deep.equal({ compliance: 'COMPLIANT', annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) requires TLS in transit (TLSEnabled true). ${CITE}` });
    });

    it('returns NON_COMPLIANT when TLSEnabled is false, with the recreate fix (scenario 2)', () => {
      expect(run(memoryDbCluster({ tlsEnabled: false, engine: 'redis', engineVersion: '6.2' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Redis OSS 6.2) is not encrypted in transit (TLSEnabled false). TLS is fixed at creation: restore a snapshot into a new cluster with TLSEnabled. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when TLSEnabled was not reported (scenario 3)', () => {
      expect(run(memoryDbCluster({ tlsEnabled: undefined, engine: undefined, status: 'creating' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (engine not reported, version 7.2; creating) cannot be verified: DescribeClusters did not report TLSEnabled. ${CITE}`,
      });
    });

    it('notifies a person: TLS cannot be switched on in place', () => {
      expect(rule.remediation).to.include({ document: 'HIPAA-NotifyNonCompliantResource', automatic: true });
      expect(rule.remediation?.fixed).to.include({ ConfigRuleName: 'memorydb-encrypted-in-transit' });
    });
  });

  describe('on moto', function () {
    this.timeout(60_000);
    it('judges clusters created with and without TLS, and none when there is no cluster', async () => {
      // Arrange
      const moto = await useMoto();
      const clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
      const empty = await judgeAll(rule, params, newJudgeContext(clients, NOW));
      const md = memoryDbOn(moto.endpoint);
      await createMemoryDbCluster(md, { name: 'phi-tls' });
      await createMemoryDbCluster(md, { name: 'legacy-plain', tls: false });
      // Act
      const { judged, failures } = await judgeAll(rule, params, newJudgeContext(clients, NOW));
      // Assert
      expect(empty.judged).to.deep.equal([]);
      expect(failures).to.deep.equal([]);
      expect(Object.fromEntries(judged.map((j) => [j.resource.id, j.verdict.compliance]))).to.deep.equal({ 'phi-tls': 'COMPLIANT', 'legacy-plain': 'NON_COMPLIANT' });
    });
  });
});
