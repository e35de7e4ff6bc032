import { CreateDomainCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { expect } from 'chai';
import { openSearchEncryptedInTransit as rule } from '../../rules/opensearch-encrypted-in-transit';
import type { OpenSearchDomain } from '../../rules/resources/opensearch';
import { AwsClients } from '../../rules/runtime/clients';
import { InvalidParameterError } from '../../rules/runtime/errors';
import { parseParameters } from '../../rules/runtime/parameters';
import { scan } from '../../scripts/lib/scan';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { useMoto } from '../helpers/moto';
import { type TaggingMock, taggingDenied } from '../helpers/tagging';

const CITE = '45 CFR 164.312(e)(2)(ii)';
const NOW = new Date('2026-11-22T12:00:00Z');

const domain = (o: Partial<OpenSearchDomain> = {}): OpenSearchDomain => ({
  id: '123456789012/phi-search',
  resourceType: 'AWS::OpenSearch::Domain',
  name: 'phi-search',
  encryptionAtRest: true,
  kmsKeyId: 'alias/aws/es',
  nodeToNodeEncryption: true,
  enforceHttps: true,
  tlsSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
  tags: {},
  ...o,
});
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const evaluate = (d: OpenSearchDomain, raw: Record<string, string> = {}) => rule.evaluate(d, params(raw), { now: NOW, facts: undefined });

describe('opensearch-encrypted-in-transit', () => {
  it('returns COMPLIANT for an OpenSearch Serverless collection, which accepts only TLS 1.2 or newer (scenario 6)', () => {
    const c = { id: 'arn:aws:aoss:us-east-1:123456789012:collection/abc123', resourceType: 'AWS::OpenSearchServerless::Collection', kind: 'collection' as const, name: 'phi-logs', encryption: { kind: 'awsOwnedKey' as const }, tags: {} };
    expect(rule.evaluate(c, parseParameters(rule.schema, {}), { now: new Date('2026-11-22T12:00:00Z'), facts: undefined })).to.deep.equal({
      compliance: 'COMPLIANT',
      annotation: 'Collection phi-logs accepts only TLS 1.2 or newer and encrypts traffic between its components (always, on OpenSearch Serverless). 45 CFR 164.312(e)(2)(ii)',
    });
  });

  describe('evaluate', () => {
    it('returns NON_COMPLIANT without node-to-node encryption (scenario 1)', () => {
      // Arrange
      const d = domain({ nodeToNodeEncryption: false });
      // Act
      const v = evaluate(d);
      // Assert
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search does not encrypt traffic between its nodes (NodeToNodeEncryptionOptions.Enabled false). Enable node-to-node encryption (in place on OpenSearch or Elasticsearch 6.7+). ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when HTTPS is not enforced (scenario 2)', () => {
      expect(evaluate(domain({ enforceHttps: false }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search accepts plain HTTP (DomainEndpointOptions.EnforceHTTPS false). Enforce HTTPS. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a policy that still accepts TLS 1.0 (scenario 3)', () => {
      expect(evaluate(domain({ tlsSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search allows weaker TLS (Policy-Min-TLS-1-0-2019-07) than Policy-Min-TLS-1-2-2019-07. Set a stronger TLSSecurityPolicy. ${CITE}`,
      });
    });

    it('holds the policy to a stricter minimumTlsSecurityPolicy (scenario 3)', () => {
      const v = evaluate(domain(), { minimumTlsSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' });
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search allows weaker TLS (Policy-Min-TLS-1-2-2019-07) than Policy-Min-TLS-1-2-PFS-2023-10. Set a stronger TLSSecurityPolicy. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a policy it cannot rank, or none reported (scenario 4)', () => {
      expect(evaluate(domain({ tlsSecurityPolicy: 'Policy-Min-TLS-1-3-2030-01' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Domain phi-search uses TLS security policy Policy-Min-TLS-1-3-2030-01, which cannot be ranked. Set Policy-Min-TLS-1-2-2019-07 or stronger. ${CITE}`,
      });
      expect(evaluate(domain({ tlsSecurityPolicy: undefined })).annotation).to.equal(
        `Domain phi-search uses TLS security policy (none reported), which cannot be ranked. Set Policy-Min-TLS-1-2-2019-07 or stronger. ${CITE}`,
      );
    });

    for (const policy of ['Policy-Min-TLS-1-2-2019-07', 'Policy-Min-TLS-1-2-PFS-2023-10', 'Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08']) {
      it(`returns COMPLIANT with node-to-node encryption, HTTPS enforced and ${policy} (scenario 5)`, () => {
        expect(evaluate(domain({ tlsSecurityPolicy: policy }))).to.deep.equal({
          compliance: 'COMPLIANT',
          annotation: `Domain phi-search encrypts node-to-node traffic and accepts only HTTPS with ${policy}. ${CITE}`,
        });
      });
    }

    it('refuses a minimumTlsSecurityPolicy that is not a policy name of the API, naming the parameter', () => {
      expect(() => params({ minimumTlsSecurityPolicy: 'TLS-1-2' })).to.throw(InvalidParameterError, /minimumTlsSecurityPolicy/);
      expect(params().minimumTlsSecurityPolicy).to.equal('Policy-Min-TLS-1-2-2019-07');
    });

    it('links the manual transit document', () => {
      expect(rule.remediation).to.deep.include({ document: 'HIPAA-OpenSearchEnforceTransitEncryption', automatic: false, resourceIdParameter: 'DomainId' });
    });
  });

  describe('scan on moto', () => {
    let moto: MotoServer;
    let tagging: TaggingMock;
    beforeEach(async function () {
      this.timeout(60_000);
      moto = await useMoto();
      // moto 5.2.1's tag:GetResources returns no es:domain: the per-resource ListTags path is the one moto can show.
      tagging = taggingDenied();
    });
    afterEach(() => tagging.restore());

    it('judges each domain from DescribeDomains, with the rule parameter', async function () {
      this.timeout(60_000);
      // Arrange
      const os = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint }).get(OpenSearchClient);
      await os.send(new CreateDomainCommand({ DomainName: 'defaults', EngineVersion: 'OpenSearch_2.11' }));
      await os.send(
        new CreateDomainCommand({
          DomainName: 'tls12',
          EngineVersion: 'OpenSearch_2.11',
          NodeToNodeEncryptionOptions: { Enabled: true },
          DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
        }),
      );
      // Act
      const base = await scan({ safeguards: [rule], region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
      const strict = await scan({ safeguards: [rule], region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1, parameters: { [rule.name]: { minimumTlsSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' } } });
      // Assert
      expect(base.failures).to.deep.equal([]);
      expect(Object.fromEntries(base.results.map((r) => [r.resourceId, r.compliance]))).to.deep.equal({ '123456789012/defaults': 'NON_COMPLIANT', '123456789012/tls12': 'COMPLIANT' });
      expect(strict.results.find((r) => r.resourceId === '123456789012/tls12')?.compliance).to.equal('NON_COMPLIANT');
    });
  });
});
