import * as z from 'zod/mini';
import { marker } from '../../prevention/markers';
import { type AclFacts, type MemoryDbCluster, type MemoryDbUserFacts, accessStringEnabled } from '../memorydb';
import { type CloudFormationResource, type PropertyReads, cfnBoolean, cfnString, cfnTags, parseProperties } from './common';

/*
 * MemoryDB from CloudFormation properties (../shared/reference/B-cfn-resource-schemas/aws-memorydb-*.json).
 * Defaults applied when a property is absent:
 * - `TLSEnabled`: true. The registry schema gives no default (and makes the property create-only); the service creates
 *   a cluster with in-transit encryption unless TLSEnabled false is sent: the AWS provider documents
 *   aws_memorydb_cluster `tls_enabled` as "Defaults to true", and moto 5.2.1 models the same
 *   (moto/memorydb/models.py: `tls_enabled if tls_enabled is not None else True`).
 * - `KmsKeyId`: none, MemoryDB's default key (MemoryDB always encrypts at rest; the key is create-only).
 * - `Engine`, `EngineVersion`: left unknown (the account's default); only annotations state them.
 * `ClusterName` and `ACLName` are required by the registry schema. A declared cluster is judged as it will be once
 * created: status available, tags readable.
 */

const TYPE = 'AWS::MemoryDB::Cluster';

export const ClusterProperties = /* @__PURE__ */ z.lazy(() => z.object({
  ClusterName: z.pipe(cfnString, z.string().check(z.minLength(1))),
  ACLName: z.pipe(cfnString, z.string().check(z.minLength(1))),
  TLSEnabled: z.optional(cfnBoolean),
  KmsKeyId: z.optional(cfnString),
  Engine: z.optional(cfnString),
  EngineVersion: z.optional(cfnString),
  Tags: cfnTags,
}));

// Type names spelt out: rules/resources/memorydb.ts imports this module while it is still loading.
export const memoryDbReads: Readonly<Record<string, PropertyReads>> = {
  [TYPE]: {
    ClusterName: 'identifier',
    // Names an ACL whose users are resolved separately; `open-access` itself decides (a literal, never a marker).
    ACLName: 'identifier',
    TLSEnabled: 'value',
    KmsKeyId: 'identifier',
    Engine: 'identifier',
    EngineVersion: 'identifier',
    Tags: 'identifier',
  },
  'AWS::MemoryDB::ACL': { ACLName: 'identifier', UserNames: 'identifier' },
  'AWS::MemoryDB::User': { UserName: 'identifier', AccessString: 'value', 'AuthenticationMode.Type': 'value' },
};

/** The view of a declared MemoryDB cluster. */
export function memoryDbFromCloudFormation(resource: CloudFormationResource): MemoryDbCluster {
  if (resource.resourceType !== TYPE) throw new Error(`memoryDbFromCloudFormation does not build ${resource.resourceType}.`);
  const p = parseProperties(ClusterProperties, resource);
  return {
    id: p.ClusterName,
    resourceType: TYPE,
    name: p.ClusterName,
    arn: marker(`ARN of ${resource.logicalId}`),
    status: 'available',
    ...(p.Engine ? { engine: p.Engine.toLowerCase() } : {}),
    ...(p.EngineVersion ? { engineVersion: p.EngineVersion } : {}),
    tlsEnabled: p.TLSEnabled ?? true,
    aclName: p.ACLName,
    ...(p.KmsKeyId ? { kmsKeyId: p.KmsKeyId } : {}),
    tagsUnreadable: false,
    tags: p.Tags,
  };
}

export const AclProperties = /* @__PURE__ */ z.lazy(() => z.object({ ACLName: z.pipe(cfnString, z.string().check(z.minLength(1))), UserNames: z.optional(z.array(cfnString)) }));

/** What an ACL declared in the same template says (the facts DescribeACLs gives after deployment). */
export function aclFactsFromCloudFormation(name: string, resource: CloudFormationResource): AclFacts {
  const p = parseProperties(AclProperties, resource);
  return { kind: 'resolved', name, userNames: p.UserNames ?? [] };
}

export const UserProperties = /* @__PURE__ */ z.lazy(() => z.object({
  UserName: z.pipe(cfnString, z.string().check(z.minLength(1))),
  AccessString: z.optional(cfnString),
  AuthenticationMode: z.optional(z.object({ Type: z.optional(cfnString) })),
}));

/**
 * What a user declared in the same template says. CloudFormation can create `password` and `iam` users only (the
 * registry schema's AuthenticationMode.Type enum); a declaration without a type cannot be verified.
 */
export function userFactsFromCloudFormation(name: string, resource: CloudFormationResource): MemoryDbUserFacts {
  const p = parseProperties(UserProperties, resource);
  const type = p.AuthenticationMode?.Type;
  if (!type) return { kind: 'unresolved', name, reason: 'it declares no AuthenticationMode.Type' };
  return { kind: 'resolved', name, authenticationType: type, enabled: accessStringEnabled(p.AccessString ?? ''), status: 'active' };
}
