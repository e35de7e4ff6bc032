import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  StartStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type SimulationOptions, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';

const DOCUMENT = 'HIPAA-EnableKinesisStreamEncryption';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const STREAM = 'vitals';

// Step paths, spelled out so that a change of the document's flow is a visible test change.
const RECHECK = ['ReadTags', 'CheckExemption', 'BranchOnExemption'];
const ENCRYPT_WITH_AWS_KEY = [
  'WaitForStreamActive',
  ...RECHECK,
  'ReadStreamEncryption',
  'BranchOnEncryptionType',
  'BranchOnRequestedKeyKind',
  'StartStreamEncryption',
  'WaitForStreamActiveAfterEncryption',
  'VerifyStreamEncrypted',
];
const ALREADY_ENCRYPTED = [
  'WaitForStreamActive',
  ...RECHECK,
  'ReadStreamEncryption',
  'BranchOnEncryptionType',
  'ReadCurrentKeyId',
  'BranchOnCurrentKey',
  'VerifyStreamEncrypted',
];

describe('remediations/HIPAA-EnableKinesisStreamEncryption', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let kinesis: KinesisClient;
  let kms: KMSClient;

  beforeEach(async () => {
    const moto = await useMoto();
    const config = { region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() };
    kinesis = new KinesisClient(config);
    kms = new KMSClient(config);
  });

  const createStream = async (name = STREAM, tags: Record<string, string> = {}) => {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    if (Object.keys(tags).length > 0) await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: tags }));
  };
  const encryption = async (name = STREAM) => {
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return { EncryptionType: s?.EncryptionType, KeyId: s?.KeyId };
  };
  const createKey = async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'PHI streams' }));
    if (!KeyMetadata?.Arn || !KeyMetadata.KeyId) throw new Error('moto returned no key');
    return { arn: KeyMetadata.Arn, id: KeyMetadata.KeyId };
  };
  const run = (parameters: Record<string, unknown>, options: Partial<SimulationOptions> = {}) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, StreamName: STREAM, ...parameters }, pollIntervalMs: 5, maxWaitMs: 2_000, ...options });
  const writes = (calls: readonly { api: string }[]) => calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);

  it('declares exactly the IAM actions its steps call', () => {
    expect(doc.iamActions).to.have.members(['kinesis:DescribeStreamSummary', 'kinesis:ListTagsForStream', 'kinesis:StartStreamEncryption', 'kms:DescribeKey']);
    expect(doc.iamActions).to.have.lengthOf(4);
  });

  it('encrypts an unencrypted stream with the AWS managed key by default, without a key check', async () => {
    // Arrange
    await createStream();
    expect(await encryption()).to.deep.equal({ EncryptionType: 'NONE', KeyId: undefined });
    // Act
    const result = await run({});
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(ENCRYPT_WITH_AWS_KEY);
    expect(result.calls.filter((c) => c.api === 'StartStreamEncryption').map((c) => c.params)).to.deep.equal([
      { StreamName: STREAM, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    ]);
    expect(result.calls.map((c) => c.service)).to.not.include('kms');
    expect(result.documentOutputs).to.deep.equal({ 'ReadStreamEncryption.EncryptionType': 'NONE' });
    expect(await encryption()).to.deep.equal({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  });

  it('changes nothing on a stream already encrypted with the requested key (no write call)', async () => {
    // Arrange
    await createStream();
    await kinesis.send(new StartStreamEncryptionCommand({ StreamName: STREAM, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    // Act
    const result = await run({ KmsKeyId: 'alias/aws/kinesis' });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(ALREADY_ENCRYPTED);
    expect(result.calls.map((c) => c.api)).to.deep.equal(['DescribeStreamSummary', 'ListTagsForStream', ...Array<string>(3).fill('DescribeStreamSummary')]);
    expect(writes(result.calls)).to.deep.equal([]);
    expect(await encryption()).to.deep.equal({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  });

  it('checks an Enabled customer managed key, then encrypts with it', async () => {
    // Arrange
    await createStream();
    const key = await createKey();
    // Act
    const result = await run({ KmsKeyId: key.arn });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...ENCRYPT_WITH_AWS_KEY.slice(0, 7), 'AssertKmsKeyEnabled', ...ENCRYPT_WITH_AWS_KEY.slice(7)]);
    const apis = result.calls.map((c) => `${c.service}:${c.api}`);
    expect(apis.indexOf('kms:DescribeKey')).to.be.lessThan(apis.indexOf('kinesis:StartStreamEncryption'));
    expect(result.calls.find((c) => c.api === 'DescribeKey')?.params).to.deep.equal({ KeyId: key.arn });
    expect(await encryption()).to.deep.equal({ EncryptionType: 'KMS', KeyId: key.arn });
  });

  it('fails at the key check, before touching the stream, when the customer managed key is disabled', async () => {
    // Arrange
    await createStream();
    const key = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId: key.id }));
    // Act
    const result = await run({ KmsKeyId: key.id });
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('AssertKmsKeyEnabled');
    expect(result.failure?.message).to.equal('Expected $.KeyMetadata.KeyState to be one of [Enabled] but found Disabled.');
    expect(result.stepPath.at(-1)).to.equal('AssertKmsKeyEnabled');
    expect(writes(result.calls)).to.deep.equal([]);
    expect(await encryption()).to.deep.equal({ EncryptionType: 'NONE', KeyId: undefined });
  });

  it('re-encrypts a stream that uses another key with the requested one', async () => {
    // Arrange
    await createStream();
    const previous = await createKey();
    await kinesis.send(new StartStreamEncryptionCommand({ StreamName: STREAM, EncryptionType: 'KMS', KeyId: previous.arn }));
    // Act
    const result = await run({ KmsKeyId: 'alias/aws/kinesis' });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([
      'WaitForStreamActive',
      ...RECHECK,
      'ReadStreamEncryption',
      'BranchOnEncryptionType',
      'ReadCurrentKeyId',
      'BranchOnCurrentKey',
      ...ENCRYPT_WITH_AWS_KEY.slice(6),
    ]);
    expect(await encryption()).to.deep.equal({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  });

  describe('the exemption re-check', () => {
    it('changes nothing on an exempt stream', async () => {
      await createStream(STREAM, { 'hipaa-safeguards:exempt': 'CHG-21 synthetic test data' });
      const result = await run({});
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal(['WaitForStreamActive', ...RECHECK]);
      expect(result.outputs['CheckExemption.Reason']).to.equal(`Stream ${STREAM} is exempt by tag hipaa-safeguards:exempt (CHG-21 synthetic test data). Nothing was changed.`);
      expect(writes(result.calls)).to.deep.equal([]);
      expect(await encryption()).to.deep.equal({ EncryptionType: 'NONE', KeyId: undefined });
    });

    it('encrypts once the exemption has expired', async () => {
      await createStream(STREAM, { 'hipaa-safeguards:exempt': 'CHG-21', 'hipaa-safeguards:exempt-until': '2020-06-30T12:00:00Z' });
      const result = await run({});
      expect(result.stepPath).to.deep.equal(ENCRYPT_WITH_AWS_KEY);
      expect(result.outputs['CheckExemption.Reason']).to.equal(`Stream ${STREAM} was exempt until 2020-06-30T12:00:00Z; the exemption has expired.`);
    });

    it('stops, changing nothing, when exempt-until is not a date', async () => {
      await createStream(STREAM, { 'hipaa-safeguards:exempt': 'CHG-21', 'hipaa-safeguards:exempt-until': '31/12/2030' });
      const result = await run({});
      expect(result.failure?.step).to.equal('CheckExemption');
      expect(writes(result.calls)).to.deep.equal([]);
    });
  });

  it('treats an AWS managed alias ARN like alias/aws/... and skips the key check', async () => {
    await createStream();
    const aliasArn = 'arn:aws:kms:us-east-1:123456789012:alias/aws/kinesis';
    const result = await run({ KmsKeyId: aliasArn });
    expect(result.stepPath).to.deep.equal(ENCRYPT_WITH_AWS_KEY);
    expect(await encryption()).to.deep.equal({ EncryptionType: 'KMS', KeyId: aliasArn });
  });

  it('waits while the stream is CREATING and encrypts once it is ACTIVE', async () => {
    // Arrange: moto creates streams ACTIVE at once, so the override hook answers the first two polls
    // of WaitForStreamActive with a canned CREATING summary; every other call goes to moto.
    await createStream();
    let polls = 0;
    const override: SimulationOptions['override'] = (call) =>
      call.step === 'WaitForStreamActive' && ++polls <= 2 ? { StreamDescriptionSummary: { StreamName: STREAM, StreamStatus: 'CREATING' } } : undefined;
    // Act
    const result = await run({}, { override });
    // Assert
    expect(result.status).to.equal('Success');
    const waits = result.calls.filter((c) => c.step === 'WaitForStreamActive').map((c) => c.answeredBy);
    expect(waits).to.deep.equal(['override', 'override', 'endpoint']);
    expect(await encryption()).to.deep.equal({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  });

  it('fails at WaitForStreamActive, without writing, when the stream never becomes ACTIVE', async () => {
    // Arrange: canned UPDATING answers (moto never leaves a stream UPDATING)
    await createStream();
    const override: SimulationOptions['override'] = (call) =>
      call.step === 'WaitForStreamActive' ? { StreamDescriptionSummary: { StreamName: STREAM, StreamStatus: 'UPDATING' } } : undefined;
    // Act
    const result = await run({}, { override, pollIntervalMs: 10, maxWaitMs: 100 });
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('WaitForStreamActive');
    expect(result.failure?.message).to.match(/^Timed out after 100 ms waiting for \$\.StreamDescriptionSummary\.StreamStatus to be one of \[ACTIVE\]; last found UPDATING\.$/);
    expect(result.calls.length).to.be.greaterThan(1);
    expect(writes(result.calls)).to.deep.equal([]);
    expect(await encryption()).to.deep.equal({ EncryptionType: 'NONE', KeyId: undefined });
  });

  it('fails at the first step, naming the API error, when the stream does not exist', async () => {
    const result = await run({ StreamName: 'missing-stream' });
    expect(result.status).to.equal('Failed');
    expect(result.stepPath).to.deep.equal(['WaitForStreamActive']);
    expect(result.failure?.message).to.match(/^kinesis:DescribeStreamSummary failed: ResourceNotFoundException: /);
  });

  describe('KmsKeyId allowedPattern', () => {
    const accepted = [
      'alias/aws/kinesis',
      'alias/phi-streams',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/phi-streams',
    ];
    const rejected = ['phi-streams', 'arn:aws:kms:us-east-1:123456789012:key/not-a-key', 'alias/', 'key/1234abcd-12ab-34cd-56ef-1234567890ab', ''];
    for (const value of accepted) {
      it(`accepts ${value}`, async () => {
        // These keys do not exist in moto: DescribeKey is answered with a canned Enabled key, the pattern is under test.
        await createStream();
        const result = await run({ KmsKeyId: value }, { override: (c) => (c.api === 'DescribeKey' ? { KeyMetadata: { KeyState: 'Enabled' } } : undefined) });
        expect(result.status).to.equal('Success');
      });
    }
    for (const value of rejected) {
      it(`rejects ${JSON.stringify(value)} before any step runs`, async () => {
        let caught: unknown;
        await run({ KmsKeyId: value }).catch((e: unknown) => (caught = e));
        expect(caught).to.be.instanceOf(SimulationError);
        expect((caught as Error).message).to.contain('Parameter KmsKeyId value');
      });
    }
  });
});
