import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { type CreateDomainCommandInput, CreateDomainCommand, DescribeDomainCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { DEFAULT_NOTIFICATION_TOPIC_NAME } from '../../scripts/lib/conformance-pack';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type SimulationOptions, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';

const DOCUMENT = 'HIPAA-OpenSearchEnableEncryptionAtRest';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const DOMAIN = 'phi-search';
const DOMAIN_ID = `123456789012/${DOMAIN}`;
const TOPIC = `arn:aws:sns:us-east-1:123456789012:${DEFAULT_NOTIFICATION_TOPIC_NAME}`;

// Step paths, spelled out so that a change of the document's flow is a visible test change.
const RECHECK = ['ParseDomainId', 'WaitForDomainIdle', 'ReadDomain', 'ReadTags', 'CheckExemption', 'BranchOnExemption'];
const ENABLE_WITH_AWS_KEY = [
  ...RECHECK,
  'BranchOnEncryptionAtRest',
  'BranchOnEngineVersion',
  'BranchOnRequestedKeyKind',
  'EnableEncryptionAtRestWithAwsManagedKey',
  'WaitForEncryptionApplied',
  'VerifyEncryptedAtRest',
];

describe('remediations/HIPAA-OpenSearchEnableEncryptionAtRest', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let os: OpenSearchClient;
  let kms: KMSClient;
  let endpoint: string;

  beforeEach(async () => {
    const moto = await useMoto();
    endpoint = moto.endpoint;
    const config = { region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() };
    os = new OpenSearchClient(config);
    kms = new KMSClient(config);
    await new SNSClient(config).send(new CreateTopicCommand({ Name: DEFAULT_NOTIFICATION_TOPIC_NAME }));
  });

  const createDomain = async (o: Partial<CreateDomainCommandInput> = {}) => {
    await os.send(new CreateDomainCommand({ DomainName: DOMAIN, EngineVersion: 'OpenSearch_2.11', ...o }));
  };
  const atRest = async () => (await os.send(new DescribeDomainCommand({ DomainName: DOMAIN }))).DomainStatus?.EncryptionAtRestOptions;
  const run = (parameters: Record<string, unknown> = {}, options: Partial<SimulationOptions> = {}) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, DomainId: DOMAIN_ID, ...parameters }, pollIntervalMs: 5, maxWaitMs: 2_000, ...options });
  const updates = (calls: readonly { api: string; params: unknown }[]) => calls.filter((c) => c.api === 'UpdateDomainConfig').map((c) => c.params);
  /** What moto's topic received: the message and subject of each publish. */
  const published = async (): Promise<{ message: string; subject: string }[]> => {
    const data = (await (await fetch(`${endpoint}/moto-api/data.json`)).json()) as { sns: { Topic: { arn: string; sent_notifications: [string, string, string][] }[] } };
    return (data.sns.Topic.find((t) => t.arn === TOPIC)?.sent_notifications ?? []).map(([, message, subject]) => ({ message, subject }));
  };

  it('declares exactly the IAM actions its steps call', () => {
    expect(doc.iamActions).to.have.members(['es:DescribeDomain', 'es:ListTags', 'es:UpdateDomainConfig', 'kms:DescribeKey', 'sns:Publish']);
    expect(doc.iamActions).to.have.lengthOf(5);
  });

  it('enables encryption at rest with the AWS managed key by default, without a key check', async () => {
    // Arrange
    await createDomain();
    expect(await atRest()).to.deep.equal({ Enabled: false });
    // Act
    const result = await run();
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.stepPath).to.deep.equal(ENABLE_WITH_AWS_KEY);
    expect(updates(result.calls)).to.deep.equal([{ DomainName: DOMAIN, EncryptionAtRestOptions: { Enabled: true } }]);
    expect(result.calls.map((c) => c.service)).to.not.include('kms');
    expect(result.documentOutputs).to.deep.equal({ 'ReadDomain.EncryptionAtRest': false });
    expect((await atRest())?.Enabled).to.equal(true);
  });

  it('checks an Enabled customer managed key, then encrypts with it', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    await createDomain();
    const result = await run({ KmsKeyId: KeyMetadata?.Arn });
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...ENABLE_WITH_AWS_KEY.slice(0, 9), 'AssertKmsKeyEnabled', 'EnableEncryptionAtRestWithCustomerKey', 'WaitForEncryptionApplied', 'VerifyEncryptedAtRest']);
    expect(updates(result.calls)).to.deep.equal([{ DomainName: DOMAIN, EncryptionAtRestOptions: { Enabled: true, KmsKeyId: KeyMetadata?.Arn } }]);
    expect(await atRest()).to.deep.equal({ Enabled: true, KmsKeyId: KeyMetadata?.Arn });
  });

  it('fails at the key check, before touching the domain, when the customer managed key is disabled', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata?.KeyId }));
    await createDomain();
    const result = await run({ KmsKeyId: KeyMetadata?.KeyId });
    expect(result.failure?.step).to.equal('AssertKmsKeyEnabled');
    expect(updates(result.calls)).to.deep.equal([]);
    expect((await atRest())?.Enabled).to.equal(false);
  });

  it('changes nothing on an encrypted domain and tells a person the key cannot change in place', async () => {
    // Arrange: a domain judged for its key (the AWS managed one), not for missing encryption
    await createDomain({ EncryptionAtRestOptions: { Enabled: true } });
    // Act
    const result = await run();
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...RECHECK, 'BranchOnEncryptionAtRest', 'NotifyKeyCannotChange']);
    expect(updates(result.calls)).to.deep.equal([]);
    const sent = await published();
    expect(sent).to.have.length(1);
    expect(sent[0]?.subject).to.equal('HIPAA safeguards: opensearch-encrypted-at-rest - nothing changed, a person must act');
    expect(sent[0]?.message).to.contain(`OpenSearch domain ${DOMAIN} and changed nothing: the domain is already encrypted at rest.`);
    expect(sent[0]?.message).to.contain('The key of a domain cannot change in place');
  });

  it('stops, changing nothing, on Elasticsearch older than 6.7', async () => {
    await createDomain({ EngineVersion: 'Elasticsearch_6.5' });
    const result = await run();
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('StopEngineTooOld');
    expect(result.failure?.message).to.contain('runs Elasticsearch_6.5: encryption at rest can be enabled in place only on OpenSearch or Elasticsearch 6.7 or later');
    expect(updates(result.calls)).to.deep.equal([]);
  });

  it('changes nothing on an exempt domain', async () => {
    await createDomain({ TagList: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-40 synthetic data' }] });
    const result = await run();
    expect(result.stepPath).to.deep.equal(RECHECK);
    expect(result.outputs['CheckExemption.Reason']).to.equal(`Domain ${DOMAIN} is exempt by tag hipaa-safeguards:exempt (CHG-40 synthetic data). Nothing was changed.`);
    expect(updates(result.calls)).to.deep.equal([]);
    expect(await published()).to.deep.equal([]);
  });

  it('rejects a key alias other than alias/aws/es before any step runs (UpdateDomainConfig takes a key ID or ARN)', async () => {
    let caught: unknown;
    await run({ KmsKeyId: 'alias/phi' }).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(SimulationError);
    expect((caught as Error).message).to.contain('Parameter KmsKeyId value');
  });
});
