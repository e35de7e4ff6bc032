import { type ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { DEFAULT_RETRY, type RetryPolicy, sendInBatches } from './batches';
import type { Evaluation } from './compliance';
import { describeFailure } from './aws-errors';
import { PutEvaluationsError } from './errors';

export { DEFAULT_RETRY, type RetryPolicy } from './batches';

/** PutEvaluations takes at most 100 evaluations per call (Config API model). */
export const MAX_EVALUATIONS_PER_CALL = 100;
/** Longest ComplianceResourceId PutEvaluations accepts (Config API model, `BaseResourceId`: max 768). */
export const MAX_RESOURCE_ID_LENGTH = 768;
/** `resultToken` Config sends when a rule is tested from the console or CLI. */
export const TEST_MODE_TOKEN = 'TESTMODE';

const keyOf = (e: { ComplianceResourceType?: string; ComplianceResourceId?: string }) =>
  `${e.ComplianceResourceType ?? ''}/${e.ComplianceResourceId ?? ''}`;

/**
 * Sends every evaluation, 100 per call. Evaluations Config returns in FailedEvaluations are sent again with
 * exponential backoff; when some still fail, throws PutEvaluationsError naming them: a verdict is never dropped
 * silently. SDK errors (throttling past the SDK's adaptive retries, access denied) fail with their cause.
 */
export async function putEvaluations(
  config: ConfigServiceClient,
  evaluations: readonly Evaluation[],
  resultToken: string,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<void> {
  const testMode = resultToken === TEST_MODE_TOKEN;
  const { rejected, attempts } = await sendInBatches(
    evaluations,
    MAX_EVALUATIONS_PER_CALL,
    keyOf,
    async (batch) => {
      try {
        const out = await config.send(
          new PutEvaluationsCommand({
            Evaluations: batch.map((e) => ({ ...e })),
            ResultToken: resultToken,
            ...(testMode ? { TestMode: true } : {}),
          }),
        );
        return (out.FailedEvaluations ?? []).map(keyOf);
      } catch (error) {
        throw new PutEvaluationsError(
          `PutEvaluations failed for ${batch.length} evaluation(s): ${error instanceof Error ? describeFailure(error) : String(error)}`,
          batch.map((e) => e.ComplianceResourceId),
          { cause: error },
        );
      }
    },
    retry,
  );
  if (rejected.length > 0) {
    const ids = rejected.map((k) => k.slice(k.indexOf('/') + 1));
    throw new PutEvaluationsError(
      `Config rejected ${ids.length} evaluation(s) after ${attempts} attempts: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}.`,
      ids,
    );
  }
}
