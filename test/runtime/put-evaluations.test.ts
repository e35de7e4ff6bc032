import { ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import sinon from 'sinon';
import type { Evaluation } from '../../rules/runtime/compliance';
import { PutEvaluationsError } from '../../rules/runtime/errors';
import { putEvaluations } from '../../rules/runtime/put-evaluations';

const AT = new Date('2026-11-22T10:00:00Z');
const evaluations = (n: number): Evaluation[] =>
  Array.from({ length: n }, (_, i) => ({
    ComplianceResourceType: 'AWS::Kinesis::Stream',
    ComplianceResourceId: `s${i}`,
    ComplianceType: 'COMPLIANT',
    Annotation: 'ok',
    OrderingTimestamp: AT,
  }));

describe('runtime/put-evaluations', () => {
  const newMock = () => mockClient(ConfigServiceClient);
  let config: ReturnType<typeof newMock>;
  const client = new ConfigServiceClient({ region: 'us-east-1' });
  const noSleep = { attempts: 3, baseDelayMs: 10, sleep: sinon.stub().resolves() };
  beforeEach(() => {
    config = newMock();
  });
  afterEach(() => {
    config.restore();
    noSleep.sleep.resetHistory();
  });

  it('sends 250 evaluations in three calls of at most 100', async () => {
    config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
    await putEvaluations(client, evaluations(250), 'token', noSleep);
    const sizes = config.commandCalls(PutEvaluationsCommand).map((c) => c.args[0].input.Evaluations?.length);
    expect(sizes).to.deep.equal([100, 100, 50]);
    expect(config.commandCalls(PutEvaluationsCommand)[0]?.args[0].input).to.not.have.property('TestMode');
  });

  it('sets TestMode for the TESTMODE token', async () => {
    config.on(PutEvaluationsCommand).resolves({});
    await putEvaluations(client, evaluations(1), 'TESTMODE', noSleep);
    expect(config.commandCalls(PutEvaluationsCommand)[0]?.args[0].input).to.deep.include({ ResultToken: 'TESTMODE', TestMode: true });
  });

  it('keeps the OrderingTimestamp on every evaluation', async () => {
    config.on(PutEvaluationsCommand).resolves({});
    await putEvaluations(client, evaluations(2), 'token', noSleep);
    for (const e of config.commandCalls(PutEvaluationsCommand)[0]?.args[0].input.Evaluations ?? []) expect(e.OrderingTimestamp).to.deep.equal(AT);
  });

  it('retries only the FailedEvaluations, with backoff', async () => {
    const [first] = evaluations(3).slice(1);
    config.on(PutEvaluationsCommand).resolvesOnce({ FailedEvaluations: [{ ...first! }] }).resolves({ FailedEvaluations: [] });
    await putEvaluations(client, evaluations(3), 'token', noSleep);
    const calls = config.commandCalls(PutEvaluationsCommand);
    expect(calls).to.have.length(2);
    expect(calls[1]?.args[0].input.Evaluations?.map((e) => e.ComplianceResourceId)).to.deep.equal(['s1']);
    expect(noSleep.sleep.callCount).to.equal(1);
    expect(noSleep.sleep.firstCall.args[0]).to.be.within(10, 15);
  });

  it('fails loudly, naming the resources, when Config keeps rejecting them', async () => {
    const failed = evaluations(2);
    config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: failed.map((e) => ({ ...e })) });
    const error = await putEvaluations(client, failed, 'token', noSleep).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(PutEvaluationsError);
    expect((error as PutEvaluationsError).message).to.equal('Config rejected 2 evaluation(s) after 3 attempts: s0, s1.');
    expect((error as PutEvaluationsError).failedResourceIds).to.deep.equal(['s0', 's1']);
    expect(config.commandCalls(PutEvaluationsCommand)).to.have.length(3);
  });

  it('wraps an API error with its cause and the resources it concerned', async () => {
    const cause = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    config.on(PutEvaluationsCommand).rejects(cause);
    const error = (await putEvaluations(client, evaluations(1), 'token', noSleep).catch((e: unknown) => e)) as PutEvaluationsError;
    expect(error).to.be.instanceOf(PutEvaluationsError);
    expect(error.cause).to.equal(cause);
    expect(error.failedResourceIds).to.deep.equal(['s0']);
  });

  it('makes no call when there is nothing to report', async () => {
    await putEvaluations(client, [], 'token', noSleep);
    expect(config.commandCalls(PutEvaluationsCommand)).to.have.length(0);
  });
});
