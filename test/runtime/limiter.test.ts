import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { KMSClient, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { HttpResponse } from '@smithy/core/protocols';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { HttpRequest } from '@smithy/types';
import { expect } from 'chai';
import sinon from 'sinon';
import { Readable } from 'node:stream';
import { type LimitKey, RateLimiter, TokenBucket, runBounded } from '../../rules/runtime/limiter';
import { rateLimitPlugin, withRateLimits } from '../../rules/runtime/limiter';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { useMoto } from '../helpers/moto';

const key = (operation: string, accountId = '111122223333'): LimitKey => ({ accountId, region: 'us-east-1', service: 'kinesis', operation });

describe('rate limiter', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  /** Starts `n` takes at once and records the fake time each one is let through. */
  function admitTimes(take: () => Promise<void>, n: number): number[] {
    const times: number[] = [];
    for (let i = 0; i < n; i++) void take().then(() => times.push(Date.now()));
    return times;
  }

  it('lets a burst through at once, then one request per 1/rate seconds, in the order asked', async () => {
    const bucket = new TokenBucket(5, 5);
    const times = admitTimes(() => bucket.take(), 12);
    await clock.tickAsync(2000);
    expect(times).to.deep.equal([0, 0, 0, 0, 0, 200, 400, 600, 800, 1000, 1200, 1400]);
  });

  it('never admits more than burst + rate × window in any window', async () => {
    const bucket = new TokenBucket(20, 20);
    const times = admitTimes(() => bucket.take(), 200);
    await clock.tickAsync(10_000);
    expect(times).to.have.length(200);
    for (const start of times) {
      const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).to.be.at.most(20 + 20);
    }
    // Sustained: the 200th request waits (200 - burst) / rate seconds.
    expect(times.at(-1)).to.equal(((200 - 20) / 20) * 1000);
  });

  it('refills while idle, up to the burst and no more', async () => {
    const bucket = new TokenBucket(5, 5);
    admitTimes(() => bucket.take(), 5);
    await clock.tickAsync(60_000);
    const times = admitTimes(() => bucket.take(), 7);
    await clock.tickAsync(1000);
    expect(times).to.deep.equal([60_000, 60_000, 60_000, 60_000, 60_000, 60_200, 60_400]);
  });

  it('seeds each operation from the documented table: DescribeStreamSummary 20/s, ListTagsForStream 5/s', async () => {
    const limiter = new RateLimiter();
    const describe = admitTimes(() => limiter.take(key('DescribeStreamSummary')), 21);
    const tags = admitTimes(() => limiter.take(key('ListTagsForStream')), 6);
    await clock.tickAsync(1000);
    expect(describe.filter((t) => t === 0)).to.have.length(20);
    expect(describe.at(-1)).to.equal(50);
    expect(tags).to.deep.equal([0, 0, 0, 0, 0, 200]);
  });

  it('keeps keys independent: operations, accounts and regions each have their own bucket', async () => {
    const limiter = new RateLimiter({ rateOf: () => ({ perSecond: 1, burst: 1 }) });
    const keys: LimitKey[] = [key('ListStreams'), key('ListTagsForStream'), key('ListStreams', '444455556666'), { ...key('ListStreams'), region: 'eu-west-1' }];
    const first = keys.map((k) => admitTimes(() => limiter.take(k), 2));
    await clock.tickAsync(1000);
    for (const times of first) expect(times).to.deep.equal([0, 1000]);
    expect(limiter.stats()['111122223333/us-east-1/kinesis:ListStreams']).to.deep.equal({ taken: 2, waitedMs: 1000 });
  });

  it('uses a rate slower than one per second as documented (StartConfigRulesEvaluation: once a minute)', async () => {
    const limiter = new RateLimiter();
    const times = admitTimes(() => limiter.take({ ...key('StartConfigRulesEvaluation'), service: 'config' }), 2);
    await clock.tickAsync(60_000);
    expect(times).to.deep.equal([0, 60_000]);
  });

  it('rejects a rate or burst that cannot work', () => {
    expect(() => new TokenBucket(0, 1)).to.throw(RangeError, /perSecond/);
    expect(() => new TokenBucket(5, 0)).to.throw(RangeError, /burst/);
  });
});

describe('runBounded', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('never has more than N items in flight, and uses all N', async () => {
    let inFlight = 0;
    let peak = 0;
    const run = runBounded(
      Array.from({ length: 25 }, (_, i) => i),
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(10 + ((i * 7) % 13));
        inFlight--;
        return i;
      },
      { concurrency: 4 },
    );
    await clock.tickAsync(10_000);
    const { outcomes } = await run;
    expect(peak).to.equal(4);
    expect(outcomes).to.have.length(25);
  });

  it('returns outcomes in input order although later items finish first, and streams them in that order', async () => {
    const settled: number[] = [];
    const run = runBounded([300, 200, 100, 0], async (ms) => {
      await sleep(ms);
      return `done after ${ms}`;
    }, { concurrency: 4, onSettled: (_, index) => settled.push(index) });
    await clock.tickAsync(100);
    // Items 2 and 3 are done, but nothing is streamed before item 0.
    expect(settled).to.deep.equal([]);
    await clock.tickAsync(10_000);
    const { outcomes } = await run;
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.status))).to.deep.equal(['done after 300', 'done after 200', 'done after 100', 'done after 0']);
    expect(settled).to.deep.equal([0, 1, 2, 3]);
  });

  it('keeps a failing item to itself: the others are still fulfilled, and a thrown non-Error becomes an Error', async () => {
    const run = runBounded(['a', 'b', 'c', 'd'], async (s) => {
      await sleep(5);
      if (s === 'b') throw new Error('Rate exceeded');
      if (s === 'c') throw 'plain string';
      return s.toUpperCase();
    }, { concurrency: 2 });
    await clock.tickAsync(10_000);
    const { outcomes, stoppedEarly } = await run;
    expect(stoppedEarly).to.equal(false);
    expect(outcomes[0]).to.deep.equal({ status: 'fulfilled', value: 'A' });
    expect(outcomes[1]?.status === 'rejected' && outcomes[1].reason.message).to.equal('Rate exceeded');
    expect(outcomes[2]?.status === 'rejected' && outcomes[2].reason).to.be.instanceOf(Error).with.property('message', 'plain string');
    expect(outcomes[3]).to.deep.equal({ status: 'fulfilled', value: 'D' });
  });

  it('starts nothing new once the remaining time is below the reserve, and says which items were not started', async () => {
    const deadline = 1000;
    const started: number[] = [];
    const run = runBounded(
      Array.from({ length: 10 }, (_, i) => i),
      async (i) => {
        started.push(Date.now());
        await sleep(200);
        return i;
      },
      { concurrency: 2, remainingMs: () => deadline - Date.now(), reserveMs: 300 },
    );
    await clock.tickAsync(10_000);
    const { outcomes, stoppedEarly } = await run;
    // Starts at 0, 200, 400, 600 (400 ms left); at 800 only 200 ms are left, below the 300 ms reserve.
    expect(started).to.deep.equal([0, 0, 200, 200, 400, 400, 600, 600]);
    expect(stoppedEarly).to.equal(true);
    expect(outcomes.map((o) => o.status)).to.deep.equal([...Array(8).fill('fulfilled'), 'not-started', 'not-started']);
  });

  it('pulls from an async listing only when a slot is free, and reports a failing listing without losing judged items', async () => {
    let pulledAhead = 0;
    let judged = 0;
    async function* listing() {
      for (let i = 0; i < 6; i++) {
        pulledAhead = Math.max(pulledAhead, i - judged);
        if (i === 5) throw new Error('ListStreams page 2: ThrottlingException');
        yield i;
      }
    }
    const run = runBounded(listing(), async (i) => {
      await sleep(10);
      judged++;
      return i * 10;
    }, { concurrency: 2 });
    await clock.tickAsync(10_000);
    const { outcomes, sourceError, stoppedEarly } = await run;
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.status))).to.deep.equal([0, 10, 20, 30, 40]);
    expect(sourceError?.message).to.match(/ThrottlingException/);
    expect(stoppedEarly).to.equal(false);
    expect(pulledAhead).to.be.at.most(2);
  });

  it('rejects a concurrency below one', async () => {
    let error: unknown;
    await runBounded([1], async (i) => i, { concurrency: 0 }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RangeError);
  });
});

describe('withRateLimits', () => {
  /** A request handler standing in for AWS: answers each request with the next scripted status. */
  function scripted(statuses: number[]) {
    const seen: string[] = [];
    const signedAt: string[] = [];
    return {
      seen,
      signedAt,
      handler: {
        handle: async (request: HttpRequest) => {
          seen.push(String(request.headers['x-amz-target']));
          signedAt.push(String(request.headers['x-amz-date']));
          const status = statuses.shift() ?? 200;
          const body = status === 200 ? '{}' : JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' });
          return { response: new HttpResponse({ statusCode: status, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from(body)]) }) };
        },
      },
    };
  }
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };

  it('makes every call wait for its own operation key, named from the client and the command', async () => {
    const limiter = new RateLimiter();
    const take = sinon.spy(limiter, 'take');
    const { handler } = scripted([]);
    const kinesis = withRateLimits(new KinesisClient({ ...config, requestHandler: handler }), limiter, { accountId: '111122223333', region: 'us-east-1' });
    const kms = withRateLimits(new KMSClient({ ...config, requestHandler: handler }), limiter, { accountId: '111122223333', region: 'us-east-1' });
    await kinesis.send(new ListStreamsCommand({}));
    await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 's' }));
    await kms.send(new DescribeKeyCommand({ KeyId: 'k' }));
    expect(take.args.map(([k]) => k)).to.deep.equal([
      { accountId: '111122223333', region: 'us-east-1', service: 'kinesis', operation: 'ListStreams' },
      { accountId: '111122223333', region: 'us-east-1', service: 'kinesis', operation: 'DescribeStreamSummary' },
      { accountId: '111122223333', region: 'us-east-1', service: 'kms', operation: 'DescribeKey' },
    ]);
  });

  it('takes a token for each attempt, since a retried request counts against the rate too', async () => {
    const limiter = new RateLimiter();
    const take = sinon.spy(limiter, 'take');
    const { handler, seen } = scripted([400, 400, 200]);
    const kinesis = withRateLimits(
      new KinesisClient({ ...config, requestHandler: handler, retryStrategy: new ConfiguredRetryStrategy(3, () => 0) }),
      limiter,
      { accountId: '111122223333', region: 'us-east-1' },
    );
    await kinesis.send(new ListStreamsCommand({}));
    expect(seen).to.deep.equal(['Kinesis_20131202.ListStreams', 'Kinesis_20131202.ListStreams', 'Kinesis_20131202.ListStreams']);
    expect(take.callCount).to.equal(3);
  });

  it('holds the request until the token is there, and signs it only then', async () => {
    const clock = sinon.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const limiter = new RateLimiter({ rateOf: () => ({ perSecond: 1, burst: 1 }) });
      const { handler, seen, signedAt } = scripted([]);
      const kinesis = withRateLimits(new KinesisClient({ ...config, requestHandler: handler }), limiter, { accountId: '1', region: 'us-east-1' });
      const first = kinesis.send(new ListStreamsCommand({}));
      const second = kinesis.send(new ListStreamsCommand({}));
      await clock.tickAsync(500);
      expect(seen).to.have.length(1);
      await clock.tickAsync(600);
      await Promise.all([first, second]);
      expect(seen).to.have.length(2);
      // The second request waited a second for its token; a signature made before the wait would say 000000.
      expect(signedAt).to.deep.equal(['19700101T000000Z', '19700101T000001Z']);
    } finally {
      clock.restore();
    }
  });

  it('rate-limits the STS client inside fromTemporaryCredentials through clientPlugins (AssumeRole, on moto)', async () => {
    const moto = await useMoto();
    const limiter = new RateLimiter();
    const take = sinon.spy(limiter, 'take');
    const credentials = fromTemporaryCredentials({
      params: { RoleArn: 'arn:aws:iam::123456789012:role/HIPAA-Safeguards-Evaluation-us-east-1', RoleSessionName: 'hipaa-safeguards' },
      clientConfig: { region: 'us-east-1', endpoint: moto.endpoint },
      clientPlugins: [rateLimitPlugin(limiter, { accountId: '123456789012', region: 'us-east-1' })],
    });
    const identity = await credentials();
    expect(identity.accessKeyId).to.be.a('string').and.not.equal('testing');
    expect(take.args.map(([k]) => `${k.service}:${k.operation}`)).to.deep.equal(['sts:AssumeRole']);
  });

  it('installs once even when applied twice', async () => {
    const limiter = new RateLimiter();
    const take = sinon.spy(limiter, 'take');
    const { handler } = scripted([]);
    const client = new KinesisClient({ ...config, requestHandler: handler });
    withRateLimits(withRateLimits(client, limiter, { accountId: '1', region: 'us-east-1' }), limiter, { accountId: '1', region: 'us-east-1' });
    await client.send(new ListStreamsCommand({}));
    expect(take.callCount).to.equal(1);
  });
});
