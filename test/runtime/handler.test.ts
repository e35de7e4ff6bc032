import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { CreateStreamCommand, KinesisClient, StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import sinon from 'sinon';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { clientsFor } from '../../rules/runtime/clients';
import { elastiCacheEncryptedAtRest } from '../../rules/elasticache-encrypted-at-rest';
import { InvalidParameterError, ListingError, MalformedEventError, PeriodicOnlyRuleError, PutEvaluationsError } from '../../rules/runtime/errors';
import { UnreadableResource, defineSafeguard } from '../../rules/runtime/safeguard';
import { kinesisStreamResource } from '../../rules/resources/kinesis-stream';
import { createRuleHandler, type HandlerOptions } from '../../rules/runtime/handler';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { changeEvent, eventStyleItem, kinesisItemApiStyle, kinesisItemEventStyle, oversizedEvent, scheduledEvent } from '../helpers/fixtures';
import { interceptClient, interceptConfig } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';
import { startThrottlingProxy } from '../helpers/throttling-proxy';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const FAST: HandlerOptions = { retry: { attempts: 3, baseDelayMs: 1 }, clock: () => NOW };
const handlerWith = (o: HandlerOptions = {}) => createRuleHandler(kinesisStreamEncrypted, { ...FAST, ...o });
const noHistory = { GetComplianceDetailsByConfigRule: () => ({ EvaluationResults: [] }) };

function kinesisOn(moto: MotoServer, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  return new KinesisClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler(), ...(credentials ? { credentials } : {}) });
}

/** The normalized view of the first stream moto lists. */
async function firstStream(moto: MotoServer) {
  for await (const item of kinesisStreamResource.listers[0]?.list(clientsFor({ region: 'us-east-1', endpoint: moto.endpoint })) ?? []) {
    if (!(item instanceof UnreadableResource)) return item;
  }
  throw new Error('moto lists no stream.');
}

async function createStreams(kinesis: KinesisClient, names: string[], keyId?: string) {
  for (const name of names) {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    if (keyId) await kinesis.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: keyId }));
  }
}

describe('runtime/handler', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  beforeEach(async () => {
    moto = await useMoto();
  });
  afterEach(() => sinon.restore());

  describe('ConfigurationItemChangeNotification', () => {
    it('sends one NON_COMPLIANT evaluation for an unencrypted stream, ordered by capture time, in TestMode', async () => {
      // Arrange
      const config = interceptConfig({});
      const event = changeEvent(kinesisItemEventStyle({ name: 'vitals', encryption: null, captureTime: '2026-11-22T09:00:00.000Z' }));
      // Act
      const { evaluations } = await handlerWith()(event);
      // Assert
      expect(evaluations).to.deep.equal([
        {
          ComplianceResourceType: 'AWS::Kinesis::Stream',
          ComplianceResourceId: 'vitals',
          ComplianceType: 'NON_COMPLIANT',
          Annotation: `Stream vitals is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. ${CITE}`,
          OrderingTimestamp: new Date('2026-11-22T09:00:00.000Z'),
        },
      ]);
      expect(config.of('PutEvaluations')).to.have.length(1);
      expect(config.of('PutEvaluations')[0]).to.deep.include({ ResultToken: 'TESTMODE', TestMode: true });
    });

    it('says EncryptionType NONE, not "StreamEncryption absent", when the item has StreamEncryption of type NONE', async () => {
      interceptConfig({});
      const { evaluations } = await handlerWith()(changeEvent(kinesisItemEventStyle({ name: 'vitals', encryption: { EncryptionType: 'NONE' } })));
      expect(evaluations.map((e) => e.Annotation)).to.deep.equal([
        `Stream vitals is not encrypted at rest (StreamEncryption.EncryptionType NONE). Enable KMS server-side encryption. ${CITE}`,
      ]);
    });

    for (const missing of [{ what: 'absent', value: undefined }, { what: 'null', value: null }]) {
      it(`throws for an OK item whose configuration is ${missing.what}, and writes no verdict`, async () => {
        // Arrange
        const config = interceptConfig({});
        const item = kinesisItemEventStyle({ name: 'hollow', status: 'OK' });
        if (missing.value === undefined) delete item.configuration;
        else item.configuration = missing.value;
        // Act
        const err = await handlerWith()(changeEvent(item)).catch((e: unknown) => e);
        // Assert
        expect(err).to.be.instanceOf(MalformedEventError);
        expect((err as Error).message).to.equal(
          "Malformed AWS Config rule event: event.invokingEvent.configurationItem.configuration: expected the resource's configuration for status OK (only deleted or unrecorded resources come without one).",
        );
        expect(config.of('PutEvaluations')).to.deep.equal([]);
      });
    }

    it('fails a periodic-only rule on a change notification for a type it lists, writing nothing', async () => {
      // Arrange: an ElastiCache rule (AWS Config does not record ElastiCache) gets a change notification anyway
      const config = interceptConfig({});
      const item = eventStyleItem({
        resourceType: 'AWS::ElastiCache::ReplicationGroup',
        name: 'phi-sessions',
        configuration: { ReplicationGroupId: 'phi-sessions' },
        arn: 'arn:aws:elasticache:us-east-1:123456789012:replicationgroup:phi-sessions',
      });
      // Act
      const err = await createRuleHandler(elastiCacheEncryptedAtRest, FAST)(changeEvent(item)).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(PeriodicOnlyRuleError);
      expect((err as Error).message).to.equal(
        'Rule elasticache-encrypted-at-rest is evaluated on periodic runs only; it got a configuration change notification for AWS::ElastiCache::ReplicationGroup phi-sessions and writes no verdict. Expected a ScheduledNotification.',
      );
      expect(config.calls).to.deep.equal([]);
    });

    it('fails a periodic-only rule on an oversized change notification before fetching anything', async () => {
      const config = interceptConfig({});
      const err = await createRuleHandler(elastiCacheEncryptedAtRest, FAST)(oversizedEvent({ resourceId: 'big' })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(PeriodicOnlyRuleError);
      expect(config.calls).to.deep.equal([]);
    });

    it('judges the real captured item (AWS managed key) COMPLIANT', async () => {
      const { evaluations } = await handlerWith()(changeEvent(kinesisItemEventStyle()));
      expect(evaluations[0]).to.deep.include({ ComplianceResourceId: 'stream-encrypted', ComplianceType: 'COMPLIANT' });
    });

    for (const status of ['ResourceDeleted', 'ResourceDeletedNotRecorded', 'ResourceNotRecorded']) {
      it(`returns NOT_APPLICABLE for ${status}`, async () => {
        const { evaluations } = await handlerWith()(changeEvent(kinesisItemEventStyle({ name: 'gone', status })));
        expect(evaluations.map((e) => [e.ComplianceType, e.Annotation])).to.deep.equal([
          ['NOT_APPLICABLE', `AWS::Kinesis::Stream gone is ${status}: nothing to evaluate.`],
        ]);
      });
    }

    it('returns NOT_APPLICABLE when the resource left the rule scope', async () => {
      const { evaluations } = await handlerWith()(changeEvent(kinesisItemEventStyle({ name: 'moved', encryption: null }), { eventLeftScope: true }));
      expect(evaluations[0]).to.deep.include({ ComplianceType: 'NOT_APPLICABLE', Annotation: 'AWS::Kinesis::Stream moved left the scope of this rule.' });
    });

    it('returns NOT_APPLICABLE for a resource of another type', async () => {
      const item = { ...kinesisItemEventStyle({ name: 'x' }), resourceType: 'AWS::SNS::Topic' };
      const { evaluations } = await handlerWith()(changeEvent(item));
      expect(evaluations[0]).to.deep.include({ ComplianceResourceType: 'AWS::SNS::Topic', ComplianceType: 'NOT_APPLICABLE' });
    });

    it('returns NOT_APPLICABLE with the reason for an exempt stream', async () => {
      const item = kinesisItemEventStyle({ name: 'sandbox', encryption: null, tags: { 'hipaa-safeguards:exempt': 'CHG-42 synthetic data' } });
      const { evaluations } = await handlerWith()(changeEvent(item));
      expect(evaluations[0]).to.deep.include({
        ComplianceType: 'NOT_APPLICABLE',
        Annotation: `Stream sandbox is exempt by tag hipaa-safeguards:exempt (CHG-42 synthetic data). ${CITE}`,
      });
    });

    it('evaluates a stream whose exemption expired and says so', async () => {
      const tags = { 'hipaa-safeguards:exempt': 'CHG-7', 'hipaa-safeguards:exempt-until': '2026-11-01' };
      const { evaluations } = await handlerWith()(changeEvent(kinesisItemEventStyle({ name: 'old', encryption: null, tags })));
      expect(evaluations[0]).to.deep.include({
        ComplianceType: 'NON_COMPLIANT',
        Annotation: `Exemption (CHG-7) expired 2026-11-01. Stream old is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. ${CITE}`,
      });
    });

    it('keeps a future exemption', async () => {
      const tags = { 'hipaa-safeguards:exempt': 'CHG-8', 'hipaa-safeguards:exempt-until': '2027-01-31' };
      const { evaluations } = await handlerWith()(changeEvent(kinesisItemEventStyle({ name: 'new', encryption: null, tags })));
      expect(evaluations[0]?.ComplianceType).to.equal('NOT_APPLICABLE');
      expect(evaluations[0]?.Annotation).to.contain('until 2027-01-31');
    });

    it('exempts the IDs in the exemptResourceIds parameter', async () => {
      const event = changeEvent(kinesisItemEventStyle({ name: 'central', encryption: null }), { ruleParameters: { exemptResourceIds: 'other,central' } });
      const { evaluations } = await handlerWith()(event);
      expect(evaluations[0]).to.deep.include({ ComplianceType: 'NOT_APPLICABLE', Annotation: `Stream central is exempt by rule parameter exemptResourceIds. ${CITE}` });
    });

    it('applies string rule parameters: requireCustomerManagedKey "true" fails an AWS managed key', async () => {
      const event = changeEvent(kinesisItemEventStyle(), { ruleParameters: { requireCustomerManagedKey: 'true' } });
      const { evaluations } = await handlerWith()(event);
      expect(evaluations[0]?.ComplianceType).to.equal('NON_COMPLIANT');
    });
  });

  describe('OversizedConfigurationItemChangeNotification', () => {
    it('fetches the item with GetResourceConfigHistory (limit 1, laterTime = capture time) and judges it', async () => {
      // Arrange: moto does not record Kinesis, so the history call returns the real captured item
      const captured = { ...kinesisItemApiStyle(), configurationItemCaptureTime: new Date('2026-11-20T08:00:00Z') };
      const config = interceptConfig({ GetResourceConfigHistory: () => ({ configurationItems: [captured] }) });
      // Act
      const { evaluations } = await handlerWith()(oversizedEvent({ resourceId: 'stream-encrypted', captureTime: '2026-11-20T08:00:00.000Z' }));
      // Assert
      expect(config.of('GetResourceConfigHistory')).to.deep.equal([
        { resourceType: 'AWS::Kinesis::Stream', resourceId: 'stream-encrypted', laterTime: new Date('2026-11-20T08:00:00.000Z'), limit: 1 },
      ]);
      expect(evaluations).to.have.length(1);
      expect(evaluations[0]).to.deep.include({ ComplianceResourceId: 'stream-encrypted', ComplianceType: 'COMPLIANT', OrderingTimestamp: new Date('2026-11-20T08:00:00Z') });
    });

    it('returns NOT_APPLICABLE for a deleted oversized item without a history lookup', async () => {
      const config = interceptConfig({});
      const { evaluations } = await handlerWith()(oversizedEvent({ resourceId: 'gone', status: 'ResourceDeleted' }));
      expect(config.of('GetResourceConfigHistory')).to.have.length(0);
      expect(evaluations[0]?.ComplianceType).to.equal('NOT_APPLICABLE');
    });

    it('fails without a verdict when the history has no item', async () => {
      const config = interceptConfig({ GetResourceConfigHistory: () => ({ configurationItems: [] }) });
      const err = await handlerWith()(oversizedEvent({ resourceId: 'x' })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(MalformedEventError);
      expect((err as Error).message).to.contain('GetResourceConfigHistory returned no configuration item for AWS::Kinesis::Stream x');
      expect(config.of('PutEvaluations')).to.have.length(0);
    });
  });

  describe('ScheduledNotification', () => {
    it('evaluates 250 streams from every ListStreams page in three PutEvaluations batches', async () => {
      // Arrange
      const kinesis = kinesisOn(moto);
      await createStreams(kinesis, Array.from({ length: 240 }, (_, i) => `plain-${String(i).padStart(3, '0')}`));
      await createStreams(kinesis, Array.from({ length: 10 }, (_, i) => `enc-${i}`), 'alias/aws/kinesis');
      const config = interceptConfig(noHistory);
      // Act
      const { evaluations } = await handlerWith()(scheduledEvent({ notificationCreationTime: '2026-11-22T11:00:00.000Z' }));
      // Assert
      expect(config.of('PutEvaluations').map((i) => (i.Evaluations as unknown[]).length)).to.deep.equal([100, 100, 50]);
      expect(evaluations).to.have.length(250);
      expect(evaluations.filter((e) => e.ComplianceType === 'COMPLIANT').map((e) => e.ComplianceResourceId).sort()).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => `enc-${i}`),
      );
      expect(new Set(evaluations.map((e) => e.OrderingTimestamp.toISOString()))).to.deep.equal(new Set(['2026-11-22T11:00:00.000Z']));
    });

    it('reports resources evaluated before but now gone as NOT_APPLICABLE', async () => {
      // Arrange
      await createStreams(kinesisOn(moto), ['still-here']);
      const qualifier = (type: string, id: string) => ({ EvaluationResultIdentifier: { EvaluationResultQualifier: { ConfigRuleName: 'kinesis-stream-encrypted', ResourceType: type, ResourceId: id } } });
      const config = interceptConfig({
        GetComplianceDetailsByConfigRule: (input) =>
          input.NextToken
            ? { EvaluationResults: [qualifier('AWS::Kinesis::Stream', 'deleted-yesterday')] }
            : { EvaluationResults: [qualifier('AWS::Kinesis::Stream', 'still-here'), qualifier('AWS::SNS::Topic', 'other-type')], NextToken: 'page-2' },
      });
      // Act
      const { evaluations } = await handlerWith()(scheduledEvent());
      // Assert
      expect(config.of('GetComplianceDetailsByConfigRule')[0]).to.deep.include({ ConfigRuleName: 'kinesis-stream-encrypted', ComplianceTypes: ['COMPLIANT', 'NON_COMPLIANT'] });
      expect(evaluations.map((e) => [e.ComplianceResourceId, e.ComplianceType, e.Annotation])).to.deep.equal([
        ['still-here', 'NON_COMPLIANT', `Stream still-here is not encrypted at rest (EncryptionType NONE). Enable KMS server-side encryption. ${CITE}`],
        ['deleted-yesterday', 'NOT_APPLICABLE', 'AWS::Kinesis::Stream deleted-yesterday no longer exists.'],
      ]);
    });

    it('sends the verdicts of the kinds it could list, never marks an unlisted kind gone, then fails loudly', async () => {
      // Arrange: a rule over two kinds, one of whose listing API fails (access denied: an error, not a skip)
      await createStreams(kinesisOn(moto), ['listed']);
      const failing = async function* (): AsyncIterable<never> {
        yield* [];
        throw Object.assign(new Error('User is not authorized to perform: test:ListOther'), { name: 'AccessDeniedException' });
      };
      const twoKinds = defineSafeguard({
        ...kinesisStreamEncrypted,
        resource: {
          ...kinesisStreamEncrypted.resource,
          resourceTypes: ['AWS::Kinesis::Stream', 'AWS::Test::Other'],
          listers: [...kinesisStreamEncrypted.resource.listers, { resourceType: 'AWS::Test::Other', list: failing }],
        },
      });
      const q = (type: string, id: string) => ({ EvaluationResultIdentifier: { EvaluationResultQualifier: { ResourceType: type, ResourceId: id } } });
      const config = interceptConfig({
        GetComplianceDetailsByConfigRule: () => ({ EvaluationResults: [q('AWS::Kinesis::Stream', 'deleted'), q('AWS::Test::Other', 'unlisted-but-alive')] }),
      });
      // Act
      const err = await createRuleHandler(twoKinds, FAST)(scheduledEvent()).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(ListingError);
      expect((err as ListingError).resourceTypes).to.deep.equal(['AWS::Test::Other']);
      expect((err as Error).message).to.equal(
        'Could not evaluate AWS::Test::Other (AccessDeniedException: User is not authorized to perform: test:ListOther). 2 other evaluation(s) were sent.',
      );
      const sent = config.of('PutEvaluations').flatMap((i) => i.Evaluations as { ComplianceResourceId: string; ComplianceType: string }[]);
      expect(sent.map((e) => [e.ComplianceResourceId, e.ComplianceType])).to.deep.equal([
        ['listed', 'NON_COMPLIANT'],
        ['deleted', 'NOT_APPLICABLE'],
      ]);
    });

    it('fails only the resource whose ComplianceResourceId is longer than PutEvaluations accepts; its batch is sent', async () => {
      // Arrange: one listed stream and a resource with an 800-character ID from another lister
      await createStreams(kinesisOn(moto), ['ordinary']);
      const longId = 'x'.repeat(800);
      const longLister = async function* () {
        yield { ...(await firstStream(moto)), id: longId };
      };
      const rule = defineSafeguard({
        ...kinesisStreamEncrypted,
        resource: { ...kinesisStreamEncrypted.resource, listers: [...kinesisStreamEncrypted.resource.listers, { resourceType: 'AWS::Kinesis::Stream', list: longLister }] },
      });
      const config = interceptConfig(noHistory);
      // Act
      const err = await createRuleHandler(rule, FAST)(scheduledEvent()).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(ListingError);
      expect((err as Error).message).to.equal(
        `Could not evaluate AWS::Kinesis::Stream ${'x'.repeat(60)}… (UnsendableEvaluationError: ComplianceResourceId is 800 characters long; PutEvaluations accepts at most 768, so its NON_COMPLIANT verdict cannot be sent.). 1 other evaluation(s) were sent.`,
      );
      const sent = config.of('PutEvaluations').flatMap((i) => i.Evaluations as { ComplianceResourceId: string }[]);
      expect(sent.map((e) => e.ComplianceResourceId)).to.deep.equal(['ordinary']);
    });

    it('keeps judging the other resources when one resource\'s lookup fails, and never marks that one gone', async () => {
      // Arrange: two streams; the key of one cannot be described (throttled past retries)
      const kinesis = kinesisOn(moto);
      await createStreams(kinesis, ['steady'], 'alias/aws/kinesis');
      await createStreams(kinesis, ['flaky'], 'alias/flaky-key');
      interceptClient(KMSClient, {
        DescribeKey: () => {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        },
      });
      const q = (id: string) => ({ EvaluationResultIdentifier: { EvaluationResultQualifier: { ResourceType: 'AWS::Kinesis::Stream', ResourceId: id } } });
      const config = interceptConfig({ GetComplianceDetailsByConfigRule: () => ({ EvaluationResults: [q('flaky'), q('steady')] }) });
      // Act
      const err = await handlerWith()(scheduledEvent({ ruleParameters: { requireCustomerManagedKey: 'true' } })).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(ListingError);
      expect((err as Error).message).to.equal('Could not evaluate AWS::Kinesis::Stream flaky (ThrottlingException: Rate exceeded). 1 other evaluation(s) were sent.');
      const sent = config.of('PutEvaluations').flatMap((i) => i.Evaluations as { ComplianceResourceId: string; ComplianceType: string }[]);
      expect(sent.map((e) => [e.ComplianceResourceId, e.ComplianceType])).to.deep.equal([['steady', 'NON_COMPLIANT']]);
    });

    it('sends nothing when listing fails, so live resources are never marked gone', async () => {
      const config = interceptConfig(noHistory);
      const handler = handlerWith({ endpoint: 'http://127.0.0.1:9' }); // nothing listens on the discard port
      const err = await handler(scheduledEvent()).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
      expect(config.of('PutEvaluations')).to.have.length(0);
    });
  });

  describe('PutEvaluations', () => {
    it('retries FailedEvaluations and then succeeds', async () => {
      let calls = 0;
      const config = interceptConfig({
        PutEvaluations: (input) => (++calls === 1 ? { FailedEvaluations: input.Evaluations } : { FailedEvaluations: [] }),
      });
      await handlerWith()(changeEvent(kinesisItemEventStyle({ name: 'retry-me' })));
      expect(config.of('PutEvaluations')).to.have.length(2);
    });

    it('fails the invocation loudly when Config keeps rejecting the verdict', async () => {
      interceptConfig({ PutEvaluations: (input) => ({ FailedEvaluations: input.Evaluations }) });
      const err = await handlerWith()(changeEvent(kinesisItemEventStyle({ name: 'stuck' }))).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(PutEvaluationsError);
      expect((err as PutEvaluationsError).failedResourceIds).to.deep.equal(['stuck']);
    });

    it('rides out API throttling with the SDK adaptive retries', async () => {
      // Arrange: the first two PutEvaluations calls get ThrottlingException from a proxy in front of moto
      const proxy = await startThrottlingProxy(moto.endpoint, 'PutEvaluations', 2);
      try {
        // Act
        const { evaluations } = await handlerWith({ endpoint: proxy.endpoint })(changeEvent(kinesisItemEventStyle({ name: 'busy' })));
        // Assert
        expect(evaluations).to.have.length(1);
        expect(proxy.stats()).to.deep.equal({ throttled: 2, seen: 3 });
      } finally {
        await proxy.close();
      }
    });
  });

  describe('malformed events and bad parameters', () => {
    const bad: { name: string; event: () => unknown; error: new (...a: never[]) => Error; message: string }[] = [
      { name: 'invokingEvent not JSON', event: () => ({ ...scheduledEvent(), invokingEvent: 'nope' }), error: MalformedEventError, message: 'event.invokingEvent: expected a JSON string' },
      {
        name: 'unknown messageType',
        event: () => ({ ...scheduledEvent(), invokingEvent: JSON.stringify({ messageType: 'Bogus' }) }),
        error: MalformedEventError,
        message: 'unknown message type',
      },
      {
        name: 'no configurationItem',
        event: () => ({ ...scheduledEvent(), invokingEvent: JSON.stringify({ messageType: 'ConfigurationItemChangeNotification' }) }),
        error: MalformedEventError,
        message: 'event.invokingEvent.configurationItem',
      },
      { name: 'missing resultToken', event: () => ({ ...scheduledEvent(), resultToken: undefined }), error: MalformedEventError, message: 'event.resultToken' },
      {
        name: 'configuration of the wrong shape',
        event: () => changeEvent({ ...kinesisItemEventStyle(), configuration: { StreamEncryption: 'KMS' } }),
        error: MalformedEventError,
        message: 'Malformed AWS::Kinesis::Stream configuration item stream-encrypted: configuration.StreamEncryption',
      },
      {
        name: 'an invalid rule parameter',
        event: () => scheduledEvent({ ruleParameters: { requireCustomerManagedKey: 'maybe' } }),
        error: InvalidParameterError,
        message: 'Rule parameter requireCustomerManagedKey is "maybe"',
      },
    ];
    for (const c of bad) {
      it(`throws for ${c.name}, logs it, and writes no verdict`, async () => {
        // Arrange
        const config = interceptConfig(noHistory);
        const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
        const logged = sinon.spy(logger, 'error');
        // Act
        const err = await createRuleHandler(kinesisStreamEncrypted, { ...FAST, logger })(c.event()).catch((e: unknown) => e);
        // Assert
        expect(err).to.be.instanceOf(c.error);
        expect((err as Error).message).to.contain(c.message);
        expect(config.of('PutEvaluations')).to.have.length(0);
        expect(logged.calledOnceWith('Rule invocation failed', err as Error)).to.equal(true);
      });
    }

    it('logs the failure as one structured JSON line naming the error', async () => {
      // Arrange
      const lines: string[] = [];
      // Powertools writes ERROR records to stderr; capture both streams.
      for (const stream of [process.stdout, process.stderr]) {
        sinon.stub(stream, 'write').callsFake((chunk: string | Uint8Array) => {
          lines.push(String(chunk));
          return true;
        });
      }
      const logger = new Logger({ serviceName: 'hipaa-safeguards', logLevel: 'ERROR', persistentKeys: { rule: 'kinesis-stream-encrypted' } });
      // Act
      await createRuleHandler(kinesisStreamEncrypted, { ...FAST, logger })({ ...scheduledEvent(), invokingEvent: '{' }).catch(() => undefined);
      sinon.restore();
      // Assert
      const record = JSON.parse(lines.join('').trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      expect(record).to.deep.include({ level: 'ERROR', message: 'Rule invocation failed', rule: 'kinesis-stream-encrypted', service: 'hipaa-safeguards' });
      expect(record.error).to.deep.include({ name: 'MalformedEventError' });
    });
  });

  describe('cross-account (organization) mode', () => {
    const guarded = [
      { name: 'a TESTMODE resultToken', event: () => scheduledEvent({ accountId: '111111111111' }), field: 'resultToken' },
      {
        name: 'an accountId that is not the account of configRuleArn',
        event: () => ({ ...scheduledEvent({ accountId: '111111111111', resultToken: 'token-from-config' }), accountId: '222222222222' }),
        field: 'accountId 222222222222 differs from the account 111111111111 of configRuleArn',
      },
    ];
    for (const c of guarded) {
      it(`with an account guard, rejects ${c.name} before the guard or any AWS call: no verdict`, async () => {
        // Arrange
        const config = interceptConfig(noHistory);
        const accountGuard = sinon.fake.resolves(undefined);
        const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
        // Act
        const err = await handlerWith({ accountGuard, logger })(c.event()).catch((e: unknown) => e);
        // Assert
        expect(err).to.be.instanceOf(MalformedEventError);
        expect((err as Error).message).to.contain(c.field);
        expect(accountGuard.called).to.equal(false);
        expect(config.calls).to.have.length(0);
      });
    }

    it('assumes <executionRoleName> in the event account for every call, PutEvaluations included', async () => {
      // Arrange: a stream in the spoke account 111111111111 (moto keeps accounts apart by assumed-role credentials)
      const sts = new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
      const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/Setup', RoleSessionName: 'setup' }));
      const c = assumed.Credentials;
      const spoke = kinesisOn(moto, { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' });
      await createStreams(spoke, ['spoke-stream']);
      await createStreams(kinesisOn(moto), ['hub-stream']);
      const config = interceptConfig(noHistory);
      const event = scheduledEvent({ accountId: '111111111111', ruleParameters: { executionRoleName: 'HIPAA-Safeguards-Evaluation' } });
      // Act
      const { evaluations } = await handlerWith()(event);
      // Assert: only the spoke's stream, judged with the spoke role's credentials
      expect(evaluations.map((e) => e.ComplianceResourceId)).to.deep.equal(['spoke-stream']);
      expect(config.of('PutEvaluations')).to.have.length(1);
      const clients = clientsFor({ region: 'us-east-1', partition: 'aws', accountId: '111111111111', roleName: 'HIPAA-Safeguards-Evaluation' });
      const creds = await clients.get(ConfigServiceClient).config.credentials();
      const who = await new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: creds, requestHandler: new NodeHttpHandler() }).send(new GetCallerIdentityCommand({}));
      expect(who.Arn).to.equal('arn:aws:sts::111111111111:assumed-role/HIPAA-Safeguards-Evaluation/hipaa-safeguards');
    });
  });
});
