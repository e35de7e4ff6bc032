import { join } from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type CallOverride, select, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';

// Every call here is answered by the override hook (canned responses): these tests are about the interpreter, not AWS.
const doc = loadRemediationDocument('simulator-control-flow', join(__dirname, '..', 'fixtures', 'ssm'));
const ROLE = 'arn:aws:iam::123456789012:role/r';
const streams = { StreamNames: ['a', 'b'], StreamSummaries: [{ StreamName: 'a' }, { StreamName: 'b' }], HasMoreStreams: false };
const creating = { StreamDescriptionSummary: { StreamStatus: 'CREATING' } };

describe('scripts/lib/ssm/simulate', () => {
  afterEach(() => sinon.restore());

  it('runs a fixture that itself passes the document checks', () => {
    expect(checkDocument(doc).map(formatProblem)).to.deep.equal([]);
  });

  it('retries a failing step up to maxAttempts and records the sleep it did not wait', async () => {
    // Arrange: ListStreams fails twice, then answers
    let listCalls = 0;
    const override: CallOverride = (call) => {
      if (call.api === 'ListStreams' && ++listCalls <= 2) throw Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException' });
      return streams;
    };
    const sleep = sinon.stub().resolves();
    // Act
    const result = await simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, Mode: 'retry' }, override, sleep });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(['Pause', 'Decide', 'Flaky']);
    expect(result.steps.find((s) => s.name === 'Flaky')?.attempts).to.equal(3);
    expect(result.calls.map((c) => c.error ?? 'ok')).to.deep.equal(['LimitExceededException: Rate exceeded', 'LimitExceededException: Rate exceeded', 'ok']);
    expect(sleep.calledOnceWithExactly(60_000)).to.equal(true);
  });

  it('jumps to onFailure step:X and still reports the critical step as the failure', async () => {
    const override: CallOverride = (call) => (call.api === 'ListStreams' ? streams : creating);
    const result = await simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, Mode: 'jump' }, override });
    expect(result.stepPath).to.deep.equal(['Pause', 'Decide', 'FailThenJump', 'Recover']);
    expect(result.status).to.equal('Failed');
    expect(result.failure).to.deep.equal({ step: 'FailThenJump', message: 'Expected $.StreamDescriptionSummary.StreamStatus to be one of [ACTIVE] but found CREATING.' });
    expect(result.calls.find((c) => c.step === 'FailThenJump')?.params).to.deep.equal({ StreamName: 'stream-jump' });
    expect(result.documentOutputs).to.deep.equal({ 'Recover.StreamNames': ['a', 'b'] });
  });

  it('continues after a step with onFailure: Continue, which is not critical by default', async () => {
    const override: CallOverride = (call) => (call.api === 'ListStreams' ? streams : creating);
    const result = await simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, Mode: 'continue' }, override });
    expect(result.stepPath).to.deep.equal(['Pause', 'Decide', 'FailAndContinue', 'Recover']);
    expect(result.steps.find((s) => s.name === 'FailAndContinue')?.status).to.equal('Failed');
    expect(result.status).to.equal('Success');
  });

  it('evaluates And/Not with a numeric comparison: Count 1 takes the Default', async () => {
    const override: CallOverride = (call) => (call.api === 'ListStreams' ? streams : { StreamDescriptionSummary: { StreamStatus: 'ACTIVE' } });
    const result = await simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, Mode: 'retry', Count: 1 }, override });
    expect(result.stepPath).to.deep.equal(['Pause', 'Decide', 'FailAndContinue', 'Recover']);
  });

  it('refuses parameters the document does not accept, before any step', async () => {
    const run = (parameters: Record<string, unknown>) => simulateDocument(doc, { parameters, override: () => streams }).then(() => undefined, (e: unknown) => e);
    expect(await run({ AutomationAssumeRole: ROLE })).to.be.instanceOf(SimulationError).with.property('message', 'Parameter Mode of simulator-control-flow is required (it has no default).');
    expect(await run({ AutomationAssumeRole: ROLE, Mode: 'sideways' })).to.have.property('message').that.contains('is not one of ["retry","jump","continue"]');
    expect(await run({ AutomationAssumeRole: ROLE, Mode: 'retry', Extra: 'x' })).to.have.property('message', 'Document simulator-control-flow has no parameter Extra.');
  });

  describe('select (JSONPath subset)', () => {
    const response = { A: { B: [{ C: 1 }, { C: 2 }] }, 'x-y': 'z' };
    const cases: [string, unknown][] = [
      ['$.A.B[1].C', 2],
      ['$.A.B[*].C', [1, 2]],
      ["$['x-y']", 'z'],
      ['$.A.Missing', undefined],
      ['$.A.B[5]', undefined],
    ];
    for (const [selector, expected] of cases) {
      it(`selects ${selector}`, () => expect(select(response, selector)).to.deep.equal(expected));
    }
    it('refuses JSONPath beyond the subset instead of guessing', () => {
      expect(() => select(response, '$..C')).to.throw(SimulationError, /beyond the simulator's subset/);
    });
  });
});
