import { AdaptiveRetryStrategy, DefaultRateLimiter, type RateLimiter as SdkRateLimiter, isThrottlingError } from '@smithy/core/retry';
import type { FinalizeRequestMiddleware, MiddlewareStack, Pluggable, RetryStrategyV2 } from '@smithy/types';
import { CLIENT_SERVICES, UNLIMITED_RATE, rateFor } from './rate-limits';

/**
 * Issue 11's building blocks: one rate limiter per (account, region, operation) shared by everything a run does,
 * a runner that keeps at most N requests' worth of work in flight, and an SDK middleware that makes every client
 * call wait for its operation's token. Nothing here knows a rule.
 */

/** Clock and sleep; the default reads the globals at call time, so sinon's fake timers drive it in tests. */
export interface Timer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemTimer: Timer = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket holding `burst` tokens and refilling `perSecond`, kept as one reservation time (GCRA), so
 * waiters are served in the order they asked without a queue. A reservation is spent even if its caller gives up.
 */
export class TokenBucket {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  /** When the bucket would be full again if nobody asked before then (theoretical arrival time). */
  private tat = Number.NEGATIVE_INFINITY;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly timer: Timer = systemTimer,
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`perSecond must be a positive number, got ${perSecond}.`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be a positive integer, got ${burst}.`);
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }

  /** Reserves the next token and returns how long to wait before using it (0: now). */
  reserve(): number {
    const now = this.timer.now();
    const tat = Math.max(this.tat, now);
    const start = Math.max(now, tat - this.toleranceMs);
    this.tat = tat + this.intervalMs;
    return start - now;
  }

  /**
   * AWS throttled a request this bucket let through: the next token comes one interval later. A one-off throttle
   * (our clock and AWS's window a few milliseconds apart) costs one interval and moves our window toward AWS's;
   * sustained throttling (another caller spending the same account's rate) lowers the rate we send at.
   */
  penalize(): void {
    this.tat = Math.max(this.tat, this.timer.now()) + this.intervalMs;
  }

  /** Resolves when the caller may send its request. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.timer.sleep(wait);
  }
}

export interface LimitKey {
  readonly accountId: string;
  readonly region: string;
  /** IAM service prefix (`kinesis`), see `rate-limits.ts`. */
  readonly service: string;
  readonly operation: string;
}

export interface LimiterOptions {
  readonly timer?: Timer;
  /** Rate of an operation; default: the documented table. */
  readonly rateOf?: (service: string, operation: string) => { perSecond: number; burst: number };
}

/** One token bucket per (account, region, service, operation), created on first use; share one per run. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly counts = new Map<string, { taken: number; waitedMs: number }>();
  private readonly timer: Timer;
  private readonly rateOf: NonNullable<LimiterOptions['rateOf']>;

  constructor(options: LimiterOptions = {}) {
    this.timer = options.timer ?? systemTimer;
    this.rateOf = options.rateOf ?? rateFor;
  }

  private bucketOf(key: LimitKey): { id: string; bucket: TokenBucket } {
    const id = `${key.accountId}/${key.region}/${key.service}:${key.operation}`;
    let bucket = this.buckets.get(id);
    if (!bucket) {
      const { perSecond, burst } = this.rateOf(key.service, key.operation);
      bucket = new TokenBucket(perSecond, burst, this.timer);
      this.buckets.set(id, bucket);
    }
    return { id, bucket };
  }

  /** Whether this limiter paces the key's operation (a rate of its table), rather than leaving it to adaptive retry. */
  paces(key: LimitKey): boolean {
    return this.bucketOf(key).bucket.perSecond < UNLIMITED_RATE.perSecond;
  }

  /** AWS throttled an attempt of this key that the limiter let through (see `TokenBucket.penalize`). */
  throttled(key: LimitKey): void {
    this.bucketOf(key).bucket.penalize();
  }

  /** Waits for a token of this key's bucket. */
  async take(key: LimitKey): Promise<void> {
    const { id, bucket } = this.bucketOf(key);
    const wait = bucket.reserve();
    const count = this.counts.get(id) ?? { taken: 0, waitedMs: 0 };
    this.counts.set(id, { taken: count.taken + 1, waitedMs: count.waitedMs + wait });
    if (wait > 0) await this.timer.sleep(wait);
  }

  /** Tokens taken and total time waited per key (`account/region/service:Operation`), for logs and benchmarks. */
  stats(): Record<string, { taken: number; waitedMs: number }> {
    return Object.fromEntries(this.counts);
  }
}

/** The name the middleware is registered under; `override` keeps a second install from stacking. */
export const RATE_LIMIT_MIDDLEWARE = 'hipaaSafeguardsRateLimit';

/** Marks an error of an attempt the pack's limiter paced (see `PacedAdaptiveRateLimiter`). */
const PACED = Symbol.for('hipaaSafeguards.pacedByRateLimiter');

/** Whether an SDK error comes from an attempt of an operation the pack's rate limiter paces. */
export function isPacedError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { [PACED]?: boolean })[PACED] === true;
}

/**
 * Makes every request the client sends, retries included, wait for its operation's token first. Installed just
 * inside the retry middleware and before signing, so each HTTP attempt counts and no signature ages while waiting.
 * The service comes from the client class (`context.clientName`), the operation from the command name.
 * As a plugin it also reaches clients the pack does not build itself: `fromTemporaryCredentials({ clientPlugins })`.
 * An attempt of a paced operation that fails is marked for the retry strategy (`isPacedError`), and a throttle
 * moves that operation's next token back (`RateLimiter.throttled`).
 */
export function rateLimitPlugin<I extends object, O extends object>(limiter: RateLimiter, key: { accountId: string; region: string }): Pluggable<I, O> {
  const middleware: FinalizeRequestMiddleware<I, O> = (next, context) => async (args) => {
    const clientName = context.clientName ?? 'UnknownClient';
    const limitKey: LimitKey = {
      ...key,
      service: CLIENT_SERVICES[clientName] ?? clientName,
      operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
    };
    await limiter.take(limitKey);
    try {
      return await next(args);
    } catch (error) {
      if (typeof error === 'object' && error !== null && limiter.paces(limitKey)) {
        Object.defineProperty(error, PACED, { value: true, enumerable: false, configurable: true });
        if (isThrottlingError(error as Parameters<typeof isThrottlingError>[0])) limiter.throttled(limitKey);
      }
      throw error;
    }
  };
  return {
    applyToStack: (stack) => stack.addRelativeTo(middleware, { name: RATE_LIMIT_MIDDLEWARE, relation: 'after', toMiddleware: 'retryMiddleware', override: true }),
  };
}

/**
 * The SDK's adaptive retry rate limiter (`DefaultRateLimiter`, one per client, all its operations) for the
 * operations the pack's limiter does not pace; throttles of paced operations do not reach it. Stacked on the
 * pack's limiter it cost the --enforce-rates scan 1.4-1.8 x the baseline's wall: a throttle in the client's first
 * half second, before it has measured any sending rate, drops its fill rate to its floor (0.5/s) for the whole
 * client, and its recovery is capped at twice a measured rate that the crawl itself keeps low
 * (test/runtime/adaptive-retry.test.ts reproduces it). For paced operations the retry of a throttled attempt
 * waits for the standard backoff and a token of its own operation, whose bucket the throttle moved back.
 */
export class PacedAdaptiveRateLimiter implements SdkRateLimiter {
  private readonly adaptive = new DefaultRateLimiter();

  getSendToken(): Promise<void> {
    return this.adaptive.getSendToken();
  }

  updateClientSendingRate(response: unknown): void {
    const error = typeof response === 'object' && response !== null ? (response as { error?: unknown }).error : undefined;
    // A paced attempt still counts as sent (the measured rate), not as a throttle.
    this.adaptive.updateClientSendingRate(isPacedError(error) ? {} : response);
  }
}

/** Adaptive retry whose client-side rate limiter leaves paced operations to the pack's limiter; one per client. */
export function pacedAdaptiveRetry(maxAttempts: number): RetryStrategyV2 {
  return new AdaptiveRetryStrategy(maxAttempts, { rateLimiter: new PacedAdaptiveRateLimiter() });
}

/**
 * `rateLimitPlugin` installed on a client the caller holds; returns the client.
 * @example withRateLimits(new KinesisClient(config), limiter, { accountId: '111122223333', region: 'us-east-1' })
 */
export function withRateLimits<I extends object, O extends object, C extends { readonly middlewareStack: MiddlewareStack<I, O> }>(
  client: C & { readonly middlewareStack: MiddlewareStack<I, O> },
  limiter: RateLimiter,
  key: { accountId: string; region: string },
): C {
  client.middlewareStack.use(rateLimitPlugin<I, O>(limiter, key));
  return client;
}

/** What became of one item of `runBounded`, at its input position. */
export type Outcome<R> =
  | { readonly status: 'fulfilled'; readonly value: R }
  | { readonly status: 'rejected'; readonly reason: Error }
  /** Not started: the deadline came first. */
  | { readonly status: 'not-started' };

export interface RunOptions<R> {
  /** Most items in flight at once (>= 1). */
  readonly concurrency: number;
  /** Time left (Lambda's `getRemainingTimeInMillis`); no new item starts once it is below `reserveMs`. */
  readonly remainingMs?: () => number;
  /** Time kept for what follows (sending verdicts, reporting what was not reached). Default 0. */
  readonly reserveMs?: number;
  /** Called once per item in input order, as soon as it and every item before it are settled (stream verdicts). */
  readonly onSettled?: (outcome: Outcome<R>, index: number) => void;
}

export interface RunResult<R> {
  /** One per item pulled from the input, in input order; for arrays, one per item. */
  readonly outcomes: Outcome<R>[];
  /** The deadline stopped new work; some items were not started (arrays) or not pulled (iterables). */
  readonly stoppedEarly: boolean;
  /** The input iterator itself failed (a listing page): outcomes cover what came before it. */
  readonly sourceError?: Error;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * Runs `work` over the items with at most `concurrency` in flight and returns every outcome in input order:
 * one failing item never loses the others. Accepts an async iterable (a paginated listing), pulling the next item
 * only when a slot is free, so a listing is consumed as fast as it is judged. Written here rather than taken from
 * npm: p-limit/p-map (CommonJS up to p-limit 3/p-map 4, ESM-only since) give neither per-item outcomes in order
 * nor a deadline, and this is small.
 */
export async function runBounded<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  work: (item: T, index: number) => Promise<R>,
  options: RunOptions<R>,
): Promise<RunResult<R>> {
  const { concurrency, remainingMs, reserveMs = 0, onSettled } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}.`);
  const total = Array.isArray(items) ? items.length : undefined;
  const iterator: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in Object(items) ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();

  const outcomes: (Outcome<R> | undefined)[] = [];
  let pulled = 0;
  let emitted = 0;
  let stoppedEarly = false;
  let sourceError: Error | undefined;
  let done = false;
  // Pulls are serialized: an async iterator must not be asked for its next item while one is pending.
  let pulling: Promise<unknown> = Promise.resolve();

  const emit = () => {
    for (let o = outcomes[emitted]; o !== undefined; o = outcomes[emitted]) {
      const index = emitted++;
      onSettled?.(o, index);
    }
  };
  const next = (): Promise<{ item: T; index: number } | undefined> => {
    const turn = pulling.then(async () => {
      if (done) return undefined;
      if (remainingMs && remainingMs() < reserveMs) {
        stoppedEarly = true;
        done = true;
        return undefined;
      }
      try {
        const r = await iterator.next();
        if (r.done) {
          done = true;
          return undefined;
        }
        return { item: r.value, index: pulled++ };
      } catch (error) {
        sourceError = asError(error);
        done = true;
        return undefined;
      }
    });
    pulling = turn;
    return turn;
  };
  const worker = async () => {
    for (let job = await next(); job; job = await next()) {
      let outcome: Outcome<R>;
      try {
        outcome = { status: 'fulfilled', value: await work(job.item, job.index) };
      } catch (error) {
        outcome = { status: 'rejected', reason: asError(error) };
      }
      outcomes[job.index] = outcome;
      emit();
    }
  };
  await Promise.all(Array.from({ length: total === undefined ? concurrency : Math.min(concurrency, total) }, worker));
  if (stoppedEarly && total !== undefined) {
    for (let i = pulled; i < total; i++) outcomes[i] = { status: 'not-started' };
    emit();
  }
  // An iterator left early must still release what it holds (a paginator's pending page).
  if (stoppedEarly || sourceError) await Promise.resolve(iterator.return?.()).catch(() => undefined);
  return { outcomes: outcomes as Outcome<R>[], stoppedEarly, ...(sourceError ? { sourceError } : {}) };
}
