import { BatchImportFindingsCommand, BatchUpdateFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import sinon from 'sinon';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import type { Evaluation } from '../../rules/runtime/compliance';
import { createRuleHandler } from '../../rules/runtime/handler';
import { FindingsImportError, importFindings, toFinding } from '../../rules/runtime/securityhub';
import { main } from '../../scripts/cli';
import { seedKinesis } from '../../scripts/demo';
import { type ShapeModel, operationModel } from '../../scripts/lib/ssm/sdk-operations';
import { changeEvent, kinesisItemEventStyle } from '../helpers/fixtures';
import { interceptConfig } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';

const AT = new Date('2026-11-22T10:00:00Z');
const CONTEXT = { accountId: '111122223333', region: 'us-east-1', partition: 'aws', now: AT };
const evaluation = (id: string, type: Evaluation['ComplianceType'] = 'NON_COMPLIANT'): Evaluation => ({
  ComplianceResourceType: 'AWS::Kinesis::Stream',
  ComplianceResourceId: id,
  ComplianceType: type,
  Annotation: `Stream ${id} is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. 45 CFR 164.312(a)(2)(iv)`,
  OrderingTimestamp: AT,
});

/** Problems of a value against the SDK's model of AwsSecurityFinding: missing required and unknown members. */
function modelProblems(value: unknown, shape: ShapeModel, path: string): string[] {
  if (shape.kind === 'list') return Array.isArray(value) ? value.flatMap((v, i) => modelProblems(v, shape.member(), `${path}[${i}]`)) : [`${path}: expected a list`];
  if (shape.kind !== 'structure') return [];
  if (typeof value !== 'object' || value === null) return [`${path}: expected an object`];
  const v = value as Record<string, unknown>;
  return [
    ...shape.required.filter((r) => v[r] === undefined).map((r) => `${path}.${r}: required`),
    ...Object.keys(v).flatMap((k) => {
      const member = shape.members.get(k);
      return member ? modelProblems(v[k], member(), `${path}.${k}`) : [`${path}.${k}: not in the model`];
    }),
  ];
}

describe('runtime/securityhub', () => {
  const findingShape = () => {
    const findings = operationModel('securityhub', 'BatchImportFindings').input.members.get('Findings')?.();
    if (findings?.kind !== 'list') throw new Error('model has no Findings list');
    return findings.member();
  };

  it('builds a FAILED finding with the HIPAA citations, severity, resource and remediation', () => {
    const f = toFinding(kinesisStreamEncrypted, evaluation('vitals'), CONTEXT);
    expect(f).to.deep.include({
      SchemaVersion: '2018-10-08',
      Id: 'hipaa-safeguards/111122223333/us-east-1/kinesis-stream-encrypted/AWS::Kinesis::Stream/vitals',
      ProductArn: 'arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default',
      GeneratorId: 'hipaa-safeguards/kinesis-stream-encrypted',
      AwsAccountId: '111122223333',
      Types: ['Software and Configuration Checks/Industry and Regulatory Standards/HIPAA Controls'],
      CreatedAt: '2026-11-22T10:00:00.000Z',
      UpdatedAt: '2026-11-22T10:00:00.000Z',
      Severity: { Label: 'HIGH' },
      Title: 'Kinesis data streams are encrypted at rest with KMS',
      Description: evaluation('vitals').Annotation,
      Compliance: { Status: 'FAILED', RelatedRequirements: ['HIPAA 45 CFR 164.312(a)(2)(iv)'] },
    });
    expect(f.Resources?.[0]).to.deep.include({ Type: 'AwsKinesisStream', Id: 'arn:aws:kinesis:us-east-1:111122223333:stream/vitals', Partition: 'aws', Region: 'us-east-1' });
    expect(f.Remediation?.Recommendation?.Text).to.equal(
      'Run the SSM Automation document HIPAA-EnableKinesisStreamEncryption (the pack runs it automatically for NON_COMPLIANT resources).',
    );
  });

  it('has every field Security Hub requires and only fields its model knows', () => {
    for (const type of ['NON_COMPLIANT', 'COMPLIANT', 'NOT_APPLICABLE'] as const) {
      const f = toFinding(kinesisStreamEncrypted, evaluation('vitals', type), CONTEXT);
      expect(modelProblems(f, findingShape(), 'Finding')).to.deep.equal([]);
      for (const field of ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Types', 'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description', 'Resources']) {
        expect(f, field).to.have.property(field);
      }
    }
  });

  it('the model check itself catches a missing required field', () => {
    const f: Record<string, unknown> = { ...toFinding(kinesisStreamEncrypted, evaluation('vitals'), CONTEXT) };
    delete f.GeneratorId;
    f.Bogus = 1;
    expect(modelProblems(f, findingShape(), 'Finding')).to.deep.equal(['Finding.GeneratorId: required', 'Finding.Bogus: not in the model']);
  });

  it('reports compliant and exempt resources as PASSED and INFORMATIONAL', () => {
    for (const type of ['COMPLIANT', 'NOT_APPLICABLE'] as const) {
      const f = toFinding(kinesisStreamEncrypted, evaluation('vitals', type), CONTEXT);
      expect(f.Compliance?.Status).to.equal('PASSED');
      expect(f.Severity).to.deep.equal({ Label: 'INFORMATIONAL' });
    }
  });

  describe('importFindings', () => {
    const newMock = () => mockClient(SecurityHubClient);
    let hub: ReturnType<typeof newMock>;
    const client = new SecurityHubClient({ region: 'us-east-1' });
    const fast = { attempts: 3, baseDelayMs: 1, sleep: () => Promise.resolve() };
    beforeEach(() => {
      hub = newMock();
    });
    afterEach(() => hub.restore());

    it('imports 250 findings in three calls and resolves the PASSED ones', async () => {
      hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
      hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
      const findings = Array.from({ length: 250 }, (_, i) => toFinding(kinesisStreamEncrypted, evaluation(`s${i}`, i % 2 ? 'COMPLIANT' : 'NON_COMPLIANT'), CONTEXT));
      await importFindings(client, findings, fast);
      expect(hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings?.length)).to.deep.equal([100, 100, 50]);
      const resolved = hub.commandCalls(BatchUpdateFindingsCommand);
      expect(resolved.map((c) => c.args[0].input.FindingIdentifiers?.length)).to.deep.equal([100, 25]);
      expect(resolved[0]?.args[0].input.Workflow).to.deep.equal({ Status: 'RESOLVED' });
    });

    it('retries FailedFindings and fails loudly when they keep failing', async () => {
      const [f] = [toFinding(kinesisStreamEncrypted, evaluation('stuck'), CONTEXT)] as [AwsSecurityFinding];
      hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 1, SuccessCount: 0, FailedFindings: [{ Id: f.Id, ErrorCode: 'InvalidInput', ErrorMessage: 'x' }] });
      const err = await importFindings(client, [f], fast).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(FindingsImportError);
      expect((err as FindingsImportError).findingIds).to.deep.equal([f.Id]);
      expect(hub.commandCalls(BatchImportFindingsCommand)).to.have.length(3);
    });
  });

  describe('in the Lambda (importSecurityHubFindings=true)', function () {
    this.timeout(30_000);
    const newMock = () => mockClient(SecurityHubClient);
    let hub: ReturnType<typeof newMock>;
    beforeEach(async () => {
      await useMoto();
      hub = newMock();
      hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
      hub.on(BatchUpdateFindingsCommand).resolves({ UnprocessedFindings: [] });
    });
    afterEach(() => {
      hub.restore();
      sinon.restore();
    });

    it('imports one finding per evaluation after PutEvaluations', async () => {
      // Arrange: a real result token; moto accepts PutEvaluations in TestMode only, so Config is faked here
      const config = interceptConfig({ PutEvaluations: () => ({ FailedEvaluations: [] }) });
      const event = changeEvent(kinesisItemEventStyle({ name: 'vitals', encryption: null }), { resultToken: 'token-from-config', ruleParameters: { importSecurityHubFindings: 'true' } });
      // Act
      await createRuleHandler(kinesisStreamEncrypted, { retry: { attempts: 2, baseDelayMs: 1 } })(event);
      // Assert
      expect(config.of('PutEvaluations')).to.have.length(1);
      const findings = hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings ?? []);
      expect(findings.map((f) => [f.AwsAccountId, f.Compliance?.Status, f.Resources?.[0]?.Id])).to.deep.equal([
        ['123456789012', 'FAILED', 'arn:aws:kinesis:us-east-1:123456789012:stream/vitals'],
      ]);
    });

    it('imports nothing by default or in test mode', async () => {
      interceptConfig({ PutEvaluations: () => ({ FailedEvaluations: [] }) });
      await createRuleHandler(kinesisStreamEncrypted)(changeEvent(kinesisItemEventStyle(), { resultToken: 'token' }));
      await createRuleHandler(kinesisStreamEncrypted)(changeEvent(kinesisItemEventStyle(), { resultToken: 'TESTMODE', ruleParameters: { importSecurityHubFindings: 'true' } }));
      expect(hub.commandCalls(BatchImportFindingsCommand)).to.have.length(0);
    });
  });

  it('safeguards scan --format asff prints the same findings for the caller account', async function () {
    this.timeout(30_000);
    const { endpoint } = await useMoto();
    await seedKinesis(endpoint, new Date());
    let out = '';
    const code = await main(['scan', '--endpoint-url', endpoint, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted', '--format', 'asff'], { out: (s) => (out += s), err: () => undefined });
    expect(code).to.equal(1);
    const findings = JSON.parse(out) as AwsSecurityFinding[];
    expect(findings).to.have.length(5);
    expect(new Set(findings.map((f) => f.AwsAccountId))).to.deep.equal(new Set(['123456789012']));
    expect(findings.find((f) => f.Id?.endsWith('/phi-vitals-raw'))?.Compliance).to.deep.equal({ Status: 'FAILED', RelatedRequirements: ['HIPAA 45 CFR 164.312(a)(2)(iv)'] });
    for (const f of findings) expect(modelProblems(f, (() => { const l = operationModel('securityhub', 'BatchImportFindings').input.members.get('Findings')?.(); return l?.kind === 'list' ? l.member() : { kind: 'other' as const }; })(), 'Finding')).to.deep.equal([]);
  });
});
