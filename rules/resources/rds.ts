import {
  DBParameterGroupNotFoundFault,
  OptionGroupNotFoundFault,
  RDSClient,
  RDSServiceException,
  paginateDescribeDBClusterParameters,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  paginateDescribeDBParameters,
  paginateDescribeOptionGroups,
} from '@aws-sdk/client-rds';
import * as z from 'zod/mini';
import type { AwsClients } from '../runtime/clients';
import { CONFIG_SOURCE_ACTIONS, configFirst } from '../runtime/config-source';
import { InvalidResponseError, MalformedEventError } from '../runtime/errors';
import type { ConfigurationItem } from '../runtime/event';
import { describeIssues } from '../runtime/issues';
import type { Lookup } from '../runtime/lookup';
import { type ListOptions, type NormalizedResource, type ResourceAdapter, UnreadableResource } from '../runtime/safeguard';
import { RDS_CLOUDFORMATION_TYPES, rdsFromCloudFormation, rdsReads } from './cloudformation/rds';

/**
 * Amazon RDS, Aurora, DocumentDB and Neptune DB instances and clusters, as every RDS safeguard sees them. All four
 * are served by the RDS API (`@aws-sdk/client-rds`): DescribeDBInstances and DescribeDBClusters return every engine
 * (`postgres`, `mysql`, `aurora-mysql`, `docdb`, `neptune`, ...), and AWS Config records them as
 * AWS::RDS::DBInstance and AWS::RDS::DBCluster. Instances that belong to a cluster (Aurora, DocumentDB, Neptune,
 * Multi-AZ DB clusters) carry their cluster's identifier: their storage and TLS settings are the cluster's.
 *
 * IDs: a configuration item's resourceId is the instance's DbiResourceId (`db-...`) or the cluster's
 * DbClusterResourceId (`cluster-...`) (see the real captured item in
 * ../shared/reference/C-config-items-and-events/cloud-custodian-real-captures/rds-from-rule.json), so the API
 * listers report the same IDs: one resource, one ComplianceResourceId, whichever source judged it.
 */

export const RdsResourceType = { Instance: 'AWS::RDS::DBInstance', Cluster: 'AWS::RDS::DBCluster' } as const;

/** A parameter group and, where known, whether its values are in force on the resource. */
export interface ParameterGroupRef {
  readonly name: string;
  /**
   * `in-sync`, `pending-reboot` or `applying` (instances: DBParameterGroups[].ParameterApplyStatus; clusters: the
   * first member whose DBClusterParameterGroupStatus is not in-sync, else in-sync). Absent before deployment and
   * for a cluster without members.
   */
  readonly status?: string;
}

/** A DB instance or DB cluster of any engine the RDS API serves. */
export interface RdsDatabase extends NormalizedResource {
  readonly kind: 'instance' | 'cluster';
  /** DBInstanceIdentifier or DBClusterIdentifier. */
  readonly name: string;
  readonly arn?: string;
  /** Lower case, as the API names it: postgres, mysql, mariadb, oracle-ee, sqlserver-se, aurora-mysql, docdb, neptune, ... */
  readonly engine: string;
  readonly engineVersion?: string;
  readonly storageEncrypted: boolean;
  readonly kmsKeyId?: string;
  /** Instances only: the cluster the instance belongs to (its storage and TLS settings are the cluster's). */
  readonly clusterId?: string;
  /** Instances: the DB parameter group; clusters: the DB cluster parameter group. Absent: none known. */
  readonly parameterGroup?: ParameterGroupRef;
  /** Instances: the option groups (Oracle's TLS and native network encryption live there). */
  readonly optionGroups: readonly string[];
}

const KIND_LABEL = { instance: 'DB instance', cluster: 'DB cluster' } as const;

/** `DB instance phi-db (postgres)`. */
export function rdsLabel(db: RdsDatabase): string {
  return `${KIND_LABEL[db.kind]} ${db.name} (${db.engine})`;
}

/** Default parameter and option groups (`default.postgres16`, `default:oracle-ee-19`) cannot be modified. */
export function isDefaultGroup(name: string): boolean {
  return name.startsWith('default.') || name.startsWith('default:');
}

// ---------------------------------------------------------------------------------------------------------------
// Configuration items. Field names as AWS Config spells them; each is listed in
// ../shared/reference/A-config-resource-schema/AWS-RDS-DBInstance.properties.json / AWS-RDS-DBCluster.properties.json.

const InstanceConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  dBInstanceIdentifier: z.string().check(z.minLength(1)),
  dBInstanceArn: z.nullish(z.string()),
  engine: z.string().check(z.minLength(1)),
  engineVersion: z.nullish(z.string()),
  storageEncrypted: z.nullish(z.boolean()),
  kmsKeyId: z.nullish(z.string()),
  dBClusterIdentifier: z.nullish(z.string()),
  dBParameterGroups: z.nullish(z.array(z.object({ dBParameterGroupName: z.string().check(z.minLength(1)), parameterApplyStatus: z.nullish(z.string()) }))),
  optionGroupMemberships: z.nullish(z.array(z.object({ optionGroupName: z.string().check(z.minLength(1)) }))),
}));

const ClusterConfiguration = /* @__PURE__ */ z.lazy(() => z.object({
  dbclusterIdentifier: z.string().check(z.minLength(1)),
  dbclusterArn: z.nullish(z.string()),
  engine: z.string().check(z.minLength(1)),
  engineVersion: z.nullish(z.string()),
  storageEncrypted: z.nullish(z.boolean()),
  kmsKeyId: z.nullish(z.string()),
  dbclusterParameterGroup: z.nullish(z.string()),
  dbclusterMembers: z.nullish(z.array(z.object({ dbclusterParameterGroupStatus: z.nullish(z.string()) }))),
}));

/** The first status that is not in-sync (a change waiting somewhere), else in-sync; undefined when there is none. */
function worstStatus(statuses: readonly (string | null | undefined)[]): string | undefined {
  const known = statuses.filter((s): s is string => !!s);
  return known.find((s) => s !== 'in-sync') ?? known[0];
}

/** The view from a configuration item (change notifications, and periodic runs reading from AWS Config). */
export function rdsFromConfigurationItem(item: ConfigurationItem): RdsDatabase {
  if (item.resourceType === RdsResourceType.Instance) {
    const parsed = InstanceConfiguration.safeParse(item.configuration ?? {});
    if (!parsed.success) throw new MalformedEventError(`Malformed AWS::RDS::DBInstance configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
    const c = parsed.data;
    const group = c.dBParameterGroups?.[0];
    return {
      kind: 'instance',
      id: item.resourceId,
      resourceType: RdsResourceType.Instance,
      name: c.dBInstanceIdentifier,
      ...((c.dBInstanceArn ?? item.arn) ? { arn: c.dBInstanceArn ?? item.arn } : {}),
      engine: c.engine.toLowerCase(),
      ...(c.engineVersion ? { engineVersion: c.engineVersion } : {}),
      storageEncrypted: c.storageEncrypted ?? false,
      ...(c.kmsKeyId ? { kmsKeyId: c.kmsKeyId } : {}),
      ...(c.dBClusterIdentifier ? { clusterId: c.dBClusterIdentifier } : {}),
      ...(group ? { parameterGroup: { name: group.dBParameterGroupName, ...(group.parameterApplyStatus ? { status: group.parameterApplyStatus } : {}) } } : {}),
      optionGroups: (c.optionGroupMemberships ?? []).map((o) => o.optionGroupName),
      tags: item.tags,
    };
  }
  if (item.resourceType === RdsResourceType.Cluster) {
    const parsed = ClusterConfiguration.safeParse(item.configuration ?? {});
    if (!parsed.success) throw new MalformedEventError(`Malformed AWS::RDS::DBCluster configuration item ${item.resourceId}: ${describeIssues(parsed.error, 'configuration')}.`);
    const c = parsed.data;
    const status = worstStatus((c.dbclusterMembers ?? []).map((m) => m.dbclusterParameterGroupStatus));
    return {
      kind: 'cluster',
      id: item.resourceId,
      resourceType: RdsResourceType.Cluster,
      name: c.dbclusterIdentifier,
      ...((c.dbclusterArn ?? item.arn) ? { arn: c.dbclusterArn ?? item.arn } : {}),
      engine: c.engine.toLowerCase(),
      ...(c.engineVersion ? { engineVersion: c.engineVersion } : {}),
      storageEncrypted: c.storageEncrypted ?? false,
      ...(c.kmsKeyId ? { kmsKeyId: c.kmsKeyId } : {}),
      ...(c.dbclusterParameterGroup ? { parameterGroup: { name: c.dbclusterParameterGroup, ...(status ? { status } : {}) } } : {}),
      optionGroups: [],
      tags: item.tags,
    };
  }
  throw new MalformedEventError(`rdsFromConfigurationItem does not read ${item.resourceType} items; expected ${Object.values(RdsResourceType).join(' or ')}.`);
}

// ---------------------------------------------------------------------------------------------------------------
// API responses (shapes: ../shared/reference/F-botocore-service-models/rds-2014-10-31.service-2.json, DBInstance and
// DBCluster). Only the fields the rules read.

const TagList = /* @__PURE__ */ z.lazy(() => z.nullish(z.array(z.object({ Key: z.nullish(z.string()), Value: z.nullish(z.string()) }))));

export const DBInstanceSchema = /* @__PURE__ */ z.lazy(() => z.object({
  DBInstanceIdentifier: z.string().check(z.minLength(1)),
  DbiResourceId: z.string().check(z.minLength(1)),
  DBInstanceArn: z.nullish(z.string()),
  DBInstanceStatus: z.nullish(z.string()),
  Engine: z.string().check(z.minLength(1)),
  EngineVersion: z.nullish(z.string()),
  StorageEncrypted: z.nullish(z.boolean()),
  KmsKeyId: z.nullish(z.string()),
  DBClusterIdentifier: z.nullish(z.string()),
  DBParameterGroups: z.nullish(z.array(z.object({ DBParameterGroupName: z.string().check(z.minLength(1)), ParameterApplyStatus: z.nullish(z.string()) }))),
  OptionGroupMemberships: z.nullish(z.array(z.object({ OptionGroupName: z.string().check(z.minLength(1)) }))),
  TagList,
}));

export const DBClusterSchema = /* @__PURE__ */ z.lazy(() => z.object({
  DBClusterIdentifier: z.string().check(z.minLength(1)),
  DbClusterResourceId: z.string().check(z.minLength(1)),
  DBClusterArn: z.nullish(z.string()),
  Status: z.nullish(z.string()),
  Engine: z.string().check(z.minLength(1)),
  EngineVersion: z.nullish(z.string()),
  StorageEncrypted: z.nullish(z.boolean()),
  KmsKeyId: z.nullish(z.string()),
  DBClusterParameterGroup: z.nullish(z.string()),
  DBClusterMembers: z.nullish(z.array(z.object({ DBClusterParameterGroupStatus: z.nullish(z.string()) }))),
  TagList,
}));

const tagMap = (list: z.output<typeof TagList>): Record<string, string> => Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key ?? '', t.Value ?? '']));

function parseListed<T extends z.ZodMiniType>(schema: T, raw: unknown, operation: string, root: string, idField: string, resourceType: string): z.output<T> | UnreadableResource {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const values = (raw ?? {}) as Record<string, unknown>;
  const error = new InvalidResponseError(`${operation} returned an incomplete ${root}: ${describeIssues(result.error, root)}.`, { operation: `RDS.${operation}` });
  // Name it by whatever identifies it; without any, the listing itself fails (nothing to name).
  const id = [values[idField], values[`${root}Identifier`]].find((v): v is string => typeof v === 'string' && v !== '');
  if (!id) throw error;
  return new UnreadableResource(resourceType, id, error);
}

/** The view of one DescribeDBInstances item. */
export function rdsInstanceFromApi(i: z.output<typeof DBInstanceSchema>): RdsDatabase {
  const group = i.DBParameterGroups?.[0];
  return {
    kind: 'instance',
    id: i.DbiResourceId,
    resourceType: RdsResourceType.Instance,
    name: i.DBInstanceIdentifier,
    ...(i.DBInstanceArn ? { arn: i.DBInstanceArn } : {}),
    engine: i.Engine.toLowerCase(),
    ...(i.EngineVersion ? { engineVersion: i.EngineVersion } : {}),
    storageEncrypted: i.StorageEncrypted ?? false,
    ...(i.KmsKeyId ? { kmsKeyId: i.KmsKeyId } : {}),
    ...(i.DBClusterIdentifier ? { clusterId: i.DBClusterIdentifier } : {}),
    ...(group ? { parameterGroup: { name: group.DBParameterGroupName, ...(group.ParameterApplyStatus ? { status: group.ParameterApplyStatus } : {}) } } : {}),
    optionGroups: (i.OptionGroupMemberships ?? []).map((o) => o.OptionGroupName),
    // DescribeDBInstances returns the tags inline (TagList): no tag call at all.
    tags: tagMap(i.TagList),
  };
}

/** The view of one DescribeDBClusters item. */
export function rdsClusterFromApi(c: z.output<typeof DBClusterSchema>): RdsDatabase {
  const status = worstStatus((c.DBClusterMembers ?? []).map((m) => m.DBClusterParameterGroupStatus));
  return {
    kind: 'cluster',
    id: c.DbClusterResourceId,
    resourceType: RdsResourceType.Cluster,
    name: c.DBClusterIdentifier,
    ...(c.DBClusterArn ? { arn: c.DBClusterArn } : {}),
    engine: c.Engine.toLowerCase(),
    ...(c.EngineVersion ? { engineVersion: c.EngineVersion } : {}),
    storageEncrypted: c.StorageEncrypted ?? false,
    ...(c.KmsKeyId ? { kmsKeyId: c.KmsKeyId } : {}),
    ...(c.DBClusterParameterGroup ? { parameterGroup: { name: c.DBClusterParameterGroup, ...(status ? { status } : {}) } } : {}),
    optionGroups: [],
    tags: tagMap(c.TagList),
  };
}

const GONE_STATUSES = new Set(['deleting', 'deleted']);

async function* listInstances(clients: AwsClients, options: ListOptions = {}): AsyncIterable<RdsDatabase | UnreadableResource> {
  options.onNote?.({ resourceType: RdsResourceType.Instance, source: 'api', tags: 'config', reason: 'tags come inline with DescribeDBInstances (TagList)' });
  const seen = new Set<string>();
  for await (const page of paginateDescribeDBInstances({ client: clients.get(RDSClient), pageSize: 100 }, {})) {
    for (const raw of page.DBInstances ?? []) {
      const i = parseListed(DBInstanceSchema, raw, 'DescribeDBInstances', 'DBInstance', 'DbiResourceId', RdsResourceType.Instance);
      if (i instanceof UnreadableResource) {
        yield i;
        continue;
      }
      if (seen.has(i.DBInstanceIdentifier) || GONE_STATUSES.has((i.DBInstanceStatus ?? '').toLowerCase())) continue;
      seen.add(i.DBInstanceIdentifier);
      yield rdsInstanceFromApi(i);
    }
  }
}

async function* listClusters(clients: AwsClients, options: ListOptions = {}): AsyncIterable<RdsDatabase | UnreadableResource> {
  options.onNote?.({ resourceType: RdsResourceType.Cluster, source: 'api', tags: 'config', reason: 'tags come inline with DescribeDBClusters (TagList)' });
  const seen = new Set<string>();
  // DescribeDBClusters returns Aurora, Multi-AZ DB clusters, DocumentDB and Neptune clusters alike.
  for await (const page of paginateDescribeDBClusters({ client: clients.get(RDSClient), pageSize: 100 }, {})) {
    for (const raw of page.DBClusters ?? []) {
      const c = parseListed(DBClusterSchema, raw, 'DescribeDBClusters', 'DBCluster', 'DbClusterResourceId', RdsResourceType.Cluster);
      if (c instanceof UnreadableResource) {
        yield c;
        continue;
      }
      if (seen.has(c.DBClusterIdentifier) || GONE_STATUSES.has((c.Status ?? '').toLowerCase())) continue;
      seen.add(c.DBClusterIdentifier);
      yield rdsClusterFromApi(c);
    }
  }
}

export const rdsResource: ResourceAdapter<RdsDatabase> = {
  resourceTypes: [RdsResourceType.Instance, RdsResourceType.Cluster],
  // Tags come inline (TagList) from both describes: no tagging call. Config first where it records the types.
  listActions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', ...CONFIG_SOURCE_ACTIONS],
  label: rdsLabel,
  fromConfigurationItem: rdsFromConfigurationItem,
  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  // Built once with the adapter: a run lists each once and replays it to both RDS rules (rules/runtime/listing-cache.ts).
  listers:
    process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent'
      ? []
      : [
          configFirst(RdsResourceType.Instance, rdsFromConfigurationItem, { resourceType: RdsResourceType.Instance, list: listInstances }),
          configFirst(RdsResourceType.Cluster, rdsFromConfigurationItem, { resourceType: RdsResourceType.Cluster, list: listClusters }),
        ],
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => rdsFromCloudFormation(resource),
        cloudFormationReads: rdsReads,
      }),
  // The RDS types themselves, and the DocumentDB and Neptune clusters the RDS API serves as AWS::RDS::DBCluster.
  cloudFormationTypes: [RdsResourceType.Instance, RdsResourceType.Cluster, ...RDS_CLOUDFORMATION_TYPES],
};

// ---------------------------------------------------------------------------------------------------------------
// Facts the rules gather through the run's Lookup: many instances share a group, so each is read once per run.

export interface ParameterValue {
  /** Absent: the parameter is not set in the group, so the engine default applies. */
  readonly value?: string;
  /** `static` (takes effect at the next reboot) or `dynamic`; absent when unknown (a template). */
  readonly applyType?: string;
}

export type ParameterGroupFacts =
  | { readonly kind: 'resolved'; readonly name: string; readonly parameters: Readonly<Record<string, ParameterValue>> }
  /** Not found or not readable: the group's values cannot be verified, so it never passes. */
  | { readonly kind: 'unresolved'; readonly name: string; readonly reason: string };

export type ParameterGroupScope = 'instance' | 'cluster';

/** The run's cache key of a parameter group (rules/prevention/facts.ts answers these from a template). */
export const parameterGroupKey = (scope: ParameterGroupScope, name: string): string => `rds:${scope === 'instance' ? 'db' : 'cluster'}-parameter-group:${name}`;
export const optionGroupKey = (name: string): string => `rds:option-group:${name}`;

const ParameterSchema = /* @__PURE__ */ z.lazy(() => z.object({ ParameterName: z.string().check(z.minLength(1)), ParameterValue: z.nullish(z.string()), ApplyType: z.nullish(z.string()) }));

// Errors that describe the group (gone, not ours to read) rather than a passing fault.
const GROUP_FACT_ERRORS = new Set(['DBParameterGroupNotFound', 'DBParameterGroupNotFoundFault', 'AccessDenied', 'AccessDeniedException']);

/**
 * rds:DescribeDBParameters / DescribeDBClusterParameters, every page (100 a page): the group's parameters.
 * Throttling and network faults propagate: they are no fact about the group.
 */
export async function describeParameterGroup(client: RDSClient, scope: ParameterGroupScope, name: string): Promise<ParameterGroupFacts> {
  const parameters: Record<string, ParameterValue> = {};
  const operation = scope === 'instance' ? 'DescribeDBParameters' : 'DescribeDBClusterParameters';
  try {
    const pages =
      scope === 'instance'
        ? paginateDescribeDBParameters({ client, pageSize: 100 }, { DBParameterGroupName: name })
        : paginateDescribeDBClusterParameters({ client, pageSize: 100 }, { DBClusterParameterGroupName: name });
    for await (const page of pages) {
      for (const raw of page.Parameters ?? []) {
        const p = ParameterSchema.safeParse(raw);
        if (!p.success) throw new InvalidResponseError(`${operation} for group ${name} returned an incomplete Parameter: ${describeIssues(p.error, 'Parameter')}.`, { operation: `RDS.${operation}` });
        parameters[p.data.ParameterName] = { ...(p.data.ParameterValue != null ? { value: p.data.ParameterValue } : {}), ...(p.data.ApplyType ? { applyType: p.data.ApplyType } : {}) };
      }
    }
  } catch (error) {
    if (error instanceof DBParameterGroupNotFoundFault || (error instanceof RDSServiceException && (GROUP_FACT_ERRORS.has(error.name) || error.$metadata.httpStatusCode === 403))) {
      return { kind: 'unresolved', name, reason: `${operation} failed: ${error.name}` };
    }
    throw error;
  }
  return { kind: 'resolved', name, parameters };
}

/** A parameter group's values, once per run. */
export function parameterGroupFacts(lookup: Lookup, scope: ParameterGroupScope, name: string): Promise<ParameterGroupFacts> {
  return lookup.cached(parameterGroupKey(scope, name), () => describeParameterGroup(lookup.clients.get(RDSClient), scope, name));
}

/** An option group's options and their settings (Oracle: SSL, NATIVE_NETWORK_ENCRYPTION). */
export type OptionGroupFacts =
  | { readonly kind: 'resolved'; readonly name: string; readonly options: Readonly<Record<string, Readonly<Record<string, string>>>> }
  | { readonly kind: 'unresolved'; readonly name: string; readonly reason: string };

const OptionSchema = /* @__PURE__ */ z.lazy(() => z.object({
  OptionName: z.string().check(z.minLength(1)),
  OptionSettings: z.nullish(z.array(z.object({ Name: z.nullish(z.string()), Value: z.nullish(z.string()) }))),
}));

/** rds:DescribeOptionGroups for one group. */
export async function describeOptionGroup(client: RDSClient, name: string): Promise<OptionGroupFacts> {
  const options: Record<string, Record<string, string>> = {};
  try {
    let found = false;
    for await (const page of paginateDescribeOptionGroups({ client, pageSize: 100 }, { OptionGroupName: name })) {
      for (const group of page.OptionGroupsList ?? []) {
        if (group.OptionGroupName !== name) continue;
        found = true;
        for (const raw of group.Options ?? []) {
          const o = OptionSchema.safeParse(raw);
          if (!o.success) throw new InvalidResponseError(`DescribeOptionGroups for group ${name} returned an incomplete Option: ${describeIssues(o.error, 'Option')}.`, { operation: 'RDS.DescribeOptionGroups' });
          options[o.data.OptionName] = Object.fromEntries((o.data.OptionSettings ?? []).filter((s) => s.Name).map((s) => [s.Name ?? '', s.Value ?? '']));
        }
      }
    }
    if (!found) return { kind: 'unresolved', name, reason: 'DescribeOptionGroups did not return it' };
  } catch (error) {
    if (error instanceof OptionGroupNotFoundFault || (error instanceof RDSServiceException && (GROUP_FACT_ERRORS.has(error.name) || error.$metadata.httpStatusCode === 403))) {
      return { kind: 'unresolved', name, reason: `DescribeOptionGroups failed: ${error.name}` };
    }
    throw error;
  }
  return { kind: 'resolved', name, options };
}

/** An option group's options, once per run. */
export function optionGroupFacts(lookup: Lookup, name: string): Promise<OptionGroupFacts> {
  return lookup.cached(optionGroupKey(name), () => describeOptionGroup(lookup.clients.get(RDSClient), name));
}
