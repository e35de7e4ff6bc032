import {
  type CreateReplicationGroupCommandInput,
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { type CallOverride, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';
import { emulateModifyReplicationGroup } from './elasticache-emulation';

// What runs for real: moto creates and describes the replication groups, generates the random password, creates,
// describes and updates the secret (with its KMS key ID and tags), and holds the KMS keys. The token step's Python
// runs under python3, its boto3 calls routed to moto. moto has no ModifyReplicationGroup: elasticache-emulation.ts
// answers it (it refuses an AUTH token without TLS, SET before ROTATE, and tokens outside 16-128 characters or with
// / " @ % or spaces) and shows AuthTokenEnabled after one "modifying" read.
const DOCUMENT = 'HIPAA-ElastiCacheAddAuthToken';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const GROUP = 'phi-sessions';
const SECRET = `hipaa-safeguards/elasticache/${GROUP}/auth-token`;

const READ = ['BranchOnResourceType', 'ProbeReplicationGroup', 'ReadReplicationGroup', 'AssertReplicationGroupAvailable', 'BranchOnAuthTokenEnabled'];
const APPLY = ['GenerateStoreAndApplyAuthToken', 'WaitForAuthTokenEnabled', 'WaitForAvailableAfterAuthToken', 'VerifyAuthTokenEnabled'];

describe('remediations/HIPAA-ElastiCacheAddAuthToken', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let ec: ElastiCacheClient;
  let sm: SecretsManagerClient;
  let kms: KMSClient;

  beforeEach(async () => {
    const moto = await useMoto();
    const config = { region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() };
    ec = new ElastiCacheClient(config);
    sm = new SecretsManagerClient(config);
    kms = new KMSClient(config);
  });

  const createGroup = (settings: Partial<CreateReplicationGroupCommandInput> = {}) =>
    ec.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: GROUP,
        ReplicationGroupDescription: 'sessions',
        Engine: 'redis',
        EngineVersion: '7.1',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 1,
        TransitEncryptionEnabled: true,
        TransitEncryptionMode: 'required',
        ...settings,
      }),
    );
  const run = (parameters: Record<string, unknown>, override: CallOverride) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, ResourceId: GROUP, ...parameters }, override, pollIntervalMs: 5, maxWaitMs: 2_000 });
  const secretNames = async () => ((await sm.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => s.Name);
  const token = async () => (await sm.send(new GetSecretValueCommand({ SecretId: SECRET }))).SecretString ?? '';
  const writes = (r: SimulationResult) => r.calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);

  it('declares exactly the IAM actions its steps and its script call, with TagResource for CreateSecret tags', () => {
    expect([...doc.iamActions].sort()).to.deep.equal([
      'elasticache:DescribeReplicationGroups',
      'elasticache:ModifyReplicationGroup',
      'kms:DescribeKey',
      'secretsmanager:CreateSecret',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetRandomPassword',
      'secretsmanager:PutSecretValue',
      'secretsmanager:TagResource',
    ]);
  });

  it('stores a new 64-character token in a tagged secret with the AWS managed key, applies it with ROTATE and confirms AuthTokenEnabled', async () => {
    // Arrange
    await createGroup();
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    // Act
    const result = await run({}, emulation.override);
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, 'AssertTransitEncryptionEnabled', 'BranchOnSecretKey', ...APPLY]);
    const value = await token();
    expect(value).to.match(/^[A-Za-z0-9]{64}$/);
    const secret = await sm.send(new DescribeSecretCommand({ SecretId: SECRET }));
    // moto reports no KmsKeyId for the AWS managed key (it does for a customer managed one, see below): check the request.
    expect(result.calls.find((c) => c.api === 'CreateSecret')?.params).to.deep.include({ Name: SECRET, KmsKeyId: 'alias/aws/secretsmanager' });
    expect(secret.Tags).to.deep.include.members([
      { Key: 'hipaa-safeguards:replication-group', Value: GROUP },
      { Key: 'hipaa-safeguards:created-by', Value: 'HIPAA-ElastiCacheAddAuthToken' },
    ]);
    expect(emulation.requests).to.deep.equal([{ ReplicationGroupId: GROUP, AuthToken: value, AuthTokenUpdateStrategy: 'ROTATE', ApplyImmediately: true }]);
    expect(result.documentOutputs).to.deep.equal({ 'GenerateStoreAndApplyAuthToken.SecretArn': secret.ARN });
    expect(result.calls.find((c) => c.api === 'GetRandomPassword')?.params).to.deep.equal({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false, RequireEachIncludedType: true });
  });

  it('keeps the token out of every parameter, input, output, log and message the execution records', async () => {
    // Arrange
    await createGroup();
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    // Act
    const result = await run({}, emulation.override);
    const value = await token();
    // Assert: the test knows the token (from the secret), and finds it only where Automation records nothing
    expect(value).to.have.lengthOf(64);
    const visible = JSON.stringify({ steps: result.steps, outputs: result.outputs, documentOutputs: result.documentOutputs, failure: result.failure ?? null });
    expect(visible).to.not.contain(value);
    const declarative = result.calls.filter((c) => !c.fromScript);
    expect(declarative.length).to.be.greaterThan(0);
    expect(JSON.stringify(declarative)).to.not.contain(value);
    // Where it does go: the secret and ModifyReplicationGroup, both called from inside the script step.
    const carriers = result.calls.filter((c) => JSON.stringify(c.params).includes(value)).map((c) => `${c.api}:${c.fromScript === true}`);
    expect(carriers).to.deep.equal(['CreateSecret:true', 'ModifyReplicationGroup:true']);
    expect(result.steps.find((s) => s.name === 'GenerateStoreAndApplyAuthToken')?.log).to.equal('');
  });

  it('removes the token from an error message before it reaches the execution', async () => {
    // Arrange: ModifyReplicationGroup refused with a message that quotes the token (canned error)
    await createGroup();
    const override: CallOverride = (c) => {
      if (c.api === 'ModifyReplicationGroup') throw Object.assign(new Error(`Invalid AuthToken ${String(c.params.AuthToken)}.`), { name: 'InvalidParameterValueException' });
      return undefined;
    };
    // Act
    const result = await run({}, override);
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('GenerateStoreAndApplyAuthToken');
    expect(result.failure?.message).to.equal(
      'RemediationStopped: An error occurred (InvalidParameterValueException) when calling the ModifyReplicationGroup operation: Invalid AuthToken [redacted]. The token was not applied to replication group phi-sessions; a new run replaces any stored one.',
    );
    expect(JSON.stringify(result.steps)).to.not.contain(await token());
  });

  it('replaces the token of a secret an earlier failed run left, then applies it', async () => {
    // Arrange: the secret exists with this document's tag, the group still has no token
    await createGroup();
    await sm.send(new CreateSecretCommand({ Name: SECRET, SecretString: 'left-by-a-failed-run', Tags: [{ Key: 'hipaa-safeguards:replication-group', Value: GROUP }] }));
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    // Act
    const result = await run({}, emulation.override);
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.calls.filter((c) => c.fromScript).map((c) => c.api)).to.deep.equal(['GetRandomPassword', 'CreateSecret', 'DescribeSecret', 'PutSecretValue', 'ModifyReplicationGroup']);
    expect(await token()).to.not.equal('left-by-a-failed-run');
    expect(emulation.requests[0]?.AuthToken).to.equal(await token());
  });

  it('stops, changing nothing, when a secret of that name is not its own', async () => {
    await createGroup();
    await sm.send(new CreateSecretCommand({ Name: SECRET, SecretString: 'someone else' }));
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.failure?.message).to.equal(
      `RemediationStopped: Secret ${SECRET} already exists and is not tagged hipaa-safeguards:replication-group=${GROUP}, so it is not this document's to overwrite. Rename or delete it, then run again. Nothing was changed.`,
    );
    expect(await token()).to.equal('someone else');
    expect(emulation.requests).to.deep.equal([]);
  });

  it('changes nothing on a group that already has a token (no write, no secret)', async () => {
    await createGroup({ AuthToken: 'an-existing-token-of-32-characters' });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, 'VerifyAuthTokenEnabled']);
    expect(writes(result)).to.deep.equal([]);
    expect(await secretNames()).to.deep.equal([]);
  });

  it('stops at the TLS check on a group without in-transit encryption (no secret, no write)', async () => {
    await createGroup({ TransitEncryptionEnabled: false, TransitEncryptionMode: undefined });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.failure).to.deep.equal({ step: 'AssertTransitEncryptionEnabled', message: 'Expected $.ReplicationGroups[0].TransitEncryptionEnabled to be one of [True] but found False.' });
    expect(writes(result)).to.deep.equal([]);
    expect(await secretNames()).to.deep.equal([]);
  });

  it('stops on a group that uses RBAC user groups, before generating anything', async () => {
    await createGroup({ UserGroupIds: ['phi-users'] });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.failure?.step).to.equal('GenerateStoreAndApplyAuthToken');
    expect(result.failure?.message).to.match(/^RemediationStopped: Replication group phi-sessions authenticates with RBAC user groups \(phi-users\): an AUTH token does not apply\./);
    expect(result.calls.filter((c) => c.fromScript)).to.deep.equal([]);
    expect(await secretNames()).to.deep.equal([]);
  });

  it('checks an Enabled customer managed key and encrypts the secret with it', async () => {
    await createGroup();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'PHI secrets' }));
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({ SecretKmsKeyId: KeyMetadata?.Arn }, emulation.override);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.include('AssertSecretKmsKeyEnabled');
    expect((await sm.send(new DescribeSecretCommand({ SecretId: SECRET }))).KmsKeyId).to.equal(KeyMetadata?.Arn);
  });

  it('fails at the key check, before generating a token, when the customer managed key is disabled', async () => {
    await createGroup();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'PHI secrets' }));
    await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata?.KeyId }));
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({ SecretKmsKeyId: KeyMetadata?.Arn }, emulation.override);
    expect(result.failure).to.deep.equal({ step: 'AssertSecretKmsKeyEnabled', message: 'Expected $.KeyMetadata.KeyState to be one of [Enabled] but found Disabled.' });
    expect(await secretNames()).to.deep.equal([]);
  });

  it('refuses a group that is not available (deleting)', async () => {
    await createGroup();
    await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: GROUP }));
    const result = await run({}, emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' }).override);
    expect(result.failure?.step).to.equal('AssertReplicationGroupAvailable');
    expect(await secretNames()).to.deep.equal([]);
  });

  it('stops on a standalone cache cluster found by Auto', async () => {
    await ec.send(new CreateCacheClusterCommand({ CacheClusterId: 'sessions-1', Engine: 'redis', CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1 }));
    const result = await run({ ResourceId: 'sessions-1' }, () => undefined);
    expect(result.stepPath).to.deep.equal(['BranchOnResourceType', 'ProbeReplicationGroup', 'StopNotAReplicationGroup']);
    expect(result.failure?.message).to.match(/^RemediationStopped: sessions-1 is not a replication group \(ResourceType Auto\): this document adds AUTH tokens/);
  });
});
