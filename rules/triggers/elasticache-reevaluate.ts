import { ConfigServiceClient, LimitExceededException, NoSuchConfigRuleException, ResourceInUseException, StartConfigRulesEvaluationCommand, paginateDescribeConfigRules } from '@aws-sdk/client-config-service';
import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import { type AwsClients, type ClientTarget, clientsFor } from '../runtime/clients';
import { MalformedEventError, ConfigurationError } from '../runtime/errors';
import { describeIssues, jsonString } from '../runtime/event';

/**
 * Near-real-time evaluation of the ElastiCache safeguards. AWS Config does not record ElastiCache, so its rules are
 * periodic (every 24 hours by default). CloudTrail management events of ElastiCache reach EventBridge; a rule with
 * `elastiCacheChangeEventPattern` sends them to an SQS queue, whose event source mapping (60 s batching window,
 * ReportBatchItemFailures) invokes this Lambda. It starts one on-demand evaluation of the ElastiCache rules per account
 * and region of the batch, so a burst of changes costs one evaluation, not one per event.
 */

/** CloudTrail events (successful calls only) after which an ElastiCache verdict may change. */
export const ELASTICACHE_CHANGE_EVENT_NAMES = [
  'CreateReplicationGroup',
  'CreateCacheCluster',
  'CreateServerlessCache',
  'ModifyReplicationGroup',
  'ModifyCacheCluster',
  // Beyond the node-based calls: serverless settings, exemption tags and RBAC users change verdicts too.
  'ModifyServerlessCache',
  'AddTagsToResource',
  'RemoveTagsFromResource',
  'ModifyUserGroup',
  'ModifyUser',
] as const;

/**
 * The EventBridge event pattern, as data for the packaging (serverless.yml). Failed calls (`errorCode` present)
 * changed nothing and are left out.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const elastiCacheChangeEventPattern = {
  source: ['aws.elasticache'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['elasticache.amazonaws.com'],
    eventName: [...ELASTICACHE_CHANGE_EVENT_NAMES],
    errorCode: [{ exists: false }],
  },
} as const;

/**
 * The Config rules to start come from the deployment (env ELASTICACHE_RULE_NAMES, written from the catalog by
 * scripts/lib/serverless-resources.ts), so this Lambda does not bundle every rule just to read their names.
 */
export const RULE_NAMES_VARIABLE = 'ELASTICACHE_RULE_NAMES';
/** Organization mode: the role assumed in the event's account (the spoke evaluation role), set by the deployment. */
export const EXECUTION_ROLE_NAME_VARIABLE = 'EXECUTION_ROLE_NAME';
/**
 * The accounts and regions this deployment serves (comma-separated), set by the template: the account itself (single)
 * or the served member accounts (hub), and the stack's region. Events of any other account or region are dropped.
 */
export const SERVED_ACCOUNTS_VARIABLE = 'SERVED_ACCOUNTS';
export const SERVED_REGIONS_VARIABLE = 'SERVED_REGIONS';

/** StartConfigRulesEvaluation takes at most 25 rule names per call (Config API model). */
const MAX_RULES_PER_CALL = 25;
/** How long resolved rule names are trusted before DescribeConfigRules is read again. */
const RULE_NAME_TTL_MS = 5 * 60_000;

const isoTime = z.pipe(
  z.string(),
  z.transform((v: string, ctx) => {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) {
      ctx.issues.push({ code: 'custom', message: `expected an ISO 8601 timestamp, got ${JSON.stringify(v)}`, input: v });
      return z.NEVER;
    }
    return d;
  }),
);

/**
 * An EventBridge event for an ElastiCache API call recorded by CloudTrail.
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export const ElastiCacheApiCallEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: z.literal('aws.elasticache'),
  account: z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit account ID')),
  time: isoTime,
  region: z.string().check(z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'expected an AWS region')),
  detail: z.object({
    eventSource: z.literal('elasticache.amazonaws.com'),
    eventName: z.string().check(z.minLength(1)),
    errorCode: z.nullish(z.string()),
  }),
});
export type ElastiCacheApiCallEvent = z.output<typeof ElastiCacheApiCallEventSchema>;

/**
 * What the EventBridge rule sends the queue: exactly the fields ElastiCacheApiCallEventSchema reads, nothing of the
 * request (parameters, user identity) that CloudTrail records. `errorCode` is left out: the pattern keeps only
 * calls without one. A test feeds the template's output to the schema, so the two cannot drift apart.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
export const elastiCacheChangeInputTransformer = {
  InputPathsMap: {
    id: '$.id',
    detailType: '$.detail-type',
    source: '$.source',
    account: '$.account',
    time: '$.time',
    region: '$.region',
    eventSource: '$.detail.eventSource',
    eventName: '$.detail.eventName',
  },
  // EventBridge writes each <variable> as a JSON value (strings quoted).
  InputTemplate:
    '{"id":<id>,"detail-type":<detailType>,"source":<source>,"account":<account>,"time":<time>,"region":<region>,"detail":{"eventSource":<eventSource>,"eventName":<eventName>}}',
} as const;

const SqsRecordSchema = z.object({
  messageId: z.string().check(z.minLength(1)),
  body: jsonString(ElastiCacheApiCallEventSchema),
});

/**
 * The SQS event the Lambda receives.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
const SqsEventSchema = z.object({ Records: z.array(z.looseObject({ messageId: z.string().check(z.minLength(1)) })) });

export interface SqsBatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

export interface ReevaluateOptions {
  /** Config rule names to start, before resolution (the ElastiCache safeguards of the catalog). */
  readonly ruleNames?: readonly string[];
  /** Prefix of the deployed rule names, if the deployment adds one (env CONFIG_RULE_NAME_PREFIX). */
  readonly ruleNamePrefix?: string;
  /** Organization mode: role assumed in the account of the event (env EXECUTION_ROLE_NAME). */
  readonly executionRoleName?: string;
  /** Accounts and regions served (env SERVED_ACCOUNTS, SERVED_REGIONS); an event of any other is dropped, with an error log. */
  readonly servedAccounts?: readonly string[];
  readonly servedRegions?: readonly string[];
  readonly endpoint?: string;
  readonly clients?: (target: ClientTarget) => AwsClients;
  readonly clock?: () => Date;
  readonly logger?: Logger;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The deployed names of `names`: a conformance pack renames every rule it creates to
 * `<ConfigRuleName>-conformance-pack-<8 characters>`, so the names are looked up rather than assumed.
 */
export async function resolveRuleNames(config: ConfigServiceClient, names: readonly string[], prefix = ''): Promise<string[]> {
  const patterns = names.map((n) => new RegExp(`^${escapeRegExp(prefix + n)}(?:-conformance-pack-[a-z0-9]+)?$`));
  const found: string[] = [];
  for await (const page of paginateDescribeConfigRules({ client: config }, {})) {
    for (const rule of page.ConfigRules ?? []) {
      const name = rule.ConfigRuleName;
      if (!name || (rule.ConfigRuleState && rule.ConfigRuleState !== 'ACTIVE')) continue;
      if (patterns.some((p) => p.test(name))) found.push(name);
    }
  }
  return [...new Set(found)].sort();
}

/** Config refuses because an evaluation of the rule runs or started less than a minute ago: try again later. */
const isBusy = (error: unknown) => error instanceof LimitExceededException || error instanceof ResourceInUseException;

/**
 * Builds the SQS-triggered Lambda handler. Per account and region of the batch it starts every ElastiCache rule once;
 * when Config refuses (an evaluation is running, or one started less than a minute ago), the messages of that account
 * and region are returned as batchItemFailures, so SQS delivers them again after the visibility timeout and no
 * change goes unevaluated. A record that is not an ElastiCache CloudTrail event is logged with a message naming the
 * field and failed too (after maxReceiveCount it lands in the dead-letter queue).
 * @example export const handler = createReevaluateHandler();
 */
export function createReevaluateHandler(options: ReevaluateOptions = {}): (event: unknown) => Promise<SqsBatchResponse> {
  const logger = options.logger ?? new Logger({ serviceName: 'hipaa-safeguards', persistentKeys: { trigger: 'elasticache-reevaluate' } });
  const clock = options.clock ?? (() => new Date());
  const makeClients = options.clients ?? clientsFor;
  const ruleNames = options.ruleNames ?? [];
  const prefix = options.ruleNamePrefix ?? '';
  // Per warm container: resolved rule names, and when each rule was last started (an evaluation that started after
  // a change covers it, so a redelivered message does not start that rule again).
  const resolved = new Map<string, { names: string[]; at: number }>();
  const started = new Map<string, Date>();

  async function startRules(config: ConfigServiceClient, key: string, names: readonly string[]): Promise<{ busy: string[] }> {
    const busy: string[] = [];
    for (let i = 0; i < names.length; i += MAX_RULES_PER_CALL) {
      const chunk = names.slice(i, i + MAX_RULES_PER_CALL);
      try {
        await config.send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: chunk }));
        for (const n of chunk) started.set(`${key}/${n}`, clock());
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (chunk.length === 1) {
          busy.push(...chunk);
          continue;
        }
        // One busy rule refuses the whole call: start the others one by one.
        for (const n of chunk) {
          try {
            await config.send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: [n] }));
            started.set(`${key}/${n}`, clock());
          } catch (inner) {
            if (!isBusy(inner)) throw inner;
            busy.push(n);
          }
        }
      }
    }
    return { busy };
  }

  return async function handler(event: unknown): Promise<SqsBatchResponse> {
    if (ruleNames.length === 0) {
      // Failing keeps the messages for redelivery instead of acknowledging changes nobody evaluated.
      throw new ConfigurationError(`No ElastiCache rule names to start: set ${RULE_NAMES_VARIABLE} (comma-separated), as the deployment does.`);
    }
    if (!options.servedAccounts?.length || !options.servedRegions?.length) {
      // Without them any forwarded event would be acted on: fail closed, keeping the messages.
      throw new ConfigurationError(`No served accounts or regions: set ${SERVED_ACCOUNTS_VARIABLE} and ${SERVED_REGIONS_VARIABLE}, as the deployment does.`);
    }
    const batch = SqsEventSchema.safeParse(event);
    if (!batch.success) {
      const error = new MalformedEventError(`Malformed SQS event: ${describeIssues(batch.error, 'event')}.`);
      logger.error('Reevaluation trigger failed', error);
      throw error;
    }
    const failures: string[] = [];
    const groups = new Map<string, { account: string; region: string; messageIds: string[]; latest: Date; events: Set<string> }>();
    batch.data.Records.forEach((record, index) => {
      const parsed = SqsRecordSchema.safeParse(record);
      if (!parsed.success) {
        const error = new MalformedEventError(
          `Malformed ElastiCache change message ${record.messageId}: ${describeIssues(parsed.error, `Records[${index}]`)}.`,
        );
        logger.error('Message is not an ElastiCache CloudTrail event', error);
        failures.push(record.messageId);
        return;
      }
      const e = parsed.data.body;
      if (e.detail.errorCode || !(ELASTICACHE_CHANGE_EVENT_NAMES as readonly string[]).includes(e.detail.eventName)) {
        logger.debug('Event ignored', { eventName: e.detail.eventName, errorCode: e.detail.errorCode });
        return;
      }
      if (!options.servedAccounts?.includes(e.account) || !options.servedRegions?.includes(e.region)) {
        // Not ours to act on (another stage's account, a region this stack does not serve): acknowledged, not retried.
        logger.error('Event rejected: account or region not served by this deployment', { messageId: record.messageId, account: e.account, region: e.region });
        return;
      }
      const key = `${e.account}/${e.region}`;
      const group = groups.get(key) ?? { account: e.account, region: e.region, messageIds: [], latest: e.time, events: new Set<string>() };
      group.messageIds.push(record.messageId);
      group.events.add(e.detail.eventName);
      if (e.time > group.latest) group.latest = e.time;
      groups.set(key, group);
    });

    for (const [key, group] of groups) {
      try {
        const clients = makeClients({
          region: group.region,
          partition: partitionOf(group.region),
          accountId: group.account,
          ...(options.executionRoleName ? { roleName: options.executionRoleName } : {}),
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        });
        const config = clients.get(ConfigServiceClient);
        const now = clock().getTime();
        let names = resolved.get(key);
        if (!names || now - names.at > RULE_NAME_TTL_MS) {
          names = { names: await resolveRuleNames(config, ruleNames, prefix), at: now };
          resolved.set(key, names);
        }
        if (names.names.length === 0) {
          logger.warn('No ElastiCache rule is deployed in this account and region; nothing to evaluate', { account: group.account, region: group.region, expected: ruleNames });
          continue;
        }
        const due = names.names.filter((n) => {
          const last = started.get(`${key}/${n}`);
          return !last || last.getTime() <= group.latest.getTime();
        });
        const { busy } = await startRules(config, key, due);
        if (busy.length > 0) {
          logger.info('Evaluation already running; SQS will deliver the messages again', { account: group.account, region: group.region, busy });
          failures.push(...group.messageIds);
        } else {
          logger.info('ElastiCache rules evaluation started', { account: group.account, region: group.region, rules: due, events: [...group.events] });
        }
      } catch (error) {
        // A rule deleted since resolution: resolve again on the redelivery.
        if (error instanceof NoSuchConfigRuleException) resolved.delete(key);
        logger.error('Could not start the ElastiCache rules evaluation', { account: group.account, region: group.region, error: error as Error });
        failures.push(...group.messageIds);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

export const handler = createReevaluateHandler({
  ruleNames: list(process.env[RULE_NAMES_VARIABLE]),
  ...(process.env.CONFIG_RULE_NAME_PREFIX ? { ruleNamePrefix: process.env.CONFIG_RULE_NAME_PREFIX } : {}),
  ...(process.env[EXECUTION_ROLE_NAME_VARIABLE] ? { executionRoleName: process.env[EXECUTION_ROLE_NAME_VARIABLE] } : {}),
  servedAccounts: list(process.env[SERVED_ACCOUNTS_VARIABLE]),
  servedRegions: list(process.env[SERVED_REGIONS_VARIABLE]),
});
