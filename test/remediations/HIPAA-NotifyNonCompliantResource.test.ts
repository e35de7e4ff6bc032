import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type CallOverride, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';

// SNS Publish goes to moto, and the test reads what moto's topic received (moto-api/data.json). moto has no
// config:GetComplianceDetailsByResource: the override hook answers it with EvaluationResults in the shape of the
// botocore model (shared/reference/F-botocore-service-models/config-2014-11-12.service-2.json).
const DOCUMENT = 'HIPAA-NotifyNonCompliantResource';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const RULE = 'kinesis-video-stream-customer-key';
const TYPE = 'AWS::KinesisVideo::Stream';
const STREAM = 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/ward-7-cam/1700000000000';
const ANNOTATION = 'Video stream ward-7-cam is encrypted with the AWS managed key aws/kinesisvideo, not a customer managed key. 45 CFR 164.312(a)(2)(iv)';

function evaluation(rule: string, annotation?: string) {
  return {
    EvaluationResultIdentifier: {
      EvaluationResultQualifier: { ConfigRuleName: rule, ResourceType: TYPE, ResourceId: STREAM, EvaluationMode: 'DETECTIVE' },
      OrderingTimestamp: '2026-01-05T10:00:00.000Z',
    },
    ComplianceType: 'NON_COMPLIANT',
    ResultRecordedTime: '2026-01-05T10:00:02.000Z',
    ConfigRuleInvokedTime: '2026-01-05T10:00:01.000Z',
    ...(annotation !== undefined ? { Annotation: annotation } : {}),
  };
}

/** Answers GetComplianceDetailsByResource with these NON_COMPLIANT evaluations; everything else goes to moto. */
const evaluations =
  (...results: unknown[]): CallOverride =>
  (c) =>
    c.api === 'GetComplianceDetailsByResource' ? { EvaluationResults: results } : undefined;

describe('remediations/HIPAA-NotifyNonCompliantResource', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let endpoint: string;
  let topicArn: string;

  beforeEach(async () => {
    const moto = await useMoto();
    endpoint = moto.endpoint;
    const sns = new SNSClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() });
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'hipaa-safeguards' }))).TopicArn ?? '';
  });

  /** What moto's topic received: [messageId, message, subject] per publish. */
  const published = async (): Promise<{ id: string; message: string; subject: string }[]> => {
    const data = (await (await fetch(`${endpoint}/moto-api/data.json`)).json()) as { sns: { Topic: { arn: string; sent_notifications: [string, string, string][] }[] } };
    const topic = data.sns.Topic.find((t) => t.arn === topicArn);
    return (topic?.sent_notifications ?? []).map(([id, message, subject]) => ({ id, message, subject }));
  };
  const run = (override: CallOverride, parameters: Record<string, unknown> = {}) =>
    simulateDocument(doc, {
      parameters: { AutomationAssumeRole: ROLE, ResourceId: STREAM, ResourceType: TYPE, ConfigRuleName: RULE, TopicArn: topicArn, ...parameters },
      override,
    });
  const executionId = (r: SimulationResult) => /execution ([0-9a-f-]{36})/.exec(String(r.calls.find((c) => c.api === 'Publish')?.params.Message))?.[1];

  it('declares exactly the IAM actions its steps call', () => {
    expect([...doc.iamActions].sort()).to.deep.equal(['config:GetComplianceDetailsByResource', 'sns:Publish']);
  });

  it('publishes the rule, resource type, resource ID, annotation and HIPAA reason, picking its rule among others', async () => {
    // Act
    const result = await run(evaluations(evaluation('elasticache-engine-hipaa-eligible', 'Another rule.'), evaluation(RULE, ANNOTATION)));
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(['ReadNonCompliantEvaluations', 'SelectRuleEvaluation', 'BranchOnStillNonCompliant', 'PublishNotification']);
    expect(result.calls[0]).to.deep.include({ api: 'GetComplianceDetailsByResource', answeredBy: 'override' });
    expect(result.calls[0]?.params).to.deep.equal({ ResourceType: TYPE, ResourceId: STREAM, ComplianceTypes: ['NON_COMPLIANT'] });
    const sent = await published();
    expect(sent).to.have.lengthOf(1);
    expect(sent[0]?.subject).to.equal(`HIPAA safeguards: ${RULE} needs a person`);
    expect(sent[0]?.message).to.equal(
      [
        `AWS Config rule ${RULE} judges a resource NON_COMPLIANT, and the HIPAA safeguards pack cannot fix it in place: a person must act.`,
        '',
        `Resource type: ${TYPE}`,
        `Resource ID: ${STREAM}`,
        'Account and Region: 123456789012 us-east-1',
        `Annotation: ${ANNOTATION}`,
        '',
        'Why it matters: the resource may hold protected health information (PHI), and the HIPAA Security Rule (45 CFR Part 164, Subpart C) requires the safeguard the annotation cites. Fix the resource as the annotation says, or record a documented exception with the tag hipaa-safeguards:exempt (reason or ticket) and, if it is temporary, hipaa-safeguards:exempt-until (ISO 8601 date).',
        '',
        `Sent by SSM Automation execution ${executionId(result) ?? '?'} of HIPAA-NotifyNonCompliantResource.`,
      ].join('\n'),
    );
    expect(result.documentOutputs).to.deep.equal({
      'SelectRuleEvaluation.NonCompliant': true,
      'SelectRuleEvaluation.Annotation': ANNOTATION,
      'PublishNotification.MessageId': sent[0]?.id,
    });
  });

  it('matches the name AWS Config gives a rule deployed by a conformance pack, and says that name', async () => {
    const deployed = `${RULE}-conformance-pack-a1b2c3d4`;
    const result = await run(evaluations(evaluation(deployed, ANNOTATION)));
    expect(result.outputs['SelectRuleEvaluation.RuleName']).to.equal(deployed);
    expect((await published())[0]?.message).to.match(new RegExp(`^AWS Config rule ${deployed} judges`));
  });

  it('does not take a rule whose name only starts like the wanted one', async () => {
    const result = await run(evaluations(evaluation(`${RULE}-legacy`, 'Not ours.')));
    expect(result.outputs['SelectRuleEvaluation.NonCompliant']).to.equal(false);
    expect(await published()).to.deep.equal([]);
  });

  it('sends nothing when the rule no longer judges the resource NON_COMPLIANT (no evaluations)', async () => {
    // Act
    const result = await run(evaluations());
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(['ReadNonCompliantEvaluations', 'SelectRuleEvaluation', 'BranchOnStillNonCompliant']);
    expect(result.calls.map((c) => c.api)).to.deep.equal(['GetComplianceDetailsByResource']);
    expect(result.documentOutputs).to.deep.equal({ 'SelectRuleEvaluation.NonCompliant': false, 'SelectRuleEvaluation.Annotation': '' });
    expect(await published()).to.deep.equal([]);
  });

  it('sends nothing when only other rules judge the resource NON_COMPLIANT', async () => {
    const result = await run(evaluations(evaluation('elasticache-engine-hipaa-eligible', 'Another rule.')));
    expect(result.stepPath.at(-1)).to.equal('BranchOnStillNonCompliant');
    expect(await published()).to.deep.equal([]);
  });

  it('says so when the rule gave no annotation', async () => {
    await run(evaluations(evaluation(RULE)));
    expect((await published())[0]?.message).to.contain('Annotation: (the rule gave no annotation)');
  });

  it('fails at PublishNotification, naming the SNS error, when the topic does not exist', async () => {
    const result = await run(evaluations(evaluation(RULE, ANNOTATION)), { TopicArn: 'arn:aws:sns:us-east-1:123456789012:gone' });
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('PublishNotification');
    expect(result.failure?.message).to.match(/^sns:Publish failed: NotFound(Exception)?: /);
  });

  it('refuses a FIFO topic (it would need a MessageGroupId) before any step runs', async () => {
    let caught: unknown;
    await run(evaluations(), { TopicArn: 'arn:aws:sns:us-east-1:123456789012:hipaa.fifo' }).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(SimulationError);
    expect((caught as Error).message).to.contain('Parameter TopicArn value');
  });
});
