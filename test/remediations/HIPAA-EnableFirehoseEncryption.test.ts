import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  StartDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type SimulationOptions, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';

// Everything here runs against moto: it implements DescribeDeliveryStream and StartDeliveryStreamEncryption (status
// ENABLED at once), and KMS keys. Only two cases use the override hook, each says why.
const DOCUMENT = 'HIPAA-EnableFirehoseEncryption';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const STREAM = 'admissions';
const BUCKET = { BucketARN: 'arn:aws:s3:::phi-landing', RoleARN: 'arn:aws:iam::123456789012:role/firehose' };

const RECHECK = ['ReadTags', 'CheckExemption', 'BranchOnExemption'];
const READ = ['CheckKeyParameters', 'WaitForDeliveryStreamActive', ...RECHECK, 'ReadDeliveryStreamType', 'BranchOnSourceType', 'CheckEncryptionEnabled'];
const ENCRYPT_WITH_AWS_OWNED_KEY = [...READ, 'BranchOnRequestedKeyType', 'StartEncryptionWithAwsOwnedKey', 'WaitForEncryptionEnabled', 'VerifyEncryptionEnabled', 'VerifyKeyType'];
const ENCRYPT_WITH_CUSTOMER_KEY = [
  ...READ,
  'BranchOnRequestedKeyType',
  'AssertKmsKeyEnabled',
  'StartEncryptionWithCustomerManagedKey',
  'WaitForEncryptionEnabled',
  'VerifyEncryptionEnabled',
  'VerifyKeyType',
];

describe('remediations/HIPAA-EnableFirehoseEncryption', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let firehose: FirehoseClient;
  let kms: KMSClient;
  let kinesis: KinesisClient;

  beforeEach(async () => {
    const moto = await useMoto();
    const config = { region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() };
    firehose = new FirehoseClient(config);
    kms = new KMSClient(config);
    kinesis = new KinesisClient(config);
  });

  const createDirectPut = async (tags: Record<string, string> = {}) => {
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    await firehose.send(
      new CreateDeliveryStreamCommand({ DeliveryStreamName: STREAM, DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: BUCKET, ...(Tags.length ? { Tags } : {}) }),
    );
  };
  const encryption = async () =>
    (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM }))).DeliveryStreamDescription?.DeliveryStreamEncryptionConfiguration;
  const createKey = async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'PHI delivery streams' }));
    if (!KeyMetadata?.Arn || !KeyMetadata.KeyId) throw new Error('moto returned no key');
    return { arn: KeyMetadata.Arn, id: KeyMetadata.KeyId };
  };
  const run = (parameters: Record<string, unknown>, options: Partial<SimulationOptions> = {}) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, DeliveryStreamName: STREAM, ...parameters }, pollIntervalMs: 5, maxWaitMs: 2_000, ...options });
  const writes = (r: SimulationResult) => r.calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);

  it('declares exactly the IAM actions its steps call', () => {
    expect([...doc.iamActions].sort()).to.deep.equal(['firehose:DescribeDeliveryStream', 'firehose:ListTagsForDeliveryStream', 'firehose:StartDeliveryStreamEncryption', 'kms:DescribeKey']);
  });

  it('encrypts an unencrypted DirectPut stream with the AWS owned key by default, without a key check', async () => {
    // Arrange
    await createDirectPut();
    expect(await encryption()).to.equal(undefined);
    // Act
    const result = await run({});
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(ENCRYPT_WITH_AWS_OWNED_KEY);
    // The probe failed, as designed, without failing the execution.
    expect(result.steps.find((s) => s.name === 'CheckEncryptionEnabled')).to.deep.include({
      status: 'Failed',
      message: 'Expected $.DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration.Status to be one of [ENABLED] but found nothing.',
    });
    expect(result.calls.filter((c) => c.api === 'StartDeliveryStreamEncryption').map((c) => c.params)).to.deep.equal([
      { DeliveryStreamName: STREAM, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } },
    ]);
    expect(result.calls.map((c) => c.service)).to.not.include('kms');
    expect(result.documentOutputs).to.deep.equal({ 'ReadDeliveryStreamType.SourceType': 'DirectPut' });
    expect(await encryption()).to.deep.equal({ KeyType: 'AWS_OWNED_CMK', Status: 'ENABLED' });
  });

  describe('the exemption re-check', () => {
    it('changes nothing on an exempt stream', async () => {
      await createDirectPut({ 'hipaa-safeguards:exempt': 'CHG-30 de-identified feed', 'hipaa-safeguards:exempt-until': '2999-12-31' });
      const result = await run({});
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal(['CheckKeyParameters', 'WaitForDeliveryStreamActive', ...RECHECK]);
      expect(result.outputs['CheckExemption.Reason']).to.equal(`Delivery stream ${STREAM} is exempt by tag hipaa-safeguards:exempt (CHG-30 de-identified feed) until 2999-12-31. Nothing was changed.`);
      expect(writes(result)).to.deep.equal([]);
    });

    it('encrypts once the exemption has expired', async () => {
      await createDirectPut({ 'hipaa-safeguards:exempt': 'CHG-30', 'hipaa-safeguards:exempt-until': '2021-01-01' });
      const result = await run({});
      expect(result.stepPath).to.deep.equal(ENCRYPT_WITH_AWS_OWNED_KEY);
      expect(writes(result)).to.deep.equal(['StartDeliveryStreamEncryption']);
    });
  });

  it('changes nothing on a stream already ENABLED with the AWS owned key (no write call)', async () => {
    // Arrange
    await createDirectPut();
    await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: STREAM, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
    // Act
    const result = await run({ KeyType: 'AWS_OWNED_CMK' });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, 'ReadCurrentEncryption', 'BranchOnCurrentKeyType', 'VerifyEncryptionEnabled', 'VerifyKeyType']);
    expect(writes(result)).to.deep.equal([]);
    expect(await encryption()).to.deep.equal({ KeyType: 'AWS_OWNED_CMK', Status: 'ENABLED' });
  });

  it('checks an Enabled customer managed key, then encrypts with it', async () => {
    // Arrange
    await createDirectPut();
    const key = await createKey();
    // Act
    const result = await run({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(ENCRYPT_WITH_CUSTOMER_KEY);
    const apis = result.calls.map((c) => `${c.service}:${c.api}`);
    expect(apis.indexOf('kms:DescribeKey')).to.be.lessThan(apis.indexOf('firehose:StartDeliveryStreamEncryption'));
    expect(result.calls.find((c) => c.api === 'StartDeliveryStreamEncryption')?.params).to.deep.equal({
      DeliveryStreamName: STREAM,
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn },
    });
    expect(await encryption()).to.deep.equal({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn, Status: 'ENABLED' });
  });

  it('changes nothing on a stream already ENABLED with the requested customer managed key (no write call)', async () => {
    // Arrange
    await createDirectPut();
    const key = await createKey();
    await firehose.send(
      new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: STREAM, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn } }),
    );
    // Act
    const result = await run({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([
      ...READ,
      'ReadCurrentEncryption',
      'BranchOnCurrentKeyType',
      'ReadCurrentKeyArn',
      'BranchOnCurrentKeyArn',
      'VerifyEncryptionEnabled',
      'VerifyKeyType',
    ]);
    expect(writes(result)).to.deep.equal([]);
    expect(result.calls.map((c) => c.service)).to.not.include('kms');
  });

  it('moves a stream from another customer managed key to the requested one', async () => {
    // Arrange
    await createDirectPut();
    const [previous, wanted] = [await createKey(), await createKey()];
    await firehose.send(
      new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: STREAM, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: previous.arn } }),
    );
    // Act
    const result = await run({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: wanted.arn });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.include.members(['ReadCurrentKeyArn', 'BranchOnCurrentKeyArn', 'AssertKmsKeyEnabled', 'StartEncryptionWithCustomerManagedKey']);
    expect(await encryption()).to.deep.equal({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: wanted.arn, Status: 'ENABLED' });
  });

  it('moves a stream from the AWS owned key to a requested customer managed key', async () => {
    await createDirectPut();
    const key = await createKey();
    await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: STREAM, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
    const result = await run({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn });
    expect(result.stepPath).to.deep.equal([...READ, 'ReadCurrentEncryption', 'BranchOnCurrentKeyType', ...ENCRYPT_WITH_CUSTOMER_KEY.slice(READ.length)]);
    expect(await encryption()).to.deep.equal({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn, Status: 'ENABLED' });
  });

  it('fails at the key check, before touching the stream, when the customer managed key is disabled', async () => {
    // Arrange
    await createDirectPut();
    const key = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId: key.id }));
    // Act
    const result = await run({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.arn });
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.failure).to.deep.equal({ step: 'AssertKmsKeyEnabled', message: 'Expected $.KeyMetadata.KeyState to be one of [Enabled] but found Disabled.' });
    expect(writes(result)).to.deep.equal([]);
    expect(await encryption()).to.equal(undefined);
  });

  it('refuses a Kinesis-sourced stream and says to encrypt the source stream instead (no write)', async () => {
    // Arrange
    await kinesis.send(new CreateStreamCommand({ StreamName: 'vitals', ShardCount: 1 }));
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: STREAM,
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/vitals', RoleARN: BUCKET.RoleARN },
        ExtendedS3DestinationConfiguration: BUCKET,
      }),
    );
    // Act
    const result = await run({});
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.stepPath).to.deep.equal(['CheckKeyParameters', 'WaitForDeliveryStreamActive', ...RECHECK, 'ReadDeliveryStreamType', 'BranchOnSourceType', 'StopKinesisSourcedStream']);
    expect(result.failure).to.deep.equal({
      step: 'StopKinesisSourcedStream',
      message:
        'RemediationStopped: Delivery stream admissions reads from a Kinesis data stream (DeliveryStreamType KinesisStreamAsSource): Firehose refuses server-side encryption for it, and its data at rest is protected by the source stream. Run HIPAA-EnableKinesisStreamEncryption on the source stream. Nothing was changed.',
    });
    expect(writes(result)).to.deep.equal([]);
    expect(await encryption()).to.equal(undefined);
  });

  it('refuses an MSK-sourced stream, naming its type (no write)', async () => {
    // Arrange: moto cannot create an MSK-sourced stream (no MSK); the type read is answered with a canned
    // DescribeDeliveryStream response in the botocore shape. Every other call goes to moto.
    await createDirectPut();
    const override: SimulationOptions['override'] = (c) =>
      c.step === 'ReadDeliveryStreamType' ? { DeliveryStreamDescription: { DeliveryStreamName: STREAM, DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'MSKAsSource' } } : undefined;
    // Act
    const result = await run({}, { override });
    // Assert
    expect(result.failure?.step).to.equal('StopUnsupportedSource');
    expect(result.failure?.message).to.equal(
      'RemediationStopped: Delivery stream admissions has DeliveryStreamType MSKAsSource: Firehose server-side encryption applies to DirectPut streams only (an MSK source is protected at rest by the MSK cluster\'s encryption). Nothing was changed.',
    );
    expect(writes(result)).to.deep.equal([]);
  });

  it('refuses CUSTOMER_MANAGED_CMK without a KeyARN before any API call', async () => {
    await createDirectPut();
    const result = await run({ KeyType: 'CUSTOMER_MANAGED_CMK' });
    expect(result.stepPath).to.deep.equal(['CheckKeyParameters', 'StopKeyArnMissing']);
    expect(result.failure?.message).to.equal(
      'RemediationStopped: KeyType is CUSTOMER_MANAGED_CMK but KeyARN is empty: give the ARN of the customer managed KMS key to encrypt delivery stream admissions with. Nothing was changed.',
    );
    expect(result.calls).to.deep.equal([]);
  });

  it('refuses a KeyARN given with AWS_OWNED_CMK before any API call', async () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const result = await run({ KeyARN: key });
    expect(result.stepPath).to.deep.equal(['CheckKeyParameters', 'StopKeyArnWithAwsOwnedKey']);
    expect(result.failure?.message).to.match(/^RemediationStopped: KeyARN arn:aws:kms:\S+ is set but KeyType is AWS_OWNED_CMK, which takes no key/);
    expect(result.calls).to.deep.equal([]);
  });

  it('waits while encryption is ENABLING, then verifies ENABLED', async () => {
    // Arrange: moto sets ENABLED at once, so the first poll of WaitForEncryptionEnabled gets a canned ENABLING answer.
    await createDirectPut();
    let polls = 0;
    const override: SimulationOptions['override'] = (c) =>
      c.step === 'WaitForEncryptionEnabled' && ++polls === 1
        ? { DeliveryStreamDescription: { DeliveryStreamEncryptionConfiguration: { KeyType: 'AWS_OWNED_CMK', Status: 'ENABLING' } } }
        : undefined;
    // Act
    const result = await run({}, { override });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.calls.filter((c) => c.step === 'WaitForEncryptionEnabled').map((c) => c.answeredBy)).to.deep.equal(['override', 'endpoint']);
  });

  it('fails at the first wait, naming the API error, when the stream does not exist', async () => {
    const result = await run({ DeliveryStreamName: 'missing' });
    expect(result.stepPath).to.deep.equal(['CheckKeyParameters', 'WaitForDeliveryStreamActive']);
    expect(result.failure?.message).to.match(/^firehose:DescribeDeliveryStream failed: ResourceNotFoundException: /);
  });

  describe('KeyARN allowedPattern', () => {
    for (const value of ['arn:aws:kms:us-east-1:123456789012:alias/phi', 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab']) {
      it(`accepts ${value}`, async () => {
        await createDirectPut();
        // These keys do not exist in moto: DescribeKey gets a canned Enabled key; the pattern is under test.
        const result = await run({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: value }, { override: (c) => (c.api === 'DescribeKey' ? { KeyMetadata: { KeyState: 'Enabled' } } : undefined) });
        expect(result.status).to.equal('Success');
      });
    }
    for (const value of ['alias/phi', '1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:us-east-1:123456789012:key/nope']) {
      it(`rejects ${value} before any step runs`, async () => {
        let caught: unknown;
        await run({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: value }).catch((e: unknown) => (caught = e));
        expect(caught).to.be.instanceOf(SimulationError);
        expect((caught as Error).message).to.contain('Parameter KeyARN value');
      });
    }
  });
});
