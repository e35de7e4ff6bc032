import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, TagQueueCommand } from '@aws-sdk/client-sqs';
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';
import { useMoto } from '../helpers/moto';

const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const RECHECK = ['ReadTags', 'CheckExemption', 'BranchOnExemption', 'DecideEncryption', 'BranchOnEncryptionDecision'];

describe('remediations/HIPAA-SQSEnableEncryption', () => {
  const doc = loadRemediationDocument('HIPAA-SQSEnableEncryption');
  let sqs: SQSClient;
  let kms: KMSClient;
  let url: string;

  beforeEach(async () => {
    const moto = await useMoto();
    const config = { region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() };
    sqs = new SQSClient(config);
    kms = new KMSClient(config);
    url = (await sqs.send(new CreateQueueCommand({ QueueName: 'intake', Attributes: { SqsManagedSseEnabled: 'true' } }))).QueueUrl ?? '';
  });

  const key = async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'PHI queues' }));
    return { arn: KeyMetadata?.Arn ?? '', id: KeyMetadata?.KeyId ?? '' };
  };
  const attributes = async () => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  const run = (KmsKeyId?: string) => simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, QueueUrl: url, ...(KmsKeyId === undefined ? {} : { KmsKeyId }) } });
  const writes = (calls: readonly { api: string }[]) => calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);

  it('passes the document checks and declares exactly the IAM actions its steps call', () => {
    expect(checkDocument(doc).map(formatProblem)).to.deep.equal([]);
    expect(doc.iamActions).to.have.members(['kms:DescribeKey', 'sqs:GetQueueAttributes', 'sqs:ListQueueTags', 'sqs:SetQueueAttributes']);
  });

  it('encrypts an SSE-SQS queue with the named customer managed key, turning SSE-SQS off', async () => {
    const k = await key();
    const result = await run(k.arn);
    expect(result.failure).to.equal(undefined);
    expect(result.stepPath).to.deep.equal([...RECHECK, 'SetQueueEncryption', 'VerifyQueueEncrypted']);
    expect(await attributes()).to.deep.include({ KmsMasterKeyId: k.arn });
    expect(result.calls.find((c) => c.api === 'SetQueueAttributes')?.params).to.deep.equal({ QueueUrl: url, Attributes: { KmsMasterKeyId: k.arn, SqsManagedSseEnabled: 'false' } });
  });

  it('stops before any change when no key is named (the pack parameter is empty)', async () => {
    const result = await run();
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('DecideEncryption');
    expect(result.failure?.message).to.contain('no KmsKeyId was given');
    expect(writes(result.calls)).to.deep.equal([]);
  });

  it('stops before any change when the named key is disabled', async () => {
    const k = await key();
    await kms.send(new DisableKeyCommand({ KeyId: k.id }));
    const result = await run(k.id);
    expect(result.failure?.message).to.contain('is Disabled, not Enabled');
    expect(writes(result.calls)).to.deep.equal([]);
  });

  it('writes nothing when the queue already uses the key, named by its alias (idempotent)', async () => {
    const k = await key();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/phi-queues', TargetKeyId: k.id }));
    await run(k.arn);
    const again = await run('alias/phi-queues');
    expect(again.status).to.equal('Success');
    expect(again.stepPath).to.deep.equal(RECHECK);
    expect(writes(again.calls)).to.deep.equal([]);
  });

  it('never replaces a customer managed key with an AWS managed one', async () => {
    const k = await key();
    await run(k.arn);
    const result = await simulateDocument(doc, {
      parameters: { AutomationAssumeRole: ROLE, QueueUrl: url, KmsKeyId: 'alias/aws/sqs' },
      // moto has no AWS managed keys: DescribeKey of alias/aws/sqs is answered as KMS would (KeyManager AWS).
      override: (c) => (c.api === 'DescribeKey' && (c.params as { KeyId?: string }).KeyId === 'alias/aws/sqs' ? { KeyMetadata: { KeyId: 'aws-sqs', Arn: 'arn:aws:kms:us-east-1:123456789012:key/aws-sqs', KeyManager: 'AWS', KeyState: 'Enabled' } } : undefined),
    });
    expect(result.status).to.equal('Failed');
    expect(result.failure?.message).to.contain('is AWS managed');
    expect(writes(result.calls)).to.deep.equal([]);
    expect(await attributes()).to.deep.include({ KmsMasterKeyId: k.arn });
  });

  it('changes nothing on an exempt queue', async () => {
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { 'hipaa-safeguards:exempt': 'CHG-3' } }));
    const result = await run('alias/whatever');
    expect(result.stepPath).to.deep.equal(['ReadTags', 'CheckExemption', 'BranchOnExemption']);
    expect(writes(result.calls)).to.deep.equal([]);
  });
});
