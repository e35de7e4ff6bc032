import { DescribeKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { DescribeCacheEngineVersionsCommand, DescribeUserGroupsCommand, DescribeUsersCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { MalformedPropertiesError } from '../../rules/prevention/errors';
import { judgeProperties, unresolvedProperties } from '../../rules/prevention/judge';
import type { PropertyVerdict } from '../../rules/prevention/judge-properties';
import { InvalidParameterError } from '../../rules/runtime/errors';
import { AwsClients } from '../../rules/runtime/clients';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const only = (verdicts: PropertyVerdict[], rule: string) => {
  const v = verdicts.find((x) => x.rule === rule);
  if (!v) throw new Error(`no verdict for ${rule}`);
  return v;
};

describe('prevention/judge (judgeProperties)', () => {
  it('judges a resource with every catalog rule of its type, and nothing for other types', async () => {
    // Act
    const cache = await judgeProperties({ resourceType: 'AWS::ElastiCache::ServerlessCache', logicalId: 'S', properties: { ServerlessCacheName: 's', Engine: 'valkey', MajorEngineVersion: '8' } });
    const other = await judgeProperties({ resourceType: 'AWS::S3::Bucket', logicalId: 'B', properties: {} });
    // Assert
    expect(cache.map((v) => v.rule)).to.deep.equal([
      'elasticache-encrypted-at-rest',
      'elasticache-encrypted-in-transit',
      'elasticache-auth-enabled',
      'elasticache-engine-hipaa-eligible',
      'elasticache-security-updates-applied',
      'elasticache-current-generation-nodes',
    ]);
    expect(other).to.deep.equal([]);
  });

  it('judges hook-style properties, where every value is a string', async () => {
    // Arrange: CloudFormation hook requests carry booleans as "true"/"false"
    const properties = { ReplicationGroupDescription: 'd', Engine: 'valkey', EngineVersion: '8.0', CacheNodeType: 'cache.r7g.large', AtRestEncryptionEnabled: 'true', TransitEncryptionEnabled: 'true', TransitEncryptionMode: 'preferred', AuthToken: 'x'.repeat(20) };
    // Act
    const verdicts = await judgeProperties({ resourceType: 'AWS::ElastiCache::ReplicationGroup', logicalId: 'Phi', properties, rules: ['elasticache-encrypted-at-rest', 'elasticache-encrypted-in-transit'] });
    // Assert
    expect(verdicts).to.deep.equal([
      { rule: 'elasticache-encrypted-at-rest', resourceType: 'AWS::ElastiCache::ReplicationGroup', compliance: 'COMPLIANT', annotation: 'Replication group Phi is encrypted at rest with the ElastiCache default key. 45 CFR 164.312(a)(2)(iv)' },
      {
        rule: 'elasticache-encrypted-in-transit',
        resourceType: 'AWS::ElastiCache::ReplicationGroup',
        compliance: 'NON_COMPLIANT',
        annotation: 'Replication group Phi still accepts plaintext connections (TransitEncryptionMode preferred). Set TransitEncryptionMode to required once every client uses TLS. 45 CFR 164.312(e)(2)(ii)',
      },
    ]);
  });

  it('applies rule parameters the way Config passes them, and refuses a misspelt one', async () => {
    const props = { StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } };
    const lax = await judgeProperties({ resourceType: 'AWS::Kinesis::Stream', logicalId: 'S', properties: props });
    const strict = await judgeProperties({ resourceType: 'AWS::Kinesis::Stream', logicalId: 'S', properties: props, parameters: { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } } });
    expect(lax.map((v) => v.compliance)).to.deep.equal(['COMPLIANT']);
    expect(strict.map((v) => v.annotation)).to.deep.equal([
      'Stream S is encrypted, but KMS key alias/aws/kinesis is AWS managed; requireCustomerManagedKey needs a customer managed key. 45 CFR 164.312(a)(2)(iv)',
    ]);
    await judgeProperties({ resourceType: 'AWS::Kinesis::Stream', logicalId: 'S', properties: props, parameters: { 'kinesis-stream-encrypted': { requireCustomerKey: 'true' } } }).then(
      () => expect.fail('a misspelt parameter must be refused'),
      (e: unknown) => expect(e).to.be.instanceOf(InvalidParameterError),
    );
  });

  it('throws MalformedPropertiesError naming the field for properties CloudFormation would reject', async () => {
    await judgeProperties({ resourceType: 'AWS::Kinesis::Stream', logicalId: 'S', properties: { StreamEncryption: { EncryptionType: 'KMS' } } }).then(
      () => expect.fail('expected MalformedPropertiesError'),
      (e: unknown) => {
        expect(e).to.be.instanceOf(MalformedPropertiesError);
        expect((e as Error).message).to.equal('Malformed AWS::Kinesis::Stream S: Properties.StreamEncryption.KeyId: expected a string, received undefined.');
      },
    );
  });

  describe('facts', () => {
    const template = {
      Key: { type: 'AWS::KMS::Key', properties: {} },
      OffKey: { type: 'AWS::KMS::Key', properties: { Enabled: 'false' } },
      Alias: { type: 'AWS::KMS::Alias', properties: { AliasName: 'alias/phi', TargetKeyId: '«!Ref Key»' } },
    };
    const video = (KmsKeyId: string, extra: object = {}) =>
      judgeProperties({ resourceType: 'AWS::KinesisVideo::Stream', logicalId: 'V', properties: { KmsKeyId }, template, ...extra });

    it('knows a key declared in the template is customer managed, and its state from Enabled', async () => {
      expect((await video('«!GetAtt Key.Arn»'))[0]?.compliance).to.equal('COMPLIANT');
      expect((await video('alias/phi'))[0]?.compliance).to.equal('COMPLIANT');
      expect((await video('«!Ref OffKey»'))[0]?.annotation).to.equal(
        'Video stream V is encrypted, but customer managed key «!Ref OffKey» is Disabled, not Enabled. 45 CFR 164.312(a)(2)(iv)',
      );
    });

    it('knows alias/aws/... is AWS managed without any call', async () => {
      expect((await video('alias/aws/kinesisvideo'))[0]?.compliance).to.equal('NON_COMPLIANT');
    });

    it('gives UNKNOWN, naming the key, for a key it cannot resolve offline: never a pass', async () => {
      const [v] = await video(KEY_ARN);
      expect(v).to.deep.equal({
        rule: 'kinesis-video-stream-customer-key',
        resourceType: 'AWS::KinesisVideo::Stream',
        compliance: 'UNKNOWN',
        // The ARN is what is shortened to fit Config's 256 characters; `unresolved` keeps it whole.
        annotation: `Video stream V cannot be judged before deployment: whether KMS key ${KEY_ARN.slice(0, 71)}… is customer managed is not known. Set it in the template or check with account credentials. 45 CFR 164.312(a)(2)(iv)`,
        unresolved: [`whether KMS key ${KEY_ARN} is customer managed`],
      });
    });

    it('reads the key from the account when credentials are given (kms:DescribeKey), as the detect path does', async () => {
      // Arrange
      const kms = mockClient(KMSClient);
      kms.on(DescribeKeyCommand, { KeyId: KEY_ARN }).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyManager: 'CUSTOMER', KeyState: 'Enabled' } });
      kms.on(DescribeKeyCommand, { KeyId: 'alias/gone' }).rejects(new NotFoundException({ message: 'no', $metadata: {} }));
      const clients = new AwsClients({ region: 'us-east-1' });
      try {
        // Act
        const [known] = await video(KEY_ARN, { clients });
        const [gone] = await video('alias/gone', { clients });
        // Assert
        expect(known?.compliance).to.equal('COMPLIANT');
        expect(gone?.annotation).to.equal('Video stream V is encrypted, but KMS key alias/gone cannot be verified (DescribeKey failed: NotFoundException). 45 CFR 164.312(a)(2)(iv)');
        expect(kms.commandCalls(DescribeKeyCommand)).to.have.length(2);
      } finally {
        kms.restore();
      }
    });

    it('follows a Firehose source stream declared in the template, and gives UNKNOWN for one it cannot see', async () => {
      const streams = {
        Enc: { type: 'AWS::Kinesis::Stream', properties: { StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } } },
        Plain: { type: 'AWS::Kinesis::Stream', properties: {} },
      };
      const fh = async (arn: string) =>
        (
          await judgeProperties({
            resourceType: 'AWS::KinesisFirehose::DeliveryStream',
            logicalId: 'F',
            properties: { DeliveryStreamType: 'KinesisStreamAsSource', KinesisStreamSourceConfiguration: { KinesisStreamARN: arn, RoleARN: 'r' } },
            template: streams,
          })
        )[0]?.compliance;
      expect(await fh('«!GetAtt Enc.Arn»')).to.equal('COMPLIANT');
      expect(await fh('«!GetAtt Plain.Arn»')).to.equal('NON_COMPLIANT');
      expect(await fh('arn:aws:kinesis:us-east-1:123456789012:stream/elsewhere')).to.equal('UNKNOWN');
    });

    it('reads RBAC groups and users from the template, the built-in default user offline, and others from the account', async () => {
      // Arrange
      const rbac = {
        G: { type: 'AWS::ElastiCache::UserGroup', properties: { UserGroupId: 'g', Engine: 'valkey', UserIds: ['«!Ref U»'] } },
        U: { type: 'AWS::ElastiCache::User', properties: { UserId: 'u', UserName: 'default', Engine: 'valkey', AccessString: 'on ~* +@all', Passwords: ['p'.repeat(16)] } },
        D: { type: 'AWS::ElastiCache::UserGroup', properties: { UserGroupId: 'd', Engine: 'valkey', UserIds: ['default'] } },
      };
      const auth = (UserGroupId: string, extra: object = {}) =>
        judgeProperties({
          resourceType: 'AWS::ElastiCache::ServerlessCache',
          logicalId: 'S',
          properties: { ServerlessCacheName: 's', Engine: 'valkey', UserGroupId },
          template: rbac,
          rules: ['elasticache-auth-enabled'],
          ...extra,
        });
      const ec = mockClient(ElastiCacheClient);
      ec.on(DescribeUserGroupsCommand, { UserGroupId: 'shared' }).resolves({ UserGroups: [{ UserGroupId: 'shared', UserIds: ['svc'] }] });
      ec.on(DescribeUsersCommand, { UserId: 'svc' }).resolves({ Users: [{ UserId: 'svc', UserName: 'svc', AccessString: 'on ~* +@all', Authentication: { Type: 'iam' } }] });
      try {
        // Act / Assert
        expect((await auth('«!Ref G»'))[0]?.compliance).to.equal('COMPLIANT');
        expect((await auth('g'))[0]?.compliance).to.equal('COMPLIANT');
        expect((await auth('d'))[0]?.annotation).to.match(/holds the built-in default user \(no-password, on\)/);
        expect((await auth('shared'))[0]?.compliance).to.equal('UNKNOWN');
        expect((await auth('shared', { clients: new AwsClients({ region: 'us-east-1' }) }))[0]?.compliance).to.equal('COMPLIANT');
      } finally {
        ec.restore();
      }
    });
  });

  describe('values unknown before deployment', () => {
    it('names each verdict-deciding property that holds one, and ignores identifiers', () => {
      const reads = { Engine: 'value', KmsKeyId: 'identifier', 'A.B': 'value' } as const;
      expect(unresolvedProperties({ Engine: '«parameter E (no Default)»', KmsKeyId: '«!Ref K»', A: [{ B: 'x' }, { B: 'arn:«AWS::AccountId»' }] }, reads)).to.deep.equal([
        'Engine (parameter E (no Default))',
        'A.B (AWS::AccountId)',
      ]);
      expect(unresolvedProperties({ A: '«condition C»' }, reads)).to.deep.equal(['A (condition C)']);
    });

    it('gives UNKNOWN for every rule of the resource, naming the property and what it depends on', async () => {
      const verdicts = await judgeProperties({ resourceType: 'AWS::Kinesis::Stream', logicalId: 'S', properties: { StreamEncryption: { EncryptionType: '«parameter Enc (no Default)»', KeyId: 'k' } } });
      expect(only(verdicts, 'kinesis-stream-encrypted')).to.deep.include({
        compliance: 'UNKNOWN',
        annotation:
          'AWS::Kinesis::Stream S cannot be judged before deployment: StreamEncryption.EncryptionType (parameter Enc (no Default)) is not known. Set it in the template or check with account credentials. 45 CFR 164.312(a)(2)(iv)',
      });
    });

    it('still honours an exemption tag on such a resource', async () => {
      const verdicts = await judgeProperties({
        resourceType: 'AWS::Kinesis::Stream',
        logicalId: 'S',
        properties: { StreamEncryption: { EncryptionType: '«condition C»', KeyId: 'k' }, Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-5' }] },
      });
      expect(verdicts[0]).to.deep.include({ compliance: 'NOT_APPLICABLE', annotation: 'AWS::Kinesis::Stream S is exempt by tag hipaa-safeguards:exempt (CHG-5). 45 CFR 164.312(a)(2)(iv)' });
    });

    it('gives UNKNOWN only for the rules that need an EngineVersion ElastiCache picks at creation', async () => {
      const verdicts = await judgeProperties({
        resourceType: 'AWS::ElastiCache::ReplicationGroup',
        logicalId: 'R',
        properties: { ReplicationGroupDescription: 'd', CacheNodeType: 'cache.r7g.large', AtRestEncryptionEnabled: true, TransitEncryptionEnabled: true, AuthToken: 't'.repeat(16) },
      });
      expect(verdicts.filter((v) => v.compliance === 'UNKNOWN').map((v) => v.rule)).to.deep.equal(['elasticache-engine-hipaa-eligible']);
      expect(only(verdicts, 'elasticache-engine-hipaa-eligible').unresolved).to.deep.equal(['EngineVersion']);
    });

    it('with credentials, takes the engine default version for an absent EngineVersion from the account', async () => {
      // Arrange
      const ec = mockClient(ElastiCacheClient);
      ec.on(DescribeCacheEngineVersionsCommand, { Engine: 'redis', DefaultOnly: true }).resolves({ CacheEngineVersions: [{ Engine: 'redis', EngineVersion: '7.1.0' }] });
      try {
        // Act
        const verdicts = await judgeProperties({
          resourceType: 'AWS::ElastiCache::ReplicationGroup',
          logicalId: 'R',
          properties: { ReplicationGroupDescription: 'd', CacheNodeType: 'cache.r7g.large' },
          rules: ['elasticache-engine-hipaa-eligible'],
          parameters: { 'elasticache-engine-hipaa-eligible': { minimumRedisVersion: '7.2' } },
          clients: new AwsClients({ region: 'us-east-1' }),
        });
        // Assert: the default is judged like a declared version (here below a raised minimum)
        expect(verdicts[0]?.annotation).to.equal('Replication group R runs Redis OSS 7.1.0, below the HIPAA-eligible minimum 7.2. Upgrade the engine version. 45 CFR 164.308(b)(1)');
      } finally {
        ec.restore();
      }
    });

    it('gives UNKNOWN for a group that inherits its settings from a primary cluster', async () => {
      const verdicts = await judgeProperties({ resourceType: 'AWS::ElastiCache::ReplicationGroup', logicalId: 'R', properties: { ReplicationGroupDescription: 'd', PrimaryClusterId: 'c1' } });
      expect(new Set(verdicts.map((v) => v.compliance))).to.deep.equal(new Set(['UNKNOWN']));
      expect(verdicts[0]?.annotation).to.contain('the engine and encryption the group inherits from primary cluster c1 (PrimaryClusterId) is not known');
    });
  });
});
