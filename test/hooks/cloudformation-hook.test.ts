import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { expect } from 'chai';
import sinon from 'sinon';
import { catalog } from '../../rules/catalog';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import type { PropertiesInput, PropertyVerdict } from '../../rules/prevention/judge-properties';
import { createHookHandler, hookTargetTypes } from '../../rules/hooks/handler';
import { MAX_CLOUD_CONTROL_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from '../../rules/hooks/response';
import {
  DEFAULT_HOOK_SETTINGS,
  type HookSettings,
  PREVENTION_MODE_VARIABLE,
  RULE_PARAMETERS_VARIABLE,
  UNKNOWN_POLICY_VARIABLE,
  hookSettingsFromEnvironment,
} from '../../rules/hooks/settings';
import { fakeJudge } from './fake-judge';

const FIXTURES = join(__dirname, '..', 'fixtures', 'hooks');
type Request = Record<string, unknown> & {
  clientRequestToken?: string;
  requestData: Record<string, unknown> & { targetModel?: Record<string, unknown> | null };
};
/** A documented-shape request, fresh each call. */
const request = (name: string): Request => structuredClone(JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Request);

const KINESIS_CITATION = '45 CFR 164.312(a)(2)(iv)';
const silent = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const settings = (s: Partial<HookSettings> = {}): HookSettings => ({ ...DEFAULT_HOOK_SETTINGS, ...s });

const verdict = (rule: string, resourceType: string, compliance: PropertyVerdict['compliance'], annotation: string): PropertyVerdict => ({
  rule,
  resourceType,
  compliance,
  annotation,
});

describe('cloudformation-hook', () => {
  afterEach(() => sinon.restore());

  describe('resource operations of the catalog', () => {
    it('blocks a CREATE of a stream without StreamEncryption, naming the rule, the property and the citation (FAIL mode)', async () => {
      // Arrange
      const { judge, calls } = fakeJudge();
      const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });
      const event = request('kinesis-create');

      // Act
      const response = await handler(event);

      // Assert
      expect(response).to.deep.equal({
        hookStatus: 'FAILED',
        errorCode: 'NonCompliant',
        message:
          'HIPAA Safeguards blocked VitalsStream (AWS::Kinesis::Stream): it fails 1 safeguard(s): [kinesis-stream-encrypted] Stream vitals is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. 45 CFR 164.312(a)(2)(iv)',
        clientRequestToken: 'f8da6d11-b23f-48f4-814c-0fb6a667f50e',
        annotations: [
          {
            annotationName: 'kinesis-stream-encrypted',
            status: 'FAILED',
            statusMessage: `Stream vitals is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. ${KINESIS_CITATION}`,
            severityLevel: 'HIGH',
          },
        ],
      });
      expect(calls).to.deep.equal([
        { resourceType: 'AWS::Kinesis::Stream', logicalId: 'VitalsStream', properties: event.requestData.targetModel?.resourceProperties },
      ]);
    });

    it('allows a CREATE of a stream encrypted with KMS, and says what passed', async () => {
      const { judge } = fakeJudge();
      const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });
      const event = request('kinesis-create');
      const props = event.requestData.targetModel?.resourceProperties as Record<string, unknown>;
      props.StreamEncryption = { EncryptionType: 'KMS', KeyId: 'alias/phi-streams' };

      const response = await handler(event);

      expect(response.hookStatus).to.equal('SUCCESS');
      expect(response.errorCode).to.equal(undefined);
      expect(response.message).to.equal('VitalsStream (AWS::Kinesis::Stream) passes 1 of 1 HIPAA safeguard check(s).');
      expect(response.annotations?.map((a) => a.status)).to.deep.equal(['PASSED']);
    });

    it('judges an UPDATE on the proposed resourceProperties, not on previousResourceProperties', async () => {
      const { judge, calls } = fakeJudge();
      const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });
      const event = request('kinesis-update');

      const response = await handler(event);

      // The previous properties had KMS; the update drops it: blocked.
      expect(response.hookStatus).to.equal('FAILED');
      expect(response.errorCode).to.equal('NonCompliant');
      expect(response.message).to.contain('[kinesis-stream-encrypted] Stream vitals is not encrypted at rest (StreamEncryption absent).');
      expect(response.clientRequestToken).to.equal('0c3a1d0e-7b7e-4d3c-9b1e-2f5a6c7d8e9f');
      expect(calls[0]?.properties).to.deep.equal({ Name: 'vitals', ShardCount: 2 });
    });

    it('judges a Cloud Control API create by targetName (targetType is RESOURCE) and fits the message in 1024 characters', async () => {
      const long = 'x'.repeat(600);
      const { judge } = fakeJudge(() => [
        verdict('second-rule', 'AWS::Kinesis::Stream', 'NON_COMPLIANT', `Second reason ${long}. ${KINESIS_CITATION}`),
        verdict('third-rule', 'AWS::Kinesis::Stream', 'NON_COMPLIANT', `Third reason ${long}. ${KINESIS_CITATION}`),
      ]);
      const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });

      const response = await handler(request('cloud-control-create'));

      expect(response.hookStatus).to.equal('FAILED');
      expect(response.message.length).to.be.at.most(MAX_CLOUD_CONTROL_MESSAGE_LENGTH);
      // Whole entries first, then the rules that did not fit are still named.
      expect(response.message).to.match(/^HIPAA Safeguards blocked KinesisStream-5f6c0b9e \(AWS::Kinesis::Stream\): it fails 3 safeguard\(s\): \[kinesis-stream-encrypted\] Stream claims is not encrypted/);
      expect(response.message).to.match(/\(\+\d more: (second-rule, )?third-rule\)$/);
      expect(response.annotations?.map((a) => `${a.annotationName}:${a.status}`)).to.deep.equal([
        'kinesis-stream-encrypted:FAILED',
        'second-rule:FAILED',
        'third-rule:FAILED',
      ]);
    });

    it('keeps a CloudFormation message within 4096 characters, whole entries first', async () => {
      const reasons = Array.from({ length: 12 }, (_, i) => verdict(`rule-${i}`, 'AWS::Kinesis::Stream', 'NON_COMPLIANT', `Reason ${i} ${'y'.repeat(400)}`));
      const handler = createHookHandler({ judgeProperties: fakeJudge(() => reasons).judge, settings: settings(), logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response.message.length).to.be.at.most(MAX_MESSAGE_LENGTH);
      expect(response.message.length).to.be.greaterThan(MAX_CLOUD_CONTROL_MESSAGE_LENGTH);
      expect(response.message).to.match(/\(\+\d+ more: [a-z0-9, -]+rule-11\)$/);
    });

    it('passes the hook rule parameters to the judge', async () => {
      const { judge, calls } = fakeJudge();
      const parameters = { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } };
      const handler = createHookHandler({ judgeProperties: judge, settings: settings({ parameters }), logger: silent() });

      await handler(request('kinesis-create'));

      expect(calls[0]?.parameters).to.deep.equal(parameters);
    });

    it('treats NOT_APPLICABLE (an exemption tag) as no objection', async () => {
      const exempt = verdict(kinesisStreamEncrypted.name, 'AWS::Kinesis::Stream', 'NOT_APPLICABLE', 'Stream vitals is exempt: CHG-1234.');
      const handler = createHookHandler({ judgeProperties: async () => [exempt], settings: settings(), logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response.hookStatus).to.equal('SUCCESS');
      expect(response.annotations).to.deep.equal([{ annotationName: 'kinesis-stream-encrypted', status: 'SKIPPED', statusMessage: 'Stream vitals is exempt: CHG-1234.', severityLevel: 'HIGH' }]);
    });
  });

  describe('UNKNOWN verdicts', () => {
    const withRef = () => {
      const event = request('kinesis-create');
      (event.requestData.targetModel?.resourceProperties as Record<string, unknown>).StreamEncryption = { EncryptionType: 'KMS', KeyId: { Ref: 'PhiKey' } };
      return event;
    };

    it('fails closed by default: "could not verify" blocks like a violation', async () => {
      const handler = createHookHandler({ judgeProperties: fakeJudge().judge, settings: settings(), logger: silent() });

      const response = await handler(withRef());

      expect(response.hookStatus).to.equal('FAILED');
      expect(response.errorCode).to.equal('NonCompliant');
      expect(response.message).to.equal(
        'HIPAA Safeguards blocked VitalsStream (AWS::Kinesis::Stream): it fails 1 safeguard(s): [kinesis-stream-encrypted] could not verify: Stream VitalsStream StreamEncryption.KeyId is {"Ref":"PhiKey"}, which cannot be resolved before deployment. 45 CFR 164.312(a)(2)(iv)',
      );
      expect(response.annotations?.[0]?.status).to.equal('FAILED');
      expect(response.annotations?.[0]?.statusMessage).to.match(/^Could not verify: /);
    });

    it('with onUnknown ALLOW lets it through and says what was not verified', async () => {
      const handler = createHookHandler({ judgeProperties: fakeJudge().judge, settings: settings({ onUnknown: 'ALLOW' }), logger: silent() });

      const response = await handler(withRef());

      expect(response.hookStatus).to.equal('SUCCESS');
      expect(response.message).to.equal(
        'VitalsStream (AWS::Kinesis::Stream) passes 0 of 1 HIPAA safeguard check(s). Allowed unverified (onUnknown ALLOW): [kinesis-stream-encrypted] could not verify: Stream VitalsStream StreamEncryption.KeyId is {"Ref":"PhiKey"}, which cannot be resolved before deployment. 45 CFR 164.312(a)(2)(iv)',
      );
      expect(response.annotations?.[0]?.status).to.equal('SKIPPED');
    });

    it('with onUnknown ALLOW still blocks a NON_COMPLIANT verdict next to the UNKNOWN one', async () => {
      const handler = createHookHandler({
        judgeProperties: fakeJudge(() => [verdict('elasticache-auth-enabled', 'AWS::Kinesis::Stream', 'NON_COMPLIANT', 'No AUTH. 45 CFR 164.312(d)')]).judge,
        settings: settings({ onUnknown: 'ALLOW' }),
        logger: silent(),
      });

      const response = await handler(withRef());

      expect(response.hookStatus).to.equal('FAILED');
      expect(response.message).to.match(/it fails 1 safeguard\(s\): \[elasticache-auth-enabled\] No AUTH\. 45 CFR 164\.312\(d\)$/);
    });
  });

  describe('preventionMode', () => {
    it('WARN answers FAILED/NonCompliant with a warning message (the hook, FailureMode WARN, lets it proceed)', async () => {
      const handler = createHookHandler({ judgeProperties: fakeJudge().judge, settings: settings({ preventionMode: 'WARN' }), logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response.hookStatus).to.equal('FAILED');
      expect(response.errorCode).to.equal('NonCompliant');
      expect(response.message).to.equal(
        'HIPAA Safeguards warning (preventionMode WARN, not blocked): VitalsStream (AWS::Kinesis::Stream) fails 1 safeguard(s): [kinesis-stream-encrypted] Stream vitals is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. 45 CFR 164.312(a)(2)(iv)',
      );
    });

    it('OFF answers SUCCESS without judging', async () => {
      const judge = sinon.stub().rejects(new Error('must not be called'));
      const handler = createHookHandler({ judgeProperties: judge, settings: settings({ preventionMode: 'OFF' }), logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response).to.deep.equal({
        hookStatus: 'SUCCESS',
        message: 'HIPAA Safeguards prevention is OFF: VitalsStream (AWS::Kinesis::Stream) was not judged.',
        clientRequestToken: 'f8da6d11-b23f-48f4-814c-0fb6a667f50e',
      });
      expect(judge.called).to.equal(false);
    });

    it('reads the mode and the UNKNOWN policy from the environment the template sets', async () => {
      sinon.stub(process, 'env').value({ ...process.env, [PREVENTION_MODE_VARIABLE]: 'WARN', [UNKNOWN_POLICY_VARIABLE]: 'allow' });
      const handler = createHookHandler({ judgeProperties: fakeJudge().judge, logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response.message).to.match(/^HIPAA Safeguards warning \(preventionMode WARN, not blocked\)/);
      expect(hookSettingsFromEnvironment(process.env).onUnknown).to.equal('ALLOW');
    });

    it('answers InternalFailure naming the variable when the environment holds a bad mode', async () => {
      sinon.stub(process, 'env').value({ ...process.env, [PREVENTION_MODE_VARIABLE]: 'BLOCK' });
      const handler = createHookHandler({ judgeProperties: fakeJudge().judge, logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response.hookStatus).to.equal('FAILED');
      expect(response.errorCode).to.equal('InternalFailure');
      expect(response.message).to.equal(
        'HIPAA Safeguards could not judge VitalsStream (AWS::Kinesis::Stream): HIPAA_SAFEGUARDS_PREVENTION_MODE is "BLOCK". Expected one of: FAIL, WARN, OFF.',
      );
    });

    it('rejects rule parameters that are not {rule: {name: string}}', () => {
      expect(() => hookSettingsFromEnvironment({ [RULE_PARAMETERS_VARIABLE]: '{"kinesis-stream-encrypted": {"requireCustomerManagedKey": true}}' })).to.throw(
        /HIPAA_SAFEGUARDS_HOOK_RULE_PARAMETERS is malformed: HIPAA_SAFEGUARDS_HOOK_RULE_PARAMETERS\.kinesis-stream-encrypted\.requireCustomerManagedKey: /,
      );
      expect(() => hookSettingsFromEnvironment({ [RULE_PARAMETERS_VARIABLE]: '{' })).to.throw(/is not JSON/);
    });
  });

  describe('what is not judged', () => {
    it('answers SUCCESS for a delete without judging', async () => {
      const judge = sinon.stub().rejects(new Error('must not be called'));
      const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });

      const response = await handler(request('elasticache-delete'));

      expect(response).to.deep.equal({
        hookStatus: 'SUCCESS',
        message: 'HIPAA Safeguards do not judge deletes: SessionCache (AWS::ElastiCache::ReplicationGroup) may be deleted.',
        clientRequestToken: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      });
      expect(judge.called).to.equal(false);
    });

    it('answers SUCCESS for a type outside the catalog (the guide\'s DynamoDB example) without judging', async () => {
      const judge = sinon.stub().rejects(new Error('must not be called'));
      const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });

      const response = await handler(request('dynamodb-update-documented'));

      expect(response).to.deep.equal({
        hookStatus: 'SUCCESS',
        message: 'AWS::DynamoDB::Table is not a resource type the HIPAA Safeguards judge.',
        clientRequestToken: '123avjdjk31',
      });
      expect(judge.called).to.equal(false);
    });

    it('judges every type of the catalog and only those', async () => {
      const seen: string[] = [];
      const judge = async (input: PropertiesInput) => {
        seen.push(input.resourceType);
        return [verdict('any', input.resourceType, 'COMPLIANT', 'ok')];
      };
      const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });
      const types = hookTargetTypes();

      for (const t of types) {
        const event = request('kinesis-create');
        event.requestData.targetName = t;
        event.requestData.targetType = t;
        expect((await handler(event)).hookStatus, t).to.equal('SUCCESS');
      }

      expect(seen).to.deep.equal(types);
      // The catalog's Config types, and the template types an adapter also builds its view from (AWS::DocDB::DBCluster).
      expect(new Set(types)).to.deep.equal(new Set(catalog.flatMap((s) => [...s.resource.resourceTypes, ...(s.resource.cloudFormationTypes ?? [])])));
    });
  });

  describe('requests the hook cannot judge: InternalFailure, never SUCCESS', () => {
    const cases: { name: string; change: (e: Request) => unknown; message: RegExp }[] = [
      { name: 'not an object', change: () => 'CREATE', message: /^HIPAA Safeguards could not judge: Malformed CloudFormation Lambda Hook request: request: Invalid input: expected object, received string\.$/ },
      {
        name: 'no requestData.targetName',
        change: (e) => {
          delete e.requestData.targetName;
          return e;
        },
        message: /request\.requestData\.targetName: Invalid input: expected string, received undefined/,
      },
      {
        name: 'an unknown actionInvocationPoint',
        change: (e) => ({ ...e, actionInvocationPoint: 'CREATE_POST_PROVISION' }),
        message: /request\.actionInvocationPoint: Invalid option: expected one of "CREATE_PRE_PROVISION"\|"UPDATE_PRE_PROVISION"\|"DELETE_PRE_PROVISION"/,
      },
      { name: 'an account ID that is not 12 digits', change: (e) => ({ ...e, awsAccountId: '1234' }), message: /request\.awsAccountId: expected a 12-digit account ID/ },
      {
        name: 'resourceProperties that are not an object',
        change: (e) => {
          (e.requestData.targetModel as Record<string, unknown>).resourceProperties = '{"Name":"vitals"}';
          return e;
        },
        message: /request\.requestData\.targetModel\.resourceProperties: Invalid input: expected record, received string/,
      },
      {
        name: 'a CREATE without resourceProperties (unresolved)',
        change: (e) => {
          e.requestData.targetModel = null;
          return e;
        },
        message:
          /^HIPAA Safeguards could not judge VitalsStream \(AWS::Kinesis::Stream\): the request has no requestData\.targetModel\.resourceProperties for CREATE_PRE_PROVISION; expected the proposed properties \(at least \{\}\)\.$/,
      },
    ];
    for (const c of cases) {
      it(`answers FAILED/InternalFailure for ${c.name}, echoing the token`, async () => {
        const judge = sinon.stub().rejects(new Error('must not be called'));
        const handler = createHookHandler({ judgeProperties: judge, settings: settings(), logger: silent() });

        const response = await handler(c.change(request('kinesis-create')));

        expect(response.hookStatus).to.equal('FAILED');
        expect(response.errorCode).to.equal('InternalFailure');
        expect(response.message).to.match(c.message);
        if (typeof c.change(request('kinesis-create')) === 'object') expect(response.clientRequestToken).to.equal('f8da6d11-b23f-48f4-814c-0fb6a667f50e');
        expect(judge.called).to.equal(false);
      });
    }

    it('answers InternalFailure when the judge throws (an account fact that could not be read)', async () => {
      const handler = createHookHandler({ judgeProperties: sinon.stub().rejects(new Error('kms:DescribeKey was denied')), settings: settings(), logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response).to.include({ hookStatus: 'FAILED', errorCode: 'InternalFailure', message: 'HIPAA Safeguards could not judge VitalsStream (AWS::Kinesis::Stream): kms:DescribeKey was denied' });
    });

    it('answers InternalFailure when the judge returns no verdict for a catalog type', async () => {
      const handler = createHookHandler({ judgeProperties: async () => [], settings: settings(), logger: silent() });

      const response = await handler(request('kinesis-create'));

      expect(response.errorCode).to.equal('InternalFailure');
      expect(response.message).to.match(/no safeguard returned a verdict for AWS::Kinesis::Stream/);
    });

    it('answers InternalFailure before the Lambda times out when the judge hangs', async () => {
      const handler = createHookHandler({ judgeProperties: () => new Promise(() => undefined), settings: settings(), logger: silent() });

      const response = await handler(request('kinesis-create'), { getRemainingTimeInMillis: () => 1_600 });

      expect(response.errorCode).to.equal('InternalFailure');
      expect(response.message).to.match(/Judging did not finish within 100 ms; the hook waits 30 s at most\.$/);
    });
  });

  describe('logging', () => {
    it('logs the answer with its context but never the resource properties (they may hold an AuthToken)', async () => {
      const logger = silent();
      const warn = sinon.spy(logger, 'warn');
      const handler = createHookHandler({ judgeProperties: fakeJudge().judge, settings: settings(), logger });
      const event = request('kinesis-create');
      (event.requestData.targetModel?.resourceProperties as Record<string, unknown>).AuthToken = 'secret-token-value';

      await handler(event);

      expect(warn.callCount).to.equal(1);
      const [message, fields] = warn.firstCall.args as [string, Record<string, unknown>];
      expect(message).to.equal('Hook answer');
      expect(fields).to.include({ hookStatus: 'FAILED', errorCode: 'NonCompliant', targetName: 'AWS::Kinesis::Stream', targetLogicalId: 'VitalsStream', awsAccountId: '123456789012' });
      expect(JSON.stringify(warn.firstCall.args)).not.to.contain('secret-token-value');
    });
  });
});

describe('cloudformation-hook handler (the deployed wiring)', () => {
  it('never lets an unencrypted stream through: blocked by the judge, or InternalFailure while the judge is not in the build', async () => {
    const { handler } = await import('../../rules/hooks/cloudformation-hook.js');

    const response = await handler(request('kinesis-create'));

    expect(response.hookStatus).to.equal('FAILED');
    expect(['NonCompliant', 'InternalFailure']).to.include(response.errorCode);
    expect(response.clientRequestToken).to.equal('f8da6d11-b23f-48f4-814c-0fb6a667f50e');
  });
});
