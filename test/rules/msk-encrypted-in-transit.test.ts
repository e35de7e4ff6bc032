import { KafkaClient } from '@aws-sdk/client-kafka';
import { expect } from 'chai';
import sinon from 'sinon';
import { mskEncryptedInTransit as rule } from '../../rules/msk-encrypted-in-transit';
import { AwsClients } from '../../rules/runtime/clients';
import { createRuleHandler } from '../../rules/runtime/handler';
import { parseParameters } from '../../rules/runtime/parameters';
import type { MskCluster } from '../../rules/resources/msk';
import { scan } from '../../scripts/lib/scan';
import { changeEvent, eventStyleItem } from '../helpers/fixtures';
import { interceptConfig } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';
import { clusterArn, createProvisioned, createServerless, provisioned, serverless } from '../helpers/msk';

const CITE = '45 CFR 164.312(e)(2)(ii)';
const NOW = new Date('2026-12-02T12:00:00Z');
const evaluate = (c: MskCluster) => rule.evaluate(c, parseParameters(rule.schema, {}), { now: NOW, facts: undefined });

describe('msk-encrypted-in-transit', () => {
  describe('evaluate', () => {
    it('returns COMPLIANT for a serverless cluster (scenario 1)', () => {
      expect(evaluate(serverless())).to.deep.equal({ compliance: 'COMPLIANT', annotation: `MSK serverless cluster events accepts TLS only (always, for serverless clusters). ${CITE}` });
    });

    it('returns NON_COMPLIANT for ClientBroker TLS_PLAINTEXT (scenario 2)', () => {
      expect(evaluate(provisioned({ clientBroker: 'TLS_PLAINTEXT' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MSK cluster claims accepts plaintext clients (ClientBroker TLS_PLAINTEXT). Move clients to TLS, then set ClientBroker TLS. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for ClientBroker PLAINTEXT with InCluster false, naming both (scenario 2)', () => {
      const v = evaluate(provisioned({ clientBroker: 'PLAINTEXT', inCluster: false }));
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MSK cluster claims accepts plaintext clients (ClientBroker PLAINTEXT). Move clients to TLS, then set ClientBroker TLS. Broker traffic is not encrypted either (InCluster false): recreate the cluster. ${CITE}`,
      });
      expect(v.annotation.length).to.be.at.most(256);
    });

    it('returns NON_COMPLIANT when ClientBroker is not reported (scenario 2)', () => {
      expect(evaluate(provisioned({ clientBroker: undefined })).annotation).to.equal(
        `MSK cluster claims accepts plaintext clients (ClientBroker not reported). Move clients to TLS, then set ClientBroker TLS. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for TLS with InCluster false (scenario 3)', () => {
      expect(evaluate(provisioned({ inCluster: false }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MSK cluster claims does not encrypt traffic between brokers (InCluster false). InCluster cannot change: recreate the cluster with InCluster true. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for TLS with InCluster not reported (scenario 3)', () => {
      expect(evaluate(provisioned({ inCluster: undefined })).annotation).to.equal(
        `MSK cluster claims does not encrypt traffic between brokers (InCluster not reported). InCluster cannot change: recreate the cluster with InCluster true. ${CITE}`,
      );
    });

    it('returns COMPLIANT for TLS and InCluster true (scenario 4)', () => {
      expect(evaluate(provisioned())).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MSK cluster claims accepts TLS only and encrypts traffic between brokers (ClientBroker TLS, InCluster true). ${CITE}`,
      });
    });

    it('links the manual client-broker TLS remediation', () => {
      expect(rule.remediation).to.include({ document: 'HIPAA-MSKEnforceClientBrokerTls', automatic: false, resourceIdParameter: 'ResourceId' });
    });
  });

  describe('on moto', function () {
    this.timeout(60_000);
    let endpoint: string;
    let kafka: KafkaClient;
    beforeEach(async () => {
      endpoint = (await useMoto()).endpoint;
      kafka = new AwsClients({ region: 'us-east-1', endpoint }).get(KafkaClient);
    });
    afterEach(() => sinon.restore());

    it('scan judges provisioned and serverless clusters from ListClustersV2, exemption tags from the listing', async () => {
      // Arrange: moto 5.2.1 lists both kinds with ListClustersV2, encryption settings and Tags included
      const tls = await createProvisioned(kafka, 'tls', { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } });
      const mixed = await createProvisioned(kafka, 'mixed', { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } });
      const noInCluster = await createProvisioned(kafka, 'no-in-cluster', { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: false } });
      const exempt = await createProvisioned(kafka, 'lab', { EncryptionInTransit: { ClientBroker: 'PLAINTEXT', InCluster: true } }, { 'hipaa-safeguards:exempt': 'CHG-7 no PHI' });
      const sls = await createServerless(kafka, 'events');
      // Act
      const { results, failures } = await scan({ safeguards: [rule], region: 'us-east-1', endpoint });
      // Assert
      expect(failures).to.deep.equal([]);
      expect(Object.fromEntries(results.map((r) => [r.resourceId, [r.resourceType, r.compliance]]))).to.deep.equal({
        [tls]: ['AWS::MSK::Cluster', 'COMPLIANT'],
        [mixed]: ['AWS::MSK::Cluster', 'NON_COMPLIANT'],
        [noInCluster]: ['AWS::MSK::Cluster', 'NON_COMPLIANT'],
        [exempt]: ['AWS::MSK::Cluster', 'NOT_APPLICABLE'],
        [sls]: ['AWS::MSK::ServerlessCluster', 'COMPLIANT'],
      });
    });

    it('judges a change event from the AWS::MSK::Cluster configuration item', async () => {
      const arn = clusterArn('claims');
      const item = {
        ...eventStyleItem({ resourceType: 'AWS::MSK::Cluster', name: 'claims', arn, configuration: { ClusterName: 'claims', Arn: arn, EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } } } }),
        resourceId: arn,
      };
      interceptConfig({});
      const { evaluations } = await createRuleHandler(rule, { endpoint })(changeEvent(item));
      expect(evaluations).to.have.lengthOf(1);
      expect(evaluations[0]).to.deep.include({ ComplianceResourceType: 'AWS::MSK::Cluster', ComplianceResourceId: arn, ComplianceType: 'NON_COMPLIANT' });
    });
  });
});
