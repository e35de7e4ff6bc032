import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, DescribeKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { kinesisStreamEncrypted as rule } from '../../rules/kinesis-stream-encrypted';
import { AwsClients } from '../../rules/runtime/clients';
import type { KeyFacts } from '../../rules/runtime/kms';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import type { KinesisStream } from '../../rules/resources/kinesis-stream';
import { useMoto } from '../helpers/moto';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const CMK_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const stream = (o: Partial<KinesisStream> = {}): KinesisStream => ({
  id: 'vitals',
  resourceType: 'AWS::Kinesis::Stream',
  name: 'vitals',
  encryptionType: 'KMS',
  keyId: 'alias/phi',
  encryptionField: 'StreamEncryption',
  tags: {},
  ...o,
});
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const facts = (key?: KeyFacts) => ({ key });
const cmk = (state = 'Enabled', arn = CMK_ARN): KeyFacts => ({ kind: 'resolved', keyId: 'alias/phi', arn, manager: 'CUSTOMER', state });

describe('kinesis-stream-encrypted', () => {
  describe('evaluate', () => {
    it('returns NON_COMPLIANT when the stream has no StreamEncryption (scenario 1)', () => {
      // Arrange
      const s = stream({ encryptionType: 'NONE', keyId: undefined });
      // Act
      const v = rule.evaluate(s, params(), { now: NOW, facts: facts() });
      // Assert
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Stream vitals is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. ${CITE}`,
      });
    });

    it('names the API field when the facts come from DescribeStreamSummary (scenario 1)', () => {
      const v = rule.evaluate(stream({ encryptionType: 'NONE', keyId: undefined, encryptionField: 'EncryptionType' }), params(), { now: NOW, facts: facts() });
      expect(v.annotation).to.equal(`Stream vitals is not encrypted at rest (EncryptionType NONE). Enable KMS server-side encryption. ${CITE}`);
    });

    it('returns COMPLIANT for KMS with default parameters, without looking the key up (scenario 2)', () => {
      expect(rule.evaluate(stream({ keyId: 'alias/aws/kinesis' }), params(), { now: NOW, facts: facts() })).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Stream vitals is encrypted at rest with KMS key alias/aws/kinesis. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for an AWS managed key when a customer key is required (scenario 3)', () => {
      const s = stream({ keyId: 'alias/aws/kinesis' });
      const p = params({ requireCustomerManagedKey: 'true' });
      const v = rule.evaluate(s, p, { now: NOW, facts: facts({ kind: 'awsManagedAlias', keyId: 'alias/aws/kinesis' }) });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Stream vitals is encrypted, but KMS key alias/aws/kinesis is AWS managed; requireCustomerManagedKey needs a customer managed key. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a key that DescribeKey reports as AWS managed (scenario 3)', () => {
      const key: KeyFacts = { kind: 'resolved', keyId: 'alias/phi', arn: CMK_ARN, manager: 'AWS', state: 'Enabled' };
      const v = rule.evaluate(stream(), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: facts(key) });
      expect(v.compliance).to.equal('NON_COMPLIANT');
      expect(v.annotation).to.contain('KMS key alias/phi is AWS managed');
    });

    it('returns NON_COMPLIANT when the customer key is disabled (scenario 4)', () => {
      const v = rule.evaluate(stream(), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: facts(cmk('Disabled')) });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Stream vitals is encrypted, but customer managed key alias/phi is Disabled, not Enabled. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the key cannot be resolved (scenario 5)', () => {
      const key: KeyFacts = { kind: 'unresolved', keyId: 'alias/phi', reason: 'DescribeKey failed: NotFoundException' };
      const v = rule.evaluate(stream(), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: facts(key) });
      expect(v.annotation).to.equal(`Stream vitals is encrypted, but KMS key alias/phi cannot be verified (DescribeKey failed: NotFoundException). ${CITE}`);
    });

    it('returns NON_COMPLIANT when the resolved key is not in allowedKmsKeyArns (scenario 6)', () => {
      const other = 'arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab';
      const v = rule.evaluate(stream(), params({ allowedKmsKeyArns: other }), { now: NOW, facts: facts(cmk()) });
      expect(v.annotation).to.equal(`Stream vitals is encrypted, but KMS key ${CMK_ARN} is not in allowedKmsKeyArns. ${CITE}`);
    });

    it('returns COMPLIANT for an enabled, allowed customer key (scenario 7)', () => {
      const p = params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: CMK_ARN });
      expect(rule.evaluate(stream(), p, { now: NOW, facts: facts(cmk()) }).compliance).to.equal('COMPLIANT');
    });

    it('returns NON_COMPLIANT for KMS without a KeyId (scenario 8)', () => {
      const v = rule.evaluate(stream({ keyId: undefined }), params(), { now: NOW, facts: facts() });
      expect(v.annotation).to.equal(`Stream vitals reports KMS encryption without a KeyId. Re-apply KMS encryption with a known key. ${CITE}`);
    });
  });

  describe('key lookups through the runtime (moto)', () => {
    let clients: AwsClients;
    before(async function () {
      this.timeout(60_000);
      const moto = await useMoto();
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint });
    });

    it('resolves a customer key through its alias and judges it COMPLIANT', async () => {
      // Arrange
      const key = await clients.get(KMSClient).send(new CreateKeyCommand({}));
      await clients.get(KMSClient).send(new CreateAliasCommand({ AliasName: 'alias/phi', TargetKeyId: key.KeyMetadata?.KeyId }));
      const p = params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: key.KeyMetadata?.Arn ?? '' });
      // Act
      const v = await judge(rule, stream(), p, newJudgeContext(clients, NOW));
      // Assert
      expect(v.compliance).to.equal('COMPLIANT');
    });

    it('judges a disabled customer key NON_COMPLIANT', async () => {
      const key = await clients.get(KMSClient).send(new CreateKeyCommand({}));
      await clients.get(KMSClient).send(new DisableKeyCommand({ KeyId: key.KeyMetadata?.KeyId }));
      const v = await judge(rule, stream({ keyId: key.KeyMetadata?.KeyId }), params({ requireCustomerManagedKey: 'true' }), newJudgeContext(clients, NOW));
      expect(v.annotation).to.contain('is Disabled, not Enabled');
    });

    it('judges a missing key NON_COMPLIANT, never COMPLIANT', async () => {
      const v = await judge(rule, stream({ keyId: 'alias/does-not-exist' }), params({ requireCustomerManagedKey: 'true' }), newJudgeContext(clients, NOW));
      expect(v.compliance).to.equal('NON_COMPLIANT');
      expect(v.annotation).to.contain('cannot be verified (DescribeKey failed: NotFoundException)');
    });

    it('knows alias/aws/... is AWS managed without a DescribeKey call', async () => {
      const kms = mockClient(KMSClient);
      try {
        kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'no', $metadata: {} }));
        const v = await judge(rule, stream({ keyId: 'alias/aws/kinesis' }), params({ requireCustomerManagedKey: 'true' }), newJudgeContext(clients, NOW));
        expect(v.annotation).to.contain('is AWS managed');
        expect(kms.commandCalls(DescribeKeyCommand)).to.have.length(0);
      } finally {
        kms.restore();
      }
    });

    it('looks no key up with the default parameters', async () => {
      const kms = mockClient(KMSClient);
      try {
        const v = await judge(rule, stream({ keyId: 'alias/phi' }), params(), newJudgeContext(clients, NOW));
        expect(v.compliance).to.equal('COMPLIANT');
        expect(kms.calls()).to.have.length(0);
      } finally {
        kms.restore();
      }
    });

    it('describes a key shared by many streams once per run', async () => {
      const kms = mockClient(KMSClient);
      try {
        kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: CMK_ARN, KeyManager: 'CUSTOMER', KeyState: 'Enabled' } });
        const ctx = newJudgeContext(clients, NOW);
        for (const id of ['a', 'b', 'c']) await judge(rule, stream({ id, name: id }), params({ requireCustomerManagedKey: 'true' }), ctx);
        expect(kms.commandCalls(DescribeKeyCommand)).to.have.length(1);
      } finally {
        kms.restore();
      }
    });

    it('lets a throttled DescribeKey fail the evaluation instead of inventing a verdict', async () => {
      const kms = mockClient(KMSClient);
      try {
        kms.on(DescribeKeyCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
        const err = await judge(rule, stream(), params({ requireCustomerManagedKey: 'true' }), newJudgeContext(clients, NOW)).catch((e: unknown) => e);
        expect((err as Error).name).to.equal('ThrottlingException');
      } finally {
        kms.restore();
      }
    });
  });
});
