import { GetResourceConfigHistoryCommand, type ResourceType, ConfigServiceClient } from '@aws-sdk/client-config-service';
import { Logger } from '@aws-lambda-powertools/logger';
import { parse as parseArn } from '@aws-sdk/util-arn-parser';
import { type AwsClients, clientsFor } from './clients';
import { type Evaluation, type Verdict, fitAnnotation, markUserText, notApplicable } from './compliance';
import { TimeBudgetExceededError, describeFailure, operationOf } from './aws-errors';
import { ListingError, MalformedEventError, PeriodicOnlyRuleError, PutEvaluationsError, UnsendableEvaluationError } from './errors';
import {
  type ConfigRuleEvent,
  type ConfigurationItem,
  GoneStatuses,
  MessageType,
  parseConfigRuleEvent,
  parseConfigurationItem,
} from './event';
import { DEFAULT_CONCURRENCY, type ListingFailure, type ListingSkip, judge, judgeAll, newJudgeContext } from './judge';
import { accountGuardFromEnvironment, assertOrganizationEvent } from './organization';
import { parseParameters, type ParameterSchema, type ParameterValues } from './parameters';
import { previouslyEvaluated } from './previous-evaluations';
import { DEFAULT_RETRY, MAX_EVALUATIONS_PER_CALL, MAX_RESOURCE_ID_LENGTH, type RetryPolicy, TEST_MODE_TOKEN, putEvaluations } from './put-evaluations';
import { type NormalizedResource, type Safeguard, Trigger, describeListingNote } from './safeguard';

export interface HandlerOptions {
  readonly retry?: RetryPolicy;
  readonly logger?: Logger;
  /** Custom endpoint for every AWS call (the CLI's `invoke --endpoint-url`). */
  readonly endpoint?: string;
  /** The clock exemptions are checked against. */
  readonly clock?: () => Date;
  /** Organization mode: accounts the deployment serves; others are rejected before any AWS call. */
  readonly accountGuard?: (accountId: string) => Promise<void>;
  /**
   * Milliseconds a run may take when no Lambda context tells the remaining time (the CLI's `invoke`). Absent and
   * without a context: no budget.
   */
  readonly timeBudgetMs?: number;
  /**
   * Milliseconds kept free at the end of the budget for PutEvaluations, the vanished-resource sweep and the
   * Security Hub import: listing stops once less than this remains. Default 30 s (of the 300 s Lambda timeout).
   */
  readonly safetyMarginMs?: number;
  /** Total attempts per AWS call (default DEFAULT_MAX_ATTEMPTS). */
  readonly maxAttempts?: number;
  /** Milliseconds one attempt of an AWS call may wait for its answer (default DEFAULT_REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  /**
   * Resources judged at once and most AWS requests in flight (default: the HIPAA_SAFEGUARDS_CONCURRENCY environment
   * variable, else DEFAULT_CONCURRENCY, 8). The process-wide rate limiter paces each operation whatever this is.
   */
  readonly concurrency?: number;
}

/** The Lambda's concurrency: the option, else HIPAA_SAFEGUARDS_CONCURRENCY, else 8. A bad value is an error naming it. */
export function concurrencyOf(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return option;
  const raw = env.HIPAA_SAFEGUARDS_CONCURRENCY;
  if (raw === undefined || raw === '') return DEFAULT_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new RangeError(`HIPAA_SAFEGUARDS_CONCURRENCY is "${raw}". Expected an integer from 1 to 64.`);
  }
  return n;
}

/** The part of the Lambda context the runtime reads. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
}

/** Default room left at the end of a run for sending: PutEvaluations batches, the sweep, Security Hub. */
export const DEFAULT_SAFETY_MARGIN_MS = 30_000;
/** Kept after the last call for logging the outcome and returning before the Lambda timeout. */
const FINAL_RESERVE_MS = 1_000;
const LISTING_DEADLINE = 'listing';
const RUN_DEADLINE = 'run';

export interface HandlerResult {
  /** Exactly what was sent to PutEvaluations, in order. */
  readonly evaluations: readonly Evaluation[];
}

export type RuleHandler = (event: unknown, context?: LambdaContextLike) => Promise<HandlerResult>;

type Invocation<R extends NormalizedResource, S extends ParameterSchema, F> = {
  readonly safeguard: Safeguard<R, S, F>;
  readonly event: ConfigRuleEvent;
  readonly params: ParameterValues<Safeguard<R, S, F>['schema']>;
  readonly clients: AwsClients;
  readonly now: Date;
  /** True once the run must stop listing and judging to keep time for sending. */
  readonly outOfTime: () => boolean;
  /** Sends evaluations as they are reached; failures are kept for the end of the run. */
  readonly sender: EvaluationSender;
  readonly concurrency: number;
  readonly logger: Logger;
};

/**
 * Sends evaluations to PutEvaluations in batches of 100 as they are reached, so a run that is stopped (time budget)
 * or fails later has already delivered what it judged. An evaluation whose ComplianceResourceId is longer than
 * PutEvaluations accepts is a failure of that resource, not of its batch.
 */
class EvaluationSender {
  readonly sent: Evaluation[] = [];
  readonly unsendable: ListingFailure[] = [];
  readonly errors: Error[] = [];
  private pending: Evaluation[] = [];

  constructor(private readonly send: (batch: readonly Evaluation[]) => Promise<void>) {}

  async add(evaluation: Evaluation): Promise<void> {
    if (evaluation.ComplianceResourceId.length > MAX_RESOURCE_ID_LENGTH) {
      const id = evaluation.ComplianceResourceId;
      this.unsendable.push({
        resourceType: evaluation.ComplianceResourceType,
        resourceId: `${id.slice(0, 60)}…`,
        error: new UnsendableEvaluationError(
          `ComplianceResourceId is ${id.length} characters long; PutEvaluations accepts at most ${MAX_RESOURCE_ID_LENGTH}, so its ${evaluation.ComplianceType} verdict cannot be sent.`,
        ),
      });
      return;
    }
    this.pending.push(evaluation);
    if (this.pending.length >= MAX_EVALUATIONS_PER_CALL) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.send(batch);
    } catch (error) {
      // Later batches are still sent; the run fails at its end naming what Config does not have.
      this.errors.push(error instanceof Error ? error : new Error(String(error)));
    }
    this.sent.push(...batch);
  }
}

function evaluation(type: string, id: string, verdict: Verdict, at: Date): Evaluation {
  return {
    ComplianceResourceType: type,
    ComplianceResourceId: id,
    ComplianceType: verdict.compliance,
    // The ID is the user's text here too ("<type> <id> no longer exists."): cut it, not the sentence.
    Annotation: fitAnnotation(markUserText(verdict.annotation, [id])),
    OrderingTimestamp: at,
  };
}

async function evaluateItem<R extends NormalizedResource, S extends ParameterSchema, F>(
  inv: Invocation<R, S, F>,
  item: ConfigurationItem,
): Promise<Evaluation> {
  const { safeguard } = inv;
  const at = item.captureTime;
  const name = `${item.resourceType} ${item.resourceId}`;
  assertChangeTriggered(safeguard, name);
  if (inv.event.eventLeftScope) {
    return evaluation(item.resourceType, item.resourceId, notApplicable(`${name} left the scope of this rule.`), at);
  }
  if ((GoneStatuses as readonly string[]).includes(item.status)) {
    return evaluation(item.resourceType, item.resourceId, notApplicable(`${name} is ${item.status}: nothing to evaluate.`), at);
  }
  const fromItem = safeguard.resource.fromConfigurationItem;
  if (!safeguard.resource.resourceTypes.includes(item.resourceType) || !fromItem) {
    const why = `${name} is not a type this rule evaluates (${safeguard.resource.resourceTypes.join(', ')}): out of scope.`;
    return evaluation(item.resourceType, item.resourceId, notApplicable(why), at);
  }
  const resource = fromItem(item);
  const verdict = await judge(safeguard, resource, inv.params, newJudgeContext(inv.clients, inv.now));
  return evaluation(item.resourceType, item.resourceId, verdict, at);
}

/**
 * A rule evaluated on periodic runs only (ElastiCache: AWS Config does not record it) answers no change notification:
 * any verdict it wrote would contradict the rule's scope, and could overwrite a NON_COMPLIANT verdict.
 */
function assertChangeTriggered(safeguard: { readonly name: string; readonly triggers: readonly Trigger[] }, name: string): void {
  if (!safeguard.triggers.includes(Trigger.Change)) {
    throw new PeriodicOnlyRuleError(
      `Rule ${safeguard.name} is evaluated on periodic runs only; it got a configuration change notification for ${name} and writes no verdict. Expected a ScheduledNotification.`,
    );
  }
}

/** Oversized items are not in the event: read the one captured at the notified time. */
async function fetchOversizedItem(
  clients: AwsClients,
  summary: { resourceType: string; resourceId: string; configurationItemCaptureTime: Date },
): Promise<ConfigurationItem> {
  const out = await clients.get(ConfigServiceClient).send(
    new GetResourceConfigHistoryCommand({
      resourceType: summary.resourceType as ResourceType,
      resourceId: summary.resourceId,
      laterTime: summary.configurationItemCaptureTime,
      limit: 1,
    }),
  );
  const item = out.configurationItems?.[0];
  if (!item) {
    throw new MalformedEventError(
      `GetResourceConfigHistory returned no configuration item for ${summary.resourceType} ${summary.resourceId} at ${summary.configurationItemCaptureTime.toISOString()}.`,
    );
  }
  return parseConfigurationItem(item, 'GetResourceConfigHistory');
}

async function evaluatePeriodic<R extends NormalizedResource, S extends ParameterSchema, F>(
  inv: Invocation<R, S, F>,
  at: Date,
): Promise<{ failures: ListingFailure[]; skipped: ListingSkip[] }> {
  const { safeguard, clients, sender } = inv;
  const present = new Set<string>();
  // Periodic runs read what AWS Config recorded where it records the type (issue 11), the service API otherwise;
  // each listing's choice is logged.
  const ctx = newJudgeContext(clients, inv.now, {
    concurrency: inv.concurrency,
    listOptions: { preferConfig: true, onNote: (note) => inv.logger.info('Listing source', { ...note, summary: describeListingNote(note) }) },
  });
  let judged: Awaited<ReturnType<typeof judgeAll<R, S, F>>>;
  try {
    judged = await judgeAll(safeguard, inv.params, ctx, {
      outOfTime: inv.outOfTime,
      onJudged: async (j) => {
        present.add(`${j.resource.resourceType}/${j.resource.id}`);
        await sender.add(evaluation(j.resource.resourceType, j.resource.id, j.verdict, at));
      },
    });
  } finally {
    await ctx.listings.close();
  }
  const { failures, skipped } = judged;
  // A resource that failed is present; a kind whose listing failed, was cut short or was skipped is not complete:
  // nothing of it is declared gone.
  for (const f of failures) if (f.resourceId) present.add(`${f.resourceType}/${f.resourceId}`);
  const complete = safeguard.resource.resourceTypes.filter(
    (t) => !failures.some((f) => f.resourceType === t && !f.resourceId) && !skipped.some((k) => k.resourceType === t),
  );
  if (complete.length === 0) return { failures, skipped };
  // A failed or unstarted sweep leaves gone resources with their old verdict until the next run: the run still
  // fails loudly, per kind, and the verdicts reached are still sent.
  const sweepFailed = (error: Error) => {
    const operation = operationOf(error);
    for (const t of complete) failures.push({ resourceType: t, ...(operation ? { operation } : {}), error });
  };
  if (inv.outOfTime()) {
    sweepFailed(new TimeBudgetExceededError('The time budget ran out before resources evaluated earlier and now gone could be looked up.'));
    return { failures, skipped };
  }
  let before: Awaited<ReturnType<typeof previouslyEvaluated>>;
  try {
    before = await previouslyEvaluated(clients.get(ConfigServiceClient), inv.event.configRuleName, complete);
  } catch (error) {
    sweepFailed(error instanceof Error ? error : new Error(String(error)));
    return { failures, skipped };
  }
  for (const { resourceType, resourceId } of before) {
    if (!present.has(`${resourceType}/${resourceId}`)) {
      await sender.add(evaluation(resourceType, resourceId, notApplicable(`${resourceType} ${resourceId} no longer exists.`), at));
    }
  }
  return { failures, skipped };
}

/**
 * Builds the Lambda handler of a safeguard. It owns the whole AWS Config contract: event parsing, parameters,
 * cross-account credentials, exemptions, PutEvaluations batching and retries. A malformed event throws, is logged
 * as structured JSON, and produces no verdict.
 * @example export const handler = createRuleHandler(kinesisStreamEncrypted);
 */
export function createRuleHandler<R extends NormalizedResource, S extends ParameterSchema, F>(
  safeguard: Safeguard<R, S, F>,
  options: HandlerOptions = {},
): RuleHandler {
  const logger =
    options.logger ?? new Logger({ serviceName: 'hipaa-safeguards', persistentKeys: { rule: safeguard.name } });
  const clock = options.clock ?? (() => new Date());
  // Organization mode (HIPAA_SAFEGUARDS_ORGANIZATION=true, set by the hub): only member accounts are served.
  const accountGuard = options.accountGuard ?? accountGuardFromEnvironment();

  return async function handler(event: unknown, context?: LambdaContextLike): Promise<HandlerResult> {
    const started = Date.now();
    const margin = options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
    const remaining = context?.getRemainingTimeInMillis
      ? () => context.getRemainingTimeInMillis?.() ?? Infinity
      : options.timeBudgetMs !== undefined
        ? () => (options.timeBudgetMs ?? 0) - (Date.now() - started)
        : () => Infinity;
    const outOfTime = () => remaining() < margin;
    let clients: AwsClients | undefined;
    try {
      const parsed = parseConfigRuleEvent(event);
      const params = parseParameters(safeguard.schema, parsed.ruleParameters);
      const ruleArn = parseArn(parsed.configRuleArn);
      if (accountGuard) assertOrganizationEvent(parsed);
      await accountGuard?.(parsed.accountId);
      const concurrency = concurrencyOf(options.concurrency);
      clients = clientsFor({
        region: ruleArn.region,
        partition: ruleArn.partition,
        accountId: parsed.accountId,
        ...(params.executionRoleName ? { roleName: params.executionRoleName } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
        maxInFlight: concurrency,
      });
      const left = remaining();
      if (Number.isFinite(left)) {
        // No call may outlast the budget: listing calls end where listing must stop; the Config calls that send
        // the verdicts (and the sweep) may use the margin, up to a last second kept for logging the outcome.
        const end = Date.now() + left;
        clients.setDeadline(LISTING_DEADLINE, end - margin, (Client) => Client !== ConfigServiceClient);
        clients.setDeadline(RUN_DEADLINE, end - FINAL_RESERVE_MS);
      }
      const retry = options.retry ?? DEFAULT_RETRY;
      const config = clients.get(ConfigServiceClient);
      const sender = new EvaluationSender((batch) => putEvaluations(config, batch, parsed.resultToken, retry));
      const inv: Invocation<R, S, F> = { safeguard, event: parsed, params, clients, now: clock(), outOfTime, sender, concurrency, logger };
      const message = parsed.invokingEvent;
      logger.appendKeys({ accountId: parsed.accountId, messageType: message.messageType, configRuleName: parsed.configRuleName });

      let failures: ListingFailure[] = [];
      let skipped: ListingSkip[] = [];
      switch (message.messageType) {
        case MessageType.ConfigurationItemChange:
          await sender.add(await evaluateItem(inv, message.configurationItem));
          break;
        case MessageType.OversizedConfigurationItemChange: {
          const s = message.configurationItemSummary;
          // Before any call: a periodic-only rule fetches nothing for a change it will not judge.
          assertChangeTriggered(safeguard, `${s.resourceType} ${s.resourceId}`);
          const gone = parsed.eventLeftScope || (GoneStatuses as readonly string[]).includes(s.configurationItemStatus);
          // A deleted or out-of-scope resource needs no history lookup: the summary says all there is.
          const item: ConfigurationItem = gone
            ? {
                resourceType: s.resourceType,
                resourceId: s.resourceId,
                accountId: parsed.accountId,
                awsRegion: s.awsRegion,
                captureTime: s.configurationItemCaptureTime,
                status: s.configurationItemStatus,
                configuration: null,
                supplementaryConfiguration: {},
                tags: {},
                resourceName: undefined,
                arn: undefined,
              }
            : await fetchOversizedItem(clients, s);
          await sender.add(await evaluateItem(inv, item));
          break;
        }
        case MessageType.Scheduled:
          try {
            ({ failures, skipped } = await evaluatePeriodic(inv, message.notificationCreationTime));
          } catch (error) {
            // Whatever broke the run, the verdicts already reached still go to Config before it fails.
            await sender.flush();
            throw error;
          }
          break;
      }
      // Listing is over: what follows (sending, Security Hub) may use the margin.
      clients.setDeadline(LISTING_DEADLINE, undefined);
      await sender.flush();
      const evaluations = sender.sent;
      for (const k of skipped) {
        logger.warn('Resource kind skipped', { resourceType: k.resourceType, operation: k.operation, reason: k.reason });
      }
      // Test-mode invocations write nothing real to Config; they must not write findings either.
      if (params.importSecurityHubFindings && parsed.resultToken !== TEST_MODE_TOKEN && evaluations.length > 0) {
        const context = { accountId: parsed.accountId, region: ruleArn.region, partition: ruleArn.partition, now: inv.now };
        // Loaded on first use: most deployments leave this off, and the Security Hub client is large.
        const { importFindings, toFinding } = await import('./securityhub.js');
        const { SecurityHubClient } = await import('@aws-sdk/client-securityhub');
        await importFindings(
          clients.get(SecurityHubClient),
          evaluations.map((e) => toFinding(safeguard, e, context)),
          retry,
        );
      }
      failures = [...failures, ...sender.unsendable];
      // Verdicts that could be reached are sent first; then the invocation fails so Config shows the error.
      let listingError: ListingError | undefined;
      if (failures.length > 0) {
        const named = failures.slice(0, 10).map((f) => `${f.resourceType}${f.resourceId ? ` ${f.resourceId}` : ''} (${describeFailure(f.error)})`);
        const more = failures.length > 10 ? ` and ${failures.length - 10} more` : '';
        listingError = new ListingError(
          `Could not evaluate ${named.join('; ')}${more}. ${evaluations.length} other evaluation(s) were sent.`,
          failures.map((f) => f.resourceType),
          { cause: failures[0]?.error },
        );
      }
      if (sender.errors.length > 0) {
        // Config lacks these verdicts: that is the error to show; what could not be evaluated is logged beside it.
        if (listingError) logger.error('Rule invocation also could not evaluate some resources', listingError);
        const [first] = sender.errors;
        if (sender.errors.length === 1 && first) throw first;
        const ids = sender.errors.flatMap((e) => (e instanceof PutEvaluationsError ? e.failedResourceIds : []));
        throw new PutEvaluationsError(`${sender.errors.length} PutEvaluations batches failed: ${sender.errors.map((e) => e.message).join(' ')}`, ids, {
          cause: first,
        });
      }
      if (listingError) throw listingError;
      const counts: Record<string, number> = {};
      for (const e of evaluations) counts[e.ComplianceType] = (counts[e.ComplianceType] ?? 0) + 1;
      logger.info('Evaluations sent', { counts, testMode: parsed.resultToken === TEST_MODE_TOKEN, skipped: skipped.map((k) => k.resourceType) });
      return { evaluations };
    } catch (error) {
      logger.error('Rule invocation failed', error as Error);
      throw error;
    } finally {
      // Clients are reused by the next (warm) invocation, which sets its own budget.
      clients?.setDeadline(LISTING_DEADLINE, undefined);
      clients?.setDeadline(RUN_DEADLINE, undefined);
      logger.removeKeys(['accountId', 'messageType', 'configRuleName']);
    }
  };
}
