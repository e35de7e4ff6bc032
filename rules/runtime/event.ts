import * as z from 'zod/mini';
import { MalformedEventError } from './errors';
import { describeIssues } from './issues';

/** Message types AWS Config sends to a custom Lambda rule. */
export const MessageType = {
  ConfigurationItemChange: 'ConfigurationItemChangeNotification',
  OversizedConfigurationItemChange: 'OversizedConfigurationItemChangeNotification',
  Scheduled: 'ScheduledNotification',
} as const;

/** Statuses after which a resource is no longer there to judge. */
export const GoneStatuses = ['ResourceDeleted', 'ResourceDeletedNotRecorded', 'ResourceNotRecorded'] as const;
const ItemStatus = /* @__PURE__ */ z.lazy(() => z.enum(['OK', 'ResourceDiscovered', ...GoneStatuses]));

const isoTime = /* @__PURE__ */ z.lazy(() => z.pipe(
  z.union([z.string(), z.date()]),
  z.transform((v: string | Date, ctx) => {
    const d = v instanceof Date ? v : new Date(v);
    if (Number.isNaN(d.getTime())) {
      ctx.issues.push({ code: 'custom', message: `expected an ISO 8601 timestamp, got ${JSON.stringify(v)}`, input: v });
      return z.NEVER;
    }
    return d;
  }),
));

let jsonText: z.ZodMiniType<unknown, string> | undefined;

/** A JSON string whose content must match `schema` (Config sends `invokingEvent` and `ruleParameters` so). */
export function jsonString<T extends z.ZodMiniType>(schema: T) {
  // The parsing half is the same for every use: built once.
  jsonText ??= z.pipe(
    z.string(),
    z.transform((s: string, ctx): unknown => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.issues.push({ code: 'custom', message: 'expected a JSON string', input: s });
        return z.NEVER;
      }
    }),
  );
  return z.pipe(jsonText, schema);
}

const Tags = /* @__PURE__ */ z.lazy(() => z.record(z.string(), z.pipe(z.nullable(z.string()), z.transform((v: string | null) => v ?? ''))));

/**
 * A configuration item in either shape AWS Config produces:
 * event style (`ARN`, `awsAccountId`, `configuration` object) in `invokingEvent`, and
 * API style (`arn`, `accountId`, `configuration` JSON string) from GetResourceConfigHistory.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html
 */
const ConfigurationItemFields = /* @__PURE__ */ z.lazy(() => z.object({
  resourceType: z.string().check(z.minLength(1)),
  resourceId: z.string().check(z.minLength(1)),
  resourceName: z.nullish(z.string()),
  ARN: z.nullish(z.string()),
  arn: z.nullish(z.string()),
  awsAccountId: z.nullish(z.string()),
  accountId: z.nullish(z.string()),
  awsRegion: z.string().check(z.minLength(1)),
  configurationItemCaptureTime: isoTime,
  configurationItemStatus: ItemStatus,
  configuration: z.optional(z.union([z.record(z.string(), z.unknown()), z.string(), z.null()])),
  supplementaryConfiguration: z.nullish(z.record(z.string(), z.unknown())),
  tags: z.nullish(Tags),
}));

export const ConfigurationItemSchema = /* @__PURE__ */ z.lazy(() => z.pipe(
  ConfigurationItemFields,
  z.transform((ci: z.output<typeof ConfigurationItemFields>, ctx) => {
    const accountId = ci.awsAccountId ?? ci.accountId;
    if (!accountId || !/^\d{12}$/.test(accountId)) {
      ctx.issues.push({ code: 'custom', path: ['awsAccountId'], message: 'expected a 12-digit account ID (awsAccountId or accountId)', input: ci });
      return z.NEVER;
    }
    // Only a resource that is gone comes without its configuration; an OK item without one would be judged on
    // nothing and get a verdict it did not earn. (Oversized items come as a summary and are fetched instead.)
    const present = !(GoneStatuses as readonly string[]).includes(ci.configurationItemStatus);
    if (present && (ci.configuration === undefined || ci.configuration === null || ci.configuration === '')) {
      ctx.issues.push({
        code: 'custom',
        path: ['configuration'],
        message: `expected the resource's configuration for status ${ci.configurationItemStatus} (only deleted or unrecorded resources come without one)`,
        input: ci,
      });
      return z.NEVER;
    }
    let configuration: unknown = ci.configuration ?? null;
    if (typeof configuration === 'string') {
      try {
        configuration = JSON.parse(configuration) as unknown;
      } catch {
        ctx.issues.push({ code: 'custom', path: ['configuration'], message: 'expected an object or a JSON string', input: ci });
        return z.NEVER;
      }
    }
    return {
      resourceType: ci.resourceType,
      resourceId: ci.resourceId,
      resourceName: ci.resourceName ?? undefined,
      arn: ci.ARN ?? ci.arn ?? undefined,
      accountId,
      awsRegion: ci.awsRegion,
      captureTime: ci.configurationItemCaptureTime,
      status: ci.configurationItemStatus,
      configuration,
      supplementaryConfiguration: ci.supplementaryConfiguration ?? {},
      tags: ci.tags ?? {},
    };
  }),
));
export type ConfigurationItem = z.output<typeof ConfigurationItemSchema>;

/**
 * The event schema, built by a call marked pure: bundles that only describe issues (the hook) leave it out, the rule
 * Lambdas build it at init.
 */
function configRuleEventSchema() {
  // Schemas are immutable, so one instance of a shape serves every field that has it: fewer to build at init.
  const nonEmpty = z.string().check(z.minLength(1));
  const optionalString = z.optional(z.string());
  const accountId = z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit account ID'));
  const optionalTime = z.optional(isoTime);

  const ChangeNotification = z.object({
    messageType: z.literal(MessageType.ConfigurationItemChange),
    configurationItem: ConfigurationItemSchema,
    notificationCreationTime: optionalTime,
  });

  const OversizedNotification = z.object({
    messageType: z.literal(MessageType.OversizedConfigurationItemChange),
    configurationItemSummary: z.lazy(() =>
      z.object({
        resourceType: nonEmpty,
        resourceId: nonEmpty,
        awsRegion: nonEmpty,
        configurationItemCaptureTime: isoTime,
        configurationItemStatus: ItemStatus,
      }),
    ),
    notificationCreationTime: optionalTime,
  });

  const ScheduledNotification = z.object({
    messageType: z.literal(MessageType.Scheduled),
    awsAccountId: z.optional(accountId),
    notificationCreationTime: isoTime,
  });

  const InvokingEvent = z.discriminatedUnion('messageType', [ChangeNotification, OversizedNotification, ScheduledNotification]);

  return z.object({
    invokingEvent: jsonString(InvokingEvent),
    ruleParameters: z.optional(jsonString(z.record(z.string(), z.unknown()))),
    resultToken: nonEmpty,
    eventLeftScope: z._default(z.optional(z.boolean()), false),
    executionRoleArn: optionalString,
    configRuleArn: z.string().check(z.regex(/^arn:[\w-]+:config:[a-z0-9-]+:\d{12}:config-rule\/.+$/, 'expected a Config rule ARN')),
    configRuleName: nonEmpty,
    configRuleId: optionalString,
    accountId,
    version: optionalString,
  });
}

/**
 * The event AWS Config passes to a custom Lambda rule.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html
 */
export const ConfigRuleEventSchema = /* @__PURE__ */ configRuleEventSchema();
export type InvokingEvent = ConfigRuleEvent['invokingEvent'];
export type ConfigRuleEvent = z.output<typeof ConfigRuleEventSchema>;

/** describeIssues, naming the message types when the invoking event has none of them. */
function describeEventIssues(error: z.core.$ZodError, root: string): string {
  return describeIssues(error, root, (i, path) =>
    i.code === 'invalid_union' && i.path.at(-1) === 'messageType' ? `${path}: unknown message type. Expected one of: ${Object.values(MessageType).join(', ')}` : undefined,
  );
}

/**
 * Parses a Lambda event into a `ConfigRuleEvent`, or throws `MalformedEventError` naming every bad field.
 * @example parseConfigRuleEvent(JSON.parse(fs.readFileSync('event.json', 'utf8')))
 */
export function parseConfigRuleEvent(event: unknown): ConfigRuleEvent {
  const result = ConfigRuleEventSchema.safeParse(event);
  if (!result.success) {
    throw new MalformedEventError(`Malformed AWS Config rule event: ${describeEventIssues(result.error, 'event')}.`);
  }
  return result.data;
}

/** Parses a configuration item returned by GetResourceConfigHistory (API style). */
export function parseConfigurationItem(item: unknown, source: string): ConfigurationItem {
  const result = ConfigurationItemSchema.safeParse(item);
  if (!result.success) {
    throw new MalformedEventError(`Malformed configuration item from ${source}: ${describeEventIssues(result.error, 'configurationItem')}.`);
  }
  return result.data;
}
