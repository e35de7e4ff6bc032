import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateDBClusterCommand, CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { rdsEncryptedAtRest as rule } from '../../rules/rds-encrypted-at-rest';
import { AwsClients } from '../../rules/runtime/clients';
import { judge, judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import type { RdsDatabase } from '../../rules/resources/rds';
import { useMoto } from '../helpers/moto';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const CMK_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const db = (o: Partial<RdsDatabase> = {}): RdsDatabase => ({
  kind: 'instance',
  id: 'db-ABCDEFGHIJKLMNOP',
  resourceType: 'AWS::RDS::DBInstance',
  name: 'phi-db',
  engine: 'postgres',
  engineVersion: '16.4',
  storageEncrypted: true,
  kmsKeyId: CMK_ARN,
  optionGroups: [],
  tags: {},
  ...o,
});
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const ctx = (key?: KeyFacts) => ({ now: NOW, facts: { key } });
const cmk = (state = 'Enabled', arn = CMK_ARN): KeyFacts => ({ kind: 'resolved', keyId: CMK_ARN, arn, manager: 'CUSTOMER', state });

describe('rds-encrypted-at-rest', () => {
  describe('evaluate', () => {
    it('returns NOT_APPLICABLE for an instance of a cluster, naming the cluster (scenario 1)', () => {
      const v = rule.evaluate(db({ engine: 'aurora-postgresql', clusterId: 'phi-aurora', storageEncrypted: false }), params(), ctx());
      expect(v).to.deep.equal({
        compliance: 'NOT_APPLICABLE',
        annotation: `DB instance phi-db (aurora-postgresql) belongs to DB cluster phi-aurora, whose storage encryption is judged on the cluster. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when StorageEncrypted is false (scenario 2)', () => {
      const v = rule.evaluate(db({ storageEncrypted: false, kmsKeyId: undefined }), params(), ctx());
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (postgres) is not encrypted at rest (StorageEncrypted false). It cannot be encrypted in place: restore an encrypted copy of a snapshot and move clients to it. ${CITE}`,
      });
    });

    it('judges a DocumentDB cluster the same way (scenario 2)', () => {
      const v = rule.evaluate(db({ kind: 'cluster', resourceType: 'AWS::RDS::DBCluster', name: 'docs', engine: 'docdb', storageEncrypted: false, kmsKeyId: undefined }), params(), ctx());
      expect(v.compliance).to.equal('NON_COMPLIANT');
      expect(v.annotation).to.match(/^DB cluster docs \(docdb\) is not encrypted at rest/);
    });

    it('returns COMPLIANT when encrypted, with default parameters (scenario 3)', () => {
      expect(rule.evaluate(db({ kmsKeyId: 'alias/aws/rds' }), params(), ctx())).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `DB instance phi-db (postgres) is encrypted at rest with KMS key alias/aws/rds. ${CITE}`,
      });
    });

    it('returns COMPLIANT when encrypted without a KmsKeyId and no key parameter (scenario 3)', () => {
      expect(rule.evaluate(db({ kmsKeyId: undefined }), params(), ctx()).annotation).to.equal(`DB instance phi-db (postgres) is encrypted at rest (StorageEncrypted true). ${CITE}`);
    });

    it('returns NON_COMPLIANT for an AWS managed key when a customer key is required (scenario 4)', () => {
      const v = rule.evaluate(db({ kmsKeyId: 'alias/aws/rds' }), params({ requireCustomerManagedKey: 'true' }), ctx({ kind: 'awsManagedAlias', keyId: 'alias/aws/rds' }));
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (postgres) is encrypted, but KMS key alias/aws/rds is AWS managed; requireCustomerManagedKey needs a customer managed key. The key cannot change in place: restore a copy with an allowed key. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the customer key is disabled (scenario 5)', () => {
      const v = rule.evaluate(db(), params({ requireCustomerManagedKey: 'true' }), ctx(cmk('Disabled')));
      expect(v.compliance).to.equal('NON_COMPLIANT');
      expect(v.annotation).to.contain(`customer managed key ${CMK_ARN} is Disabled, not Enabled`);
    });

    it('returns NON_COMPLIANT when the key cannot be resolved (scenario 6)', () => {
      const v = rule.evaluate(db(), params({ requireCustomerManagedKey: 'true' }), ctx({ kind: 'unresolved', keyId: CMK_ARN, reason: 'DescribeKey failed: NotFoundException' }));
      expect(v.compliance).to.equal('NON_COMPLIANT');
      expect(v.annotation).to.contain(`KMS key ${CMK_ARN} cannot be verified (DescribeKey failed: NotFoundException)`);
    });

    it('returns NON_COMPLIANT when the key is not in allowedKmsKeyArns (scenario 7)', () => {
      const other = 'arn:aws:kms:us-east-1:123456789012:key/other';
      const v = rule.evaluate(db(), params({ allowedKmsKeyArns: other }), ctx(cmk()));
      expect(v.compliance).to.equal('NON_COMPLIANT');
      expect(v.annotation).to.contain(`KMS key ${CMK_ARN} is not in allowedKmsKeyArns`);
    });

    it('returns COMPLIANT for an enabled, allowed customer key (scenario 3)', () => {
      const v = rule.evaluate(db(), params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: CMK_ARN }), ctx(cmk()));
      expect(v.compliance).to.equal('COMPLIANT');
    });

    it('returns NON_COMPLIANT for StorageEncrypted without a KmsKeyId when a key parameter is set (scenario 8)', () => {
      const v = rule.evaluate(db({ kmsKeyId: undefined }), params({ requireCustomerManagedKey: 'true' }), ctx());
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (postgres) reports StorageEncrypted without a KmsKeyId, so the key parameters cannot be checked. ${CITE}`,
      });
    });
  });

  describe('on moto (RDS instances and clusters, KMS keys)', () => {
    let rds: RDSClient;
    let kms: KMSClient;
    let clients: AwsClients;

    beforeEach(async () => {
      const moto = await useMoto();
      const config = { region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() };
      rds = new RDSClient(config);
      kms = new KMSClient(config);
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint });
    });

    const instance = (id: string, extra: Record<string, unknown> = {}) =>
      rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'admin1', MasterUserPassword: 'password123', ...extra }));

    it('lists instances and clusters with the API and judges each, cluster members NOT_APPLICABLE', async () => {
      // Arrange
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'phi' }));
      await instance('plain');
      await instance('sealed', { StorageEncrypted: true, KmsKeyId: KeyMetadata?.Arn });
      await rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: 'aurora', Engine: 'aurora-postgresql', MasterUsername: 'admin1', MasterUserPassword: 'password123', StorageEncrypted: true }));
      await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'aurora-1', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r5.large', DBClusterIdentifier: 'aurora' }));
      // Act
      const results = await judgeAll(rule, params(), newJudgeContext(clients, NOW));
      // Assert
      expect(results.failures).to.deep.equal([]);
      const byName = Object.fromEntries(results.judged.map((j) => [rule.resource.label(j.resource), j.verdict.compliance]));
      expect(byName).to.deep.equal({
        'DB instance plain (postgres)': 'NON_COMPLIANT',
        'DB instance sealed (postgres)': 'COMPLIANT',
        'DB instance aurora-1 (aurora-postgresql)': 'NOT_APPLICABLE',
        'DB cluster aurora (aurora-postgresql)': 'COMPLIANT',
      });
      expect(results.judged.map((j) => j.resource.resourceType).sort()).to.deep.equal(['AWS::RDS::DBCluster', 'AWS::RDS::DBInstance', 'AWS::RDS::DBInstance', 'AWS::RDS::DBInstance']);
    });

    it('reads the tags inline and honours the exemption tag', async () => {
      await instance('exempt', { Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-42 decommissioning' }] });
      const results = await judgeAll(rule, params(), newJudgeContext(clients, NOW));
      expect(results.judged.map((j) => j.verdict.compliance)).to.deep.equal(['NOT_APPLICABLE']);
      expect(results.judged[0]?.verdict.annotation).to.contain('CHG-42 decommissioning');
    });

    it('resolves a disabled customer key through kms:DescribeKey and fails it', async () => {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'phi' }));
      await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata?.KeyId }));
      await instance('sealed', { StorageEncrypted: true, KmsKeyId: KeyMetadata?.Arn });
      const [listed] = (await judgeAll(rule, params({ requireCustomerManagedKey: 'true' }), newJudgeContext(clients, NOW))).judged;
      expect(listed?.verdict.compliance).to.equal('NON_COMPLIANT');
      expect(listed?.verdict.annotation).to.contain('is Disabled, not Enabled');
    });

    it('judges one resource through judge() the same as evaluate()', async () => {
      const v = await judge(rule, db({ storageEncrypted: false, kmsKeyId: undefined }), params(), newJudgeContext(clients, NOW));
      expect(v.compliance).to.equal('NON_COMPLIANT');
    });
  });
});
