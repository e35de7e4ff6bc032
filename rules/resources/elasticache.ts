import {
  CacheClusterNotFoundFault,
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ElastiCacheClient,
  InvalidCacheClusterStateFault,
  InvalidReplicationGroupStateFault,
  InvalidServerlessCacheStateFault,
  ListTagsForResourceCommand,
  ReplicationGroupNotFoundFault,
  ServerlessCacheNotFoundFault,
  UpdateActionStatus,
  UserGroupNotFoundFault,
  UserNotFoundFault,
  paginateDescribeCacheClusters,
  paginateDescribeReplicationGroups,
  paginateDescribeServerlessCaches,
  paginateDescribeUpdateActions,
} from '@aws-sdk/client-elasticache';
import * as z from 'zod/mini';
import type { Lookup } from '../runtime/lookup';
import type { AwsClients } from '../runtime/clients';
import { InvalidResponseError } from '../runtime/errors';
import { describeIssues } from '../runtime/issues';
import { type ListOptions, type Lister, type NormalizedResource, type ResourceAdapter, UnreadableResource } from '../runtime/safeguard';
import { BULK_TAG_ACTIONS, TagReader } from '../runtime/tagging';
import { elastiCacheFromCloudFormation, elastiCacheReads } from './cloudformation/elasticache';

/**
 * ElastiCache, as every ElastiCache safeguard sees it. AWS Config does not record ElastiCache, so there is no
 * configuration item: the resources come from the ElastiCache API only, one lister per kind (replication groups,
 * standalone cache clusters, serverless caches), so a kind whose API fails costs only its own verdicts.
 */

/** The ComplianceResourceType of each kind. */
export const ElastiCacheResourceType = {
  ReplicationGroup: 'AWS::ElastiCache::ReplicationGroup',
  CacheCluster: 'AWS::ElastiCache::CacheCluster',
  ServerlessCache: 'AWS::ElastiCache::ServerlessCache',
} as const;

/** Engines as the API names them (lower case). */
export const Engine = { Redis: 'redis', Valkey: 'valkey', Memcached: 'memcached' } as const;

const ENGINE_NAMES: Readonly<Record<string, string>> = { redis: 'Redis OSS', valkey: 'Valkey', memcached: 'Memcached' };

/** How annotations name an engine: `Redis OSS`, `Valkey`, `Memcached` (anything else as the API spells it). */
export function engineName(engine: string): string {
  return ENGINE_NAMES[engine] ?? engine;
}

interface ElastiCacheCommon extends NormalizedResource {
  readonly arn: string;
  /**
   * Lifecycle status in lower case: available, creating, modifying, deleting, snapshotting, create-failed, ...
   * Resources that are not available still get a verdict from their configuration; remediations refuse them.
   */
  readonly status: string;
  /** Lower case: redis, valkey or memcached. */
  readonly engine: string;
  /** ListTagsForResource refused because of the status (it answers only for available resources): tags are empty. */
  readonly tagsUnreadable: boolean;
  /**
   * API fields the listing answer left out for this resource (`EngineVersion`, `CacheNodeType`): their view fields
   * are unknown, not empty. A rule that needs one fails for this resource only (`requireKnown`); the others judge it.
   */
  readonly missingFields: readonly MissingField[];
}

/** Fields a listing may leave out without making the whole resource unreadable. */
export type MissingField = 'EngineVersion' | 'CacheNodeType';

/** The resource's answer lacked a field this rule needs: a failure of that resource, never a guessed verdict. */
export class IncompleteResourceError extends InvalidResponseError {}

/**
 * Throws IncompleteResourceError when the listing left `field` out for this resource.
 * @example requireKnown(cache, 'EngineVersion'); // before reading cache.engineVersion
 */
export function requireKnown(cache: ElastiCacheResource, field: MissingField): void {
  if (cache.missingFields.includes(field)) {
    const source = cache.kind === 'serverlessCache' ? 'DescribeServerlessCaches' : 'DescribeCacheClusters';
    throw new IncompleteResourceError(
      `${KIND_LABEL[cache.kind]} ${cache.id} cannot be judged: ${source} did not report its ${field}, which this rule needs. The other rules still judge it.`,
      { operation: `ElastiCache.${source}` },
    );
  }
}

/** A replication group or a standalone cache cluster: node-based, so it has node types, versions and settings. */
export interface NodeBasedCache extends ElastiCacheCommon {
  readonly kind: 'replicationGroup' | 'cacheCluster';
  /** Replication groups only: enabled, disabled or compatible. */
  readonly clusterMode?: string;
  /** Replication groups: their member cache cluster IDs; standalone clusters: none. */
  readonly memberClusters: readonly string[];
  /** The lowest engine version of the resource (of its member clusters, for a group); undefined when none is known. */
  readonly engineVersion?: string;
  /** Every distinct engine version (members may differ during an upgrade), lowest first. */
  readonly engineVersions: readonly string[];
  /** Every distinct node type (the group's and its members'; they differ during scaling). */
  readonly nodeTypes: readonly string[];
  readonly atRestEncryptionEnabled: boolean;
  /** Absent with at-rest encryption on: the ElastiCache default key. */
  readonly kmsKeyId?: string;
  readonly transitEncryptionEnabled: boolean;
  /** `preferred` still accepts plaintext; `required`; absent on clusters that predate the setting (TLS only). */
  readonly transitEncryptionMode?: string;
  readonly authTokenEnabled: boolean;
  /** RBAC user groups (replication groups only; standalone clusters cannot use RBAC). */
  readonly userGroupIds: readonly string[];
}

/** A serverless cache: always encrypted at rest and in transit, patched by AWS, no node types. */
export interface ServerlessCache extends ElastiCacheCommon {
  readonly kind: 'serverlessCache';
  /** FullEngineVersion, or MajorEngineVersion when the full one is absent. */
  readonly engineVersion?: string;
  readonly kmsKeyId?: string;
  /** RBAC user group; absent means the default user, without a password. */
  readonly userGroupId?: string;
}

export type ElastiCacheResource = NodeBasedCache | ServerlessCache;

// ---------------------------------------------------------------------------------------------------------------
// Versions

/** Numeric parts of an engine version (`6.2.6` → [6, 2, 6]; `6.x` → [6, 0]), or undefined when it has none. */
export function parseVersion(version: string): number[] | undefined {
  const m = /^(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?/.exec(version.trim());
  if (!m) return undefined;
  // `x` stands for "any minor": count it as the lowest, so a minimum is never met by a wildcard.
  return [m[1], m[2], m[3]].filter((p): p is string => p !== undefined).map((p) => (p === 'x' ? 0 : Number(p)));
}

/** Negative when a < b, 0 when equal, positive when a > b; missing parts count as 0 (`7.1` = `7.1.0`). */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [];
  const pb = parseVersion(b) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const distinct = (values: readonly (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => !!v))];

// ---------------------------------------------------------------------------------------------------------------
// API responses. Only the fields the rules read; the required ones fail the listing with a message naming them.

const flag = /* @__PURE__ */ z.lazy(() => z.nullish(z.boolean()));

export const ReplicationGroupSchema = /* @__PURE__ */ z.lazy(() => z.object({
  ReplicationGroupId: z.string().check(z.minLength(1)),
  Status: z.string().check(z.minLength(1)),
  ARN: z.string().check(z.minLength(1)),
  // Newer API versions report Engine and CacheNodeType on the group; older ones only on its member clusters.
  Engine: z.nullish(z.string()),
  CacheNodeType: z.nullish(z.string()),
  MemberClusters: z.nullish(z.array(z.string())),
  ClusterEnabled: flag,
  ClusterMode: z.nullish(z.string()),
  AtRestEncryptionEnabled: flag,
  KmsKeyId: z.nullish(z.string()),
  TransitEncryptionEnabled: flag,
  TransitEncryptionMode: z.nullish(z.string()),
  AuthTokenEnabled: flag,
  UserGroupIds: z.nullish(z.array(z.string())),
}));

// EngineVersion and CacheNodeType may be missing from one cluster's answer: the view marks them unknown
// (missingFields) and only the rules that need them fail for that cluster.
export const CacheClusterSchema = /* @__PURE__ */ z.lazy(() => z.object({
  CacheClusterId: z.string().check(z.minLength(1)),
  CacheClusterStatus: z.string().check(z.minLength(1)),
  ARN: z.string().check(z.minLength(1)),
  Engine: z.string().check(z.minLength(1)),
  EngineVersion: z.nullish(z.string()),
  CacheNodeType: z.nullish(z.string()),
  ReplicationGroupId: z.nullish(z.string()),
  AtRestEncryptionEnabled: flag,
  TransitEncryptionEnabled: flag,
  TransitEncryptionMode: z.nullish(z.string()),
  AuthTokenEnabled: flag,
}));

export const ServerlessCacheSchema = /* @__PURE__ */ z.lazy(() => z.object({
  ServerlessCacheName: z.string().check(z.minLength(1)),
  Status: z.string().check(z.minLength(1)),
  ARN: z.string().check(z.minLength(1)),
  Engine: z.string().check(z.minLength(1)),
  MajorEngineVersion: z.nullish(z.string()),
  FullEngineVersion: z.nullish(z.string()),
  KmsKeyId: z.nullish(z.string()),
  UserGroupId: z.nullish(z.string()),
}));

/**
 * Parses one listed item. An item too incomplete for any view is that resource's failure (UnreadableResource), so
 * the rest of its kind is still judged; only an item without even its ID fails the whole kind (nothing to name).
 */
function parseListed<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
  operation: string,
  root: string,
  idField: string,
  resourceType: string,
): z.output<T> | UnreadableResource {
  try {
    return parseItem(schema, value, operation, root, idField);
  } catch (error) {
    const id = ((value ?? {}) as Record<string, unknown>)[idField];
    if (typeof id !== 'string' || id === '') throw error;
    return new UnreadableResource(resourceType, id, error as Error);
  }
}

function parseItem<T extends z.ZodMiniType>(schema: T, value: unknown, operation: string, root: string, idField: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const raw = (value ?? {}) as Record<string, unknown>;
    const id = typeof raw[idField] === 'string' ? ` ${raw[idField]}` : '';
    throw new InvalidResponseError(`${operation} returned an incomplete ${root}${id}: ${describeIssues(result.error, root)}.`, { operation: `ElastiCache.${operation}` });
  }
  return result.data;
}

// ---------------------------------------------------------------------------------------------------------------
// Tags

type TagsResult = { readonly tags: Record<string, string>; readonly tagsUnreadable: boolean } | 'gone';

async function readTags(client: ElastiCacheClient, arn: string): Promise<TagsResult> {
  try {
    const out = await client.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    const tags: Record<string, string> = {};
    for (const t of out.TagList ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    return { tags, tagsUnreadable: false };
  } catch (error) {
    // Deleted between the listing and here: it is gone, not failing.
    if (error instanceof CacheClusterNotFoundFault || error instanceof ReplicationGroupNotFoundFault || error instanceof ServerlessCacheNotFoundFault) {
      return 'gone';
    }
    // ListTagsForResource answers only for available resources. The verdict still comes from the configuration;
    // the label says the exemption tags could not be read.
    if (
      error instanceof InvalidReplicationGroupStateFault ||
      error instanceof InvalidServerlessCacheStateFault ||
      error instanceof InvalidCacheClusterStateFault
    ) {
      return { tags: {}, tagsUnreadable: true };
    }
    throw error;
  }
}

/**
 * Tags of one resource, in bulk where the reader has them: tag:GetResources answers whatever the resource's status,
 * so a creating or modifying cache keeps its exemption; per resource, ListTagsForResource refuses those.
 */
async function tagsFor(reader: TagReader, client: ElastiCacheClient, arn: string): Promise<TagsResult> {
  const source = await reader.source();
  if (source.mode === 'per-resource') return readTags(client, arn);
  return { tags: { ...source.index.get(arn) }, tagsUnreadable: false };
}

/** The tag reader of one kind, its choice told once through `onNote`. */
function kindTags(clients: AwsClients, resourceType: string, options: ListOptions): TagReader {
  return new TagReader(clients, resourceType, (c) => options.onNote?.({ resourceType, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Listers

type CacheClusterItem = z.output<typeof CacheClusterSchema>;

async function* listReplicationGroups(clients: AwsClients, options: ListOptions = {}): AsyncIterable<NodeBasedCache | UnreadableResource> {
  const client = clients.get(ElastiCacheClient);
  const reader = kindTags(clients, ElastiCacheResourceType.ReplicationGroup, options);
  // Groups first, then clusters: every listed group existed before the cluster pass, so its members are in it.
  const groups = new Map<string, z.output<typeof ReplicationGroupSchema>>();
  const unreadable: UnreadableResource[] = [];
  for await (const page of paginateDescribeReplicationGroups({ client, pageSize: 100 }, {})) {
    for (const raw of page.ReplicationGroups ?? []) {
      const g = parseListed(ReplicationGroupSchema, raw, 'DescribeReplicationGroups', 'ReplicationGroup', 'ReplicationGroupId', ElastiCacheResourceType.ReplicationGroup);
      if (g instanceof UnreadableResource) unreadable.push(g);
      else groups.set(g.ReplicationGroupId, g);
    }
  }
  yield* unreadable;
  if (groups.size === 0) return;
  // A group's engine version is only on its member clusters: read them all, 100 a page, rather than one call each.
  const wanted = new Set([...groups.values()].flatMap((g) => g.MemberClusters ?? []));
  const members = new Map<string, CacheClusterItem>();
  for await (const page of paginateDescribeCacheClusters({ client, pageSize: 100 }, {})) {
    for (const raw of page.CacheClusters ?? []) {
      const id = (raw as { CacheClusterId?: unknown }).CacheClusterId;
      if (typeof id !== 'string' || !wanted.has(id)) continue;
      const member = parseListed(CacheClusterSchema, raw, 'DescribeCacheClusters', 'CacheCluster', 'CacheClusterId', ElastiCacheResourceType.CacheCluster);
      // An unreadable member adds no version or node type; the group is judged on what its other members say.
      if (!(member instanceof UnreadableResource)) members.set(id, member);
    }
  }
  for (const g of groups.values()) {
    const memberIds = g.MemberClusters ?? [];
    const found = memberIds.map((id) => members.get(id)).filter((m): m is CacheClusterItem => m !== undefined);
    const engine = (g.Engine ?? found[0]?.Engine)?.toLowerCase();
    if (!engine) {
      yield new UnreadableResource(
        ElastiCacheResourceType.ReplicationGroup,
        g.ReplicationGroupId,
        new InvalidResponseError(
          `DescribeReplicationGroups returned replication group ${g.ReplicationGroupId} without Engine, and DescribeCacheClusters listed none of its member clusters (${memberIds.join(', ') || 'none'}).`,
          { operation: 'ElastiCache.DescribeReplicationGroups' },
        ),
      );
      continue;
    }
    const tags = await tagsFor(reader, client, g.ARN);
    if (tags === 'gone') continue;
    const versions = distinct(found.map((m) => m.EngineVersion)).sort(compareVersions);
    // A member that reports no version could be the lowest: the group's version is unknown, not the others' lowest.
    const missingFields: MissingField[] = found.some((m) => !m.EngineVersion) ? ['EngineVersion'] : [];
    yield {
      kind: 'replicationGroup',
      id: g.ReplicationGroupId,
      resourceType: ElastiCacheResourceType.ReplicationGroup,
      arn: g.ARN,
      status: g.Status.toLowerCase(),
      engine,
      clusterMode: g.ClusterMode ?? (g.ClusterEnabled ? 'enabled' : 'disabled'),
      memberClusters: memberIds,
      ...(versions[0] ? { engineVersion: versions[0] } : {}),
      engineVersions: versions,
      nodeTypes: distinct([g.CacheNodeType, ...found.map((m) => m.CacheNodeType)]),
      atRestEncryptionEnabled: g.AtRestEncryptionEnabled ?? false,
      ...(g.KmsKeyId ? { kmsKeyId: g.KmsKeyId } : {}),
      transitEncryptionEnabled: g.TransitEncryptionEnabled ?? false,
      ...(g.TransitEncryptionMode ? { transitEncryptionMode: g.TransitEncryptionMode } : {}),
      authTokenEnabled: g.AuthTokenEnabled ?? false,
      userGroupIds: g.UserGroupIds ?? [],
      missingFields,
      ...tags,
    };
  }
}

async function* listCacheClusters(clients: AwsClients, options: ListOptions = {}): AsyncIterable<NodeBasedCache | UnreadableResource> {
  const client = clients.get(ElastiCacheClient);
  const reader = kindTags(clients, ElastiCacheResourceType.CacheCluster, options);
  const seen = new Set<string>();
  const pages = paginateDescribeCacheClusters({ client, pageSize: 100 }, { ShowCacheClustersNotInReplicationGroups: true });
  for await (const page of pages) {
    for (const raw of page.CacheClusters ?? []) {
      const c = parseListed(CacheClusterSchema, raw, 'DescribeCacheClusters', 'CacheCluster', 'CacheClusterId', ElastiCacheResourceType.CacheCluster);
      if (c instanceof UnreadableResource) {
        // A member of a group is judged with its group, even when unreadable on its own.
        if (typeof (raw as { ReplicationGroupId?: unknown }).ReplicationGroupId === 'string' || seen.has(c.id)) continue;
        seen.add(c.id);
        yield c;
        continue;
      }
      // Members are judged with their replication group; filter here too, in case the flag is ignored (moto does).
      if (c.ReplicationGroupId || seen.has(c.CacheClusterId)) continue;
      seen.add(c.CacheClusterId);
      const status = c.CacheClusterStatus.toLowerCase();
      if (status === 'deleted') continue;
      const tags = await tagsFor(reader, client, c.ARN);
      if (tags === 'gone') continue;
      yield {
        kind: 'cacheCluster',
        id: c.CacheClusterId,
        resourceType: ElastiCacheResourceType.CacheCluster,
        arn: c.ARN,
        status,
        engine: c.Engine.toLowerCase(),
        memberClusters: [],
        ...(c.EngineVersion ? { engineVersion: c.EngineVersion } : {}),
        engineVersions: c.EngineVersion ? [c.EngineVersion] : [],
        nodeTypes: c.CacheNodeType ? [c.CacheNodeType] : [],
        missingFields: [...(c.EngineVersion ? [] : ['EngineVersion' as const]), ...(c.CacheNodeType ? [] : ['CacheNodeType' as const])],
        atRestEncryptionEnabled: c.AtRestEncryptionEnabled ?? false,
        transitEncryptionEnabled: c.TransitEncryptionEnabled ?? false,
        ...(c.TransitEncryptionMode ? { transitEncryptionMode: c.TransitEncryptionMode } : {}),
        authTokenEnabled: c.AuthTokenEnabled ?? false,
        userGroupIds: [],
        ...tags,
      };
    }
  }
}

async function* listServerlessCaches(clients: AwsClients, options: ListOptions = {}): AsyncIterable<ServerlessCache | UnreadableResource> {
  const client = clients.get(ElastiCacheClient);
  const reader = kindTags(clients, ElastiCacheResourceType.ServerlessCache, options);
  const seen = new Set<string>();
  for await (const page of paginateDescribeServerlessCaches({ client, pageSize: 100 }, {})) {
    for (const raw of page.ServerlessCaches ?? []) {
      const s = parseListed(ServerlessCacheSchema, raw, 'DescribeServerlessCaches', 'ServerlessCache', 'ServerlessCacheName', ElastiCacheResourceType.ServerlessCache);
      if (s instanceof UnreadableResource) {
        if (!seen.has(s.id)) yield s;
        seen.add(s.id);
        continue;
      }
      if (seen.has(s.ServerlessCacheName)) continue;
      seen.add(s.ServerlessCacheName);
      const tags = await tagsFor(reader, client, s.ARN);
      if (tags === 'gone') continue;
      const version = s.FullEngineVersion ?? s.MajorEngineVersion;
      yield {
        kind: 'serverlessCache',
        id: s.ServerlessCacheName,
        resourceType: ElastiCacheResourceType.ServerlessCache,
        arn: s.ARN,
        status: s.Status.toLowerCase(),
        engine: s.Engine.toLowerCase(),
        ...(version ? { engineVersion: version } : {}),
        ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
        ...(s.UserGroupId ? { userGroupId: s.UserGroupId } : {}),
        missingFields: [],
        ...tags,
      };
    }
  }
}

const KIND_LABEL = { replicationGroup: 'Replication group', cacheCluster: 'Cache cluster', serverlessCache: 'Serverless cache' } as const;

/** `Replication group phi-sessions`, with the status when it is not available: `Cache cluster c1 (creating; exemption tags unreadable)`. */
export function elastiCacheLabel(r: ElastiCacheResource): string {
  const notes = [...(r.status !== 'available' ? [r.status] : []), ...(r.tagsUnreadable ? ['exemption tags unreadable'] : [])];
  return `${KIND_LABEL[r.kind]} ${r.id}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

export const elastiCacheResource: ResourceAdapter<ElastiCacheResource> = {
  resourceTypes: [ElastiCacheResourceType.ReplicationGroup, ElastiCacheResourceType.CacheCluster, ElastiCacheResourceType.ServerlessCache],
  listActions: [
    'elasticache:DescribeReplicationGroups',
    'elasticache:DescribeCacheClusters',
    'elasticache:DescribeServerlessCaches',
    // Tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
    'elasticache:ListTagsForResource',
    ...BULK_TAG_ACTIONS,
  ],
  label: elastiCacheLabel,
  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers:
    process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent'
      ? []
      : ([
          { resourceType: ElastiCacheResourceType.ReplicationGroup, list: listReplicationGroups },
          { resourceType: ElastiCacheResourceType.CacheCluster, list: listCacheClusters },
          { resourceType: ElastiCacheResourceType.ServerlessCache, list: listServerlessCaches },
        ] satisfies Lister<ElastiCacheResource>[]),

  // Prevention (issue 12): the same view from CloudFormation properties (RBAC users and groups are facts: cloudformation/elasticache.ts).
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => elastiCacheFromCloudFormation(resource),
        cloudFormationReads: elastiCacheReads,
      }),
};

// ---------------------------------------------------------------------------------------------------------------
// Facts the rules gather through the run's Lookup (rules/runtime/lookup.ts caches them).

/** An RBAC user group. */
export type UserGroupFacts =
  | { readonly kind: 'resolved'; readonly id: string; readonly userIds: readonly string[] }
  /** Not found: the group cannot be verified, so it never passes. */
  | { readonly kind: 'unresolved'; readonly id: string; readonly reason: string };

/** An RBAC user. */
export type UserFacts =
  | {
      readonly kind: 'resolved';
      readonly id: string;
      readonly name: string;
      /** password, no-password or iam. */
      readonly authenticationType: string;
      /** The access string switches the user on (`on`), not off. */
      readonly enabled: boolean;
    }
  | { readonly kind: 'unresolved'; readonly id: string; readonly reason: string };

/** The user the built-in default user of every account has: `default`, no password, all commands. */
export const BUILT_IN_DEFAULT_USER_ID = 'default';

/** Whether an access string switches the user on: the last `on`/`off` wins; neither means off. */
export function accessStringEnabled(accessString: string): boolean {
  const switches = accessString.split(/\s+/).filter((t) => t === 'on' || t === 'off');
  return switches.at(-1) === 'on';
}

/** elasticache:DescribeUserGroups for one group. Throttling and access errors propagate: no fact about the group. */
export async function describeUserGroup(client: ElastiCacheClient, id: string): Promise<UserGroupFacts> {
  try {
    const out = await client.send(new DescribeUserGroupsCommand({ UserGroupId: id }));
    const group = out.UserGroups?.find((g) => g.UserGroupId === id);
    if (!group) return { kind: 'unresolved', id, reason: 'DescribeUserGroups did not return it' };
    return { kind: 'resolved', id, userIds: group.UserIds ?? [] };
  } catch (error) {
    if (error instanceof UserGroupNotFoundFault) return { kind: 'unresolved', id, reason: 'DescribeUserGroups failed: UserGroupNotFoundFault' };
    throw error;
  }
}

export const UserSchema = /* @__PURE__ */ z.lazy(() => z.object({
  UserId: z.string().check(z.minLength(1)),
  UserName: z.nullish(z.string()),
  AccessString: z.nullish(z.string()),
  Authentication: z.object({ Type: z.string().check(z.minLength(1)) }),
}));

/** elasticache:DescribeUsers for one user. */
export async function describeUser(client: ElastiCacheClient, id: string): Promise<UserFacts> {
  try {
    const out = await client.send(new DescribeUsersCommand({ UserId: id }));
    const raw = out.Users?.find((u) => u.UserId === id);
    if (!raw) return { kind: 'unresolved', id, reason: 'DescribeUsers did not return it' };
    const u = parseItem(UserSchema, raw, 'DescribeUsers', 'User', 'UserId');
    // moto spells the type `no-password-required`; AWS `no-password`.
    const type = u.Authentication.Type.startsWith('no-password') ? 'no-password' : u.Authentication.Type;
    return { kind: 'resolved', id, name: u.UserName ?? id, authenticationType: type, enabled: accessStringEnabled(u.AccessString ?? '') };
  } catch (error) {
    if (error instanceof UserNotFoundFault) return { kind: 'unresolved', id, reason: 'DescribeUsers failed: UserNotFoundFault' };
    throw error;
  }
}

/** A security update not yet complete on a replication group or a cache cluster. */
export interface PendingSecurityUpdate {
  readonly serviceUpdateName: string;
  readonly replicationGroupId?: string;
  readonly cacheClusterId?: string;
  /** UpdateActionStatus: not-applied, scheduled, in-progress, stopped, ... */
  readonly status: string;
  readonly recommendedApplyBy?: Date;
  readonly severity?: string;
}

/** Update action statuses that mean "not done": everything except complete and not-applicable. */
export const PENDING_UPDATE_STATUSES: readonly UpdateActionStatus[] = [
  UpdateActionStatus.NOT_APPLIED,
  UpdateActionStatus.WAITING_TO_START,
  UpdateActionStatus.SCHEDULING,
  UpdateActionStatus.SCHEDULED,
  UpdateActionStatus.IN_PROGRESS,
  UpdateActionStatus.STOPPING,
  UpdateActionStatus.STOPPED,
];

export const UpdateActionSchema = /* @__PURE__ */ z.lazy(() => z.object({
  ServiceUpdateName: z.string().check(z.minLength(1)),
  UpdateActionStatus: z.string().check(z.minLength(1)),
  ReplicationGroupId: z.nullish(z.string()),
  CacheClusterId: z.nullish(z.string()),
  ServiceUpdateType: z.nullish(z.string()),
  ServiceUpdateStatus: z.nullish(z.string()),
  ServiceUpdateSeverity: z.nullish(z.string()),
  ServiceUpdateRecommendedApplyByDate: z.nullish(z.date()),
}));

/**
 * elasticache:DescribeUpdateActions, every page: the security updates still to apply in the account and region.
 * One call sequence per run serves every resource. The filters are sent and applied again here, so a server that
 * ignores them cannot make a finished update count.
 */
export async function listPendingSecurityUpdates(client: ElastiCacheClient): Promise<readonly PendingSecurityUpdate[]> {
  const pending: PendingSecurityUpdate[] = [];
  const pages = paginateDescribeUpdateActions(
    { client, pageSize: 100 },
    { ServiceUpdateStatus: ['available'], UpdateActionStatus: [...PENDING_UPDATE_STATUSES] },
  );
  for await (const page of pages) {
    for (const raw of page.UpdateActions ?? []) {
      const a = parseItem(UpdateActionSchema, raw, 'DescribeUpdateActions', 'UpdateAction', 'ServiceUpdateName');
      if (a.ServiceUpdateType !== 'security-update') continue;
      if (a.ServiceUpdateStatus && a.ServiceUpdateStatus !== 'available') continue;
      if (!(PENDING_UPDATE_STATUSES as readonly string[]).includes(a.UpdateActionStatus)) continue;
      if (!a.ReplicationGroupId && !a.CacheClusterId) {
        throw new InvalidResponseError(`DescribeUpdateActions returned update action ${a.ServiceUpdateName} with neither ReplicationGroupId nor CacheClusterId.`, {
          operation: 'ElastiCache.DescribeUpdateActions',
        });
      }
      pending.push({
        serviceUpdateName: a.ServiceUpdateName,
        ...(a.ReplicationGroupId ? { replicationGroupId: a.ReplicationGroupId } : {}),
        ...(a.CacheClusterId ? { cacheClusterId: a.CacheClusterId } : {}),
        status: a.UpdateActionStatus,
        ...(a.ServiceUpdateRecommendedApplyByDate ? { recommendedApplyBy: a.ServiceUpdateRecommendedApplyByDate } : {}),
        ...(a.ServiceUpdateSeverity ? { severity: a.ServiceUpdateSeverity } : {}),
      });
    }
  }
  return pending;
}

/** elasticache:DescribeUserGroups for one RBAC user group, once per run. */
export function userGroupFacts(lookup: Lookup, userGroupId: string): Promise<UserGroupFacts> {
  return lookup.cached(`elasticache:user-group:${userGroupId}`, () => describeUserGroup(lookup.clients.get(ElastiCacheClient), userGroupId));
}

/** elasticache:DescribeUsers for one RBAC user, once per run (many groups share users such as `default`). */
export function userFacts(lookup: Lookup, userId: string): Promise<UserFacts> {
  return lookup.cached(`elasticache:user:${userId}`, () => describeUser(lookup.clients.get(ElastiCacheClient), userId));
}

/** elasticache:DescribeUpdateActions, every page, once per run: the security updates not yet complete. */
export function pendingSecurityUpdates(lookup: Lookup): Promise<readonly PendingSecurityUpdate[]> {
  return lookup.cached('elasticache:pending-security-updates', () => listPendingSecurityUpdates(lookup.clients.get(ElastiCacheClient)));
}
