import * as z from 'zod/mini';
import { UnresolvedFactError } from '../../prevention/errors';
import { marker } from '../../prevention/markers';
import type { OptionGroupFacts, ParameterGroupFacts, RdsDatabase } from '../rds';
import { type CloudFormationResource, type PropertyReads, cfnBoolean, cfnString, cfnTags, parseProperties } from './common';

/*
 * RDS, Aurora, DocumentDB and Neptune from CloudFormation properties. Defaults applied when a property is absent:
 * - `StorageEncrypted`: false. CreateDBInstance and CreateDBCluster take it as optional and leave storage unencrypted
 *   unless it is set (RDS API reference; AWS::RDS::DBInstance "StorageEncrypted ... If you specify the KmsKeyId
 *   property, then you must enable encryption"): a template that wants encryption says so. An instance that belongs
 *   to a cluster (DBClusterIdentifier) takes its cluster's encryption; the rules judge the cluster.
 * - `KmsKeyId` with StorageEncrypted true and no key: RDS uses the AWS managed key `alias/aws/rds` (same page:
 *   "If you enable the StorageEncrypted property but don't specify this property, the default KMS key is used").
 * - No `DBParameterGroupName` / `DBClusterParameterGroupName`: the engine's default group (`default.<family>`), whose
 *   values are the engine defaults; the view leaves `parameterGroup` absent and the TLS rule judges the engine default.
 * - A resource restored from a snapshot, a point in time, a source instance or cluster, or a read replica takes its
 *   encryption from the source (StorageEncrypted must not be set then): that is UNKNOWN before deployment, naming it.
 * Types and their engines: AWS::DocDB::DBCluster is engine `docdb`, AWS::Neptune::DBCluster `neptune` (both through
 * the RDS API, recorded by Config as AWS::RDS::DBCluster).
 */

export const RDS_CLOUDFORMATION_TYPES = ['AWS::DocDB::DBCluster', 'AWS::Neptune::DBCluster'] as const;

const DBInstanceProperties = /* @__PURE__ */ z.lazy(() => z.object({
  DBInstanceIdentifier: z.optional(cfnString),
  Engine: z.optional(cfnString),
  EngineVersion: z.optional(cfnString),
  StorageEncrypted: z.optional(cfnBoolean),
  KmsKeyId: z.optional(cfnString),
  DBClusterIdentifier: z.optional(cfnString),
  DBParameterGroupName: z.optional(cfnString),
  OptionGroupName: z.optional(cfnString),
  SourceDBInstanceIdentifier: z.optional(cfnString),
  DBSnapshotIdentifier: z.optional(cfnString),
  SourceDBClusterIdentifier: z.optional(cfnString),
  SourceDBInstanceAutomatedBackupsArn: z.optional(cfnString),
  DBClusterSnapshotIdentifier: z.optional(cfnString),
  Tags: cfnTags,
}));

const DBClusterProperties = /* @__PURE__ */ z.lazy(() => z.object({
  DBClusterIdentifier: z.optional(cfnString),
  Engine: z.optional(cfnString),
  EngineVersion: z.optional(cfnString),
  StorageEncrypted: z.optional(cfnBoolean),
  KmsKeyId: z.optional(cfnString),
  DBClusterParameterGroupName: z.optional(cfnString),
  SnapshotIdentifier: z.optional(cfnString),
  SourceDBClusterIdentifier: z.optional(cfnString),
  ReplicationSourceIdentifier: z.optional(cfnString),
  GlobalClusterIdentifier: z.optional(cfnString),
  Tags: cfnTags,
}));

const instanceReads: PropertyReads = {
  DBInstanceIdentifier: 'identifier',
  Engine: 'value',
  EngineVersion: 'value',
  StorageEncrypted: 'value',
  KmsKeyId: 'identifier',
  DBClusterIdentifier: 'identifier',
  // A group's values are resolved on their own (declared in the template, or read from the account).
  DBParameterGroupName: 'identifier',
  OptionGroupName: 'identifier',
  SourceDBInstanceIdentifier: 'identifier',
  DBSnapshotIdentifier: 'identifier',
  SourceDBClusterIdentifier: 'identifier',
  SourceDBInstanceAutomatedBackupsArn: 'identifier',
  DBClusterSnapshotIdentifier: 'identifier',
  Tags: 'identifier',
};

const clusterReads = (withEngine: boolean): PropertyReads => ({
  DBClusterIdentifier: 'identifier',
  ...(withEngine ? { Engine: 'value' as const, ReplicationSourceIdentifier: 'identifier' as const } : {}),
  EngineVersion: 'value',
  StorageEncrypted: 'value',
  KmsKeyId: 'identifier',
  DBClusterParameterGroupName: 'identifier',
  SnapshotIdentifier: 'identifier',
  SourceDBClusterIdentifier: 'identifier',
  GlobalClusterIdentifier: 'identifier',
  Tags: 'identifier',
});

// Type names spelt out: rules/resources/rds.ts imports this module while it is still loading.
export const rdsReads: Readonly<Record<string, PropertyReads>> = {
  'AWS::RDS::DBInstance': instanceReads,
  'AWS::RDS::DBCluster': clusterReads(true),
  'AWS::DocDB::DBCluster': clusterReads(false),
  'AWS::Neptune::DBCluster': clusterReads(false),
  'AWS::RDS::DBParameterGroup': { DBParameterGroupName: 'identifier', Family: 'value', Parameters: 'value' },
  'AWS::RDS::DBClusterParameterGroup': { DBClusterParameterGroupName: 'identifier', Family: 'value', Parameters: 'value' },
  'AWS::DocDB::DBClusterParameterGroup': { Name: 'identifier', Family: 'value', Parameters: 'value' },
  'AWS::Neptune::DBClusterParameterGroup': { Name: 'identifier', Family: 'value', Parameters: 'value' },
  'AWS::RDS::OptionGroup': { OptionGroupName: 'identifier', OptionConfigurations: 'value' },
};

const ENGINE_OF_TYPE: Readonly<Record<string, string>> = { 'AWS::DocDB::DBCluster': 'docdb', 'AWS::Neptune::DBCluster': 'neptune' };

const arnOf = (logicalId: string) => marker(`ARN of ${logicalId}`);

/** The view of a declared DB instance or DB cluster (RDS, Aurora, DocumentDB, Neptune). */
export function rdsFromCloudFormation(resource: CloudFormationResource): RdsDatabase {
  if (resource.resourceType === 'AWS::RDS::DBInstance') {
    const p = parseProperties(DBInstanceProperties, resource);
    const source = p.SourceDBInstanceIdentifier ?? p.DBSnapshotIdentifier ?? p.SourceDBClusterIdentifier ?? p.SourceDBInstanceAutomatedBackupsArn ?? p.DBClusterSnapshotIdentifier;
    // A cluster member takes its encryption from its cluster: the view says which, and the rules judge the cluster.
    if (source && !p.DBClusterIdentifier) throw new UnresolvedFactError(`the encryption and engine DB instance ${resource.logicalId} inherits from its source ${source}`);
    if (!p.Engine) throw new UnresolvedFactError(`the engine of DB instance ${resource.logicalId} (no Engine)`);
    const encrypted = p.StorageEncrypted ?? false;
    return {
      kind: 'instance',
      id: p.DBInstanceIdentifier?.toLowerCase() ?? resource.logicalId,
      resourceType: 'AWS::RDS::DBInstance',
      name: p.DBInstanceIdentifier?.toLowerCase() ?? resource.logicalId,
      arn: arnOf(resource.logicalId),
      engine: p.Engine.toLowerCase(),
      ...(p.EngineVersion ? { engineVersion: p.EngineVersion } : {}),
      storageEncrypted: encrypted,
      ...(encrypted ? { kmsKeyId: p.KmsKeyId ?? 'alias/aws/rds' } : {}),
      ...(p.DBClusterIdentifier ? { clusterId: p.DBClusterIdentifier } : {}),
      ...(p.DBParameterGroupName ? { parameterGroup: { name: p.DBParameterGroupName } } : {}),
      optionGroups: p.OptionGroupName ? [p.OptionGroupName] : [],
      tags: p.Tags,
    };
  }
  if (resource.resourceType === 'AWS::RDS::DBCluster' || Object.hasOwn(ENGINE_OF_TYPE, resource.resourceType)) {
    const p = parseProperties(DBClusterProperties, resource);
    const source = p.SnapshotIdentifier ?? p.SourceDBClusterIdentifier ?? p.ReplicationSourceIdentifier ?? p.GlobalClusterIdentifier;
    if (source) throw new UnresolvedFactError(`the encryption DB cluster ${resource.logicalId} inherits from its source ${source}`);
    const engine = ENGINE_OF_TYPE[resource.resourceType] ?? p.Engine;
    if (!engine) throw new UnresolvedFactError(`the engine of DB cluster ${resource.logicalId} (no Engine)`);
    const encrypted = p.StorageEncrypted ?? false;
    return {
      kind: 'cluster',
      id: p.DBClusterIdentifier?.toLowerCase() ?? resource.logicalId,
      resourceType: 'AWS::RDS::DBCluster',
      name: p.DBClusterIdentifier?.toLowerCase() ?? resource.logicalId,
      arn: arnOf(resource.logicalId),
      engine: engine.toLowerCase(),
      ...(p.EngineVersion ? { engineVersion: p.EngineVersion } : {}),
      storageEncrypted: encrypted,
      ...(encrypted ? { kmsKeyId: p.KmsKeyId ?? 'alias/aws/rds' } : {}),
      ...(p.DBClusterParameterGroupName ? { parameterGroup: { name: p.DBClusterParameterGroupName } } : {}),
      optionGroups: [],
      tags: p.Tags,
    };
  }
  throw new Error(`rdsFromCloudFormation does not build ${resource.resourceType}.`);
}

/** The parameter group types of the same template, by the scope they serve. */
export const PARAMETER_GROUP_TYPES = {
  instance: { 'AWS::RDS::DBParameterGroup': 'DBParameterGroupName' },
  cluster: { 'AWS::RDS::DBClusterParameterGroup': 'DBClusterParameterGroupName', 'AWS::DocDB::DBClusterParameterGroup': 'Name', 'AWS::Neptune::DBClusterParameterGroup': 'Name' },
} as const;

const ParameterGroupProperties = /* @__PURE__ */ z.lazy(() => z.object({ Parameters: z.optional(z.record(z.string(), cfnString)) }));

/**
 * What a parameter group declared in the same template says: its `Parameters` map. A group being created is in sync
 * with the resource that uses it from the start, so no apply status applies.
 */
export function parameterGroupFactsFromCloudFormation(name: string, resource: CloudFormationResource): ParameterGroupFacts {
  const p = parseProperties(ParameterGroupProperties, resource);
  return { kind: 'resolved', name, parameters: Object.fromEntries(Object.entries(p.Parameters ?? {}).map(([k, v]) => [k, { value: v }])) };
}

const OptionGroupProperties = /* @__PURE__ */ z.lazy(() => z.object({
  OptionConfigurations: z.optional(z.array(z.object({ OptionName: cfnString, OptionSettings: z.optional(z.array(z.object({ Name: cfnString, Value: z.optional(cfnString) }))) }))),
}));

/** What an option group declared in the same template says: its options and their settings. */
export function optionGroupFactsFromCloudFormation(name: string, resource: CloudFormationResource): OptionGroupFacts {
  const p = parseProperties(OptionGroupProperties, resource);
  return {
    kind: 'resolved',
    name,
    options: Object.fromEntries((p.OptionConfigurations ?? []).map((o) => [o.OptionName, Object.fromEntries((o.OptionSettings ?? []).map((s) => [s.Name, s.Value ?? '']))])),
  };
}
