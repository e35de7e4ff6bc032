import * as z from 'zod';
import { MalformedEventError } from './errors';

/** Message types AWS Config sends to a custom Lambda rule. */
export const MessageType = {
  ConfigurationItemChange: 'ConfigurationItemChangeNotification',
  OversizedConfigurationItemChange: 'OversizedConfigurationItemChangeNotification',
  Scheduled: 'ScheduledNotification',
} as const;

/** Statuses after which a resource is no longer there to judge. */
export const GoneStatuses = ['ResourceDeleted', 'ResourceDeletedNotRecorded', 'ResourceNotRecorded'] as const;
const ItemStatus = z.enum(['OK', 'ResourceDiscovered', ...GoneStatuses]);

const isoTime = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: `expected an ISO 8601 timestamp, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return d;
});

/** A JSON string whose content must match `schema` (Config sends `invokingEvent` and `ruleParameters` so). */
function jsonString<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((s, ctx): unknown => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON string' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const Tags = z.record(z.string(), z.string().nullable().transform((v) => v ?? ''));

/**
 * A configuration item in either shape AWS Config produces:
 * event style (`ARN`, `awsAccountId`, `configuration` object) in `invokingEvent`, and
 * API style (`arn`, `accountId`, `configuration` JSON string) from GetResourceConfigHistory.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html
 */
export const ConfigurationItemSchema = z
  .object({
    resourceType: z.string().min(1),
    resourceId: z.string().min(1),
    resourceName: z.string().nullish(),
    ARN: z.string().nullish(),
    arn: z.string().nullish(),
    awsAccountId: z.string().nullish(),
    accountId: z.string().nullish(),
    awsRegion: z.string().min(1),
    configurationItemCaptureTime: isoTime,
    configurationItemStatus: ItemStatus,
    configuration: z.union([z.record(z.string(), z.unknown()), z.string(), z.null()]).optional(),
    supplementaryConfiguration: z.record(z.string(), z.unknown()).nullish(),
    tags: Tags.nullish(),
  })
  .transform((ci, ctx) => {
    const accountId = ci.awsAccountId ?? ci.accountId;
    if (!accountId || !/^\d{12}$/.test(accountId)) {
      ctx.addIssue({ code: 'custom', path: ['awsAccountId'], message: 'expected a 12-digit account ID (awsAccountId or accountId)' });
      return z.NEVER;
    }
    let configuration: unknown = ci.configuration ?? null;
    if (typeof configuration === 'string') {
      try {
        configuration = JSON.parse(configuration) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', path: ['configuration'], message: 'expected an object or a JSON string' });
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
  });
export type ConfigurationItem = z.output<typeof ConfigurationItemSchema>;

const ChangeNotification = z.object({
  messageType: z.literal(MessageType.ConfigurationItemChange),
  configurationItem: ConfigurationItemSchema,
  notificationCreationTime: isoTime.optional(),
});

const OversizedNotification = z.object({
  messageType: z.literal(MessageType.OversizedConfigurationItemChange),
  configurationItemSummary: z.object({
    resourceType: z.string().min(1),
    resourceId: z.string().min(1),
    awsRegion: z.string().min(1),
    configurationItemCaptureTime: isoTime,
    configurationItemStatus: ItemStatus,
  }),
  notificationCreationTime: isoTime.optional(),
});

const ScheduledNotification = z.object({
  messageType: z.literal(MessageType.Scheduled),
  awsAccountId: z.string().regex(/^\d{12}$/).optional(),
  notificationCreationTime: isoTime,
});

const InvokingEvent = z.discriminatedUnion('messageType', [ChangeNotification, OversizedNotification, ScheduledNotification]);
export type InvokingEvent = z.output<typeof InvokingEvent>;

/**
 * The event AWS Config passes to a custom Lambda rule.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html
 */
export const ConfigRuleEventSchema = z.object({
  invokingEvent: jsonString(InvokingEvent),
  ruleParameters: jsonString(z.record(z.string(), z.unknown())).optional(),
  resultToken: z.string().min(1),
  eventLeftScope: z.boolean().optional().default(false),
  executionRoleArn: z.string().optional(),
  configRuleArn: z.string().regex(/^arn:[\w-]+:config:[a-z0-9-]+:\d{12}:config-rule\/.+$/, 'expected a Config rule ARN'),
  configRuleName: z.string().min(1),
  configRuleId: z.string().optional(),
  accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit account ID'),
  version: z.string().optional(),
});
export type ConfigRuleEvent = z.output<typeof ConfigRuleEventSchema>;

/** Renders zod issues as "path: problem" so the message names the field. */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .map((i) => {
      const path = [root, ...i.path.map(String)].filter(Boolean).join('.');
      if (i.code === 'invalid_union' && i.path.at(-1) === 'messageType') {
        return `${path}: unknown message type. Expected one of: ${Object.values(MessageType).join(', ')}`;
      }
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/**
 * Parses a Lambda event into a `ConfigRuleEvent`, or throws `MalformedEventError` naming every bad field.
 * @example parseConfigRuleEvent(JSON.parse(fs.readFileSync('event.json', 'utf8')))
 */
export function parseConfigRuleEvent(event: unknown): ConfigRuleEvent {
  const result = ConfigRuleEventSchema.safeParse(event);
  if (!result.success) {
    throw new MalformedEventError(`Malformed AWS Config rule event: ${describeIssues(result.error, 'event')}.`);
  }
  return result.data;
}

/** Parses a configuration item returned by GetResourceConfigHistory (API style). */
export function parseConfigurationItem(item: unknown, source: string): ConfigurationItem {
  const result = ConfigurationItemSchema.safeParse(item);
  if (!result.success) {
    throw new MalformedEventError(`Malformed configuration item from ${source}: ${describeIssues(result.error, 'configurationItem')}.`);
  }
  return result.data;
}
