import { DeployTimeoutError } from './errors';

/** How often and how long to poll an operation that has no SDK waiter. */
export interface PollPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Each wait is the previous one times this, up to maxDelayMs. */
  readonly factor: number;
  readonly timeoutMs: number;
}

export const DEFAULT_POLL: PollPolicy = { initialDelayMs: 5_000, maxDelayMs: 60_000, factor: 1.5, timeoutMs: 60 * 60_000 };

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Calls `read` until `done` says so, waiting with exponential backoff between calls; throws DeployTimeoutError
 * naming `what` and the last state seen when `timeoutMs` passes. The first read is immediate.
 * @example const op = await pollUntil('StackSet operation 1234', () => describe(), (o) => o.Status !== 'RUNNING', DEFAULT_POLL, realClock, (o) => o.Status);
 */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  policy: PollPolicy,
  clock: Clock,
  describe: (value: T) => string,
): Promise<T> {
  const deadline = clock.now() + policy.timeoutMs;
  let delay = policy.initialDelayMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (clock.now() + delay > deadline) {
      throw new DeployTimeoutError(`${what} did not finish within ${Math.round(policy.timeoutMs / 1000)} s; last state: ${describe(value)}.`);
    }
    await clock.sleep(delay);
    delay = Math.min(policy.maxDelayMs, Math.round(delay * policy.factor));
  }
}
