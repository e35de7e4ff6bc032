import { CreateTopicCommand, GetTopicAttributesCommand, SNSClient, SetTopicAttributesCommand, TagResourceCommand } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';
import { SNS_TOPIC_POLICY_ACTIONS, secureTransportFinding } from '../../rules/runtime/secure-transport';
import { useMoto } from '../helpers/moto';

const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const SID = 'HipaaSafeguardsDenyInsecureTransport';

describe('remediations/HIPAA-SNSEnforceTlsOnly', () => {
  const doc = loadRemediationDocument('HIPAA-SNSEnforceTlsOnly');
  let sns: SNSClient;
  let arn: string;

  beforeEach(async () => {
    const moto = await useMoto();
    sns = new SNSClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
    arn = (await sns.send(new CreateTopicCommand({ Name: 'alerts' }))).TopicArn ?? '';
  });

  const policyOf = async () => JSON.parse((await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes?.Policy ?? '{}') as { Statement: Record<string, unknown>[] } & Record<string, unknown>;
  const run = () => simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, TopicArn: arn } });
  const writes = (calls: readonly { api: string }[]) => calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);

  it('passes the document checks and declares exactly the IAM actions its steps call', () => {
    expect(checkDocument(doc).map(formatProblem)).to.deep.equal([]);
    expect(doc.iamActions).to.have.members(['sns:GetTopicAttributes', 'sns:ListTagsForResource', 'sns:SetTopicAttributes']);
    expect(doc.iamActions).to.have.lengthOf(3);
  });

  it('adds the statement to the default topic policy, keeping the default statement byte for byte', async () => {
    // Arrange: SNS gives every topic a default policy (moto too)
    const before = await policyOf();
    expect(before.Statement.length).to.be.greaterThan(0);
    // Act
    const result = await run();
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(writes(result.calls)).to.deep.equal(['SetTopicAttributes']);
    const after = await policyOf();
    expect(after.Statement.slice(0, -1).map((s) => JSON.stringify(s))).to.deep.equal(before.Statement.map((s) => JSON.stringify(s)));
    expect(after.Statement.at(-1)).to.deep.equal({ Sid: SID, Effect: 'Deny', Principal: '*', Action: [...SNS_TOPIC_POLICY_ACTIONS], Resource: arn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(secureTransportFinding(JSON.stringify(after), 'sns', [arn])).to.deep.equal({ kind: 'enforced', sid: SID });
  });

  it('writes nothing when a Deny of sns:* without TLS already exists', async () => {
    const policy = { Version: '2012-10-17', Statement: [{ Sid: 'Theirs', Effect: 'Deny', Principal: '*', Action: 'SNS:*', Resource: arn, Condition: { Bool: { 'aws:SecureTransport': false } } }] };
    await sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: JSON.stringify(policy) }));
    const result = await run();
    expect(result.outputs['AddTlsOnlyStatement.Changed']).to.equal(false);
    expect(writes(result.calls)).to.deep.equal([]);
  });

  it('changes nothing on an exempt topic', async () => {
    await sns.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-9' }] }));
    const result = await run();
    expect(result.stepPath).to.deep.equal(['ReadTags', 'CheckExemption', 'BranchOnExemption']);
    expect(writes(result.calls)).to.deep.equal([]);
  });
});
