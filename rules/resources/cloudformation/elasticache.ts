import * as z from 'zod/mini';
import { UnresolvedFactError } from '../../prevention/errors';
import { marker } from '../../prevention/markers';
import {
  ElastiCacheResourceType,
  type ElastiCacheResource,
  type MissingField,
  type UserFacts,
  type UserGroupFacts,
  accessStringEnabled,
} from '../elasticache';
import { type CloudFormationResource, type PropertyReads, cfnBoolean, cfnString, cfnTags, parseProperties } from './common';

/*
 * ElastiCache from CloudFormation properties. Defaults applied when a property is absent, each as documented:
 * - ReplicationGroup `Engine`: redis. CreateReplicationGroup's Engine is optional and the group is Redis OSS unless
 *   another engine is named (ElastiCache API reference, API_CreateReplicationGroup).
 * - `AtRestEncryptionEnabled`, `TransitEncryptionEnabled`: false ("Default: false", AWS::ElastiCache::ReplicationGroup,
 *   CloudFormation template reference; the registry schema in ../shared/reference/B-cfn-resource-schemas says
 *   `"default": false` for both).
 * - `TransitEncryptionMode` with TransitEncryptionEnabled true and no mode: required. Only a request that also sets
 *   `preferred` gets the migration mode ("When setting TransitEncryptionEnabled to true, you can set your
 *   TransitEncryptionMode to preferred in the same request", same page and API_CreateReplicationGroup).
 * - CacheCluster: `Engine` and `CacheNodeType` are required by the registry schema, so no default applies. The type
 *   has no AtRestEncryptionEnabled and no AuthToken property: CreateCacheCluster through CloudFormation creates the
 *   cluster without either (false), and TLS only if TransitEncryptionEnabled is set (then TLS only, no mode).
 * - ServerlessCache: always encrypted at rest and in transit (ElastiCache user guide, at-rest-encryption and
 *   in-transit-encryption pages); the rules know it from the kind.
 * - `EngineVersion` (`MajorEngineVersion` for serverless) absent: ElastiCache picks the engine's default version at
 *   creation, a fact of the account and region (DescribeCacheEngineVersions DefaultOnly). The view marks it missing
 *   (missingFields), so only the rules that need the version say they cannot judge it (UNKNOWN before deployment).
 * A declared resource is judged as it will be once created: status available, tags readable.
 */

export const ReplicationGroupProperties = /* @__PURE__ */ z.lazy(() => z.object({
  ReplicationGroupId: z.optional(cfnString),
  Engine: z.optional(cfnString),
  EngineVersion: z.optional(cfnString),
  CacheNodeType: z.optional(cfnString),
  ClusterMode: z.optional(cfnString),
  AtRestEncryptionEnabled: z.optional(cfnBoolean),
  KmsKeyId: z.optional(cfnString),
  TransitEncryptionEnabled: z.optional(cfnBoolean),
  TransitEncryptionMode: z.optional(cfnString),
  AuthToken: z.optional(cfnString),
  UserGroupIds: z.optional(z.array(cfnString)),
  PrimaryClusterId: z.optional(cfnString),
  GlobalReplicationGroupId: z.optional(cfnString),
  Tags: cfnTags,
}));

export const CacheClusterProperties = /* @__PURE__ */ z.lazy(() => z.object({
  ClusterName: z.optional(cfnString),
  Engine: z.pipe(cfnString, z.string().check(z.minLength(1))),
  EngineVersion: z.optional(cfnString),
  CacheNodeType: z.pipe(cfnString, z.string().check(z.minLength(1))),
  TransitEncryptionEnabled: z.optional(cfnBoolean),
  Tags: cfnTags,
}));

export const ServerlessCacheProperties = /* @__PURE__ */ z.lazy(() => z.object({
  ServerlessCacheName: z.pipe(cfnString, z.string().check(z.minLength(1))),
  Engine: z.pipe(cfnString, z.string().check(z.minLength(1))),
  MajorEngineVersion: z.optional(cfnString),
  KmsKeyId: z.optional(cfnString),
  UserGroupId: z.optional(cfnString),
  Tags: cfnTags,
}));

// Type names spelt out: rules/resources/elasticache.ts imports this module while it is still loading.
export const elastiCacheReads: Readonly<Record<string, PropertyReads>> = {
  'AWS::ElastiCache::ReplicationGroup': {
    ReplicationGroupId: 'identifier',
    Engine: 'value',
    EngineVersion: 'value',
    CacheNodeType: 'value',
    ClusterMode: 'value',
    AtRestEncryptionEnabled: 'value',
    KmsKeyId: 'identifier',
    TransitEncryptionEnabled: 'value',
    TransitEncryptionMode: 'value',
    // Only its presence counts (a dynamic reference or a parameter is still a token).
    AuthToken: 'identifier',
    UserGroupIds: 'identifier',
    PrimaryClusterId: 'identifier',
    GlobalReplicationGroupId: 'identifier',
    Tags: 'identifier',
  },
  'AWS::ElastiCache::CacheCluster': {
    ClusterName: 'identifier',
    Engine: 'value',
    EngineVersion: 'value',
    CacheNodeType: 'value',
    TransitEncryptionEnabled: 'value',
    Tags: 'identifier',
  },
  'AWS::ElastiCache::ServerlessCache': {
    ServerlessCacheName: 'identifier',
    Engine: 'value',
    MajorEngineVersion: 'value',
    KmsKeyId: 'identifier',
    UserGroupId: 'identifier',
    Tags: 'identifier',
  },
  'AWS::ElastiCache::UserGroup': { UserGroupId: 'identifier', UserIds: 'identifier' },
  'AWS::ElastiCache::User': {
    UserId: 'identifier',
    UserName: 'identifier',
    AccessString: 'value',
    NoPasswordRequired: 'value',
    Passwords: 'identifier',
    'AuthenticationMode.Type': 'value',
  },
};

const arnOf = (logicalId: string) => marker(`ARN of ${logicalId}`);

function versionFields(version: string | undefined): { engineVersion?: string; engineVersions: string[]; missingFields: MissingField[] } {
  return version ? { engineVersion: version, engineVersions: [version], missingFields: [] } : { engineVersions: [], missingFields: ['EngineVersion'] };
}

/** The view of a declared replication group, standalone cache cluster or serverless cache. */
export function elastiCacheFromCloudFormation(resource: CloudFormationResource): ElastiCacheResource {
  const common = { arn: arnOf(resource.logicalId), status: 'available', tagsUnreadable: false } as const;
  switch (resource.resourceType) {
    case ElastiCacheResourceType.ReplicationGroup: {
      const p = parseProperties(ReplicationGroupProperties, resource);
      // A group built on an existing primary cluster, or a secondary of a global datastore, takes its engine,
      // version and encryption from there, not from these properties.
      if (p.PrimaryClusterId) throw new UnresolvedFactError(`the engine and encryption the group inherits from primary cluster ${p.PrimaryClusterId} (PrimaryClusterId)`);
      if (p.GlobalReplicationGroupId) {
        throw new UnresolvedFactError(`the engine and encryption the group inherits from global datastore ${p.GlobalReplicationGroupId} (GlobalReplicationGroupId)`);
      }
      const transit = p.TransitEncryptionEnabled ?? false;
      const versions = versionFields(p.EngineVersion);
      return {
        kind: 'replicationGroup',
        id: p.ReplicationGroupId?.toLowerCase() ?? resource.logicalId,
        resourceType: ElastiCacheResourceType.ReplicationGroup,
        ...common,
        engine: (p.Engine ?? 'redis').toLowerCase(),
        clusterMode: (p.ClusterMode ?? 'disabled').toLowerCase(),
        memberClusters: [],
        ...versions,
        nodeTypes: p.CacheNodeType ? [p.CacheNodeType] : [],
        missingFields: [...versions.missingFields, ...(p.CacheNodeType ? [] : ['CacheNodeType' as const])],
        atRestEncryptionEnabled: p.AtRestEncryptionEnabled ?? false,
        ...(p.KmsKeyId ? { kmsKeyId: p.KmsKeyId } : {}),
        transitEncryptionEnabled: transit,
        ...(transit ? { transitEncryptionMode: p.TransitEncryptionMode ?? 'required' } : {}),
        authTokenEnabled: p.AuthToken !== undefined && p.AuthToken !== '',
        userGroupIds: p.UserGroupIds ?? [],
        tags: p.Tags,
      };
    }
    case ElastiCacheResourceType.CacheCluster: {
      const p = parseProperties(CacheClusterProperties, resource);
      return {
        kind: 'cacheCluster',
        id: p.ClusterName?.toLowerCase() ?? resource.logicalId,
        resourceType: ElastiCacheResourceType.CacheCluster,
        ...common,
        engine: p.Engine.toLowerCase(),
        memberClusters: [],
        ...versionFields(p.EngineVersion),
        nodeTypes: [p.CacheNodeType],
        atRestEncryptionEnabled: false,
        transitEncryptionEnabled: p.TransitEncryptionEnabled ?? false,
        authTokenEnabled: false,
        userGroupIds: [],
        tags: p.Tags,
      };
    }
    case ElastiCacheResourceType.ServerlessCache: {
      const p = parseProperties(ServerlessCacheProperties, resource);
      return {
        kind: 'serverlessCache',
        id: p.ServerlessCacheName,
        resourceType: ElastiCacheResourceType.ServerlessCache,
        ...common,
        engine: p.Engine.toLowerCase(),
        ...(p.MajorEngineVersion ? { engineVersion: p.MajorEngineVersion } : {}),
        ...(p.KmsKeyId ? { kmsKeyId: p.KmsKeyId } : {}),
        ...(p.UserGroupId ? { userGroupId: p.UserGroupId } : {}),
        missingFields: p.MajorEngineVersion ? [] : ['EngineVersion'],
        tags: p.Tags,
      };
    }
    default:
      throw new Error(`elastiCacheFromCloudFormation does not build ${resource.resourceType}.`);
  }
}

export const UserGroupProperties = /* @__PURE__ */ z.lazy(() => z.object({ UserGroupId: z.pipe(cfnString, z.string().check(z.minLength(1))), UserIds: z.array(cfnString) }));

/** What a user group declared in the same template says (the facts DescribeUserGroups gives after deployment). */
export function userGroupFactsFromCloudFormation(id: string, resource: CloudFormationResource): UserGroupFacts {
  const p = parseProperties(UserGroupProperties, resource);
  return { kind: 'resolved', id, userIds: p.UserIds };
}

export const UserProperties = /* @__PURE__ */ z.lazy(() => z.object({
  UserId: z.pipe(cfnString, z.string().check(z.minLength(1))),
  UserName: z.optional(cfnString),
  AccessString: z.optional(cfnString),
  NoPasswordRequired: z.optional(cfnBoolean),
  Passwords: z.optional(z.array(cfnString)),
  AuthenticationMode: z.optional(z.object({ Type: z.pipe(cfnString, z.string().check(z.minLength(1))) })),
}));

/**
 * What a user declared in the same template says. Its authentication: `AuthenticationMode.Type` when given
 * (password, no-password-required, iam), else `NoPasswordRequired: true` (no password), else `Passwords` (password);
 * CreateUser refuses a user with none of them, so such a declaration cannot be verified.
 */
export function userFactsFromCloudFormation(id: string, resource: CloudFormationResource): UserFacts {
  const p = parseProperties(UserProperties, resource);
  const declared = p.AuthenticationMode?.Type ?? (p.NoPasswordRequired ? 'no-password' : p.Passwords?.length ? 'password' : undefined);
  if (!declared) return { kind: 'unresolved', id, reason: 'it declares no AuthenticationMode, NoPasswordRequired or Passwords' };
  // As the API builder: `no-password-required` (the CloudFormation and moto spelling) is AWS's `no-password`.
  const type = declared.startsWith('no-password') ? 'no-password' : declared;
  return { kind: 'resolved', id, name: p.UserName ?? p.UserId, authenticationType: type, enabled: accessStringEnabled(p.AccessString ?? '') };
}
