import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalog } from '../../rules/catalog';
import { cloudFormationTypesOf } from '../../rules/runtime/safeguard';
import { DomainProperties } from '../../rules/resources/cloudformation/opensearch';
import { MalformedPropertiesError } from '../../rules/prevention/errors';
import {
  CacheClusterProperties,
  ReplicationGroupProperties,
  ServerlessCacheProperties,
  UserGroupProperties,
  UserProperties,
  elastiCacheFromCloudFormation,
  elastiCacheReads,
  userFactsFromCloudFormation,
} from '../../rules/resources/cloudformation/elasticache';
import { DeliveryStreamProperties, firehoseDeliveryStreamFromCloudFormation } from '../../rules/resources/cloudformation/firehose-delivery-stream';
import { StreamProperties, kinesisStreamFromCloudFormation } from '../../rules/resources/cloudformation/kinesis-stream';
import { VideoProperties, kinesisVideoStreamFromCloudFormation } from '../../rules/resources/cloudformation/kinesis-video-stream';
import type { NodeBasedCache } from '../../rules/resources/elasticache';
import { REFERENCE_DIR } from '../helpers/fixtures';
import { leafPaths } from '../helpers/schema-paths';

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; $ref?: string; definitions?: Record<string, JsonSchema> };

/** The CloudFormation registry schema of a type (../shared/reference/B-cfn-resource-schemas). */
function registrySchema(resourceType: string): JsonSchema {
  const file = `${resourceType.toLowerCase().replaceAll('::', '-')}.json`;
  return JSON.parse(readFileSync(join(REFERENCE_DIR, 'B-cfn-resource-schemas', file), 'utf8')) as JsonSchema;
}

/** Whether `a.b.c` names a property of the registry schema (following $ref and array items). */
function hasPath(root: JsonSchema, path: string): boolean {
  let node: JsonSchema | undefined = root;
  for (const part of path.split('.')) {
    while (node?.$ref || node?.items) node = node.$ref ? root.definitions?.[node.$ref.replace('#/definitions/', '')] : node.items;
    node = node?.properties?.[part];
    if (!node) return false;
  }
  return true;
}

/**
 * Types whose registry schema is not in ../shared/reference/B-cfn-resource-schemas: their builders read only
 * properties the CloudFormation Template Reference documents (named in the builder's comment). The test below checks
 * the file is still absent, so a schema that arrives is used.
 */
const NO_REGISTRY_SCHEMA = ['AWS::OpenSearchServerless::Collection'];
const registryFile = (type: string) => join(REFERENCE_DIR, 'B-cfn-resource-schemas', `${type.toLowerCase().replaceAll('::', '-')}.json`);

const schemas: [string, Parameters<typeof leafPaths>[0]][] = [
  ['AWS::Kinesis::Stream', StreamProperties],
  ['AWS::KinesisVideo::Stream', VideoProperties],
  ['AWS::KinesisFirehose::DeliveryStream', DeliveryStreamProperties],
  ['AWS::ElastiCache::ReplicationGroup', ReplicationGroupProperties],
  ['AWS::ElastiCache::CacheCluster', CacheClusterProperties],
  ['AWS::ElastiCache::ServerlessCache', ServerlessCacheProperties],
  ['AWS::ElastiCache::UserGroup', UserGroupProperties],
  ['AWS::ElastiCache::User', UserProperties],
  ['AWS::OpenSearchService::Domain', DomainProperties],
];

const rg = (properties: Record<string, unknown>) =>
  elastiCacheFromCloudFormation({ resourceType: 'AWS::ElastiCache::ReplicationGroup', logicalId: 'Cache', properties: { ReplicationGroupDescription: 'd', ...properties } }) as NodeBasedCache;

describe('resources/cloudformation', () => {
  describe('property names', () => {
    for (const [type, schema] of schemas) {
      it(`reads only properties of the CloudFormation registry schema of ${type}`, () => {
        // Arrange
        const registry = registrySchema(type);
        // Act
        const paths = leafPaths(schema, '').map((p) => p.slice(1));
        // Assert
        for (const path of paths) expect(hasPath(registry, path), `${type} ${path}`).to.equal(true);
      });
    }

    it('declares, per type, every path it reads and only paths of the registry schema (cloudFormationReads)', () => {
      // Arrange
      const reads = Object.assign({}, ...catalog.map((s) => s.resource.cloudFormationReads ?? {})) as Record<string, Record<string, string>>;
      // Act / Assert: every catalog type has a builder and its declared paths exist
      for (const s of catalog) {
        expect(s.resource.fromCloudFormation, s.name).to.be.a('function');
        for (const type of cloudFormationTypesOf(s.resource)) expect(reads, type).to.have.property(type);
      }
      for (const [type, paths] of Object.entries(reads)) {
        if (NO_REGISTRY_SCHEMA.includes(type)) {
          expect(existsSync(registryFile(type)), `${type} has a registry schema now: check its paths`).to.equal(false);
          continue;
        }
        const registry = registrySchema(type);
        for (const path of Object.keys(paths)) expect(hasPath(registry, path), `${type} ${path}`).to.equal(true);
      }
      for (const [type, schema] of schemas) {
        for (const path of leafPaths(schema, '').map((p) => p.slice(1))) expect(reads[type], `${type} ${path} declared`).to.have.property(path);
      }
    });

    it('tells a path the registry schema lacks (the check can fail)', () => {
      expect(hasPath(registrySchema('AWS::Kinesis::Stream'), 'StreamEncryption.KeyId')).to.equal(true);
      expect(hasPath(registrySchema('AWS::Kinesis::Stream'), 'StreamEncryption.KeyARN')).to.equal(false);
      expect(hasPath(registrySchema('AWS::ElastiCache::CacheCluster'), 'AtRestEncryptionEnabled')).to.equal(false);
    });

    it('finds the registry schema of each ElastiCache RBAC type the AUTH rule reads', () => {
      expect(Object.keys(elastiCacheReads)).to.include.members(['AWS::ElastiCache::UserGroup', 'AWS::ElastiCache::User']);
    });
  });

  describe('defaults applied when a property is absent', () => {
    it('takes a stream without StreamEncryption as unencrypted, naming the absent property', () => {
      const s = kinesisStreamFromCloudFormation({ resourceType: 'AWS::Kinesis::Stream', logicalId: 'Phi', properties: { ShardCount: 1 } });
      expect(s).to.deep.include({ id: 'Phi', name: 'Phi', encryptionType: 'NONE', encryptionField: 'StreamEncryption' });
    });

    it('takes a video stream without KmsKeyId as encrypted with the default aws/kinesisvideo key (kmsKeyId undefined)', () => {
      const v = kinesisVideoStreamFromCloudFormation({ resourceType: 'AWS::KinesisVideo::Stream', logicalId: 'Cam', properties: { Name: 'cam' } });
      expect(v.kmsKeyId).to.equal(undefined);
      expect(v.name).to.equal('cam');
    });

    it('takes a delivery stream without DeliveryStreamType as DirectPut, and declared encryption as ENABLED', () => {
      const f = firehoseDeliveryStreamFromCloudFormation({
        resourceType: 'AWS::KinesisFirehose::DeliveryStream',
        logicalId: 'Fh',
        properties: { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } },
      });
      expect(f).to.deep.include({ sourceType: 'DirectPut', encryptionStatusKnown: true, encryption: { keyType: 'AWS_OWNED_CMK', status: 'ENABLED' } });
    });

    it('takes a replication group without Engine as Redis OSS, without encryption flags as unencrypted', () => {
      const g = rg({});
      expect(g).to.deep.include({ engine: 'redis', atRestEncryptionEnabled: false, transitEncryptionEnabled: false, authTokenEnabled: false });
      expect(g.transitEncryptionMode).to.equal(undefined);
    });

    it('gives TransitEncryptionMode required when only TransitEncryptionEnabled is set, and keeps an explicit preferred', () => {
      expect(rg({ TransitEncryptionEnabled: true }).transitEncryptionMode).to.equal('required');
      expect(rg({ TransitEncryptionEnabled: 'true', TransitEncryptionMode: 'preferred' }).transitEncryptionMode).to.equal('preferred');
    });

    it('marks an absent EngineVersion or CacheNodeType as unknown (ElastiCache picks them), not as empty', () => {
      expect(rg({}).missingFields).to.deep.equal(['EngineVersion', 'CacheNodeType']);
      expect(rg({ EngineVersion: 7.1, CacheNodeType: 'cache.r7g.large' })).to.deep.include({ engineVersion: '7.1', missingFields: [] });
    });

    it('stores replication group and cluster IDs in lower case, as ElastiCache does', () => {
      expect(rg({ ReplicationGroupId: 'PHI-Sessions' }).id).to.equal('phi-sessions');
    });

    it('gives a standalone cluster neither at-rest encryption nor an AUTH token (the type has no such properties)', () => {
      const c = elastiCacheFromCloudFormation({
        resourceType: 'AWS::ElastiCache::CacheCluster',
        logicalId: 'C',
        properties: { Engine: 'Redis', CacheNodeType: 'cache.t4g.micro', NumCacheNodes: 1, TransitEncryptionEnabled: true },
      }) as NodeBasedCache;
      expect(c).to.deep.include({ kind: 'cacheCluster', engine: 'redis', atRestEncryptionEnabled: false, authTokenEnabled: false, transitEncryptionEnabled: true });
    });

    it('reads an RBAC user: AuthenticationMode first, then NoPasswordRequired, then Passwords', () => {
      const user = (properties: Record<string, unknown>) =>
        userFactsFromCloudFormation('u', { resourceType: 'AWS::ElastiCache::User', logicalId: 'U', properties: { UserId: 'u', UserName: 'u', Engine: 'valkey', AccessString: 'on ~* +@all', ...properties } });
      expect(user({ AuthenticationMode: { Type: 'no-password-required' } })).to.deep.include({ authenticationType: 'no-password', enabled: true });
      expect(user({ NoPasswordRequired: true })).to.deep.include({ authenticationType: 'no-password' });
      expect(user({ Passwords: ['x'.repeat(16)], AccessString: 'off ~* +@all' })).to.deep.include({ authenticationType: 'password', enabled: false });
      expect(user({})).to.deep.include({ kind: 'unresolved' });
    });
  });

  it('rejects properties CloudFormation would reject, naming the resource and the field', () => {
    expect(() => rg({ AtRestEncryptionEnabled: 'yes' })).to.throw(
      MalformedPropertiesError,
      'Malformed AWS::ElastiCache::ReplicationGroup Cache: Properties.AtRestEncryptionEnabled: expected true or false, got "yes".',
    );
    expect(() => elastiCacheFromCloudFormation({ resourceType: 'AWS::ElastiCache::CacheCluster', logicalId: 'C', properties: { CacheNodeType: 'cache.t3.micro' } })).to.throw(
      MalformedPropertiesError,
      /Properties\.Engine/,
    );
  });
});
