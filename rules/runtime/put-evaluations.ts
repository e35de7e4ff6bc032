import {
  type ConfigServiceClient,
  type Evaluation as SdkEvaluation,
  PutEvaluationsCommand,
} from '@aws-sdk/client-config-service';
import type { Evaluation } from './compliance';
import { PutEvaluationsError } from './errors';

/** PutEvaluations takes at most 100 evaluations per call (Config API model). */
export const MAX_EVALUATIONS_PER_CALL = 100;
/** `resultToken` Config sends when a rule is tested from the console or CLI. */
export const TEST_MODE_TOKEN = 'TESTMODE';

export interface RetryPolicy {
  /** Tries per batch for evaluations Config reports in FailedEvaluations, first try included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const keyOf = (e: { ComplianceResourceType?: string; ComplianceResourceId?: string }) =>
  `${e.ComplianceResourceType ?? ''}/${e.ComplianceResourceId ?? ''}`;

/**
 * Sends every evaluation, 100 per call. Evaluations Config returns in FailedEvaluations are sent again with
 * exponential backoff; when some still fail, throws PutEvaluationsError naming them: a verdict is never dropped
 * silently. SDK errors (throttling past the SDK's adaptive retries, access denied) propagate with their cause.
 */
export async function putEvaluations(
  config: ConfigServiceClient,
  evaluations: readonly Evaluation[],
  resultToken: string,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<void> {
  const testMode = resultToken === TEST_MODE_TOKEN;
  const sleep = retry.sleep ?? defaultSleep;
  for (let start = 0; start < evaluations.length; start += MAX_EVALUATIONS_PER_CALL) {
    let pending: readonly Evaluation[] = evaluations.slice(start, start + MAX_EVALUATIONS_PER_CALL);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(retry.baseDelayMs * 2 ** (attempt - 2) * (1 + Math.random() / 2));
      let failed: SdkEvaluation[];
      try {
        const out = await config.send(
          new PutEvaluationsCommand({
            Evaluations: pending.map((e) => ({ ...e })),
            ResultToken: resultToken,
            ...(testMode ? { TestMode: true } : {}),
          }),
        );
        failed = out.FailedEvaluations ?? [];
      } catch (error) {
        throw new PutEvaluationsError(
          `PutEvaluations failed for ${pending.length} evaluation(s): ${(error as Error).message}`,
          pending.map((e) => e.ComplianceResourceId),
          { cause: error },
        );
      }
      const failedKeys = new Set(failed.map(keyOf));
      pending = pending.filter((e) => failedKeys.has(keyOf(e)));
      if (pending.length > 0 && attempt >= retry.attempts) {
        const ids = pending.map((e) => e.ComplianceResourceId);
        throw new PutEvaluationsError(
          `Config rejected ${ids.length} evaluation(s) after ${attempt} attempts: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}.`,
          ids,
        );
      }
    }
  }
}
