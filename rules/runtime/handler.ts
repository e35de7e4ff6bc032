import { GetResourceConfigHistoryCommand, type ResourceType, ConfigServiceClient } from '@aws-sdk/client-config-service';
import { Logger } from '@aws-lambda-powertools/logger';
import { parse as parseArn } from '@aws-sdk/util-arn-parser';
import { type AwsClients, clientsFor } from './clients';
import { type Evaluation, type Verdict, fitAnnotation, notApplicable } from './compliance';
import { ListingError, MalformedEventError } from './errors';
import {
  type ConfigRuleEvent,
  type ConfigurationItem,
  GoneStatuses,
  MessageType,
  parseConfigRuleEvent,
  parseConfigurationItem,
} from './event';
import { type ListingFailure, judge, judgeAll, newJudgeContext } from './judge';
import { accountGuardFromEnvironment, assertOrganizationEvent } from './organization';
import { parseParameters, type ParameterSchema, type ParameterValues } from './parameters';
import { previouslyEvaluated } from './previous-evaluations';
import { DEFAULT_RETRY, type RetryPolicy, TEST_MODE_TOKEN, putEvaluations } from './put-evaluations';
import type { NormalizedResource, Safeguard } from './safeguard';

export interface HandlerOptions {
  readonly retry?: RetryPolicy;
  readonly logger?: Logger;
  /** Custom endpoint for every AWS call (the CLI's `invoke --endpoint-url`). */
  readonly endpoint?: string;
  /** The clock exemptions are checked against. */
  readonly clock?: () => Date;
  /** Organization mode: accounts the deployment serves; others are rejected before any AWS call. */
  readonly accountGuard?: (accountId: string) => Promise<void>;
}

export interface HandlerResult {
  /** Exactly what was sent to PutEvaluations, in order. */
  readonly evaluations: readonly Evaluation[];
}

export type RuleHandler = (event: unknown) => Promise<HandlerResult>;

type Invocation<R extends NormalizedResource, S extends ParameterSchema, F> = {
  readonly safeguard: Safeguard<R, S, F>;
  readonly event: ConfigRuleEvent;
  readonly params: ParameterValues<Safeguard<R, S, F>['schema']>;
  readonly clients: AwsClients;
  readonly now: Date;
};

function evaluation(type: string, id: string, verdict: Verdict, at: Date): Evaluation {
  return {
    ComplianceResourceType: type,
    ComplianceResourceId: id,
    ComplianceType: verdict.compliance,
    Annotation: fitAnnotation(verdict.annotation),
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
): Promise<{ evaluations: Evaluation[]; failures: ListingFailure[] }> {
  const { safeguard, clients } = inv;
  const { judged, failures } = await judgeAll(safeguard, inv.params, newJudgeContext(clients, inv.now));
  const evaluations = judged.map((j) => evaluation(j.resource.resourceType, j.resource.id, j.verdict, at));
  const present = new Set(judged.map((j) => `${j.resource.resourceType}/${j.resource.id}`));
  // A resource that failed is present; a kind whose listing failed is not complete: neither is declared gone.
  for (const f of failures) if (f.resourceId) present.add(`${f.resourceType}/${f.resourceId}`);
  const complete = safeguard.resource.resourceTypes.filter((t) => !failures.some((f) => f.resourceType === t && !f.resourceId));
  const before = await previouslyEvaluated(clients.get(ConfigServiceClient), inv.event.configRuleName, complete);
  for (const { resourceType, resourceId } of before) {
    if (!present.has(`${resourceType}/${resourceId}`)) {
      evaluations.push(evaluation(resourceType, resourceId, notApplicable(`${resourceType} ${resourceId} no longer exists.`), at));
    }
  }
  return { evaluations, failures };
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

  return async function handler(event: unknown): Promise<HandlerResult> {
    try {
      const parsed = parseConfigRuleEvent(event);
      const params = parseParameters(safeguard.schema, parsed.ruleParameters);
      const ruleArn = parseArn(parsed.configRuleArn);
      if (accountGuard) assertOrganizationEvent(parsed);
      await accountGuard?.(parsed.accountId);
      const clients = clientsFor({
        region: ruleArn.region,
        partition: ruleArn.partition,
        accountId: parsed.accountId,
        ...(params.executionRoleName ? { roleName: params.executionRoleName } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      });
      const inv: Invocation<R, S, F> = { safeguard, event: parsed, params, clients, now: clock() };
      const message = parsed.invokingEvent;
      logger.appendKeys({ accountId: parsed.accountId, messageType: message.messageType, configRuleName: parsed.configRuleName });

      let evaluations: Evaluation[];
      let failures: ListingFailure[] = [];
      switch (message.messageType) {
        case MessageType.ConfigurationItemChange:
          evaluations = [await evaluateItem(inv, message.configurationItem)];
          break;
        case MessageType.OversizedConfigurationItemChange: {
          const s = message.configurationItemSummary;
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
          evaluations = [await evaluateItem(inv, item)];
          break;
        }
        case MessageType.Scheduled:
          ({ evaluations, failures } = await evaluatePeriodic(inv, message.notificationCreationTime));
          break;
      }
      await putEvaluations(clients.get(ConfigServiceClient), evaluations, parsed.resultToken, options.retry ?? DEFAULT_RETRY);
      // Test-mode invocations write nothing real to Config; they must not write findings either.
      if (params.importSecurityHubFindings && parsed.resultToken !== TEST_MODE_TOKEN) {
        const context = { accountId: parsed.accountId, region: ruleArn.region, partition: ruleArn.partition, now: inv.now };
        // Loaded on first use: most deployments leave this off, and the Security Hub client is large.
        const { importFindings, toFinding } = await import('./securityhub.js');
        const { SecurityHubClient } = await import('@aws-sdk/client-securityhub');
        await importFindings(
          clients.get(SecurityHubClient),
          evaluations.map((e) => toFinding(safeguard, e, context)),
          options.retry ?? DEFAULT_RETRY,
        );
      }
      // Verdicts that could be reached are sent first; then the invocation fails so Config shows the error.
      if (failures.length > 0) {
        const named = failures.slice(0, 10).map((f) => `${f.resourceType}${f.resourceId ? ` ${f.resourceId}` : ''} (${f.error.name}: ${f.error.message})`);
        const more = failures.length > 10 ? ` and ${failures.length - 10} more` : '';
        throw new ListingError(
          `Could not evaluate ${named.join('; ')}${more}. ${evaluations.length} other evaluation(s) were sent.`,
          failures.map((f) => f.resourceType),
          { cause: failures[0]?.error },
        );
      }
      const counts: Record<string, number> = {};
      for (const e of evaluations) counts[e.ComplianceType] = (counts[e.ComplianceType] ?? 0) + 1;
      logger.info('Evaluations sent', { counts, testMode: parsed.resultToken === TEST_MODE_TOKEN });
      return { evaluations };
    } catch (error) {
      logger.error('Rule invocation failed', error as Error);
      throw error;
    } finally {
      logger.removeKeys(['accountId', 'messageType', 'configRuleName']);
    }
  };
}
