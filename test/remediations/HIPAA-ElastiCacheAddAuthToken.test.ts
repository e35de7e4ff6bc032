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
// describes the secret (with its KMS key ID and tags), and holds the KMS keys. The token step's Python
// runs under python3, its boto3 calls routed to moto. moto also holds the group's tags (the exemption re-check). moto has no ModifyReplicationGroup: elasticache-emulation.ts
// answers it (it refuses an AUTH token without TLS, SET before ROTATE, and tokens outside 16-128 characters or with
// / " @ % or spaces) and shows AuthTokenEnabled after one "modifying" read.
const DOCUMENT = 'HIPAA-ElastiCacheAddAuthToken';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const GROUP = 'phi-sessions';
const SECRET_PREFIX = `hipaa-safeguards/elasticache/${GROUP}/auth-token-`;
const SECRET = new RegExp(`^${SECRET_PREFIX}[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);

const READ = ['BranchOnResourceType', 'ProbeReplicationGroup', 'ReadReplicationGroup', 'AssertReplicationGroupAvailable', 'ReadTags', 'CheckExemption', 'BranchOnExemption', 'BranchOnAuthTokenEnabled'];
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
  /** The one secret this document created (its name carries the execution ID). */
  const secretName = async () => {
    const names = (await secretNames()).filter((n) => n?.startsWith(SECRET_PREFIX));
    expect(names).to.have.length(1);
    expect(names[0]).to.match(SECRET);
    return names[0] ?? '';
  };
  const token = async () => (await sm.send(new GetSecretValueCommand({ SecretId: await secretName() }))).SecretString ?? '';
  const writes = (r: SimulationResult) => r.calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);

  it('declares exactly the IAM actions its steps and its script call, with TagResource for CreateSecret tags', () => {
    expect([...doc.iamActions].sort()).to.deep.equal([
      'elasticache:DescribeReplicationGroups',
      'elasticache:ListTagsForResource',
      'elasticache:ModifyReplicationGroup',
      'kms:DescribeKey',
      'secretsmanager:CreateSecret',
      'secretsmanager:GetRandomPassword',
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
    const name = await secretName();
    const secret = await sm.send(new DescribeSecretCommand({ SecretId: name }));
    // moto reports no KmsKeyId for the AWS managed key (it does for a customer managed one, see below): check the request.
    expect(result.calls.find((c) => c.api === 'CreateSecret')?.params).to.deep.include({ Name: name, KmsKeyId: 'alias/aws/secretsmanager' });
    expect(secret.Tags).to.deep.include.members([
      { Key: 'hipaa-safeguards:replication-group', Value: GROUP },
      { Key: 'hipaa-safeguards:created-by', Value: 'HIPAA-ElastiCacheAddAuthToken' },
      { Key: 'hipaa-safeguards:execution-id', Value: name.slice(SECRET_PREFIX.length) },
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
      'RemediationStopped: An error occurred (InvalidParameterValueException) when calling the ModifyReplicationGroup operation: Invalid AuthToken [redacted]. The token was not applied to replication group phi-sessions; a new run stores a new one in a new secret.',
    );
    expect(JSON.stringify(result.steps)).to.not.contain(await token());
  });

  it("never writes into a secret it did not create in this execution: an earlier run's secret is left as it was", async () => {
    // Arrange: the old fixed name, as an earlier version (or a person) left it, with this document's tag
    await createGroup();
    const old = `hipaa-safeguards/elasticache/${GROUP}/auth-token`;
    await sm.send(new CreateSecretCommand({ Name: old, SecretString: 'left-by-a-failed-run', Tags: [{ Key: 'hipaa-safeguards:replication-group', Value: GROUP }] }));
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    // Act
    const result = await run({}, emulation.override);
    // Assert: a new secret, and no call that writes into an existing one
    expect(result.status).to.equal('Success');
    expect(result.calls.filter((c) => c.fromScript).map((c) => c.api)).to.deep.equal(['GetRandomPassword', 'CreateSecret', 'ModifyReplicationGroup']);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: old }))).SecretString).to.equal('left-by-a-failed-run');
    expect(emulation.requests[0]?.AuthToken).to.equal(await token());
  });

  it('gives each execution its own secret', async () => {
    // Arrange: ElastiCache refuses the first run's token (canned error), so a second run is needed
    await createGroup();
    let refuse = true;
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const override: CallOverride = (c) => {
      if (c.api === 'ModifyReplicationGroup' && refuse) {
        refuse = false;
        throw Object.assign(new Error('Throttled.'), { name: 'ThrottlingException' });
      }
      return emulation.override(c);
    };
    // Act
    const first = await run({}, override);
    const second = await run({}, override);
    // Assert
    expect(first.status).to.equal('Failed');
    expect(second.status).to.equal('Success');
    const created = [first, second].map((r) => r.calls.find((c) => c.api === 'CreateSecret')?.params.Name);
    expect(new Set(created).size).to.equal(2);
    expect((await secretNames()).filter((n) => n?.startsWith(SECRET_PREFIX))).to.have.members(created as string[]);
  });

  it('stops before changing the group when the per-execution name is taken (it never writes into that secret)', async () => {
    // Arrange: a secret already holds the name this execution would create (canned: CreateSecret refused)
    await createGroup();
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const override: CallOverride = (c) => {
      if (c.api === 'CreateSecret') throw Object.assign(new Error(`The operation failed because the secret ${String(c.params.Name)} already exists.`), { name: 'ResourceExistsException' });
      return emulation.override(c);
    };
    // Act
    const result = await run({}, override);
    // Assert
    expect(result.failure?.step).to.equal('GenerateStoreAndApplyAuthToken');
    expect(result.failure?.message).to.match(/ResourceExistsException.*The token was not applied to replication group phi-sessions/);
    expect(result.calls.filter((c) => c.fromScript).map((c) => c.api)).to.deep.equal(['GetRandomPassword', 'CreateSecret']);
    expect(emulation.requests).to.deep.equal([]);
  });

  it('changes nothing on an exempt group (no secret, no write)', async () => {
    await createGroup({ Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-77 legacy client' }] });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.status).to.equal('Success');
    expect(result.stepPath.slice(-3)).to.deep.equal(['ReadTags', 'CheckExemption', 'BranchOnExemption']);
    expect(result.outputs['CheckExemption.Reason']).to.equal(`Replication group ${GROUP} is exempt by tag hipaa-safeguards:exempt (CHG-77 legacy client). Nothing was changed.`);
    expect(writes(result)).to.deep.equal([]);
    expect(await secretNames()).to.deep.equal([]);
  });

  it('applies a token once an exemption has expired', async () => {
    await createGroup({ Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-77' }, { Key: 'hipaa-safeguards:exempt-until', Value: '2020-01-31' }] });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.status).to.equal('Success');
    expect(emulation.requests).to.have.length(1);
  });

  it('stops, changing nothing, when exempt-until is not a date', async () => {
    await createGroup({ Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-77' }, { Key: 'hipaa-safeguards:exempt-until', Value: 'soon' }] });
    const emulation = emulateModifyReplicationGroup(ec, { engine: 'redis', engineVersion: '7.1.0' });
    const result = await run({}, emulation.override);
    expect(result.failure?.step).to.equal('CheckExemption');
    expect(result.failure?.message).to.match(/^RemediationStopped: Replication group phi-sessions has tag hipaa-safeguards:exempt-until 'soon', which is not an ISO 8601 date\./);
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
    expect((await sm.send(new DescribeSecretCommand({ SecretId: await secretName() }))).KmsKeyId).to.equal(KeyMetadata?.Arn);
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
