import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { DescribeCacheClustersCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, KinesisClient, ListStreamsCommand, StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { elastiCacheRuleNames, findSafeguard } from '../../rules/catalog';
import { AwsClients, CALLER_ACCOUNT, newDocumentedLimiter, processLimiter, setProcessLimiter } from '../../rules/runtime/clients';
import { concurrencyOf } from '../../rules/runtime/handler';
import { DEFAULT_CONCURRENCY, judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { RATE_LIMIT_MIDDLEWARE, RateLimiter } from '../../rules/runtime/limiter';
import { ListingCache } from '../../rules/runtime/listing-cache';
import { readEach } from '../../rules/runtime/read-each';
import { type Lister, type NormalizedResource, UnreadableResource, defineSafeguard } from '../../rules/runtime/safeguard';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { main } from '../../scripts/cli';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { scan } from '../../scripts/lib/scan';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy';
import { createCluster, createGroup, elastiCacheOn } from '../helpers/elasticache';
import { useMoto } from '../helpers/moto';

/**
 * Issue 11, the core half: the rate limiter on every client, bounded concurrency, one listing per family per run,
 * shared lookups, deterministic output and `scan --verbose`. Counted at a proxy in front of moto, never timed.
 */

const REGION = 'us-east-1';
const raw = <C>(Client: new (c: object) => C, endpoint: string): C => new Client({ region: REGION, endpoint, requestHandler: new NodeHttpHandler() });

const view = (id: string): NormalizedResource => ({ id, resourceType: 'Test::Thing', tags: {} });

/** A lister over fixed items that counts how often it is listed and can fail after some items. */
function fixedLister(ids: readonly string[], o: { failAfter?: number; cacheKey?: string } = {}) {
  const state = { listed: 0, pulled: 0 };
  const lister: Lister<NormalizedResource> & { state: typeof state } = {
    resourceType: 'Test::Thing',
    ...(o.cacheKey ? { cacheKey: o.cacheKey } : {}),
    state,
    async *list() {
      state.listed++;
      for (const [i, id] of ids.entries()) {
        if (o.failAfter === i) throw Object.assign(new Error('page 2 refused'), { name: 'ThrottlingException' });
        state.pulled++;
        await Promise.resolve();
        yield view(id);
      }
    },
  };
  return lister;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('runtime/scale', () => {
  describe('ListingCache', () => {
    const clients = new AwsClients({ region: REGION, endpoint: 'http://127.0.0.1:1' });

    it('lists a lister once and replays its items, in order, to every later reader', async () => {
      // Arrange
      const cache = new ListingCache();
      const lister = fixedLister(['a', 'b', 'c']);
      // Act
      const first = await collect(cache.list(lister, clients));
      const second = await collect(cache.list(lister, clients));
      // Assert
      expect(lister.state.listed).to.equal(1);
      expect(second.map((r) => (r as NormalizedResource).id)).to.deep.equal(['a', 'b', 'c']);
      expect(second).to.deep.equal(first);
      expect(cache.counts).to.deep.equal({ listed: 1, replayed: 1 });
    });

    it('serves readers that run at the same time from one listing, each reading every item', async () => {
      const cache = new ListingCache();
      const lister = fixedLister(['a', 'b', 'c', 'd']);
      const [x, y] = await Promise.all([collect(cache.list(lister, clients)), collect(cache.list(lister, clients))]);
      expect(lister.state.listed).to.equal(1);
      expect(lister.state.pulled).to.equal(4);
      expect(x.map((r) => (r as NormalizedResource).id)).to.deep.equal(['a', 'b', 'c', 'd']);
      expect(y).to.deep.equal(x);
    });

    it('fails every reader the way the listing failed, after the same items, without listing again', async () => {
      const cache = new ListingCache();
      const lister = fixedLister(['a', 'b', 'c'], { failAfter: 2 });
      for (let reader = 0; reader < 2; reader++) {
        const seen: string[] = [];
        const err = await (async () => {
          for await (const r of cache.list(lister, clients)) seen.push((r as NormalizedResource).id);
        })().catch((e: unknown) => e);
        expect(seen).to.deep.equal(['a', 'b']);
        expect((err as Error).name).to.equal('ThrottlingException');
      }
      expect(lister.state.listed).to.equal(1);
    });

    it('keeps accounts, regions and listers apart, and joins listers that share a cacheKey', async () => {
      const cache = new ListingCache();
      const lister = fixedLister(['a']);
      await collect(cache.list(lister, clients));
      await collect(cache.list(lister, new AwsClients({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' })));
      await collect(cache.list(lister, new AwsClients({ region: REGION, endpoint: 'http://127.0.0.1:1', accountId: '111122223333', roleName: 'R' })));
      await collect(cache.list(fixedLister(['a']), clients));
      const keyed = [fixedLister(['k'], { cacheKey: 'things' }), fixedLister(['k'], { cacheKey: 'things' })];
      for (const l of keyed) await collect(cache.list(l, clients));
      expect(lister.state.listed).to.equal(3);
      expect(keyed.map((l) => l.state.listed)).to.deep.equal([1, 0]);
      expect(cache.counts).to.deep.equal({ listed: 5, replayed: 1 });
    });

    it('leaves the rest of a listing to other readers when one reader stops early, and close() releases it', async () => {
      const cache = new ListingCache();
      const lister = fixedLister(['a', 'b', 'c']);
      for await (const r of cache.list(lister, clients)) if ((r as NormalizedResource).id === 'a') break;
      expect(lister.state.pulled).to.equal(1);
      expect((await collect(cache.list(lister, clients))).length).to.equal(3);
      await cache.close();
      expect(lister.state.listed).to.equal(1);
    });
  });

  describe('readEach', () => {
    it('reads with at most N in flight, yields in listing order, and skips what reads as gone', async () => {
      // Arrange: later items answer first
      let inFlight = 0;
      let peak = 0;
      const read = async (i: number) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, (10 - i) * 2));
        inFlight--;
        return i === 4 ? undefined : `r${i}`;
      };
      // Act
      const out = await collect(readEach([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], read, 3));
      // Assert
      expect(out).to.deep.equal(['r0', 'r1', 'r2', 'r3', 'r5', 'r6', 'r7', 'r8', 'r9']);
      expect(peak).to.equal(3);
    });

    it('ends the listing at a failed read, after every item before it', async () => {
      const seen: string[] = [];
      const err = await (async () => {
        for await (const r of readEach([0, 1, 2, 3], async (i) => (i === 2 ? Promise.reject(new Error('denied')) : `r${i}`), 4)) seen.push(r);
      })().catch((e: unknown) => e);
      expect(seen).to.deep.equal(['r0', 'r1']);
      expect((err as Error).message).to.equal('denied');
    });
  });

  describe('judgeAll with a shared context', () => {
    const clients = new AwsClients({ region: REGION, endpoint: 'http://127.0.0.1:1' });
    const ruleOver = (name: string, lister: Lister<NormalizedResource>, order?: string[]) =>
      defineSafeguard({
        name,
        title: 't',
        description: 'd',
        resource: { resourceTypes: ['Test::Thing'], label: (r) => `Thing ${r.id}`, listers: [lister], listActions: [] },
        triggers: ['periodic'],
        hipaa: ['45 CFR 164.312(a)(2)(iv)'],
        severity: 'HIGH',
        parameters: {},
        // Later resources answer first, so any order in the output is the listing's, not the completion order.
        async gather(r: NormalizedResource) {
          await new Promise((resolve) => setTimeout(resolve, 30 - Number(r.id.slice(1))));
          order?.push(r.id);
        },
        evaluate: (r) => ({ compliance: 'COMPLIANT' as const, annotation: `Thing ${r.id} ok.` }),
      });

    it('judges resources at once but reports verdicts, failures and streamed verdicts in listing order', async () => {
      // Arrange
      const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
      const finished: string[] = [];
      const lister: Lister<NormalizedResource> = {
        resourceType: 'Test::Thing',
        async *list() {
          for (const id of ids) yield id === 't7' ? new UnreadableResource('Test::Thing', id, new Error('incomplete')) : view(id);
        },
      };
      const streamed: string[] = [];
      // Act
      const result = await judgeAll(ruleOver('ordered-rule', lister, finished), { exemptResourceIds: [] } as never, newJudgeContext(clients, new Date(), { concurrency: 5 }), {
        onJudged: (j) => void streamed.push(j.resource.id),
      });
      // Assert
      const expected = ids.filter((id) => id !== 't7');
      expect(finished).to.not.deep.equal(expected.slice(0, finished.length));
      expect(result.judged.map((j) => j.resource.id)).to.deep.equal(expected);
      expect(streamed).to.deep.equal(expected);
      expect(result.failures.map((f) => f.resourceId)).to.deep.equal(['t7']);
    });

    it('lists once for two rules over the same lister in one run', async () => {
      const lister = fixedLister(['a', 'b']);
      const ctx = newJudgeContext(clients, new Date());
      const params = { exemptResourceIds: [] } as never;
      const one = await judgeAll(ruleOver('rule-one', lister), params, ctx);
      const two = await judgeAll(ruleOver('rule-two', lister), params, ctx);
      expect(lister.state.listed).to.equal(1);
      expect(two.judged.map((j) => j.resource.id)).to.deep.equal(one.judged.map((j) => j.resource.id));
    });
  });

  describe('the Lambda concurrency', () => {
    it('is the option, else HIPAA_SAFEGUARDS_CONCURRENCY, else 8; a bad value names the variable', () => {
      expect(concurrencyOf(3, { HIPAA_SAFEGUARDS_CONCURRENCY: '12' })).to.equal(3);
      expect(concurrencyOf(undefined, { HIPAA_SAFEGUARDS_CONCURRENCY: '12' })).to.equal(12);
      expect(concurrencyOf(undefined, {})).to.equal(DEFAULT_CONCURRENCY);
      expect(() => concurrencyOf(undefined, { HIPAA_SAFEGUARDS_CONCURRENCY: 'many' })).to.throw(RangeError, 'HIPAA_SAFEGUARDS_CONCURRENCY is "many". Expected an integer from 1 to 64.');
    });
  });

  describe('on moto, behind a counting proxy', () => {
    let moto: MotoServer;
    let proxy: CountingProxy | undefined;
    beforeEach(async () => {
      moto = await useMoto();
    });
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
    });

    it('installs the rate limiter on every client the pack builds', () => {
      const clients = new AwsClients({ region: REGION, endpoint: moto.endpoint });
      for (const Client of [KinesisClient, FirehoseClient, KinesisVideoClient, ElastiCacheClient, KMSClient, ConfigServiceClient, STSClient, OrganizationsClient, SecurityHubClient]) {
        const stack = (clients.get(Client as never) as { middlewareStack: { identify(): string[] } }).middlewareStack;
        expect(stack.identify().some((m) => m.startsWith(`${RATE_LIMIT_MIDDLEWARE} `)), Client.name).to.equal(true);
      }
    });

    it('keeps each operation at its rate: a proxy throttling past that rate throttles nothing, and the limiter counts every call', async () => {
      // Arrange: the proxy refuses more than 5 a second of each (burst 2: one interval of slack for the time a
      // request takes from its token to the proxy); the limiter allows 5 a second, burst 1; no retries. Sent all at
      // once without the limiter, four of the six of each would be refused.
      const rate = { perSecond: 5, burst: 2 };
      proxy = await startCountingProxy(moto.endpoint, {
        rates: { 'kinesis:ListStreams': rate, 'elasticache:DescribeCacheClusters': rate, 'firehose:ListDeliveryStreams': rate },
      });
      const limiter = new RateLimiter({ rateOf: () => ({ perSecond: 5, burst: 1 }) });
      const clients = new AwsClients({ region: REGION, endpoint: proxy.endpoint, maxAttempts: 1 }, { limiter });
      // A first call per client resolves credentials and endpoints, which a later request need not wait for.
      await clients.get(KinesisClient).send(new ListStreamsCommand({}));
      await clients.get(ElastiCacheClient).send(new DescribeCacheClustersCommand({}));
      await clients.get(FirehoseClient).send(new ListDeliveryStreamsCommand({}));
      // Act: six more of each, all at once
      await Promise.all(
        Array.from({ length: 6 }, () => [
          clients.get(KinesisClient).send(new ListStreamsCommand({})),
          clients.get(ElastiCacheClient).send(new DescribeCacheClustersCommand({})),
          clients.get(FirehoseClient).send(new ListDeliveryStreamsCommand({})),
        ]).flat(),
      );
      // Assert
      expect(proxy.stats().throttled).to.deep.equal({});
      expect(proxy.stats().calls).to.deep.equal({ 'kinesis:ListStreams': 7, 'elasticache:DescribeCacheClusters': 7, 'firehose:ListDeliveryStreams': 7 });
      expect(Object.fromEntries(Object.entries(limiter.stats()).map(([k, v]) => [k, v.taken]))).to.deep.equal({
        [`${CALLER_ACCOUNT}/${REGION}/kinesis:ListStreams`]: 7,
        [`${CALLER_ACCOUNT}/${REGION}/elasticache:DescribeCacheClusters`]: 7,
        [`${CALLER_ACCOUNT}/${REGION}/firehose:ListDeliveryStreams`]: 7,
      });
      // And the proxy does refuse what comes faster: the same burst from clients without a limiter
      const unpaced = new AwsClients({ region: REGION, endpoint: proxy.endpoint, maxAttempts: 1 }, { limiter: new RateLimiter({ rateOf: () => ({ perSecond: 1e9, burst: 1e9 }) }) });
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => unpaced.get(KinesisClient).send(new ListStreamsCommand({}))));
      expect(outcomes.filter((o) => o.status === 'rejected').length).to.be.at.least(3);
    });

    it('counts calls in an assumed account against that account, and AssumeRole against the calling one', async () => {
      const limiter = new RateLimiter({ rateOf: () => ({ perSecond: 1000, burst: 1000 }) });
      const clients = new AwsClients({ region: REGION, endpoint: moto.endpoint, accountId: '111122223333', roleName: 'HIPAA-Safeguards-Evaluation' }, { limiter });
      await clients.get(KinesisClient).send(new ListStreamsCommand({}));
      expect(Object.keys(limiter.stats()).sort()).to.deep.equal([`111122223333/${REGION}/kinesis:ListStreams`, `${CALLER_ACCOUNT}/${REGION}/sts:AssumeRole`]);
    });

    it('scans with the documented rates by default: the process-wide limiter paces every scan call', async () => {
      await raw(KinesisClient, moto.endpoint).send(new CreateStreamCommand({ StreamName: 'paced', ShardCount: 1 }));
      setProcessLimiter(newDocumentedLimiter());
      const { stats } = await scan({ safeguards: [kinesisStreamEncrypted], region: REGION, endpoint: moto.endpoint });
      // Tags come in bulk (tag:GetResources), one page for one stream: no per-stream tag call.
      expect(stats.operations['tag:GetResources']?.calls).to.equal(1);
      expect(stats.operations['kinesis:ListTagsForStream']).to.equal(undefined);
      expect(processLimiter().stats()[`${CALLER_ACCOUNT}/${REGION}/kinesis:DescribeStreamSummary`]?.taken).to.equal(1);
    });

    it('never has more requests in flight than the concurrency, and uses more than one', async () => {
      // Arrange: 12 streams, each with its own customer key, so every verdict needs a kms:DescribeKey lookup
      const kinesis = raw(KinesisClient, moto.endpoint);
      const kms = raw(KMSClient, moto.endpoint);
      for (let i = 0; i < 12; i++) {
        const name = `s${String(i).padStart(2, '0')}`;
        const key = await kms.send(new CreateKeyCommand({}));
        await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
        await kinesis.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: key.KeyMetadata?.Arn ?? '' }));
      }
      proxy = await startCountingProxy(moto.endpoint);
      // Act
      const { results } = await scan({
        safeguards: [kinesisStreamEncrypted],
        region: REGION,
        endpoint: proxy.endpoint,
        concurrency: 3,
        parameters: { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } },
      });
      // Assert
      expect(results).to.have.length(12);
      expect(proxy.stats().calls['kms:DescribeKey']).to.equal(12);
      expect(proxy.stats().peakInFlight).to.be.at.most(3).and.at.least(2);
    });

    it('describes Kinesis streams up to the concurrency at a time, and reports them in listing order', async () => {
      const kinesis = raw(KinesisClient, moto.endpoint);
      const names = Array.from({ length: 10 }, (_, i) => `d${i}`);
      for (const name of names) await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      proxy = await startCountingProxy(moto.endpoint);
      const { results } = await scan({ safeguards: [kinesisStreamEncrypted], region: REGION, endpoint: proxy.endpoint, concurrency: 4 });
      expect(results.map((r) => r.resourceId)).to.deep.equal(names);
      expect(proxy.stats().peakInFlight).to.be.at.most(4).and.at.least(2);
    });

    it('lists ElastiCache once for all six rules: their listing calls equal those of one rule', async () => {
      // Arrange
      const ec = elastiCacheOn(moto.endpoint);
      await createGroup(ec, { id: 'phi-a', version: '7.1.0', atRest: true, transit: true, mode: 'required' });
      await createGroup(ec, { id: 'phi-b', version: '6.2.6' });
      await createCluster(ec, { id: 'mc-1' });
      proxy = await startCountingProxy(moto.endpoint);
      const listingCalls = () =>
        Object.fromEntries(
          Object.entries(proxy?.stats().calls ?? {}).filter(([op]) => /^elasticache:(DescribeReplicationGroups|DescribeCacheClusters|DescribeServerlessCaches|ListTagsForResource)$/.test(op)),
        );
      const run = (names: readonly string[]) =>
        scan({ safeguards: names.map(findSafeguard), region: REGION, endpoint: proxy?.endpoint ?? '', maxAttempts: 1, nonAwsResponseIsUnsupported: true });
      // Act
      const one = await run(['elasticache-encrypted-at-rest']);
      const oneCalls = listingCalls();
      proxy.resetCounts();
      const six = await run(elastiCacheRuleNames);
      // Assert
      expect(elastiCacheRuleNames).to.have.length(6);
      expect(oneCalls['elasticache:DescribeReplicationGroups']).to.be.at.least(1);
      expect(listingCalls()).to.deep.equal(oneCalls);
      expect(six.stats.listings).to.deep.equal({ listed: 3, replayed: 15 });
      // moto lacks DescribeUpdateActions (an HTML 500): the lookup is asked once for the run, not once per resource
      expect(proxy.stats().calls['elasticache:DescribeUpdateActions']).to.equal(1);
      expect(new Set(six.results.map((r) => r.resourceId))).to.deep.equal(new Set(one.results.map((r) => r.resourceId)));
    });

    it("costs six ElastiCache rules no more calls than the costliest rule alone: DescribeUpdateActions is that rule's lookup, asked once", async () => {
      // Arrange
      const ec = elastiCacheOn(moto.endpoint);
      await createGroup(ec, { id: 'phi-c', version: '7.1.0', atRest: true });
      await createCluster(ec, { id: 'mc-2' });
      proxy = await startCountingProxy(moto.endpoint);
      const elastiCacheCalls = () => Object.fromEntries(Object.entries(proxy?.stats().calls ?? {}).filter(([op]) => op.startsWith('elasticache:')));
      const run = (names: readonly string[]) =>
        scan({ safeguards: names.map(findSafeguard), region: REGION, endpoint: proxy?.endpoint ?? '', maxAttempts: 1, nonAwsResponseIsUnsupported: true });
      // Act
      await run(['elasticache-encrypted-at-rest']);
      const plain = elastiCacheCalls();
      proxy.resetCounts();
      await run(['elasticache-security-updates-applied']);
      const updatesRule = elastiCacheCalls();
      proxy.resetCounts();
      await run(elastiCacheRuleNames);
      const six = elastiCacheCalls();
      // Assert: the one call six rules make beyond a plain rule is the update-actions lookup, which the
      // security-updates rule makes alone too; moto lacks it (HTML 500), and it is not asked again by anyone.
      expect(plain['elasticache:DescribeUpdateActions']).to.equal(undefined);
      expect(updatesRule['elasticache:DescribeUpdateActions']).to.equal(1);
      expect(six).to.deep.equal(updatesRule);
    });

    it('looks a KMS key up once per scan, whichever rules and resources share it', async () => {
      // Arrange: two streams and a replication group, all under one customer key
      const key = (await raw(KMSClient, moto.endpoint).send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? '';
      const kinesis = raw(KinesisClient, moto.endpoint);
      for (const name of ['k1', 'k2']) {
        await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
        await kinesis.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: key }));
      }
      await createGroup(elastiCacheOn(moto.endpoint), { id: 'keyed', atRest: true, kmsKeyId: key });
      proxy = await startCountingProxy(moto.endpoint);
      // Act
      const { results } = await scan({
        safeguards: [findSafeguard('kinesis-stream-encrypted'), findSafeguard('elasticache-encrypted-at-rest')],
        region: REGION,
        endpoint: proxy.endpoint,
        nonAwsResponseIsUnsupported: true,
        parameters: { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' }, 'elasticache-encrypted-at-rest': { requireCustomerManagedKey: 'true' } },
      });
      // Assert
      expect(results.filter((r) => ['k1', 'k2', 'keyed'].includes(r.resourceId)).map((r) => r.compliance)).to.deep.equal(['COMPLIANT', 'COMPLIANT', 'COMPLIANT']);
      expect(proxy.stats().calls['kms:DescribeKey']).to.equal(1);
    });

    it('prints the same results in the same order at any concurrency', async () => {
      const kinesis = raw(KinesisClient, moto.endpoint);
      for (const name of ['delta', 'alpha', 'charlie', 'bravo', 'echo', 'foxtrot']) await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      await createGroup(elastiCacheOn(moto.endpoint), { id: 'g1' });
      const rules = [findSafeguard('kinesis-stream-encrypted'), findSafeguard('elasticache-encrypted-at-rest'), findSafeguard('elasticache-auth-enabled')];
      const at = async (concurrency: number) => (await scan({ safeguards: rules, region: REGION, endpoint: moto.endpoint, concurrency, nonAwsResponseIsUnsupported: true })).results;
      const serial = await at(1);
      expect(serial.length).to.be.greaterThan(6);
      expect(await at(8)).to.deep.equal(serial);
      expect(await at(3)).to.deep.equal(serial);
    });

    it('scan --verbose prints, per operation, the calls made and the time waited on the limiter', async () => {
      // Arrange
      const kinesis = raw(KinesisClient, moto.endpoint);
      for (const name of ['v1', 'v2', 'v3']) await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      proxy = await startCountingProxy(moto.endpoint);
      let err = '';
      // Act
      const code = await main(['scan', '--region', REGION, '--endpoint-url', proxy.endpoint, '--rules', 'kinesis-stream-encrypted', '--verbose', '--concurrency', '2'], {
        out: () => undefined,
        err: (s) => void (err += s),
      });
      // Assert: the counts are the proxy's
      expect(code).to.equal(1);
      const calls = proxy.stats().calls;
      for (const op of ['kinesis:ListStreams', 'kinesis:DescribeStreamSummary']) {
        expect(err).to.match(new RegExp(`^${op} +${calls[op]} +\\d+$`, 'm'));
      }
      // The limiter names the Tagging API `tag` (its IAM prefix); the proxy names it by its signing name.
      expect(err).to.match(new RegExp(`^tag:GetResources +${calls['tagging:GetResources']} +\\d+$`, 'm'));
      expect(err).to.contain('Listing AWS::Kinesis::Stream: configuration from the service API, tags in bulk (tag:GetResources)');
      expect(err).to.match(/^OPERATION +CALLS +WAITED MS$/m);
      expect(err).to.contain('Listings: 1 made, 0 served again from this run');
    });
  });
});
