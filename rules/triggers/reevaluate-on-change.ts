import { ConfigServiceClient, LimitExceededException, NoSuchConfigRuleException, ResourceInUseException, StartConfigRulesEvaluationCommand, paginateDescribeConfigRules } from '@aws-sdk/client-config-service';
import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import { type AwsClients, type ClientTarget, clientsFor } from '../runtime/clients';
import { MalformedEventError, ConfigurationError } from '../runtime/errors';
import { jsonString } from '../runtime/event';
import { describeIssues } from '../runtime/issues';
import { CHANGE_SOURCES, type ChangeSource } from './change-sources';

export { ELASTICACHE_CHANGE_EVENT_NAMES } from './elasticache-change-events';

/**
 * Near-real-time evaluation of the safeguards AWS Config does not re-evaluate on a change (CHANGE_SOURCES in
 * ./change-sources.ts: services Config does not record, such as ElastiCache and MemoryDB, or resources whose change
 * Config does not tie to the judged one). Their rules are periodic (every 24 hours by default). CloudTrail management
 * events of those services reach EventBridge; one rule per change source (`changeEventPattern`) sends them to one SQS
 * queue, whose event source mapping (60 s batching window, ReportBatchItemFailures) invokes this Lambda. Per account
 * and region of a batch it starts one on-demand evaluation of the rules of the change sources seen in that batch, and
 * only those (an ElastiCache change does not start the MemoryDB rules), so a burst of changes costs one evaluation,
 * not one per event.
 */

/** Every CloudTrail management event reaches EventBridge with this detail-type. */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * The EventBridge event pattern of one change source, as data for the packaging (serverless.yml, the spoke): one rule
 * per source, so each matches exactly its own source, eventSource and event names (fields of a pattern are ANDed,
 * the values listed for one field ORed), with no cross product of one source's names with another's source.
 * Failed calls (`errorCode` present) changed nothing and are left out.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export function changeEventPattern(source: ChangeSource) {
  return {
    source: [source.source],
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventSource: [source.eventSource],
      eventName: [...source.eventNames],
      errorCode: [{ exists: false }],
    },
  };
}

/**
 * The Config rules to start, per change source id, come from the deployment: a JSON object such as
 * `{"elasticache":["elasticache-encrypted-at-rest",...]}`, written from the catalog (changeSourceRuleNames in
 * rules/catalog.ts) by scripts/lib/serverless-resources.ts, so this Lambda does not bundle every rule to read names.
 */
export const RULE_NAMES_VARIABLE = 'CHANGE_SOURCE_RULE_NAMES';
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

const quoted = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(', ');

/**
 * An EventBridge event for an API call recorded by CloudTrail, of one of `sources`: its `source` names an entry, its
 * `detail.eventSource` is that same entry's, and its `detail.eventName` one of that entry's names. (The rule of each
 * entry sends nothing else; a message that is not so is a defect to see in the dead-letter queue, not to skip.)
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export function changeEventSchema(sources: readonly ChangeSource[] = CHANGE_SOURCES) {
  return z
    .object({
      id: z.string().check(z.minLength(1)),
      'detail-type': z.literal(CLOUDTRAIL_DETAIL_TYPE),
      source: z.string(),
      account: z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit account ID')),
      time: isoTime,
      region: z.string().check(z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'expected an AWS region')),
      detail: z.object({
        eventSource: z.string(),
        eventName: z.string().check(z.minLength(1)),
        errorCode: z.nullish(z.string()),
      }),
    })
    .check(
      z.superRefine((e, ctx) => {
        const entry = sources.find((s) => s.source === e.source);
        if (!entry) {
          ctx.issues.push({ code: 'custom', message: `expected one of ${quoted(sources.map((s) => s.source))}, got ${JSON.stringify(e.source)}`, input: e.source, path: ['source'] });
          return;
        }
        if (e.detail.eventSource !== entry.eventSource) {
          ctx.issues.push({
            code: 'custom',
            message: `expected ${JSON.stringify(entry.eventSource)} (the eventSource of ${entry.source}), got ${JSON.stringify(e.detail.eventSource)}`,
            input: e.detail.eventSource,
            path: ['detail', 'eventSource'],
          });
        }
        if (!entry.eventNames.includes(e.detail.eventName)) {
          ctx.issues.push({
            code: 'custom',
            message: `expected one of the ${entry.id} change events (${entry.eventNames.join(', ')}), got ${JSON.stringify(e.detail.eventName)}`,
            input: e.detail.eventName,
            path: ['detail', 'eventName'],
          });
        }
      }),
    );
}
export type ChangeEvent = z.output<ReturnType<typeof changeEventSchema>>;

/**
 * What each change source's EventBridge rule sends the queue: exactly the fields changeEventSchema reads, nothing of
 * the request (parameters, user identity) that CloudTrail records. `errorCode` is left out: the pattern keeps only
 * calls without one. A test feeds the template's output to the schema, so the two cannot drift apart.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
export const changeInputTransformer = {
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

/**
 * The SQS event the Lambda receives.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
const SqsEventSchema = z.object({ Records: z.array(z.looseObject({ messageId: z.string().check(z.minLength(1)) })) });

export interface SqsBatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

/** Config rule names to start, by change source id. */
export type RuleNamesBySource = Readonly<Record<string, readonly string[]>>;

export interface ReevaluateOptions {
  /**
   * Config rule names to start, before resolution, by change source id: as an object, or as the JSON text of
   * CHANGE_SOURCE_RULE_NAMES (checked when the handler runs, so a bad value keeps the messages for redelivery).
   */
  readonly ruleNames?: RuleNamesBySource | string;
  /** The change sources whose events are accepted (CHANGE_SOURCES; tests add others). */
  readonly sources?: readonly ChangeSource[];
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

/**
 * The rule names of the deployment, checked: an object whose keys are ids of `sources` and whose values list at least
 * one rule name, at least one key. Throws ConfigurationError naming RULE_NAMES_VARIABLE and the field.
 */
export function parseRuleNames(value: RuleNamesBySource | string | undefined, sources: readonly ChangeSource[] = CHANGE_SOURCES): Record<string, string[]> {
  const expected = `a JSON object of change source id (${sources.map((s) => s.id).join(', ')}) to Config rule names, as the deployment sets it`;
  if (value === undefined || value === '') {
    throw new ConfigurationError(`No rule names to start: set ${RULE_NAMES_VARIABLE} to ${expected}.`);
  }
  const ids = sources.map((s) => s.id);
  const Names = z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'expected at least one rule name'));
  const Schema = z
    .record(z.string(), Names)
    .check(
      z.superRefine((o, ctx) => {
        if (Object.keys(o).length === 0) ctx.issues.push({ code: 'custom', message: 'expected at least one change source', input: o });
        for (const k of Object.keys(o)) {
          if (!ids.includes(k)) ctx.issues.push({ code: 'custom', message: `unknown change source; expected one of ${quoted(ids)}`, input: k, path: [k] });
        }
      }),
    );
  const parsed = typeof value === 'string' ? jsonString(Schema).safeParse(value) : Schema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid ${RULE_NAMES_VARIABLE}: ${describeIssues(parsed.error, RULE_NAMES_VARIABLE)}. Expected ${expected}.`);
  }
  return parsed.data;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Deployed names of `names`: as given or renamed by a conformance pack, `<ConfigRuleName>-conformance-pack-<8 characters>`. */
function deployedNamePatterns(names: readonly string[], prefix: string): RegExp[] {
  return names.map((n) => new RegExp(`^${escapeRegExp(prefix + n)}(?:-conformance-pack-[a-z0-9]+)?$`));
}

/** The deployed names, among `deployed`, of `names` (sorted, once each). */
export function matchRuleNames(deployed: readonly string[], names: readonly string[], prefix = ''): string[] {
  const patterns = deployedNamePatterns(names, prefix);
  return [...new Set(deployed.filter((d) => patterns.some((p) => p.test(d))))].sort();
}

/**
 * The deployed names of `names`: a conformance pack renames every rule it creates to
 * `<ConfigRuleName>-conformance-pack-<8 characters>`, so the names are looked up rather than assumed.
 */
export async function resolveRuleNames(config: ConfigServiceClient, names: readonly string[], prefix = ''): Promise<string[]> {
  const patterns = deployedNamePatterns(names, prefix);
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
 * Builds the SQS-triggered Lambda handler. Per account and region of the batch it starts, once, the rules of the
 * change sources whose events the batch holds there (the union of their rule names); when Config refuses (an
 * evaluation is running, or one started less than a minute ago), the messages of that account and region are returned
 * as batchItemFailures, so SQS delivers them again after the visibility timeout and no change goes unevaluated. A
 * record that is not a CloudTrail event of a change source (an unknown source, an eventSource of another source, an
 * event name the source does not list) is logged with a message naming the field and failed too (after
 * maxReceiveCount it lands in the dead-letter queue).
 * @example export const handler = createReevaluateHandler({ ruleNames: process.env.CHANGE_SOURCE_RULE_NAMES, ... });
 */
export function createReevaluateHandler(options: ReevaluateOptions = {}): (event: unknown) => Promise<SqsBatchResponse> {
  const logger = options.logger ?? new Logger({ serviceName: 'hipaa-safeguards', persistentKeys: { trigger: 'reevaluate-on-change' } });
  const clock = options.clock ?? (() => new Date());
  const makeClients = options.clients ?? clientsFor;
  const sources = options.sources ?? CHANGE_SOURCES;
  const prefix = options.ruleNamePrefix ?? '';
  const RecordSchema = z.object({ messageId: z.string().check(z.minLength(1)), body: jsonString(changeEventSchema(sources)) });
  // Per warm container: the deployed names of every rule of the deployment (one listing serves every source), and
  // when each rule was last started (an evaluation that started after a change covers it, so a redelivered message
  // does not start that rule again).
  const resolved = new Map<string, { names: string[]; at: number }>();
  const started = new Map<string, Date>();
  // Checked on the first invocation, then kept (a bad value throws on every one, keeping the messages).
  let configured: { byId: Record<string, string[]>; all: string[] } | undefined;

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
    // Failing keeps the messages for redelivery instead of acknowledging changes nobody evaluated.
    if (!configured) {
      const byId = parseRuleNames(options.ruleNames, sources);
      configured = { byId, all: [...new Set(Object.values(byId).flat())] };
    }
    const { byId: ruleNames, all: allRuleNames } = configured;
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
    const groups = new Map<string, { account: string; region: string; messageIds: string[]; latest: Date; sources: Set<string>; events: Set<string> }>();
    batch.data.Records.forEach((record, index) => {
      const parsed = RecordSchema.safeParse(record);
      if (!parsed.success) {
        const error = new MalformedEventError(`Malformed change message ${record.messageId}: ${describeIssues(parsed.error, `Records[${index}]`)}.`);
        logger.error('Message is not a CloudTrail event of a change source', error);
        failures.push(record.messageId);
        return;
      }
      const e = parsed.data.body;
      if (e.detail.errorCode) {
        logger.debug('Failed call ignored', { eventName: e.detail.eventName, errorCode: e.detail.errorCode });
        return;
      }
      const source = sources.find((s) => s.source === e.source);
      if (!source || !ruleNames[source.id]) {
        // The deployment has no safeguard of this source (its rule is not deployed): nothing to start, nothing to retry.
        logger.warn('Event of a change source this deployment has no rules for; ignored', { messageId: record.messageId, source: e.source });
        return;
      }
      if (!options.servedAccounts?.includes(e.account) || !options.servedRegions?.includes(e.region)) {
        // Not ours to act on (another stage's account, a region this stack does not serve): acknowledged, not retried.
        logger.error('Event rejected: account or region not served by this deployment', { messageId: record.messageId, account: e.account, region: e.region });
        return;
      }
      const key = `${e.account}/${e.region}`;
      const group = groups.get(key) ?? { account: e.account, region: e.region, messageIds: [], latest: e.time, sources: new Set<string>(), events: new Set<string>() };
      group.messageIds.push(record.messageId);
      group.sources.add(source.id);
      group.events.add(`${source.id}:${e.detail.eventName}`);
      if (e.time > group.latest) group.latest = e.time;
      groups.set(key, group);
    });

    for (const [key, group] of groups) {
      const wanted = [...new Set([...group.sources].flatMap((id) => ruleNames[id] ?? []))];
      const context = { account: group.account, region: group.region, sources: [...group.sources] };
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
        let deployed = resolved.get(key);
        if (!deployed || now - deployed.at > RULE_NAME_TTL_MS) {
          deployed = { names: await resolveRuleNames(config, allRuleNames, prefix), at: now };
          resolved.set(key, deployed);
        }
        const names = matchRuleNames(deployed.names, wanted, prefix);
        if (names.length === 0) {
          logger.warn('No rule of these change sources is deployed in this account and region; nothing to evaluate', { ...context, expected: wanted });
          continue;
        }
        const due = names.filter((n) => {
          const last = started.get(`${key}/${n}`);
          return !last || last.getTime() <= group.latest.getTime();
        });
        const { busy } = await startRules(config, key, due);
        if (busy.length > 0) {
          logger.info('Evaluation already running; SQS will deliver the messages again', { ...context, busy });
          failures.push(...group.messageIds);
        } else {
          logger.info('Rules evaluation started', { ...context, rules: due, events: [...group.events] });
        }
      } catch (error) {
        // A rule deleted since resolution: resolve again on the redelivery.
        if (error instanceof NoSuchConfigRuleException) resolved.delete(key);
        logger.error('Could not start the rules evaluation', { ...context, error: error as Error });
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
  ...(process.env[RULE_NAMES_VARIABLE] !== undefined ? { ruleNames: process.env[RULE_NAMES_VARIABLE] } : {}),
  ...(process.env.CONFIG_RULE_NAME_PREFIX ? { ruleNamePrefix: process.env.CONFIG_RULE_NAME_PREFIX } : {}),
  ...(process.env[EXECUTION_ROLE_NAME_VARIABLE] ? { executionRoleName: process.env[EXECUTION_ROLE_NAME_VARIABLE] } : {}),
  servedAccounts: list(process.env[SERVED_ACCOUNTS_VARIABLE]),
  servedRegions: list(process.env[SERVED_REGIONS_VARIABLE]),
});
