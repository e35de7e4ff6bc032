import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The official reference data, checked out beside the repo (../shared/reference). */
export const REFERENCE_DIR = join(__dirname, '..', '..', '..', 'shared', 'reference');

/** Loads a reference JSON file; every call returns a fresh copy, so tests may change it freely. */
export function loadReference<T = Record<string, unknown>>(relativePath: string): T {
  return structuredClone(JSON.parse(readFileSync(join(REFERENCE_DIR, relativePath), 'utf8')) as T);
}

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const RULE_NAME = 'kinesis-stream-encrypted';
export const RULE_ARN = `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-abc123`;

/** The real captured AWS::Kinesis::Stream item (GetResourceConfigHistory shape, configuration as a JSON string). */
export function kinesisItemApiStyle(): Record<string, unknown> {
  return loadReference('C-config-items-and-events/cloud-custodian-real-captures/kinesis-stream.json');
}

export interface StreamItemOptions {
  name?: string;
  status?: string;
  encryption?: { EncryptionType: string; KeyId?: string } | null;
  tags?: Record<string, string>;
  accountId?: string;
  captureTime?: string;
}

/**
 * The captured Kinesis item moved to the shape Config puts in `invokingEvent` (event-style keys, configuration object).
 * `encryption: null` removes StreamEncryption, as Config reports an unencrypted stream.
 */
export function kinesisItemEventStyle(o: StreamItemOptions = {}): Record<string, unknown> {
  const api = kinesisItemApiStyle();
  const configuration = JSON.parse(api.configuration as string) as Record<string, unknown>;
  const name = o.name ?? (api.resourceId as string);
  const accountId = o.accountId ?? ACCOUNT;
  const arn = `arn:aws:kinesis:${REGION}:${accountId}:stream/${name}`;
  configuration.Name = name;
  configuration.Arn = arn;
  if (o.encryption === null) delete configuration.StreamEncryption;
  else if (o.encryption) configuration.StreamEncryption = o.encryption;
  return {
    configurationItemVersion: api.version,
    configurationItemCaptureTime: o.captureTime ?? api.configurationItemCaptureTime,
    configurationStateId: Number(api.configurationStateId),
    awsAccountId: accountId,
    configurationItemStatus: o.status ?? api.configurationItemStatus,
    resourceType: api.resourceType,
    resourceId: name,
    resourceName: name,
    ARN: arn,
    awsRegion: REGION,
    availabilityZone: api.availabilityZone,
    configurationStateMd5Hash: '',
    tags: o.tags ?? api.tags,
    relatedEvents: [],
    relationships: [],
    configuration,
    supplementaryConfiguration: {},
  };
}

type EventOptions = {
  ruleParameters?: Record<string, string>;
  resultToken?: string;
  eventLeftScope?: boolean;
  accountId?: string;
};

function fromTemplate(template: string, invokingEvent: unknown, o: EventOptions): Record<string, unknown> {
  const event = loadReference(`C-config-items-and-events/aws-docs/${template}`);
  const accountId = o.accountId ?? ACCOUNT;
  return {
    ...event,
    invokingEvent: JSON.stringify(invokingEvent),
    ruleParameters: JSON.stringify(o.ruleParameters ?? {}),
    resultToken: o.resultToken ?? 'TESTMODE',
    eventLeftScope: o.eventLeftScope ?? false,
    configRuleArn: RULE_ARN.replace(ACCOUNT, accountId),
    configRuleName: RULE_NAME,
    accountId,
  };
}

/** The official ConfigurationItemChangeNotification event carrying `item`. */
export function changeEvent(item: Record<string, unknown>, o: EventOptions = {}): Record<string, unknown> {
  const official = JSON.parse(
    loadReference<{ invokingEvent: string }>('C-config-items-and-events/aws-docs/event.ConfigurationItemChangeNotification.json').invokingEvent,
  ) as Record<string, unknown>;
  return fromTemplate('event.ConfigurationItemChangeNotification.json', { ...official, configurationItem: item }, o);
}

/** The official oversized event, its summary pointing at a Kinesis stream. */
export function oversizedEvent(
  summary: { resourceId: string; status?: string; captureTime?: string },
  o: EventOptions = {},
): Record<string, unknown> {
  const official = JSON.parse(
    loadReference<{ invokingEvent: string }>('C-config-items-and-events/aws-docs/event.OversizedConfigurationItemChangeNotification.json').invokingEvent,
  ) as { configurationItemSummary: Record<string, unknown> };
  const s = official.configurationItemSummary;
  Object.assign(s, {
    resourceType: 'AWS::Kinesis::Stream',
    resourceId: summary.resourceId,
    resourceName: summary.resourceId,
    ARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${summary.resourceId}`,
    awsRegion: REGION,
    configurationItemStatus: summary.status ?? s.configurationItemStatus,
    configurationItemCaptureTime: summary.captureTime ?? s.configurationItemCaptureTime,
  });
  return fromTemplate('event.OversizedConfigurationItemChangeNotification.json', official, o);
}

/** The official ScheduledNotification event. */
export function scheduledEvent(o: EventOptions & { notificationCreationTime?: string } = {}): Record<string, unknown> {
  const official = JSON.parse(
    loadReference<{ invokingEvent: string }>('C-config-items-and-events/aws-docs/event.ScheduledNotification.json').invokingEvent,
  ) as Record<string, unknown>;
  official.awsAccountId = o.accountId ?? ACCOUNT;
  if (o.notificationCreationTime) official.notificationCreationTime = o.notificationCreationTime;
  return fromTemplate('event.ScheduledNotification.json', official, o);
}

/**
 * An event-style configuration item for types with no real capture in the reference data (Firehose, Kinesis
 * Video): the real Kinesis item's envelope with another type and configuration. Tests that use it check the
 * configuration paths they read against the AWS Config resource schema of the type.
 */
export function eventStyleItem(o: {
  resourceType: string;
  name: string;
  configuration: Record<string, unknown>;
  arn: string;
  tags?: Record<string, string>;
  status?: string;
}): Record<string, unknown> {
  const base = kinesisItemEventStyle({ name: o.name, ...(o.status ? { status: o.status } : {}), tags: o.tags ?? {} });
  return { ...base, resourceType: o.resourceType, ARN: o.arn, configuration: o.configuration };
}
