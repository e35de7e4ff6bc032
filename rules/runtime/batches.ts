export interface RetryPolicy {
  /** Tries per batch for items the API reports as failed, first try included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends items in batches of `size`. `send` returns the keys of the items the API rejected in its response
 * (PutEvaluations' FailedEvaluations, BatchImportFindings' FailedFindings); those are sent again with exponential
 * backoff. Returns the keys still rejected after every attempt, in order; the caller fails loudly with them.
 * API errors (throttling past the SDK's adaptive retries, access denied) propagate from `send`.
 */
export async function sendInBatches<T>(
  items: readonly T[],
  size: number,
  keyOf: (item: T) => string,
  send: (batch: readonly T[]) => Promise<readonly string[]>,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<{ rejected: string[]; attempts: number }> {
  const sleep = retry.sleep ?? defaultSleep;
  const rejected: string[] = [];
  let maxAttempts = 0;
  for (let start = 0; start < items.length; start += size) {
    let pending: readonly T[] = items.slice(start, start + size);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(retry.baseDelayMs * 2 ** (attempt - 2) * (1 + Math.random() / 2));
      const failed = new Set(await send(pending));
      pending = pending.filter((item) => failed.has(keyOf(item)));
      maxAttempts = Math.max(maxAttempts, attempt);
      if (pending.length > 0 && attempt >= retry.attempts) {
        rejected.push(...pending.map(keyOf));
        break;
      }
    }
  }
  return { rejected, attempts: maxAttempts };
}
