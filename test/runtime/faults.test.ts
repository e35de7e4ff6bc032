import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand, ListTagsForStreamCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import sinon from 'sinon';
import { catalog } from '../../rules/catalog';
import { elastiCacheEncryptedAtRest } from '../../rules/elasticache-encrypted-at-rest';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { NonAwsResponseError, TimeBudgetExceededError } from '../../rules/runtime/aws-errors';
import { ListingError, PutEvaluationsError } from '../../rules/runtime/errors';
import { type HandlerOptions, createRuleHandler } from '../../rules/runtime/handler';
import { defineSafeguard } from '../../rules/runtime/safeguard';
import { DEFAULT_CONCURRENCY } from '../../rules/runtime/judge';
import { exitCodeOf, scan } from '../../scripts/lib/scan';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { createCluster, createGroup, elastiCacheOn } from '../helpers/elasticache';
import { type FaultServer, closedPort, htmlPage, jsonError, queryError, startAnsweringServer, startSilentServer } from '../helpers/fault-servers';
import { REGION, changeEvent, kinesisItemEventStyle, scheduledEvent } from '../helpers/fixtures';
import { interceptConfig } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';

const NOW = new Date('2026-11-22T12:00:00Z');
/** Short client timeouts so a fault costs milliseconds; two attempts prove the retry. */
const QUICK = { maxAttempts: 2, requestTimeoutMs: 300, connectionTimeoutMs: 300 } as const;
const FAST: HandlerOptions = { retry: { attempts: 2, baseDelayMs: 1 }, clock: () => NOW, ...QUICK };
// No earlier verdicts, and no configuration recorder: periodic runs read the service API, whose faults these tests inject.
const noHistory = {
  GetComplianceDetailsByConfigRule: () => ({ EvaluationResults: [] }),
  DescribeConfigurationRecorders: () => ({ ConfigurationRecorders: [] }),
  DescribeConfigurationRecorderStatus: () => ({ ConfigurationRecordersStatus: [] }),
};
const kinesisRules = catalog.filter((s) => s.name === kinesisStreamEncrypted.name);

function kinesisOn(moto: MotoServer) {
  return new KinesisClient({ region: REGION, endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
}

describe('runtime faults: hangs, retries, non-AWS answers, skips and the time budget', function () {
  this.timeout(20_000);
  let servers: FaultServer[] = [];
  const track = (s: FaultServer) => {
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    sinon.restore();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  describe('an endpoint that accepts the connection and never answers', () => {
    it('fails scan for the kind after maxAttempts timed-out attempts, naming the operation (exit 2)', async () => {
      // Arrange
      const silent = track(await startSilentServer());
      // Act
      const out = await scan({ safeguards: kinesisRules, region: REGION, endpoint: silent.endpoint, now: NOW, ...QUICK });
      // Assert
      expect(out.results).to.deep.equal([]);
      expect(out.failures).to.have.length(1);
      expect(out.failures[0]).to.deep.include({ rule: 'kinesis-stream-encrypted', resourceType: 'AWS::Kinesis::Stream', operation: 'Kinesis.ListStreams' });
      expect(out.failures[0]?.error).to.match(/^Kinesis\.ListStreams: TimeoutError: /);
      expect(silent.hits()).to.equal(2);
      expect(exitCodeOf(out.results, out.failures)).to.equal(2);
    });

    it('fails the rule Lambda loudly instead of hanging until its own timeout', async () => {
      // Arrange
      const silent = track(await startSilentServer());
      const config = interceptConfig(noHistory);
      // Act
      const err = await createRuleHandler(kinesisStreamEncrypted, { ...FAST, endpoint: silent.endpoint })(scheduledEvent()).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(ListingError);
      expect((err as Error).message).to.match(/^Could not evaluate AWS::Kinesis::Stream \(Kinesis\.ListStreams: TimeoutError: .*\)\. 0 other evaluation\(s\) were sent\.$/);
      expect(config.of('PutEvaluations')).to.deep.equal([]);
    });
  });

  it('fails invoke of a change notification when PutEvaluations never answers, naming the operation, instead of hanging', async () => {
    // Arrange
    const silent = track(await startSilentServer());
    // Act
    const err = await createRuleHandler(kinesisStreamEncrypted, { ...FAST, endpoint: silent.endpoint })(changeEvent(kinesisItemEventStyle({ name: 'vitals' }))).catch(
      (e: unknown) => e,
    );
    // Assert
    expect(err).to.be.instanceOf(PutEvaluationsError);
    expect((err as Error).message).to.match(/^PutEvaluations failed for 1 evaluation\(s\): ConfigService\.PutEvaluations: TimeoutError: /);
    expect((err as PutEvaluationsError).failedResourceIds).to.deep.equal(['vitals']);
    expect(silent.hits()).to.equal(2);
  });

  it('retries a closed port within maxAttempts and reports the refused operation', async () => {
    const out = await scan({ safeguards: kinesisRules, region: REGION, endpoint: await closedPort(), now: NOW, ...QUICK });
    expect(out.failures.map((f) => [f.operation, f.error.split(':').slice(0, 2).join(':')])).to.deep.equal([['Kinesis.ListStreams', 'Kinesis.ListStreams: Error']]);
    expect(out.failures[0]?.error).to.include('ECONNREFUSED');
  });

  describe('a non-AWS answer (HTML error page)', () => {
    for (const c of [
      { protocol: 'JSON (Kinesis)', rules: kinesisRules, op: 'ListStreams', operation: 'Kinesis.ListStreams', type: 'AWS::Kinesis::Stream' },
      {
        protocol: 'query/XML (ElastiCache)',
        rules: [elastiCacheEncryptedAtRest],
        op: 'DescribeReplicationGroups',
        operation: 'ElastiCache.DescribeReplicationGroups',
        type: 'AWS::ElastiCache::ReplicationGroup',
      },
    ]) {
      it(`is reported once, not retried, naming the operation: ${c.protocol}`, async () => {
        // Arrange: every request gets an HTML 500 page
        const html = track(await startAnsweringServer((_op, res) => htmlPage(500)(res)));
        // Act
        const out = await scan({ safeguards: c.rules, region: REGION, endpoint: html.endpoint, now: NOW, ...QUICK, maxAttempts: 4 });
        // Assert
        const failure = out.failures.find((f) => f.resourceType === c.type);
        expect(failure).to.deep.include({
          operation: c.operation,
          error: `${c.operation}: the endpoint returned a non-AWS response (HTTP 500, text/html).`,
        });
        expect(html.operations.filter((o) => o === c.op)).to.have.length(1);
        expect(exitCodeOf(out.results, out.failures)).to.equal(2);
      });
    }

    it('raises NonAwsResponseError for an HTML 404 from the Lambda runtime too', async () => {
      const html = track(await startAnsweringServer((_op, res) => htmlPage(404)(res)));
      interceptConfig(noHistory);
      const err = await createRuleHandler(kinesisStreamEncrypted, { ...FAST, endpoint: html.endpoint })(scheduledEvent()).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ListingError);
      expect((err as Error).cause).to.be.instanceOf(NonAwsResponseError);
      expect((err as Error).message).to.equal(
        'Could not evaluate AWS::Kinesis::Stream (Kinesis.ListStreams: the endpoint returned a non-AWS response (HTTP 404, text/html).). 0 other evaluation(s) were sent.',
      );
      expect(html.hits()).to.equal(1);
    });
  });

  it('reports a stream with an incomplete answer as that stream\'s failure, naming the operation, and judges the others', async () => {
    // Arrange
    const kinesis = mockClient(KinesisClient);
    try {
      kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['hollow', 'whole'], HasMoreStreams: false });
      kinesis.on(DescribeStreamSummaryCommand, { StreamName: 'hollow' }).resolves({});
      kinesis.on(DescribeStreamSummaryCommand, { StreamName: 'whole' }).resolves({ StreamDescriptionSummary: { StreamName: 'whole', EncryptionType: 'NONE' } as never });
      kinesis.on(ListTagsForStreamCommand).resolves({ Tags: [], HasMoreTags: false });
      // Act
      const out = await scan({ safeguards: kinesisRules, region: REGION, now: NOW, ...QUICK });
      // Assert
      expect(out.results.map((r) => [r.resourceId, r.compliance])).to.deep.equal([['whole', 'NON_COMPLIANT']]);
      expect(out.failures).to.deep.equal([
        {
          rule: 'kinesis-stream-encrypted',
          resourceType: 'AWS::Kinesis::Stream',
          resourceId: 'hollow',
          operation: 'Kinesis.DescribeStreamSummary',
          error: 'Kinesis.DescribeStreamSummary: InvalidResponseError: DescribeStreamSummary for stream hollow returned no StreamDescriptionSummary.',
        },
      ]);
    } finally {
      kinesis.restore();
    }
  });

  describe('an operation the endpoint or region does not offer', () => {
    let moto: MotoServer;
    beforeEach(async () => {
      moto = await useMoto();
    });

    it('skips the kind with its operation and keeps every other verdict; the exit code stays 0/1', async () => {
      // Arrange: moto holds a group and a cluster; DescribeServerlessCaches answers InvalidAction (query protocol)
      const ec = elastiCacheOn(moto.endpoint);
      await createGroup(ec, { id: 'phi-sessions', atRest: false });
      await createCluster(ec, { id: 'lab-cache', engine: 'redis', version: '7.1' });
      const proxy = track(
        await startAnsweringServer(
          (op, res) => op === 'DescribeServerlessCaches' && queryError(400, 'InvalidAction', 'The action DescribeServerlessCaches is not valid for this web service.')(res),
          moto.endpoint,
        ),
      );
      // Act
      const out = await scan({ safeguards: [elastiCacheEncryptedAtRest], region: REGION, endpoint: proxy.endpoint, now: NOW, ...QUICK });
      // Assert
      expect(out.failures).to.deep.equal([]);
      expect(out.skipped).to.deep.equal([
        {
          rule: 'elasticache-encrypted-at-rest',
          resourceType: 'AWS::ElastiCache::ServerlessCache',
          operation: 'ElastiCache.DescribeServerlessCaches',
          reason: 'ElastiCache.DescribeServerlessCaches is not offered by this endpoint or region (InvalidAction).',
        },
      ]);
      expect(out.results.map((r) => [r.resourceId, r.compliance])).to.deep.equal([
        ['phi-sessions', 'NON_COMPLIANT'],
        ['lab-cache', 'NON_COMPLIANT'],
      ]);
      expect(exitCodeOf(out.results, out.failures)).to.equal(1);
      expect(proxy.operations.filter((o) => o === 'DescribeServerlessCaches')).to.have.length(1);
    });

    it('skips a JSON-protocol UnknownOperationException the same way', async () => {
      const proxy = track(await startAnsweringServer((op, res) => op === 'ListStreams' && jsonError(400, 'UnknownOperationException', '')(res)));
      const out = await scan({ safeguards: kinesisRules, region: REGION, endpoint: proxy.endpoint, now: NOW, ...QUICK });
      expect(out.failures).to.deep.equal([]);
      expect(out.skipped.map((k) => [k.resourceType, k.operation])).to.deep.equal([['AWS::Kinesis::Stream', 'Kinesis.ListStreams']]);
      expect(exitCodeOf(out.results, out.failures)).to.equal(0);
    });

    it('in the Lambda: no verdict and no vanished-resource sweep for the skipped kind, and no failure', async () => {
      // Arrange: Config remembers a serverless cache judged earlier; the endpoint does not offer DescribeServerlessCaches
      const proxy = track(
        await startAnsweringServer((op, res) => op === 'DescribeServerlessCaches' && queryError(400, 'InvalidAction', 'not valid')(res), moto.endpoint),
      );
      const q = (type: string, id: string) => ({ EvaluationResultIdentifier: { EvaluationResultQualifier: { ResourceType: type, ResourceId: id } } });
      const config = interceptConfig({
        GetComplianceDetailsByConfigRule: () => ({
          EvaluationResults: [q('AWS::ElastiCache::ServerlessCache', 'still-there'), q('AWS::ElastiCache::CacheCluster', 'deleted-cluster')],
        }),
      });
      const warnings: unknown[][] = [];
      const logger = { warn: (...a: unknown[]) => warnings.push(a), info: () => undefined, error: () => undefined, appendKeys: () => undefined, removeKeys: () => undefined };
      // Act
      const { evaluations } = await createRuleHandler(elastiCacheEncryptedAtRest, { ...FAST, endpoint: proxy.endpoint, logger: logger as never })(scheduledEvent());
      // Assert
      expect(evaluations.map((e) => [e.ComplianceResourceType, e.ComplianceResourceId, e.ComplianceType])).to.deep.equal([
        ['AWS::ElastiCache::CacheCluster', 'deleted-cluster', 'NOT_APPLICABLE'],
      ]);
      expect(config.of('GetComplianceDetailsByConfigRule')).to.have.length(1);
      expect(warnings).to.deep.equal([
        [
          'Resource kind skipped',
          {
            resourceType: 'AWS::ElastiCache::ServerlessCache',
            operation: 'ElastiCache.DescribeServerlessCaches',
            reason: 'ElastiCache.DescribeServerlessCaches is not offered by this endpoint or region (InvalidAction).',
          },
        ],
      ]);
    });
  });

  describe('the Lambda time budget', () => {
    let moto: MotoServer;
    beforeEach(async () => {
      moto = await useMoto();
    });

    /** A Lambda context whose remaining time drops below the safety margin after `checks` budget checks. */
    const contextWith = (checks: number) => {
      let n = 0;
      return { getRemainingTimeInMillis: () => (++n <= checks ? 200_000 : 5_000) };
    };

    it('stops listing before the Lambda timeout, sends what it reached, skips the sweep and names what it did not reach', async () => {
      // Arrange: three streams; the budget runs out after the first two verdicts
      const kinesis = kinesisOn(moto);
      for (const name of ['a', 'b', 'c']) await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      const config = interceptConfig(noHistory);
      // Act: reads of the remaining time: the run's start (1), before the kind (2), after a (3), after b (4: out of time)
      const err = await createRuleHandler(kinesisStreamEncrypted, { ...FAST, endpoint: moto.endpoint })(scheduledEvent(), contextWith(3)).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(ListingError);
      expect((err as Error).cause).to.be.instanceOf(TimeBudgetExceededError);
      expect((err as Error).message).to.equal(
        'Could not evaluate AWS::Kinesis::Stream (TimeBudgetExceededError: The time budget ran out after 2 AWS::Kinesis::Stream resource(s); the rest were not listed.). 2 other evaluation(s) were sent.',
      );
      const sent = config.of('PutEvaluations').flatMap((i) => i.Evaluations as { ComplianceResourceId: string }[]);
      expect(sent.map((e) => e.ComplianceResourceId)).to.deep.equal(['a', 'b']);
      expect(config.of('GetComplianceDetailsByConfigRule')).to.deep.equal([]);
    });

    it('still sends the verdicts it reached when the vanished-resource sweep fails, and names the failed operation', async () => {
      // Arrange: moto lacks GetComplianceDetailsByConfigRule (HTML 500); PutEvaluations is answered here
      const kinesis = kinesisOn(moto);
      await kinesis.send(new CreateStreamCommand({ StreamName: 'a', ShardCount: 1 }));
      const config = interceptConfig({ PutEvaluations: () => ({ FailedEvaluations: [] }) });
      // Act
      const err = await createRuleHandler(kinesisStreamEncrypted, { ...FAST, endpoint: moto.endpoint })(scheduledEvent()).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(ListingError);
      expect((err as Error).message).to.equal(
        'Could not evaluate AWS::Kinesis::Stream (ConfigService.GetComplianceDetailsByConfigRule: the endpoint returned a non-AWS response (HTTP 500, text/html; charset=utf-8).). 1 other evaluation(s) were sent.',
      );
      expect(config.of('PutEvaluations').flatMap((i) => (i.Evaluations as { ComplianceResourceId: string }[]).map((e) => e.ComplianceResourceId))).to.deep.equal(['a']);
    });

    it('sends verdicts in batches of 100 while listing, and keeps sending after one batch fails', async () => {
      // Arrange: 150 streams from a lister that makes no call; Config refuses the first batch
      const views = Array.from({ length: 150 }, (_, i) => ({
        id: `s-${i}`,
        resourceType: 'AWS::Kinesis::Stream',
        name: `s-${i}`,
        encryptionType: 'NONE',
        encryptionField: 'EncryptionType' as const,
        tags: {},
      }));
      const order: string[] = [];
      const lister = async function* () {
        for (const v of views) {
          order.push(`listed ${v.id}`);
          yield v;
        }
      };
      const rule = defineSafeguard({ ...kinesisStreamEncrypted, resource: { ...kinesisStreamEncrypted.resource, listers: [{ resourceType: 'AWS::Kinesis::Stream', list: lister }] } });
      let calls = 0;
      const config = interceptConfig({
        ...noHistory,
        PutEvaluations: (input) => {
          order.push(`sent ${(input.Evaluations as unknown[]).length}`);
          if (++calls === 1) throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
          return { FailedEvaluations: [] };
        },
      });
      // Act
      const err = await createRuleHandler(rule, { ...FAST, endpoint: moto.endpoint })(scheduledEvent()).catch((e: unknown) => e);
      // Assert: the first batch went out after the 100th verdict, while listing: resources are judged
      // DEFAULT_CONCURRENCY at a time, and the listing waits once that many verdicts wait to be sent
      expect(order.indexOf('sent 100')).to.be.greaterThan(order.indexOf('listed s-99'));
      expect(order.indexOf('sent 100')).to.be.lessThan(order.indexOf(`listed s-${99 + DEFAULT_CONCURRENCY}`));
      expect(order.at(-1)).to.equal('sent 50');
      expect(config.of('PutEvaluations')).to.have.length(2);
      expect(err).to.be.instanceOf(PutEvaluationsError);
      expect((err as PutEvaluationsError).failedResourceIds).to.deep.equal(views.slice(0, 100).map((v) => v.id));
    });

    it('names every kind it never started when the budget is gone before listing', async () => {
      interceptConfig(noHistory);
      const err = await createRuleHandler(elastiCacheEncryptedAtRest, { ...FAST, endpoint: moto.endpoint })(scheduledEvent(), contextWith(0)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ListingError);
      expect((err as ListingError).resourceTypes).to.deep.equal([
        'AWS::ElastiCache::ReplicationGroup',
        'AWS::ElastiCache::CacheCluster',
        'AWS::ElastiCache::ServerlessCache',
      ]);
    });

    it('ends a call that hangs at the listing deadline, retries included, instead of at its long request timeout', async () => {
      // Arrange: an endpoint that never answers, a request timeout far beyond the budget, and 1.5 s of budget
      const silent = track(await startSilentServer());
      const config = interceptConfig(noHistory);
      const handler = createRuleHandler(kinesisStreamEncrypted, {
        ...FAST,
        endpoint: silent.endpoint,
        requestTimeoutMs: 600_000,
        maxAttempts: 5,
        timeBudgetMs: 1_500,
        safetyMarginMs: 1_000,
      });
      // Act
      const err = await handler(scheduledEvent()).catch((e: unknown) => e);
      // Assert: the listing call failed for the budget, named; nothing was sent or swept
      expect(err).to.be.instanceOf(ListingError);
      expect((err as Error).cause).to.be.instanceOf(TimeBudgetExceededError);
      expect((err as Error).message).to.match(/^Could not evaluate AWS::Kinesis::Stream \(Kinesis\.ListStreams: TimeBudgetExceededError: /);
      // Only the recorder reads that choose the listing's source (no recorder: the service API); no verdict, no sweep.
      expect(config.calls.map((c) => c.command)).to.deep.equal(['DescribeConfigurationRecorders', 'DescribeConfigurationRecorderStatus']);
    });

    it('uses timeBudgetMs when there is no Lambda context (invoke)', async () => {
      interceptConfig(noHistory);
      const err = await createRuleHandler(kinesisStreamEncrypted, { ...FAST, endpoint: moto.endpoint, timeBudgetMs: 1_000, safetyMarginMs: 5_000 })(scheduledEvent()).catch(
        (e: unknown) => e,
      );
      expect((err as Error).cause).to.be.instanceOf(TimeBudgetExceededError);
    });
  });
});
