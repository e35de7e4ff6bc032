import { type CreateDomainCommandInput, AddTagsCommand, CreateDomainCommand, DescribeDomainCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type SimulationOptions, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';

const DOCUMENT = 'HIPAA-OpenSearchEnforceTransitEncryption';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const DOMAIN = 'phi-search';
const DOMAIN_ID = `123456789012/${DOMAIN}`;

// Step paths, spelled out so that a change of the document's flow is a visible test change.
const RECHECK = ['ParseDomainId', 'WaitForDomainIdle', 'ReadDomain', 'ReadTags', 'CheckExemption', 'BranchOnExemption'];
const VERIFY = ['VerifyNodeToNodeEncryption', 'VerifyHttpsEnforced', 'VerifyTlsSecurityPolicy'];
const ENABLE_N2N = ['BranchOnNodeToNodeEncryption', 'BranchOnEngineVersion', 'EnableNodeToNodeEncryption', 'WaitForNodeToNodeEncryptionApplied'];

describe('remediations/HIPAA-OpenSearchEnforceTransitEncryption', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let os: OpenSearchClient;

  beforeEach(async () => {
    const moto = await useMoto();
    os = new OpenSearchClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
  });

  const createDomain = async (o: Partial<CreateDomainCommandInput> = {}) => {
    await os.send(new CreateDomainCommand({ DomainName: DOMAIN, EngineVersion: 'OpenSearch_2.11', ...o }));
  };
  const transit = async () => {
    const { DomainStatus: s } = await os.send(new DescribeDomainCommand({ DomainName: DOMAIN }));
    return { n2n: s?.NodeToNodeEncryptionOptions?.Enabled, https: s?.DomainEndpointOptions?.EnforceHTTPS, policy: s?.DomainEndpointOptions?.TLSSecurityPolicy };
  };
  const run = (parameters: Record<string, unknown> = {}, options: Partial<SimulationOptions> = {}) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, DomainId: DOMAIN_ID, ...parameters }, pollIntervalMs: 5, maxWaitMs: 2_000, ...options });
  const updates = (calls: readonly { api: string; params: unknown }[]) => calls.filter((c) => c.api === 'UpdateDomainConfig').map((c) => c.params);

  it('declares exactly the IAM actions its steps call', () => {
    expect(doc.iamActions).to.have.members(['es:DescribeDomain', 'es:ListTags', 'es:UpdateDomainConfig']);
    expect(doc.iamActions).to.have.lengthOf(3);
  });

  it('enables node-to-node encryption, enforces HTTPS and sets TLS 1.2 on a domain created with the defaults', async () => {
    // Arrange
    await createDomain();
    expect(await transit()).to.deep.equal({ n2n: false, https: false, policy: 'Policy-Min-TLS-1-0-2019-07' });
    // Act
    const result = await run();
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([
      ...RECHECK,
      ...ENABLE_N2N,
      'BranchOnEndpointOptions',
      'ProbeCustomEndpoint',
      'BranchOnTlsSecurityPolicy',
      'EnforceHttpsWithPolicy',
      'WaitForEndpointOptionsApplied',
      ...VERIFY,
    ]);
    expect(updates(result.calls)).to.deep.equal([
      { DomainName: DOMAIN, NodeToNodeEncryptionOptions: { Enabled: true } },
      { DomainName: DOMAIN, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' } },
    ]);
    expect(result.documentOutputs).to.deep.equal({ 'ReadDomain.NodeToNodeEncryption': false, 'ReadDomain.EnforceHTTPS': false, 'ReadDomain.TLSSecurityPolicy': 'Policy-Min-TLS-1-0-2019-07' });
    expect(await transit()).to.deep.equal({ n2n: true, https: true, policy: 'Policy-Min-TLS-1-2-2019-07' });
  });

  it('changes nothing on a compliant domain (no UpdateDomainConfig call)', async () => {
    await createDomain({ NodeToNodeEncryptionOptions: { Enabled: true }, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' } });
    const result = await run();
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...RECHECK, 'BranchOnNodeToNodeEncryption', 'BranchOnEndpointOptions', ...VERIFY]);
    expect(updates(result.calls)).to.deep.equal([]);
  });

  it('never weakens a stronger policy: enforces HTTPS and keeps it', async () => {
    await createDomain({ NodeToNodeEncryptionOptions: { Enabled: true }, DomainEndpointOptions: { EnforceHTTPS: false, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08' } });
    const result = await run();
    expect(result.status).to.equal('Success');
    expect(updates(result.calls)).to.deep.equal([{ DomainName: DOMAIN, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08' } }]);
    expect(await transit()).to.deep.equal({ n2n: true, https: true, policy: 'Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08' });
  });

  it('raises a TLS 1.2 policy to a stricter requested one', async () => {
    await createDomain({ NodeToNodeEncryptionOptions: { Enabled: true }, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' } });
    const result = await run({ TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' });
    expect(result.status).to.equal('Success');
    expect(updates(result.calls)).to.deep.equal([{ DomainName: DOMAIN, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' } }]);
  });

  it('accepts the bare domain name as DomainId too', async () => {
    await createDomain();
    const result = await run({ DomainId: DOMAIN });
    expect(result.status).to.equal('Success');
    expect(await transit()).to.deep.equal({ n2n: true, https: true, policy: 'Policy-Min-TLS-1-2-2019-07' });
  });

  it('stops, changing nothing, on Elasticsearch older than 6.7 without node-to-node encryption', async () => {
    await createDomain({ EngineVersion: 'Elasticsearch_6.5' });
    const result = await run();
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('StopEngineTooOld');
    expect(result.failure?.message).to.contain('runs Elasticsearch_6.5: node-to-node encryption can be enabled in place only on OpenSearch or Elasticsearch 6.7 or later');
    expect(updates(result.calls)).to.deep.equal([]);
  });

  it('enables node-to-node encryption on Elasticsearch 6.7 and 7.x', async () => {
    for (const [i, version] of ['Elasticsearch_6.7', 'Elasticsearch_7.10'].entries()) {
      const name = `es-${i}`;
      await os.send(new CreateDomainCommand({ DomainName: name, EngineVersion: version }));
      const result = await run({ DomainId: name });
      expect(result.status, version).to.equal('Success');
      expect(updates(result.calls)[0], version).to.deep.equal({ DomainName: name, NodeToNodeEncryptionOptions: { Enabled: true } });
    }
  });

  it('stops before changing the endpoint options of a domain with a custom endpoint (canned: moto keeps no custom endpoint)', async () => {
    await createDomain({ NodeToNodeEncryptionOptions: { Enabled: true } });
    // DescribeDomain answered from the SDK model's DomainStatus shape with CustomEndpointEnabled true.
    const override: SimulationOptions['override'] = (call) =>
      call.step === 'ProbeCustomEndpoint'
        ? {
            DomainStatus: {
              DomainId: DOMAIN_ID,
              DomainName: DOMAIN,
              ARN: `arn:aws:es:us-east-1:123456789012:domain/${DOMAIN}`,
              ClusterConfig: {},
              EngineVersion: 'OpenSearch_2.11',
              NodeToNodeEncryptionOptions: { Enabled: true },
              DomainEndpointOptions: { EnforceHTTPS: false, TLSSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07', CustomEndpointEnabled: true, CustomEndpoint: 'search.example.org' },
            },
          }
        : undefined;
    const result = await run({}, { override });
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('StopCustomEndpoint');
    expect(updates(result.calls)).to.deep.equal([]);
  });

  it('waits while the domain is processing a change, then changes it', async () => {
    // Arrange: moto applies changes at once, so the first two polls of WaitForDomainIdle are answered Processing true.
    await createDomain();
    let polls = 0;
    const override: SimulationOptions['override'] = (call) =>
      call.step === 'WaitForDomainIdle' && ++polls <= 2 ? { DomainStatus: { DomainId: DOMAIN_ID, DomainName: DOMAIN, ARN: 'arn:aws:es:us-east-1:123456789012:domain/phi-search', ClusterConfig: {}, Processing: true } } : undefined;
    // Act
    const result = await run({}, { override });
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.calls.filter((c) => c.step === 'WaitForDomainIdle').map((c) => c.answeredBy)).to.deep.equal(['override', 'override', 'endpoint']);
  });

  it('fails at WaitForDomainIdle, without writing, when the domain never finishes processing', async () => {
    await createDomain();
    const override: SimulationOptions['override'] = (call) =>
      call.step === 'WaitForDomainIdle' ? { DomainStatus: { DomainId: DOMAIN_ID, DomainName: DOMAIN, ARN: 'arn:aws:es:us-east-1:123456789012:domain/phi-search', ClusterConfig: {}, Processing: true } } : undefined;
    const result = await run({}, { override, pollIntervalMs: 10, maxWaitMs: 100 });
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('WaitForDomainIdle');
    expect(updates(result.calls)).to.deep.equal([]);
  });

  describe('the exemption re-check', () => {
    it('changes nothing on an exempt domain', async () => {
      await createDomain({ TagList: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-31 synthetic data' }] });
      const result = await run();
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal(RECHECK);
      expect(result.outputs['CheckExemption.Reason']).to.equal(`Domain ${DOMAIN} is exempt by tag hipaa-safeguards:exempt (CHG-31 synthetic data). Nothing was changed.`);
      expect(updates(result.calls)).to.deep.equal([]);
    });

    it('changes the domain once the exemption has expired', async () => {
      await createDomain();
      await os.send(
        new AddTagsCommand({
          ARN: `arn:aws:es:us-east-1:123456789012:domain/${DOMAIN}`,
          TagList: [
            { Key: 'hipaa-safeguards:exempt', Value: 'CHG-31' },
            { Key: 'hipaa-safeguards:exempt-until', Value: '2020-06-30' },
          ],
        }),
      );
      const result = await run();
      expect(result.status).to.equal('Success');
      expect(updates(result.calls)).to.have.length(2);
    });
  });

  it('rejects a TLSSecurityPolicy that still accepts TLS 1.0, before any step runs', async () => {
    let caught: unknown;
    await run({ TLSSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07' }).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(SimulationError);
  });
});
