import {
  ClusterNotFoundFault,
  InvalidClusterStateFault,
  ListTagsCommand,
  MemoryDBClient,
  paginateDescribeACLs,
  paginateDescribeClusters,
  paginateDescribeUsers,
} from '@aws-sdk/client-memorydb';
import * as z from 'zod/mini';
import type { AwsClients } from '../runtime/clients';
import { InvalidResponseError } from '../runtime/errors';
import { describeIssues } from '../runtime/issues';
import type { Lookup } from '../runtime/lookup';
import { type ListOptions, type Lister, type NormalizedResource, type ResourceAdapter, UnreadableResource } from '../runtime/safeguard';
import { BULK_TAG_ACTIONS, TagReader } from '../runtime/tagging';
import { memoryDbFromCloudFormation, memoryDbReads } from './cloudformation/memorydb';

/**
 * Amazon MemoryDB clusters, as every MemoryDB safeguard sees them. AWS Config does not record MemoryDB clusters (its
 * resource schema has AWS::MemoryDB::SubnetGroup only: ../shared/reference/A-config-resource-schema), so there is no
 * configuration item: clusters come from the MemoryDB API (DescribeClusters, every page), the rules are periodic, and
 * the CloudTrail re-evaluation trigger (rules/triggers/change-sources.ts) starts them after a MemoryDB change.
 */

/** The ComplianceResourceType of a cluster (the CloudFormation type name; Config has no type for it). */
export const MEMORYDB_CLUSTER_TYPE = 'AWS::MemoryDB::Cluster';

/**
 * The built-in ACL every account has: it holds the built-in `default` user, which has no password, so a cluster on it
 * lets every client in. A cluster without TLS can use no other ACL (MemoryDB user guide, "Authenticating users with
 * Access Control Lists"; the AWS provider's aws_memorydb_cluster: "When set to false, the acl_name must be open-access").
 */
export const OPEN_ACCESS_ACL = 'open-access';

/** A MemoryDB cluster. */
export interface MemoryDbCluster extends NormalizedResource {
  readonly name: string;
  readonly arn: string;
  /** Lower case: available, creating, updating, deleting, snapshotting, ... The verdict comes from the configuration. */
  readonly status: string;
  /** Lower case, `valkey` or `redis`; undefined when the answer left Engine out (moto does). */
  readonly engine?: string;
  readonly engineVersion?: string;
  /** Undefined when the answer left TLSEnabled out: the cluster cannot be judged on it. */
  readonly tlsEnabled?: boolean;
  /** Undefined when the answer left ACLName out. */
  readonly aclName?: string;
  /** Empty: MemoryDB's default key (always encrypted at rest). */
  readonly kmsKeyId?: string;
  /** ListTags refused because of the cluster's state: tags are empty and the label says so. */
  readonly tagsUnreadable: boolean;
}

const ENGINE_NAMES: Readonly<Record<string, string>> = { redis: 'Redis OSS', valkey: 'Valkey' };

/**
 * The engine as annotations state it: `Valkey 7.2`, `Redis OSS 6.2`; `engine not reported, version 7.1` when the
 * answer had no Engine (clusters are never guessed to be Redis OSS).
 */
export function memoryDbEngine(c: Pick<MemoryDbCluster, 'engine' | 'engineVersion'>): string {
  const version = c.engineVersion ?? 'version not reported';
  if (!c.engine) return `engine not reported, version ${version}`;
  return `${ENGINE_NAMES[c.engine] ?? c.engine} ${version}`;
}

/**
 * `MemoryDB cluster sessions (Valkey 7.2)`: every annotation states the engine; the status when it is not available
 * and unreadable tags follow: `MemoryDB cluster s1 (Redis OSS 6.2; creating; exemption tags unreadable)`.
 */
export function memoryDbLabel(c: Pick<MemoryDbCluster, 'name' | 'status' | 'tagsUnreadable' | 'engine' | 'engineVersion'>): string {
  const notes = [memoryDbEngine(c), ...(c.status !== 'available' ? [c.status] : []), ...(c.tagsUnreadable ? ['exemption tags unreadable'] : [])];
  return `MemoryDB cluster ${c.name} (${notes.join('; ')})`;
}

// ---------------------------------------------------------------------------------------------------------------
// API responses (shapes: ../shared/reference/F-botocore-service-models/memorydb-2021-01-01.service-2.json). Only the
// fields the rules read; a cluster without Name cannot be named, so it fails the listing.

export const ClusterSchema = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.string().check(z.minLength(1)),
  Status: z.string().check(z.minLength(1)),
  ARN: z.string().check(z.minLength(1)),
  Engine: z.nullish(z.string()),
  EngineVersion: z.nullish(z.string()),
  TLSEnabled: z.nullish(z.boolean()),
  ACLName: z.nullish(z.string()),
  KmsKeyId: z.nullish(z.string()),
}));

export const AclSchema = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.string().check(z.minLength(1)),
  Status: z.nullish(z.string()),
  UserNames: z.nullish(z.array(z.string())),
}));

export const UserSchema = /* @__PURE__ */ z.lazy(() => z.object({
  Name: z.string().check(z.minLength(1)),
  Status: z.nullish(z.string()),
  AccessString: z.nullish(z.string()),
  Authentication: z.object({ Type: z.string().check(z.minLength(1)) }),
}));

function invalid(operation: string, root: string, value: unknown, error: z.core.$ZodError): InvalidResponseError {
  const name = (value ?? {}) as { Name?: unknown };
  const id = typeof name.Name === 'string' ? ` ${name.Name}` : '';
  return new InvalidResponseError(`${operation} returned an incomplete ${root}${id}: ${describeIssues(error, root)}.`, { operation: `MemoryDB.${operation}` });
}

// ---------------------------------------------------------------------------------------------------------------
// Listing

type TagsResult = { readonly tags: Record<string, string>; readonly tagsUnreadable: boolean } | 'gone';

/** memorydb:ListTags of one cluster: the fallback when tag:GetResources is refused. */
async function readTags(client: MemoryDBClient, arn: string): Promise<TagsResult> {
  try {
    const out = await client.send(new ListTagsCommand({ ResourceArn: arn }));
    const tags: Record<string, string> = {};
    for (const t of out.TagList ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    return { tags, tagsUnreadable: false };
  } catch (error) {
    // Deleted between the listing and here: gone, not failing.
    if (error instanceof ClusterNotFoundFault) return 'gone';
    // ListTags may refuse a cluster in a transitional state (InvalidClusterStateFault in its error list): the verdict
    // still comes from the configuration, and the label says the exemption tags could not be read.
    if (error instanceof InvalidClusterStateFault) return { tags: {}, tagsUnreadable: true };
    throw error;
  }
}

async function* listClusters(clients: AwsClients, options: ListOptions = {}): AsyncIterable<MemoryDbCluster | UnreadableResource> {
  const client = clients.get(MemoryDBClient);
  const reader = new TagReader(clients, MEMORYDB_CLUSTER_TYPE, (c) =>
    options.onNote?.({ resourceType: MEMORYDB_CLUSTER_TYPE, source: 'api', tags: c.mode, ...(c.reason ? { reason: c.reason } : {}) }),
  );
  const seen = new Set<string>();
  // MaxResults 100: the API reference names no maximum; the paginator follows NextToken either way.
  for await (const page of paginateDescribeClusters({ client, pageSize: 100 }, {})) {
    for (const raw of page.Clusters ?? []) {
      const parsed = ClusterSchema.safeParse(raw);
      if (!parsed.success) {
        const name = (raw as { Name?: unknown }).Name;
        const error = invalid('DescribeClusters', 'Cluster', raw, parsed.error);
        // Named but incomplete: that cluster's failure; the others are still judged.
        if (typeof name !== 'string' || name === '') throw error;
        if (!seen.has(name)) yield new UnreadableResource(MEMORYDB_CLUSTER_TYPE, name, error);
        seen.add(name);
        continue;
      }
      const c = parsed.data;
      if (seen.has(c.Name)) continue;
      seen.add(c.Name);
      const source = await reader.source();
      const tags = source.mode === 'bulk' ? { tags: { ...source.index.get(c.ARN) }, tagsUnreadable: false } : await readTags(client, c.ARN);
      if (tags === 'gone') continue;
      yield {
        id: c.Name,
        resourceType: MEMORYDB_CLUSTER_TYPE,
        name: c.Name,
        arn: c.ARN,
        status: c.Status.toLowerCase(),
        ...(c.Engine ? { engine: c.Engine.toLowerCase() } : {}),
        ...(c.EngineVersion ? { engineVersion: c.EngineVersion } : {}),
        ...(typeof c.TLSEnabled === 'boolean' ? { tlsEnabled: c.TLSEnabled } : {}),
        ...(c.ACLName ? { aclName: c.ACLName } : {}),
        ...(c.KmsKeyId ? { kmsKeyId: c.KmsKeyId } : {}),
        ...tags,
      };
    }
  }
}

const clusterLister: Lister<MemoryDbCluster> = { resourceType: MEMORYDB_CLUSTER_TYPE, list: listClusters };

export const memoryDbResource: ResourceAdapter<MemoryDbCluster> = {
  resourceTypes: [MEMORYDB_CLUSTER_TYPE],
  listActions: [
    'memorydb:DescribeClusters',
    // Tags per resource when tag:GetResources is refused (rules/runtime/tagging.ts).
    'memorydb:ListTags',
    ...BULK_TAG_ACTIONS,
  ],
  label: memoryDbLabel,
  // The hook's bundle lists nothing (scripts/esbuild-plugins.js): it judges templates, so the listing and its clients stay out.
  listers: process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [clusterLister],
  // Prevention: the same view from CloudFormation properties (ACLs and users declared beside it are facts: cloudformation/memorydb.ts).
  // Rule Lambdas judge deployed resources: their bundles leave the CloudFormation builders out (scripts/esbuild-plugins.js).
  ...(process.env.HIPAA_SAFEGUARDS_BUNDLE === 'detect'
    ? {}
    : {
        fromCloudFormation: (resource) => memoryDbFromCloudFormation(resource),
        cloudFormationReads: memoryDbReads,
      }),
};

// ---------------------------------------------------------------------------------------------------------------
// Facts the auth rule gathers through the run's Lookup: every ACL and every user of the account and region, each
// read once per run (DescribeACLs and DescribeUsers, all pages), however many clusters share them.

/** An ACL. */
export type AclFacts =
  | { readonly kind: 'resolved'; readonly name: string; readonly userNames: readonly string[] }
  /** Not listed: the ACL cannot be verified, so it never passes. */
  | { readonly kind: 'unresolved'; readonly name: string; readonly reason: string };

/** A MemoryDB user. */
export type MemoryDbUserFacts =
  | {
      readonly kind: 'resolved';
      readonly name: string;
      /** password, no-password or iam. */
      readonly authenticationType: string;
      /** The access string switches the user on (`on`); undefined when DescribeUsers reported no access string. */
      readonly enabled?: boolean;
      /** active, modifying, deleting; undefined when not reported. */
      readonly status?: string;
    }
  | { readonly kind: 'unresolved'; readonly name: string; readonly reason: string };

/** The built-in user of every account (no password, all commands), the only user of the open-access ACL. */
export const BUILT_IN_DEFAULT_USER = 'default';

/** Whether an access string switches the user on: the last `on`/`off` wins; neither means off (MemoryDB user guide, ACLs). */
export function accessStringEnabled(accessString: string): boolean {
  const switches = accessString.split(/\s+/).filter((t) => t === 'on' || t === 'off');
  return switches.at(-1) === 'on';
}

/** memorydb:DescribeACLs, every page: the account's ACLs by name. */
export async function listAcls(client: MemoryDBClient): Promise<ReadonlyMap<string, AclFacts>> {
  const acls = new Map<string, AclFacts>();
  for await (const page of paginateDescribeACLs({ client, pageSize: 50 }, {})) {
    for (const raw of page.ACLs ?? []) {
      const parsed = AclSchema.safeParse(raw);
      if (!parsed.success) throw invalid('DescribeACLs', 'ACL', raw, parsed.error);
      acls.set(parsed.data.Name, { kind: 'resolved', name: parsed.data.Name, userNames: parsed.data.UserNames ?? [] });
    }
  }
  return acls;
}

/** memorydb:DescribeUsers, every page: the account's users by name. */
export async function listUsers(client: MemoryDBClient): Promise<ReadonlyMap<string, MemoryDbUserFacts>> {
  const users = new Map<string, MemoryDbUserFacts>();
  for await (const page of paginateDescribeUsers({ client, pageSize: 50 }, {})) {
    for (const raw of page.Users ?? []) {
      const parsed = UserSchema.safeParse(raw);
      if (!parsed.success) throw invalid('DescribeUsers', 'User', raw, parsed.error);
      const u = parsed.data;
      users.set(u.Name, {
        kind: 'resolved',
        name: u.Name,
        authenticationType: u.Authentication.Type,
        ...(typeof u.AccessString === 'string' ? { enabled: accessStringEnabled(u.AccessString) } : {}),
        ...(u.Status ? { status: u.Status.toLowerCase() } : {}),
      });
    }
  }
  return users;
}

/** One ACL, from the run's one reading of every ACL. Throttling and access errors propagate: no fact about it. */
export function aclFacts(lookup: Lookup, name: string): Promise<AclFacts> {
  return lookup.cached(`memorydb:acl:${name}`, async () => {
    const all = await lookup.cached('memorydb:acls', () => listAcls(lookup.clients.get(MemoryDBClient)));
    return all.get(name) ?? { kind: 'unresolved', name, reason: 'DescribeACLs did not list it' };
  });
}

/** One user, from the run's one reading of every user (many ACLs share users such as `default`). */
export function memoryDbUserFacts(lookup: Lookup, name: string): Promise<MemoryDbUserFacts> {
  return lookup.cached(`memorydb:user:${name}`, async () => {
    const all = await lookup.cached('memorydb:users', () => listUsers(lookup.clients.get(MemoryDBClient)));
    return all.get(name) ?? { kind: 'unresolved', name, reason: 'DescribeUsers did not list it' };
  });
}
