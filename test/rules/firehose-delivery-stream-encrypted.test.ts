import { CreateDeliveryStreamCommand, FirehoseClient, StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, StartStreamEncryptionCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { expect } from 'chai';
import sinon from 'sinon';
import { firehoseDeliveryStreamEncrypted as rule } from '../../rules/firehose-delivery-stream-encrypted';
import { AwsClients } from '../../rules/runtime/clients';
import { createRuleHandler } from '../../rules/runtime/handler';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import { DeliveryStreamConfiguration, type FirehoseDeliveryStream } from '../../rules/resources/firehose-delivery-stream';
import type { SourceStreamFacts } from '../../rules/resources/kinesis-stream';
import { scan } from '../../scripts/lib/scan';
import { ACCOUNT, changeEvent, eventStyleItem } from '../helpers/fixtures';
import { interceptClient, interceptConfig } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';
import { configResourceSchema, leafPaths } from '../helpers/schema-paths';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const CMK = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SRC = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/admissions`;
const TYPE = 'AWS::KinesisFirehose::DeliveryStream';

const stream = (o: Partial<FirehoseDeliveryStream> = {}): FirehoseDeliveryStream => ({
  id: 'claims-to-s3',
  resourceType: TYPE,
  name: 'claims-to-s3',
  sourceType: 'DirectPut',
  encryption: { keyType: 'AWS_OWNED_CMK', status: 'ENABLED' },
  encryptionStatusKnown: true,
  s3Targets: [{ field: 'ExtendedS3DestinationConfiguration', noEncryption: false }],
  tags: {},
  ...o,
});
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
type Facts = { encryption?: FirehoseDeliveryStream['encryption'] | 'gone'; key?: KeyFacts; source?: SourceStreamFacts };
const evaluate = (s: FirehoseDeliveryStream, p = params(), facts: Facts = { encryption: s.encryption }) => rule.evaluate(s, p, { now: NOW, facts });
const cmk = (state = 'Enabled'): KeyFacts => ({ kind: 'resolved', keyId: CMK, arn: CMK, manager: 'CUSTOMER', state });
const readSource = (encryptionType: string, keyId?: string): SourceStreamFacts => ({ kind: 'read', arn: SRC, encryptionType, ...(keyId ? { keyId } : {}) });

describe('firehose-delivery-stream-encrypted', () => {
  describe('evaluate', () => {
    it('returns NON_COMPLIANT for DirectPut without server-side encryption (scenario 1)', () => {
      const s = stream({ encryption: undefined });
      expect(evaluate(s)).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Delivery stream claims-to-s3 is not encrypted at rest (DeliveryStreamEncryptionConfiguration absent). Start server-side encryption. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when encryption is not ENABLED (scenario 2)', () => {
      const s = stream({ encryption: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: CMK, status: 'ENABLING_FAILED' } });
      expect(evaluate(s).annotation).to.equal(
        `Delivery stream claims-to-s3 has server-side encryption in status ENABLING_FAILED, not ENABLED. Restart server-side encryption. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT when the stream vanished since its configuration item (scenario 2)', () => {
      expect(evaluate(stream(), params(), { encryption: 'gone' }).annotation).to.equal(
        `Delivery stream claims-to-s3 could not be read (DescribeDeliveryStream: not found); encryption cannot be verified. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for an AWS owned key when a customer key is required (scenario 3)', () => {
      expect(evaluate(stream(), params({ requireCustomerManagedKey: 'true' })).annotation).to.equal(
        `Delivery stream claims-to-s3 is encrypted with an AWS owned key; the key parameters need CUSTOMER_MANAGED_CMK. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for a disabled customer key (scenario 4)', () => {
      const s = stream({ encryption: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: CMK, status: 'ENABLED' } });
      const v = evaluate(s, params({ requireCustomerManagedKey: 'true' }), { encryption: s.encryption, key: cmk('Disabled') });
      expect(v.annotation).to.equal(`Delivery stream claims-to-s3 is encrypted, but customer managed key ${CMK} is Disabled, not Enabled. ${CITE}`);
    });

    it('returns NON_COMPLIANT when the source stream cannot be read, never COMPLIANT (scenario 5)', () => {
      const s = stream({ sourceType: 'KinesisStreamAsSource', sourceStreamArn: SRC, encryption: undefined });
      const v = evaluate(s, params(), { source: { kind: 'unreadable', arn: SRC, reason: 'DescribeStreamSummary failed: AccessDeniedException' } });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Delivery stream claims-to-s3 reads from Kinesis stream ${SRC}, which cannot be read (DescribeStreamSummary failed: AccessDeniedException); protection at rest cannot be verified. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the source stream is not encrypted, pointing at the stream fix (scenario 6)', () => {
      const s = stream({ sourceType: 'KinesisStreamAsSource', sourceStreamArn: SRC, encryption: undefined });
      expect(evaluate(s, params(), { source: readSource('NONE') }).annotation).to.equal(
        `Delivery stream claims-to-s3 reads from Kinesis stream ${SRC}, which is not encrypted at rest (EncryptionType NONE). Encrypt the source stream (HIPAA-EnableKinesisStreamEncryption). ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT when the source key fails the key parameters (scenario 7)', () => {
      const s = stream({ sourceType: 'KinesisStreamAsSource', sourceStreamArn: SRC, encryption: undefined });
      const v = evaluate(s, params({ requireCustomerManagedKey: 'true' }), { source: readSource('KMS', 'alias/aws/kinesis'), key: { kind: 'awsManagedAlias', keyId: 'alias/aws/kinesis' } });
      expect(v.annotation).to.equal(
        `Delivery stream claims-to-s3 reads from Kinesis stream ${SRC}, but KMS key alias/aws/kinesis is AWS managed; requireCustomerManagedKey needs a customer managed key. ${CITE}`,
      );
    });

    it('returns COMPLIANT for MSKAsSource (scenario 8)', () => {
      const s = stream({ sourceType: 'MSKAsSource', encryption: undefined });
      expect(evaluate(s, params(), {})).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Delivery stream claims-to-s3 reads from Amazon MSK, which encrypts at rest; Firehose keeps no data at rest. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for an S3 backup without encryption (scenario 9)', () => {
      const s = stream({ s3Targets: [{ field: 'ExtendedS3DestinationConfiguration', noEncryption: false }, { field: 'ExtendedS3DestinationConfiguration.S3BackupConfiguration', noEncryption: true }] });
      expect(evaluate(s).annotation).to.equal(
        `Delivery stream claims-to-s3 writes to S3 without encryption (ExtendedS3DestinationConfiguration.S3BackupConfiguration.EncryptionConfiguration.NoEncryptionConfig). Configure KMS encryption for the destination. ${CITE}`,
      );
      expect(evaluate(s, params({ requireEncryptedS3Destination: 'false' })).compliance).to.equal('COMPLIANT');
    });

    it('returns COMPLIANT for encrypted DirectPut and for an encrypted source stream (scenario 10)', () => {
      expect(evaluate(stream())).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Delivery stream claims-to-s3 is encrypted at rest with an AWS owned key. ${CITE}` });
      const s = stream({ sourceType: 'KinesisStreamAsSource', sourceStreamArn: SRC, encryption: undefined });
      expect(evaluate(s, params(), { source: readSource('KMS', 'alias/phi') })).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Delivery stream claims-to-s3 reads from Kinesis stream ${SRC}, encrypted with KMS key alias/phi: data at rest is protected by the source stream. ${CITE}`,
      });
    });
  });

  it('reads only configuration properties AWS Config records for the type', () => {
    const schema = configResourceSchema(TYPE);
    for (const path of leafPaths(DeliveryStreamConfiguration, 'configuration')) expect(schema, path).to.have.property(path);
  });

  describe('on moto', function () {
    this.timeout(60_000);
    let clients: AwsClients;
    let endpoint: string;
    const s3 = { RoleARN: `arn:aws:iam::${ACCOUNT}:role/firehose`, BucketARN: 'arn:aws:s3:::phi-archive' };
    beforeEach(async () => {
      const moto = await useMoto();
      endpoint = moto.endpoint;
      clients = new AwsClients({ region: 'us-east-1', endpoint });
    });
    afterEach(() => sinon.restore());

    async function seed(): Promise<void> {
      const firehose: FirehoseClient = clients.get(FirehoseClient);
      const kinesis = clients.get(KinesisClient);
      await kinesis.send(new CreateStreamCommand({ StreamName: 'admissions', ShardCount: 1 }));
      await kinesis.send(new CreateStreamCommand({ StreamName: 'raw-feed', ShardCount: 1 }));
      const key = await clients.get(KMSClient).send(new CreateKeyCommand({}));
      await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'admissions', EncryptionType: 'KMS', KeyId: key.KeyMetadata?.Arn }));
      const arn = (n: string) => `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${n}`;
      await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'direct-plain', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
      await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'direct-sse', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
      await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'direct-sse', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
      await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'direct-sse-open-bucket', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: { ...s3, EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' } } }));
      await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'direct-sse-open-bucket', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
      for (const [name, source] of [['from-encrypted', 'admissions'], ['from-plain', 'raw-feed'], ['from-missing', 'deleted-stream']] as const) {
        await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, DeliveryStreamType: 'KinesisStreamAsSource', KinesisStreamSourceConfiguration: { KinesisStreamARN: arn(source), RoleARN: s3.RoleARN }, ExtendedS3DestinationConfiguration: s3 }));
      }
    }

    it('scan gives the right verdict for each source and destination case', async () => {
      // Arrange
      await seed();
      // Act
      const { results, failures } = await scan({ safeguards: [rule], region: 'us-east-1', endpoint });
      // Assert
      expect(failures).to.deep.equal([]);
      expect(Object.fromEntries(results.map((r) => [r.resourceId, r.compliance]))).to.deep.equal({
        'direct-plain': 'NON_COMPLIANT',
        'direct-sse': 'COMPLIANT',
        'direct-sse-open-bucket': 'NON_COMPLIANT',
        'from-encrypted': 'COMPLIANT',
        'from-plain': 'NON_COMPLIANT',
        'from-missing': 'NON_COMPLIANT',
      });
      expect(results.find((r) => r.resourceId === 'from-missing')?.annotation).to.contain('which cannot be read (DescribeStreamSummary failed: ResourceNotFoundException)');
    });

    it('judges a change event by the live encryption status, which Config does not record', async () => {
      // Arrange: the item says a key type is configured; the live stream has encryption ENABLED
      await seed();
      const item = eventStyleItem({
        resourceType: TYPE,
        name: 'direct-sse',
        arn: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/direct-sse`,
        configuration: { DeliveryStreamName: 'direct-sse', DeliveryStreamType: 'DirectPut', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' }, ExtendedS3DestinationConfiguration: { EncryptionConfiguration: {} } },
      });
      interceptConfig({});
      const firehose = interceptClient(FirehoseClient, {});
      // Act
      const { evaluations } = await createRuleHandler(rule, { endpoint })(changeEvent(item));
      // Assert
      expect(evaluations[0]).to.deep.include({ ComplianceResourceType: TYPE, ComplianceResourceId: 'direct-sse', ComplianceType: 'COMPLIANT' });
      expect(firehose.of('DescribeDeliveryStream')).to.deep.equal([{ DeliveryStreamName: 'direct-sse' }]);
    });

    it('judges a change event without encryption from the item alone', async () => {
      const item = eventStyleItem({
        resourceType: TYPE,
        name: 'plain',
        arn: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/plain`,
        configuration: { DeliveryStreamName: 'plain', DeliveryStreamType: 'DirectPut' },
      });
      interceptConfig({});
      const firehose = interceptClient(FirehoseClient, {});
      const { evaluations } = await createRuleHandler(rule, { endpoint })(changeEvent(item));
      expect(evaluations[0]?.ComplianceType).to.equal('NON_COMPLIANT');
      expect(firehose.calls).to.have.length(0);
    });
  });
});
