import { CreateTopicCommand, GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';
import { useMoto } from '../helpers/moto';

const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';

describe('remediations/HIPAA-SNSEnableEncryption', () => {
  const doc = loadRemediationDocument('HIPAA-SNSEnableEncryption');
  let sns: SNSClient;
  let kms: KMSClient;
  let arn: string;

  beforeEach(async () => {
    const moto = await useMoto();
    const config = { region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() };
    sns = new SNSClient(config);
    kms = new KMSClient(config);
    arn = (await sns.send(new CreateTopicCommand({ Name: 'alerts' }))).TopicArn ?? '';
  });
  const run = (KmsKeyId: string) => simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, TopicArn: arn, KmsKeyId } });
  const writes = (calls: readonly { api: string }[]) => calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);

  it('passes the document checks and declares exactly the IAM actions its steps call', () => {
    expect(checkDocument(doc).map(formatProblem)).to.deep.equal([]);
    expect(doc.iamActions).to.have.members(['kms:DescribeKey', 'sns:GetTopicAttributes', 'sns:ListTagsForResource', 'sns:SetTopicAttributes']);
  });

  it('encrypts an unencrypted topic with the named key, then writes nothing on a second run', async () => {
    const keyArn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? '';
    const first = await run(keyArn);
    expect(first.failure).to.equal(undefined);
    expect(first.stepPath.slice(-2)).to.deep.equal(['SetTopicEncryption', 'VerifyTopicEncrypted']);
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes?.KmsMasterKeyId).to.equal(keyArn);
    const second = await run(keyArn);
    expect(second.stepPath.at(-1)).to.equal('BranchOnEncryptionDecision');
    expect(writes(second.calls)).to.deep.equal([]);
  });

  it('stops before any change when no key is named', async () => {
    const result = await run('');
    expect(result.failure?.step).to.equal('DecideEncryption');
    expect(writes(result.calls)).to.deep.equal([]);
  });
});
