import { KafkaClient } from '@aws-sdk/client-kafka';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { type CallOverride, type SimulationOptions, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { createProvisioned, createServerless } from '../helpers/msk';
import { useMoto } from '../helpers/moto';
import { emulateUpdateSecurity } from './msk-emulation';

const DOCUMENT = 'HIPAA-MSKEnforceClientBrokerTls';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const READ = ['ReadCluster', 'BranchOnClusterType', 'AssertClusterActive', 'ReadTags', 'CheckExemption', 'BranchOnExemption', 'ReadEncryptionInTransit', 'BranchOnClientBroker'];
const UPDATE = ['UpdateClientBrokerToTls', 'WaitForClientBrokerTls', 'WaitForClusterActive'];

describe('remediations/HIPAA-MSKEnforceClientBrokerTls', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let kafka: KafkaClient;
  beforeEach(async () => {
    const moto = await useMoto();
    kafka = new KafkaClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
  });
  const run = (arn: string, override: CallOverride, options: Partial<SimulationOptions> = {}) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, ResourceId: arn }, override, pollIntervalMs: 5, maxWaitMs: 2_000, ...options });

  it('declares exactly the IAM actions its steps call', () => {
    expect([...doc.iamActions].sort()).to.deep.equal(['kafka:DescribeClusterV2', 'kafka:UpdateSecurity']);
  });

  for (const from of ['TLS_PLAINTEXT', 'PLAINTEXT'] as const) {
    it(`moves ClientBroker ${from} to TLS with the CurrentVersion it just read, waits for ACTIVE and confirms`, async () => {
      // Arrange
      const arn = await createProvisioned(kafka, 'claims', { EncryptionInTransit: { ClientBroker: from, InCluster: true } });
      const emulation = emulateUpdateSecurity(kafka);
      // Act
      const result = await run(arn, emulation.override);
      // Assert
      expect(result.failure).to.equal(undefined);
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal([...READ, ...UPDATE, 'ReadInCluster', 'BranchOnInCluster', 'VerifyClientBrokerTls']);
      expect(emulation.requests).to.deep.equal([{ ClusterArn: arn, CurrentVersion: '1.0', EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' } } }]);
      // The wait saw the cluster UPDATING once before TLS showed.
      expect(result.calls.filter((c) => c.step === 'WaitForClientBrokerTls')).to.have.lengthOf(2);
    });
  }

  it('changes nothing on a cluster already at TLS with in-cluster encryption (idempotent)', async () => {
    const arn = await createProvisioned(kafka, 'claims', { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } });
    const emulation = emulateUpdateSecurity(kafka);
    const result = await run(arn, emulation.override);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...READ, 'ReadInCluster', 'BranchOnInCluster', 'VerifyClientBrokerTls']);
    expect(emulation.requests).to.deep.equal([]);
  });

  it('changes nothing on a serverless cluster (always TLS)', async () => {
    const arn = 'arn:aws:kafka:us-east-1:123456789012:cluster/events/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-s1';
    const emulation = emulateUpdateSecurity(kafka, { [arn]: await createServerless(kafka, 'events') });
    const result = await run(arn, emulation.override);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(['ReadCluster', 'BranchOnClusterType']);
    expect(emulation.requests).to.deep.equal([]);
  });

  describe('run-time re-checks stop a change that is no longer allowed or needed', () => {
    it('changes nothing on an exempt cluster', async () => {
      const arn = await createProvisioned(kafka, 'lab', { EncryptionInTransit: { ClientBroker: 'PLAINTEXT', InCluster: true } }, { 'hipaa-safeguards:exempt': 'CHG-12 legacy plaintext client' });
      const emulation = emulateUpdateSecurity(kafka);
      const result = await run(arn, emulation.override);
      expect(result.status).to.equal('Success');
      expect(result.stepPath.at(-1)).to.equal('BranchOnExemption');
      expect(emulation.requests).to.deep.equal([]);
    });

    it('stops before any change on a cluster that is not ACTIVE', async () => {
      const arn = await createProvisioned(kafka, 'claims', { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } });
      const emulation = emulateUpdateSecurity(kafka);
      emulation.setState('MAINTENANCE');
      const result = await run(arn, emulation.override);
      expect(result.failure).to.deep.equal({ step: 'AssertClusterActive', message: 'Expected $.ClusterInfo.State to be one of [ACTIVE] but found MAINTENANCE.' });
      expect(emulation.requests).to.deep.equal([]);
    });
  });

  it('fixes ClientBroker, then stops for a person when InCluster is false (it cannot change after creation)', async () => {
    // Arrange
    const arn = await createProvisioned(kafka, 'old', { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: false } });
    const emulation = emulateUpdateSecurity(kafka);
    // Act
    const result = await run(arn, emulation.override);
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.stepPath).to.deep.equal([...READ, ...UPDATE, 'ReadInCluster', 'BranchOnInCluster', 'StopInClusterNotEncrypted']);
    expect(result.failure?.message).to.equal(
      `RemediationStopped: MSK cluster ${arn} does not encrypt traffic between its brokers (InCluster false), and MSK cannot change that after creation. Create a new cluster with EncryptionInTransit InCluster true and ClientBroker TLS, move topics and clients to it (for example with MSK Replicator), then retire this one. Its client-broker setting is TLS.`,
    );
    expect(emulation.requests).to.have.lengthOf(1);
  });
});
