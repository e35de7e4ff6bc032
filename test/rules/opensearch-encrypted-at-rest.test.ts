import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AddTagsCommand, CreateDomainCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { CreateCollectionCommand, CreateSecurityPolicyCommand, OpenSearchServerlessClient } from '@aws-sdk/client-opensearchserverless';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSearchEncryptedAtRest as rule } from '../../rules/opensearch-encrypted-at-rest';
import type { CollectionEncryption, OpenSearchCollection, OpenSearchDomain } from '../../rules/resources/opensearch';
import { AwsClients } from '../../rules/runtime/clients';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import { scan } from '../../scripts/lib/scan';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { useMoto } from '../helpers/moto';
import { type TaggingMock, taggingDenied } from '../helpers/tagging';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const CMK_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const domain = (o: Partial<OpenSearchDomain> = {}): OpenSearchDomain => ({
  id: '123456789012/phi-search',
  resourceType: 'AWS::OpenSearch::Domain',
  name: 'phi-search',
  encryptionAtRest: true,
  kmsKeyId: CMK_ARN,
  nodeToNodeEncryption: true,
  enforceHttps: true,
  tlsSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
  tags: {},
  ...o,
});
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const facts = (key?: KeyFacts) => ({ key });
const cmk = (state = 'Enabled', arn = CMK_ARN): KeyFacts => ({ kind: 'resolved', keyId: CMK_ARN, arn, manager: 'CUSTOMER', state });

const COLLECTION_ARN = 'arn:aws:aoss:us-east-1:123456789012:collection/07tjusf2h91cunochc';
const collection = (encryption: CollectionEncryption): OpenSearchCollection => ({
  id: COLLECTION_ARN,
  resourceType: 'AWS::OpenSearchServerless::Collection',
  kind: 'collection',
  name: 'phi-logs',
  arn: COLLECTION_ARN,
  encryption,
  tags: {},
});
const RECREATE = 'The key of a collection cannot change after creation: create a new collection under an encryption policy with an allowed customer managed key and move the data.';

describe('opensearch-encrypted-at-rest', () => {
  describe('evaluate (OpenSearch Serverless collections)', () => {
    it('returns NON_COMPLIANT for an AWS owned key when a customer key is required (scenario 8)', () => {
      const v = rule.evaluate(collection({ kind: 'awsOwnedKey' }), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: {} });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Collection phi-logs is encrypted at rest with an AWS owned key; requireCustomerManagedKey needs a customer managed key. ${RECREATE} ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for an AWS owned key when allowedKmsKeyArns is set (scenario 8)', () => {
      const v = rule.evaluate(collection({ kind: 'awsOwnedKey' }), params({ allowedKmsKeyArns: CMK_ARN }), { now: NOW, facts: {} });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Collection phi-logs is encrypted at rest with an AWS owned key; allowedKmsKeyArns lists customer managed keys only. ${RECREATE} ${CITE}`,
      });
    });

    it('returns COMPLIANT for an AWS owned key with default parameters (scenario 9)', () => {
      const v = rule.evaluate(collection({ kind: 'awsOwnedKey' }), params(), { now: NOW, facts: {} });
      expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Collection phi-logs is encrypted at rest with an AWS owned key. ${CITE}` });
    });

    it('returns NON_COMPLIANT when the key cannot be read (scenario 10)', () => {
      const v = rule.evaluate(collection({ kind: 'unverifiable', reason: 'BatchGetCollection reports no kmsKeyArn' }), params(), { now: NOW, facts: {} });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Collection phi-logs is encrypted at rest (always, on OpenSearch Serverless), but its key cannot be verified (BatchGetCollection reports no kmsKeyArn). Check the encryption policy that covers it. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the collection key is disabled (scenario 11)', () => {
      const v = rule.evaluate(collection({ kind: 'kmsKey', keyArn: CMK_ARN }), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: { key: cmk('Disabled') } });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Collection phi-logs is encrypted at rest, but customer managed key ${CMK_ARN} is Disabled, not Enabled. ${RECREATE} ${CITE}`,
      });
    });

    it('returns COMPLIANT for an enabled, allowed customer key (scenario 12)', () => {
      const v = rule.evaluate(collection({ kind: 'kmsKey', keyArn: CMK_ARN }), params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: CMK_ARN }), { now: NOW, facts: { key: cmk() } });
      expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Collection phi-logs is encrypted at rest with KMS key ${CMK_ARN}. ${CITE}` });
    });

    it('looks the collection key up through lookup.kmsKey only when a key parameter needs it', async () => {
      const kms = mockClient(KMSClient);
      kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: CMK_ARN, Arn: CMK_ARN, KeyManager: 'CUSTOMER', KeyState: 'Disabled' } });
      try {
        const ctx = () => newJudgeContext(new AwsClients({ region: 'us-east-1' }), NOW);
        expect((await judge(rule, collection({ kind: 'kmsKey', keyArn: CMK_ARN }), params(), ctx())).compliance).to.equal('COMPLIANT');
        expect(kms.commandCalls(DescribeKeyCommand)).to.have.length(0);
        expect((await judge(rule, collection({ kind: 'kmsKey', keyArn: CMK_ARN }), params({ requireCustomerManagedKey: 'true' }), ctx())).compliance).to.equal('NON_COMPLIANT');
        expect(kms.commandCalls(DescribeKeyCommand)).to.have.length(1);
      } finally {
        kms.restore();
      }
    });

    it('never lets the domain document run on a collection: its DomainId pattern refuses the collection resource ID (an ARN)', () => {
      const doc = readFileSync(join(__dirname, '..', '..', 'remediations', 'HIPAA-OpenSearchEnableEncryptionAtRest.yaml'), 'utf8');
      const pattern = /DomainId:\n\s+type: String\n\s+description: .*\n\s+allowedPattern: (.*)\n/.exec(doc)?.[1];
      expect(pattern).to.be.a('string');
      expect(new RegExp(pattern as string).test(COLLECTION_ARN)).to.equal(false);
      expect(new RegExp(pattern as string).test('123456789012/phi-search')).to.equal(true);
    });
  });

  describe('evaluate', () => {
    it('returns NON_COMPLIANT when encryption at rest is off (scenario 1)', () => {
      // Arrange
      const d = domain({ encryptionAtRest: false, kmsKeyId: undefined });
      // Act
      const v = rule.evaluate(d, params(), { now: NOW, facts: facts() });
      // Assert
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search is not encrypted at rest (EncryptionAtRestOptions.Enabled false). Enable encryption at rest (in place on OpenSearch or Elasticsearch 6.7+). ${CITE}`,
      });
    });

    it('returns COMPLIANT for encryption at rest with default parameters (scenario 2)', () => {
      expect(rule.evaluate(domain({ kmsKeyId: 'alias/aws/es' }), params(), { now: NOW, facts: facts() })).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Domain phi-search is encrypted at rest with KMS key alias/aws/es. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for the AWS managed key when a customer key is required (scenario 3)', () => {
      const v = rule.evaluate(domain({ kmsKeyId: 'alias/aws/es' }), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: facts({ kind: 'awsManagedAlias', keyId: 'alias/aws/es' }) });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search is encrypted at rest, but KMS key alias/aws/es is AWS managed; requireCustomerManagedKey needs a customer managed key. The key cannot change in place: migrate to a new domain. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the customer key is disabled (scenario 4)', () => {
      const v = rule.evaluate(domain(), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: facts(cmk('Disabled')) });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search is encrypted at rest, but customer managed key ${CMK_ARN} is Disabled, not Enabled. The key cannot change in place: migrate to a new domain. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the key cannot be resolved (scenario 5)', () => {
      const key: KeyFacts = { kind: 'unresolved', keyId: CMK_ARN, reason: 'DescribeKey failed: NotFoundException' };
      const v = rule.evaluate(domain(), params({ requireCustomerManagedKey: 'true' }), { now: NOW, facts: facts(key) });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search is encrypted at rest, but KMS key ${CMK_ARN} cannot be verified (DescribeKey failed: NotFoundException). The key cannot change in place: migrate to a new domain. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the resolved key is not in allowedKmsKeyArns (scenario 6)', () => {
      const other = 'arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab';
      const v = rule.evaluate(domain(), params({ allowedKmsKeyArns: other }), { now: NOW, facts: facts(cmk()) });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search is encrypted at rest, but KMS key ${CMK_ARN} is not in allowedKmsKeyArns. The key cannot change in place: migrate to a new domain. ${CITE}`,
      });
    });

    it('returns COMPLIANT for an enabled, allowed customer key (scenario 7)', () => {
      const v = rule.evaluate(domain(), params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: CMK_ARN }), { now: NOW, facts: facts(cmk()) });
      expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Domain phi-search is encrypted at rest with KMS key ${CMK_ARN}. ${CITE}` });
    });

    it('links the manual document that enables encryption in place (a blue/green deployment), with the key to use', () => {
      expect(rule.remediation).to.deep.include({ document: 'HIPAA-OpenSearchEnableEncryptionAtRest', automatic: false, resourceIdParameter: 'DomainId' });
      expect(rule.triggers).to.deep.equal(['change', 'periodic']);
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
      await clients.get(KMSClient).send(new CreateAliasCommand({ AliasName: 'alias/phi-search', TargetKeyId: key.KeyMetadata?.KeyId }));
      // Act
      const v = await judge(rule, domain({ kmsKeyId: 'alias/phi-search' }), params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: key.KeyMetadata?.Arn ?? '' }), newJudgeContext(clients, NOW));
      // Assert
      expect(v.compliance).to.equal('COMPLIANT');
    });

    it('looks no key up with the default parameters', async () => {
      const kms = mockClient(KMSClient);
      try {
        const v = await judge(rule, domain(), params(), newJudgeContext(clients, NOW));
        expect(v.compliance).to.equal('COMPLIANT');
        expect(kms.commandCalls(DescribeKeyCommand)).to.have.length(0);
      } finally {
        kms.restore();
      }
    });
  });

  describe('scan on moto', () => {
    let moto: MotoServer;
    let tagging: TaggingMock;
    beforeEach(async function () {
      this.timeout(60_000);
      moto = await useMoto();
      // moto 5.2.1's tag:GetResources returns no es:domain: the per-resource ListTags path is the one moto can show.
      tagging = taggingDenied();
    });
    afterEach(() => tagging.restore());

    it('judges every domain the API lists, an exempt one NOT_APPLICABLE', async function () {
      this.timeout(60_000);
      // Arrange
      const os = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint }).get(OpenSearchClient);
      await os.send(new CreateDomainCommand({ DomainName: 'plain', EngineVersion: 'OpenSearch_2.11' }));
      await os.send(new CreateDomainCommand({ DomainName: 'encrypted', EngineVersion: 'OpenSearch_2.11', EncryptionAtRestOptions: { Enabled: true, KmsKeyId: CMK_ARN } }));
      await os.send(new CreateDomainCommand({ DomainName: 'sandbox', EngineVersion: 'OpenSearch_2.11', TagList: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-9 synthetic data' }] }));
      await os.send(new AddTagsCommand({ ARN: 'arn:aws:es:us-east-1:123456789012:domain/encrypted', TagList: [{ Key: 'team', Value: 'records' }] }));
      // And an OpenSearch Serverless collection under a KmsARN encryption policy (the kind moto 5.2.1 can create).
      const aoss = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint }).get(OpenSearchServerlessClient);
      const policy = JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: ['collection/phi-logs'] }], AWSOwnedKey: false, KmsARN: CMK_ARN });
      await aoss.send(new CreateSecurityPolicyCommand({ name: 'phi-logs-enc', type: 'encryption', policy }));
      const created = await aoss.send(new CreateCollectionCommand({ name: 'phi-logs' }));
      // Act
      const { results, failures } = await scan({ safeguards: [rule], region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
      // Assert
      expect(failures).to.deep.equal([]);
      const collectionResult = results.find((r) => r.resourceType === 'AWS::OpenSearchServerless::Collection');
      expect(collectionResult).to.deep.include({ resourceId: created.createCollectionDetail?.arn, compliance: 'COMPLIANT', annotation: `Collection phi-logs is encrypted at rest with KMS key ${CMK_ARN}. ${CITE}` });
      expect(Object.fromEntries(results.filter((r) => r !== collectionResult).map((r) => [r.resourceId, r.compliance]))).to.deep.equal({
        '123456789012/plain': 'NON_COMPLIANT',
        '123456789012/encrypted': 'COMPLIANT',
        '123456789012/sandbox': 'NOT_APPLICABLE',
      });
      expect(results.find((r) => r.resourceId === '123456789012/sandbox')?.annotation).to.contain('CHG-9 synthetic data');
    });
  });
});
