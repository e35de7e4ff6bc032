import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { HttpResponse } from '@smithy/core/protocols';
import { DefaultRateLimiter } from '@smithy/core/retry';
import type { HttpRequest } from '@smithy/types';
import { expect } from 'chai';
import sinon from 'sinon';
import { Readable } from 'node:stream';
import { AwsClients, BudgetedHttpHandler } from '../../rules/runtime/clients';
import { RateLimiter, TokenBucket, isPacedError, withRateLimits } from '../../rules/runtime/limiter';
import { listedRateFor } from '../../rules/runtime/rate-limits';

/**
 * Why the --enforce-rates scan took 1.4-1.8 x its baseline (README "Scale"): the SDK's adaptive retry keeps its own
 * client-side rate limiter (`DefaultRateLimiter`, one per client, for all its operations). One throttle early in a
 * client's life, before it has measured a sending rate, drops that limiter's fill rate to its floor (0.5/s), and its
 * recovery is capped at twice the rate it then measures, which its own crawl keeps low. On top of the pack's
 * limiter, which already paces DescribeStreamSummary at its documented 20/s, that held the scan back for seconds.
 *
 * Everything runs on sinon's fake clock (Date, setTimeout): the time asserted is virtual and exact, not measured.
 * Math.random is fixed at 0 so the SDK's retry backoff is 0 and only the limiters decide when requests go out.
 */
describe('adaptive retry on top of the rate limiter', () => {
  let clock: sinon.SinonFakeTimers;
  let sdkWaits: number[];
  const hook = DefaultRateLimiter as unknown as { setTimeoutFn: (fn: () => void, delay: number) => unknown };
  let original: (fn: () => void, delay: number) => unknown;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_700_000_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    sinon.stub(Math, 'random').returns(0);
    sdkWaits = [];
    original = hook.setTimeoutFn;
    // The SDK's limiter sleeps through this static; record each wait it asks for.
    hook.setTimeoutFn = (fn, delay) => {
      sdkWaits.push(delay);
      return setTimeout(fn, delay);
    };
  });
  afterEach(() => {
    hook.setTimeoutFn = original;
    sinon.restore();
    clock.restore();
  });

  /** Stands in for AWS: throttles the attempts whose index is listed, answers the others. */
  function aws(throttle: readonly number[]) {
    let attempts = 0;
    return {
      handle: async (_request: HttpRequest) => {
        const throttled = throttle.includes(attempts++);
        const body = throttled
          ? JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' })
          : JSON.stringify({ StreamDescriptionSummary: { StreamName: 's', StreamARN: 'arn:aws:kinesis:us-east-1:111122223333:stream/s', StreamStatus: 'ACTIVE', RetentionPeriodHours: 24, StreamCreationTimestamp: 0, EnhancedMonitoring: [], OpenShardCount: 1 } });
        return {
          response: new HttpResponse({ statusCode: throttled ? 400 : 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from(body)]) }),
        };
      },
      attempts: () => attempts,
    };
  }

  /** Sends `n` DescribeStreamSummary calls one after another; returns the virtual milliseconds they took. */
  async function describeMany(kinesis: KinesisClient, n: number, command: () => object = () => new DescribeStreamSummaryCommand({ StreamName: 's' })): Promise<number> {
    const start = Date.now();
    let done = false;
    const run = (async () => {
      for (let i = 0; i < n; i++) await kinesis.send(command() as DescribeStreamSummaryCommand);
    })().finally(() => (done = true));
    for (let i = 0; i < 10_000 && !done; i++) await clock.tickAsync(10);
    await run;
    return Date.now() - start;
  }

  const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };

  it("reproduces the cause: one early throttle makes the SDK's own limiter crawl under a paced operation", async () => {
    const limiter = new RateLimiter({ rateOf: listedRateFor });
    const handler = aws([0]);
    // The clients as they were built before: retryMode 'adaptive' with the SDK's DefaultRateLimiter.
    const kinesis = withRateLimits(new KinesisClient({ region: 'us-east-1', credentials, requestHandler: handler, retryMode: 'adaptive', maxAttempts: 8 }), limiter, {
      accountId: '111122223333',
      region: 'us-east-1',
    });
    const ms = await describeMany(kinesis, 21);
    expect(handler.attempts()).to.equal(22);
    // The pack's limiter alone lets the 22 attempts through in 150 ms (next test); the SDK's limiter, switched on at
    // its 0.5/s floor, held them back for seconds (4.55 s on this fake clock: the 3-5 s the bench lost).
    expect(sdkWaits.length).to.be.greaterThan(10);
    expect(ms).to.be.greaterThan(3_000);
  });

  it("the pack's clients leave paced operations to the pack's limiter: the same throttle costs one interval, not seconds", async () => {
    const limiter = new RateLimiter({ rateOf: listedRateFor });
    const handler = aws([0]);
    sinon.stub(BudgetedHttpHandler.prototype, 'handle').callsFake((request) => handler.handle(request as HttpRequest));
    const kinesis = new AwsClients({ region: 'us-east-1', credentials: async () => credentials }, { limiter }).get(KinesisClient);
    const ms = await describeMany(kinesis, 21);
    expect(handler.attempts()).to.equal(22);
    expect(sdkWaits).to.deep.equal([]);
    // 22 attempts at 20/s with a burst of 20, plus the throttle's one interval: the 22nd goes at 150 ms.
    expect(ms).to.be.at.most(200);
    expect(limiter.stats()['caller/us-east-1/kinesis:DescribeStreamSummary']?.taken).to.equal(22);
  });

  it("still gives operations the rate table does not pace to the SDK's adaptive retry", async () => {
    const limiter = new RateLimiter({ rateOf: listedRateFor });
    const handler = aws([0]);
    sinon.stub(BudgetedHttpHandler.prototype, 'handle').callsFake((request) => handler.handle(request as HttpRequest));
    const kinesis = new AwsClients({ region: 'us-east-1', credentials: async () => credentials }, { limiter }).get(KinesisClient);
    // CreateStream is not in the rate table (UNLIMITED_RATE): its throttle switches the SDK's limiter on.
    await describeMany(kinesis, 3, () => new CreateStreamCommand({ StreamName: 's', ShardCount: 1 }));
    expect(sdkWaits.length).to.be.greaterThan(0);
  });

  it('marks a failed attempt of a paced operation, and a throttle moves its next token one interval back', async () => {
    const limiter = new RateLimiter({ rateOf: listedRateFor });
    const throttled = sinon.spy(limiter, 'throttled');
    const handler = aws([0, 1, 2, 3, 4, 5, 6, 7]);
    const kinesis = withRateLimits(new KinesisClient({ region: 'us-east-1', credentials, requestHandler: handler, maxAttempts: 1 }), limiter, { accountId: '1', region: 'us-east-1' });
    const error = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 's' })).catch((e: unknown) => e);
    expect(isPacedError(error)).to.equal(true);
    expect(throttled.args.map(([k]) => k.operation)).to.deep.equal(['DescribeStreamSummary']);
    const unpaced = await kinesis.send(new CreateStreamCommand({ StreamName: 's', ShardCount: 1 })).catch((e: unknown) => e);
    expect(isPacedError(unpaced)).to.equal(false);
    expect(throttled.callCount).to.equal(1);
  });

  it('TokenBucket.penalize: the next token comes one interval later', () => {
    const bucket = new TokenBucket(20, 1);
    expect(bucket.reserve()).to.equal(0);
    bucket.penalize();
    expect(bucket.reserve()).to.equal(100);
  });
});
