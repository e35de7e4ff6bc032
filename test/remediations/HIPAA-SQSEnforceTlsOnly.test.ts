import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SetQueueAttributesCommand, TagQueueCommand } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';
import { secureTransportFinding } from '../../rules/runtime/secure-transport';
import { useMoto } from '../helpers/moto';

const DOCUMENT = 'HIPAA-SQSEnforceTlsOnly';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const SID = 'HipaaSafeguardsDenyInsecureTransport';
const FULL_PATH = ['ReadTags', 'CheckExemption', 'BranchOnExemption', 'AddTlsOnlyStatement', 'VerifyTlsOnly'];

describe('remediations/HIPAA-SQSEnforceTlsOnly', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let sqs: SQSClient;
  let url: string;
  let arn: string;

  beforeEach(async () => {
    const moto = await useMoto();
    sqs = new SQSClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
    const created = await sqs.send(new CreateQueueCommand({ QueueName: 'intake' }));
    url = created.QueueUrl ?? '';
    arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  });

  const policyOf = async () => {
    const text = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }))).Attributes?.Policy;
    return text ? (JSON.parse(text) as { Statement: Record<string, unknown>[] } & Record<string, unknown>) : undefined;
  };
  const setPolicy = (policy: unknown) => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
  const run = () => simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, QueueUrl: url } });
  const writes = (calls: readonly { api: string }[]) => calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);
  const added = () => ({ Sid: SID, Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: arn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });

  it('passes the document checks and declares exactly the IAM actions its steps call', () => {
    expect(checkDocument(doc).map(formatProblem)).to.deep.equal([]);
    expect(doc.iamActions).to.have.members(['sqs:GetQueueAttributes', 'sqs:ListQueueTags', 'sqs:SetQueueAttributes']);
    expect(doc.iamActions).to.have.lengthOf(3);
  });

  it('gives a queue without a policy a policy with exactly the one statement, which the rule accepts', async () => {
    expect(await policyOf()).to.equal(undefined);
    const result = await run();
    expect(result.failure).to.equal(undefined);
    expect(result.stepPath).to.deep.equal(FULL_PATH);
    expect(result.outputs['AddTlsOnlyStatement.Changed']).to.equal(true);
    const after = await policyOf();
    expect(after?.Statement).to.deep.equal([added()]);
    expect(secureTransportFinding(JSON.stringify(after), 'sqs', [arn])).to.deep.equal({ kind: 'enforced', sid: SID });
  });

  it('adds the statement to an existing policy and keeps every other statement and field as it was', async () => {
    // Arrange: an Allow with a condition, a Deny on TLS narrowed to one action (does not count), an Id
    const others = [
      { Sid: 'ProducersSend', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/producer' }, Action: ['sqs:SendMessage'], Resource: arn, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
      { Sid: 'OnlySendOverTls', Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: arn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ];
    await setPolicy({ Version: '2012-10-17', Id: 'intake-policy', Statement: others });
    const before = await policyOf();
    // Act
    const result = await run();
    // Assert
    expect(result.status).to.equal('Success');
    expect(writes(result.calls)).to.deep.equal(['SetQueueAttributes']);
    const after = await policyOf();
    expect(after?.Id).to.equal('intake-policy');
    expect(after?.Version).to.equal('2012-10-17');
    expect(after?.Statement).to.have.lengthOf(3);
    // Byte for byte: each other statement serializes exactly as before.
    expect(after?.Statement.slice(0, 2).map((s) => JSON.stringify(s))).to.deep.equal(before?.Statement.map((s) => JSON.stringify(s)));
    expect(after?.Statement[2]).to.deep.equal(added());
  });

  it('writes nothing when an equivalent statement already exists under another Sid (BoolIfExists, ["false"], AWS *)', async () => {
    await setPolicy({ Version: '2012-10-17', Statement: [{ Sid: 'Theirs', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['sqs:*'], Resource: arn, Condition: { BoolIfExists: { 'aws:SecureTransport': ['false'] } } }] });
    const before = await policyOf();
    const result = await run();
    expect(result.status).to.equal('Success');
    expect(result.outputs['AddTlsOnlyStatement.Changed']).to.equal(false);
    expect(result.outputs['AddTlsOnlyStatement.Message']).to.equal(`Queue ${url} already denies every request without TLS (statement Theirs). Nothing was changed.`);
    expect(writes(result.calls)).to.deep.equal([]);
    expect(await policyOf()).to.deep.equal(before);
  });

  it('is idempotent: a second run writes nothing', async () => {
    await run();
    const second = await run();
    expect(second.outputs['AddTlsOnlyStatement.Changed']).to.equal(false);
    expect(writes(second.calls)).to.deep.equal([]);
    expect((await policyOf())?.Statement).to.have.lengthOf(1);
  });

  it('adds its statement when the only TLS Deny carries an extra condition', async () => {
    await setPolicy({ Version: '2012-10-17', Statement: [{ Sid: 'Narrow', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: arn, Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringEquals: { 'aws:PrincipalAccount': '111122223333' } } }] });
    const result = await run();
    expect(result.outputs['AddTlsOnlyStatement.Changed']).to.equal(true);
    expect((await policyOf())?.Statement.map((s) => s.Sid)).to.deep.equal(['Narrow', SID]);
  });

  it('stops without a write when its own Sid was edited by hand into something narrower', async () => {
    await setPolicy({ Version: '2012-10-17', Statement: [{ ...added(), Action: 'sqs:SendMessage' }] });
    const result = await run();
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('AddTlsOnlyStatement');
    expect(writes(result.calls)).to.deep.equal([]);
  });

  it('changes nothing on an exempt queue', async () => {
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { 'hipaa-safeguards:exempt': 'CHG-7 legacy HTTP consumer' } }));
    const result = await run();
    expect(result.stepPath).to.deep.equal(['ReadTags', 'CheckExemption', 'BranchOnExemption']);
    expect(result.outputs['CheckExemption.Reason']).to.equal(`Queue ${url} is exempt by tag hipaa-safeguards:exempt (CHG-7 legacy HTTP consumer). Nothing was changed.`);
    expect(writes(result.calls)).to.deep.equal([]);
    expect(await policyOf()).to.equal(undefined);
  });
});
