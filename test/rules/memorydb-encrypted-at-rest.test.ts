import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { expect } from 'chai';
import { memoryDbEncryptedAtRest as rule } from '../../rules/memorydb-encrypted-at-rest';
import { AwsClients } from '../../rules/runtime/clients';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import { createMemoryDbCluster, memoryDbCluster, memoryDbOn } from '../helpers/memorydb';
import { useMoto } from '../helpers/moto';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const CMK = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const FIX = 'The key is fixed at creation: restore a snapshot into a new cluster with an allowed key.';
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const run = (c: ReturnType<typeof memoryDbCluster>, key: KeyFacts | undefined, p = params()) => rule.evaluate(c, p, { now: NOW, facts: { key } });
const cmk = (state = 'Enabled'): KeyFacts => ({ kind: 'resolved', keyId: CMK, arn: CMK, manager: 'CUSTOMER', state });

describe('memorydb-encrypted-at-rest', () => {
  describe('evaluate', () => {
    it('requires a customer managed key by default: MemoryDB always encrypts, so otherwise the rule could never fail', () => {
      expect(params().requireCustomerManagedKey).to.equal(true);
      expect(params().allowedKmsKeyArns).to.deep.equal([]);
    });

    it('returns NON_COMPLIANT for the MemoryDB default key by default (scenario 1)', () => {
      expect(run(memoryDbCluster({ kmsKeyId: undefined }), undefined)).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) is encrypted at rest with the MemoryDB default key (no KmsKeyId); a customer managed key is required. ${FIX} ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for the default key when an allow list is set (scenario 2)', () => {
      const v = run(memoryDbCluster({ kmsKeyId: undefined }), undefined, params({ requireCustomerManagedKey: 'false', allowedKmsKeyArns: CMK }));
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) is encrypted at rest with the MemoryDB default key (no KmsKeyId), which is not in allowedKmsKeyArns. ${FIX} ${CITE}`,
      });
    });

    it('returns COMPLIANT for the default key when neither key parameter asks for more (scenario 3)', () => {
      expect(run(memoryDbCluster({ kmsKeyId: undefined }), undefined, params({ requireCustomerManagedKey: 'false' }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) is encrypted at rest with the MemoryDB default key. ${CITE}`,
      });
    });

    const failing: { readonly why: string; readonly key: KeyFacts; readonly p?: Record<string, string>; readonly problem: string }[] = [
      { why: 'an AWS managed key', key: { kind: 'resolved', keyId: CMK, arn: CMK, manager: 'AWS', state: 'Enabled' }, problem: `KMS key ${CMK} is AWS managed; requireCustomerManagedKey needs a customer managed key` },
      { why: 'a disabled customer key', key: cmk('Disabled'), problem: `customer managed key ${CMK} is Disabled, not Enabled` },
      { why: 'a key DescribeKey cannot read', key: { kind: 'unresolved', keyId: CMK, reason: 'DescribeKey failed: NotFoundException' }, problem: `KMS key ${CMK} cannot be verified (DescribeKey failed: NotFoundException)` },
      {
        why: 'a key outside allowedKmsKeyArns',
        key: cmk(),
        p: { allowedKmsKeyArns: 'arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab' },
        problem: `KMS key ${CMK} is not in allowedKmsKeyArns`,
      },
    ];
    for (const c of failing) {
      it(`returns NON_COMPLIANT for ${c.why} (scenario 4)`, () => {
        expect(run(memoryDbCluster({ kmsKeyId: CMK, engine: 'redis', engineVersion: '7.1' }), c.key, params(c.p))).to.deep.equal({
          compliance: 'NON_COMPLIANT',
          annotation: `MemoryDB cluster phi-sessions (Redis OSS 7.1) is encrypted at rest, but ${c.problem}. ${FIX} ${CITE}`,
        });
      });
    }

    it('returns COMPLIANT for an enabled customer managed key in the allow list (scenario 5)', () => {
      expect(run(memoryDbCluster({ kmsKeyId: CMK }), cmk(), params({ allowedKmsKeyArns: CMK }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) is encrypted at rest with KMS key ${CMK}. ${CITE}`,
      });
    });
  });

  describe('on moto', function () {
    this.timeout(60_000);
    it('reads each cluster\'s key with kms:DescribeKey: a customer key passes, the default key fails', async () => {
      // Arrange
      const moto = await useMoto();
      const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      const key = (await kms.send(new CreateKeyCommand({ Description: 'PHI cache key' }))).KeyMetadata?.Arn ?? '';
      const md = memoryDbOn(moto.endpoint);
      await createMemoryDbCluster(md, { name: 'phi-cmk', kmsKeyId: key });
      await createMemoryDbCluster(md, { name: 'phi-default' });
      const clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
      // Act
      const { judged, failures } = await judgeAll(rule, params(), newJudgeContext(clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      expect(Object.fromEntries(judged.map((j) => [j.resource.id, j.verdict.compliance]))).to.deep.equal({ 'phi-cmk': 'COMPLIANT', 'phi-default': 'NON_COMPLIANT' });
    });
  });
});
