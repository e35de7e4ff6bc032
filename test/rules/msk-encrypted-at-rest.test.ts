import { KafkaClient } from '@aws-sdk/client-kafka';
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { expect } from 'chai';
import sinon from 'sinon';
import { mskEncryptedAtRest as rule } from '../../rules/msk-encrypted-at-rest';
import { AwsClients } from '../../rules/runtime/clients';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import type { MskCluster } from '../../rules/resources/msk';
import { scan } from '../../scripts/lib/scan';
import { ACCOUNT } from '../helpers/fixtures';
import { useMoto } from '../helpers/moto';
import { createProvisioned, createServerless, provisioned, serverless } from '../helpers/msk';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-12-02T12:00:00Z');
const CMK = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const FIX = 'The key cannot be changed: recreate the cluster with a customer managed key.';
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const evaluate = (c: MskCluster, key: KeyFacts | undefined, p = params()) => rule.evaluate(c, p, { now: NOW, facts: { key } });
const cmk = (state = 'Enabled'): KeyFacts => ({ kind: 'resolved', keyId: CMK, arn: CMK, manager: 'CUSTOMER', state });

describe('msk-encrypted-at-rest', () => {
  describe('evaluate', () => {
    it('requires a customer managed key by default', () => {
      expect(params().requireCustomerManagedKey).to.equal(true);
    });

    it('returns NON_COMPLIANT for a serverless cluster under requireCustomerManagedKey (scenario 1)', () => {
      expect(evaluate(serverless(), undefined)).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MSK serverless cluster events is encrypted with AWS managed keys only; requireCustomerManagedKey needs a customer managed key. Use a provisioned cluster with a customer managed key. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a serverless cluster under an allow list (scenario 1)', () => {
      expect(evaluate(serverless(), undefined, params({ requireCustomerManagedKey: 'false', allowedKmsKeyArns: CMK })).annotation).to.equal(
        `MSK serverless cluster events is encrypted with AWS managed keys only; allowedKmsKeyArns names the keys allowed. Use a provisioned cluster with a customer managed key. ${CITE}`,
      );
    });

    it('returns COMPLIANT for a serverless cluster when customer keys are not required (scenario 2)', () => {
      expect(evaluate(serverless(), undefined, params({ requireCustomerManagedKey: 'false' }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MSK serverless cluster events is encrypted at rest with AWS managed keys. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for the AWS managed key aws/kafka (no DataVolumeKMSKeyId) (scenario 3)', () => {
      expect(evaluate(provisioned(), { kind: 'awsManagedAlias', keyId: 'alias/aws/kafka' })).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MSK cluster claims uses the AWS managed key aws/kafka (DataVolumeKMSKeyId empty). ${FIX} ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for an AWS managed key named by ARN (scenario 4)', () => {
      const aws = `arn:aws:kms:us-east-1:${ACCOUNT}:key/9999aaaa-12ab-34cd-56ef-1234567890ab`;
      const v = evaluate(provisioned({ dataVolumeKmsKeyId: aws }), { kind: 'resolved', keyId: aws, arn: aws, manager: 'AWS', state: 'Enabled' });
      expect(v.annotation).to.equal(`MSK cluster claims is encrypted, but KMS key ${aws} is AWS managed; requireCustomerManagedKey needs a customer managed key. ${FIX} ${CITE}`);
    });

    it('returns NON_COMPLIANT for a disabled customer key (scenario 4)', () => {
      expect(evaluate(provisioned({ dataVolumeKmsKeyId: CMK }), cmk('Disabled')).annotation).to.equal(`MSK cluster claims is encrypted, but customer managed key ${CMK} is Disabled, not Enabled. ${CITE}`);
    });

    it('returns NON_COMPLIANT for a key DescribeKey cannot read (scenario 4)', () => {
      const v = evaluate(provisioned({ dataVolumeKmsKeyId: CMK }), { kind: 'unresolved', keyId: CMK, reason: 'DescribeKey failed: NotFoundException' });
      expect(v.annotation).to.equal(`MSK cluster claims is encrypted, but KMS key ${CMK} cannot be verified (DescribeKey failed: NotFoundException). ${CITE}`);
    });

    it('returns NON_COMPLIANT for a key outside allowedKmsKeyArns (scenario 4)', () => {
      const other = `arn:aws:kms:us-east-1:${ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab`;
      expect(evaluate(provisioned({ dataVolumeKmsKeyId: CMK }), cmk(), params({ allowedKmsKeyArns: other })).annotation).to.equal(
        `MSK cluster claims is encrypted, but KMS key ${CMK} is not in allowedKmsKeyArns. ${CITE}`,
      );
    });

    it('returns COMPLIANT for aws/kafka when customer keys are not required (scenario 5)', () => {
      expect(evaluate(provisioned(), undefined, params({ requireCustomerManagedKey: 'false' }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MSK cluster claims is encrypted at rest with KMS key alias/aws/kafka. ${CITE}`,
      });
    });

    it('returns COMPLIANT for an enabled, allowed customer key (scenario 6)', () => {
      expect(evaluate(provisioned({ dataVolumeKmsKeyId: CMK }), cmk(), params({ allowedKmsKeyArns: CMK }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MSK cluster claims is encrypted at rest with KMS key ${CMK}. ${CITE}`,
      });
    });

    it('notifies a person: the key cannot change after creation', () => {
      expect(rule.remediation).to.include({ document: 'HIPAA-NotifyNonCompliantResource' });
      expect(rule.remediation?.fixed).to.include({ ConfigRuleName: 'msk-encrypted-at-rest' });
    });
  });

  describe('on moto', function () {
    this.timeout(60_000);
    let endpoint: string;
    let clients: AwsClients;
    beforeEach(async () => {
      endpoint = (await useMoto()).endpoint;
      clients = new AwsClients({ region: 'us-east-1', endpoint });
    });
    afterEach(() => sinon.restore());

    it('scan resolves each cluster key with DescribeKey and judges serverless clusters by the parameter', async () => {
      // Arrange
      const kms = clients.get(KMSClient);
      const good = await kms.send(new CreateKeyCommand({}));
      const off = await kms.send(new CreateKeyCommand({}));
      await kms.send(new DisableKeyCommand({ KeyId: off.KeyMetadata?.KeyId }));
      const kafka = clients.get(KafkaClient);
      const defaultKey = await createProvisioned(kafka, 'default-key', undefined);
      const customer = await createProvisioned(kafka, 'customer-key', { EncryptionAtRest: { DataVolumeKMSKeyId: good.KeyMetadata?.Arn } });
      const disabled = await createProvisioned(kafka, 'disabled-key', { EncryptionAtRest: { DataVolumeKMSKeyId: off.KeyMetadata?.Arn } });
      const sls = await createServerless(kafka, 'events');
      // Act
      const strict = await scan({ safeguards: [rule], region: 'us-east-1', endpoint });
      const lenient = await scan({ safeguards: [rule], region: 'us-east-1', endpoint, parameters: { 'msk-encrypted-at-rest': { requireCustomerManagedKey: 'false' } } });
      // Assert
      expect(strict.failures).to.deep.equal([]);
      expect(Object.fromEntries(strict.results.map((r) => [r.resourceId, r.compliance]))).to.deep.equal({
        [defaultKey]: 'NON_COMPLIANT',
        [customer]: 'COMPLIANT',
        [disabled]: 'NON_COMPLIANT',
        [sls]: 'NON_COMPLIANT',
      });
      expect(new Set(lenient.results.map((r) => r.compliance))).to.deep.equal(new Set(['COMPLIANT']));
    });
  });
});
