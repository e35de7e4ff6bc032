import {
  ConfigServiceClient,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  paginateSelectResourceConfig,
} from '@aws-sdk/client-config-service';
import * as z from 'zod/mini';
import { TimeBudgetExceededError, describeFailure, isUnsupportedOperation } from './aws-errors';
import type { AwsClients } from './clients';
import { ConfigSourceRequiredError, InvalidResponseError, MalformedEventError } from './errors';
import { type ConfigurationItem, GoneStatuses, parseConfigurationItem } from './event';
import { describeIssues } from './issues';
import { type ListOptions, type NormalizedResource, type Lister, UnreadableResource } from './safeguard';
import { isAccessDenied } from './tagging';

export { ConfigSourceRequiredError };

/**
 * Periodic evaluation from what AWS Config already recorded (issue 11): for a type the account's recorder records
 * continuously, one advanced query (`SelectResourceConfig`, 100 items a page) returns every resource's configuration
 * and tags, where the service API costs a listing page, a describe and a tag read per resource.
 *
 * Why SelectResourceConfig and not ListDiscoveredResources + BatchGetResourceConfig: BatchGetResourceConfig answers
 * with BaseConfigurationItem, which has no `tags` (see its shape in the Config API reference and
 * botocore's config/2014-11-12 model), so every resource would still cost a tag call; an advanced query selects the
 * tags with the configuration, and pages 100 at a time ("Limit ... Maximum value of 100").
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_SelectResourceConfig.html
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_BaseConfigurationItem.html
 *
 * The choice is made per account and region from the recorder itself (DescribeConfigurationRecorders and its status):
 * recording, covering the type (all supported types not excluding it, or the type listed), continuously (a daily
 * recording may be a day old). Anything else, or a recorder the role may not read, is the service API.
 */
export const CONFIG_SOURCE_ACTIONS = [
  'config:DescribeConfigurationRecorderStatus',
  'config:DescribeConfigurationRecorders',
  'config:SelectResourceConfig',
] as const;

/** SelectResourceConfig's Limit maximum. */
export const ITEMS_PER_PAGE = 100;

/** Whether AWS Config records a type in the account and region, and why not when it does not. */
export type Recording = { readonly recorded: true; readonly recorder: string } | { readonly recorded: false; readonly reason: string };

/**
 * Reads the recorders (all of them: customer and service-linked) and tells whether one records `resourceType`
 * continuously and is recording now. Reading from Config only saves calls: when the recorder cannot be read
 * (AccessDenied, an endpoint without the operation, throttled past retries, a fault), the service API, which answers
 * for itself, is used and the reason noted. Only the run's time budget running out propagates.
 */
export async function recordingOf(clients: AwsClients, resourceType: string): Promise<Recording> {
  const config = clients.get(ConfigServiceClient);
  let recorders;
  let statuses;
  try {
    recorders = (await config.send(new DescribeConfigurationRecordersCommand({}))).ConfigurationRecorders ?? [];
    statuses = (await config.send(new DescribeConfigurationRecorderStatusCommand({}))).ConfigurationRecordersStatus ?? [];
  } catch (error) {
    if (error instanceof TimeBudgetExceededError) throw error;
    const kind = isAccessDenied(error) ? 'refused' : isUnsupportedOperation(error) ? 'not offered' : 'failed';
    return { recorded: false, reason: `reading the configuration recorder ${kind} (${describeFailure(error instanceof Error ? error : new Error(String(error)))})` };
  }
  if (recorders.length === 0) return { recorded: false, reason: 'no configuration recorder in this account and region' };
  const reasons: string[] = [];
  for (const r of recorders) {
    const name = r.name ?? 'default';
    const status = statuses.find((s) => s.name === r.name);
    if (status?.recording !== true) {
      reasons.push(`recorder ${name} is not recording`);
      continue;
    }
    const group = r.recordingGroup;
    // Absent recording group: AWS Config's default, every supported type.
    const all = group === undefined || group.allSupported === true;
    const excluded = group?.recordingStrategy?.useOnly === 'EXCLUSION_BY_RESOURCE_TYPES' && (group.exclusionByResourceTypes?.resourceTypes ?? []).includes(resourceType as never);
    const listed = (group?.resourceTypes ?? []).includes(resourceType as never);
    if (!(all && !excluded) && !listed) {
      reasons.push(`recorder ${name} does not record ${resourceType}`);
      continue;
    }
    const override = r.recordingMode?.recordingModeOverrides?.find((o) => (o.resourceTypes ?? []).includes(resourceType as never));
    const frequency = override?.recordingFrequency ?? r.recordingMode?.recordingFrequency ?? 'CONTINUOUS';
    if (frequency !== 'CONTINUOUS') {
      reasons.push(`recorder ${name} records ${resourceType} ${frequency.toLowerCase()}, so its items may be out of date`);
      continue;
    }
    return { recorded: true, recorder: name };
  }
  return { recorded: false, reason: reasons.join('; ') };
}

// An advanced query's row: the configuration item's fields, `tags` as a list of key/value pairs.
const Row = /* @__PURE__ */ z.lazy(() => z.looseObject({
  resourceId: z.string().check(z.minLength(1)),
  tags: z.nullish(z.array(z.object({ key: z.string().check(z.minLength(1)), value: z.nullish(z.string()) }))),
}));

/** The query for every item of one type; `SELECT *` returns each item's configuration and tags. */
export function selectExpression(resourceType: string): string {
  if (!/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(resourceType)) throw new Error(`${resourceType} is not a resource type.`);
  return `SELECT * WHERE resourceType = '${resourceType}'`;
}

/**
 * Every configuration item AWS Config holds for `resourceType` in the account and region, all pages, in the item
 * shape `parseConfigurationItem` reads. Items of deleted resources are left out: they are gone, not judged. A row
 * that cannot be read fails that resource only (`UnreadableResource`), or the listing when it names no resource.
 */
export async function* selectConfigurationItems(clients: AwsClients, resourceType: string): AsyncIterable<ConfigurationItem | UnreadableResource> {
  const config = clients.get(ConfigServiceClient);
  for await (const page of paginateSelectResourceConfig({ client: config, pageSize: ITEMS_PER_PAGE }, { Expression: selectExpression(resourceType) })) {
    for (const text of page.Results ?? []) {
      let raw: unknown;
      try {
        raw = JSON.parse(text) as unknown;
      } catch {
        throw new InvalidResponseError('SelectResourceConfig returned a result that is not JSON.', { operation: 'ConfigService.SelectResourceConfig' });
      }
      const row = Row.safeParse(raw);
      if (!row.success) {
        throw new InvalidResponseError(`SelectResourceConfig returned an incomplete result: ${describeIssues(row.error, 'result')}.`, {
          operation: 'ConfigService.SelectResourceConfig',
        });
      }
      const tags = Object.fromEntries((row.data.tags ?? []).map((t) => [t.key, t.value ?? '']));
      try {
        const item = parseConfigurationItem({ ...row.data, tags }, 'SelectResourceConfig');
        if ((GoneStatuses as readonly string[]).includes(item.status)) continue;
        yield item;
      } catch (error) {
        if (!(error instanceof MalformedEventError)) throw error;
        yield new UnreadableResource(resourceType, row.data.resourceId, new InvalidResponseError(error.message, { operation: 'ConfigService.SelectResourceConfig', cause: error }));
      }
    }
  }
}

/**
 * A lister that, asked to (`preferConfig`), reads from AWS Config where the type is recorded, else from `api` (the
 * service lister), and tells which through `onNote`. Not asked, it is `api` unchanged, without a Config call. `fromItem` is the adapter's own builder (the same one change notifications use), so both
 * sources give the same view and verdict.
 * @example listers: [configFirst(RESOURCE_TYPE, (i) => adapter.fromConfigurationItem(i), apiLister)]
 */
export function configFirst<R extends NormalizedResource>(resourceType: string, fromItem: (item: ConfigurationItem) => R, api: Lister<R>): Lister<R> {
  return {
    resourceType,
    readsConfig: true,
    async *list(clients: AwsClients, options: ListOptions = {}) {
      if (!options.preferConfig) {
        yield* api.list(clients, options);
        return;
      }
      const recording = await recordingOf(clients, resourceType);
      if (!recording.recorded && options.requireConfig) throw new ConfigSourceRequiredError(resourceType, recording.reason);
      if (!recording.recorded) {
        yield* api.list(clients, { ...options, onNote: (n) => options.onNote?.({ ...n, reason: [`not read from AWS Config: ${recording.reason}`, n.reason].filter(Boolean).join('; ') }) });
        return;
      }
      options.onNote?.({ resourceType, source: 'config', tags: 'config', reason: `recorded continuously by configuration recorder ${recording.recorder}` });
      for await (const item of selectConfigurationItems(clients, resourceType)) {
        if (item instanceof UnreadableResource) {
          yield item;
          continue;
        }
        try {
          yield fromItem(item);
        } catch (error) {
          if (!(error instanceof MalformedEventError)) throw error;
          yield new UnreadableResource(resourceType, item.resourceId, new InvalidResponseError(error.message, { operation: 'ConfigService.SelectResourceConfig', cause: error }));
        }
      }
    },
  };
}
