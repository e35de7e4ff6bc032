import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddTagsCommand, CreateDomainCommand, DescribeDomainsCommand, ListDomainNamesCommand, ListTagsCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { openSearchEncryptedAtRest } from '../../rules/opensearch-encrypted-at-rest';
import { openSearchEncryptedInTransit } from '../../rules/opensearch-encrypted-in-transit';
import { judgeProperties } from '../../rules/prevention/judge';
import { openSearchDomainFromCloudFormation } from '../../rules/resources/cloudformation/opensearch';
import { DomainConfiguration, type OpenSearchDomain, TLS_SECURITY_POLICIES, domainFromApi, openSearchDomainResource } from '../../rules/resources/opensearch';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';
import { AwsClients } from '../../rules/runtime/clients';
import { parseConfigurationItem } from '../../rules/runtime/event';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import { type ListingNote, type ListOptions, UnreadableResource } from '../../rules/runtime/safeguard';
import { REFERENCE_DIR, eventStyleItem } from '../helpers/fixtures';
import { useMoto } from '../helpers/moto';
import { configResourceSchema, leafPaths } from '../helpers/schema-paths';
import { type TaggingMock, taggingDenied } from '../helpers/tagging';

const ACCOUNT = '123456789012';
const ARN = `arn:aws:es:us-east-1:${ACCOUNT}:domain/phi-search`;
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const NOW = new Date('2026-11-22T12:00:00Z');

/** The same domain state, in the Config item's, the API's and CloudFormation's spelling (identical member names). */
const OPTIONS = {
  EncryptionAtRestOptions: { Enabled: true, KmsKeyId: KEY_ARN },
  NodeToNodeEncryptionOptions: { Enabled: true },
  DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07' as const },
};

const item = (configuration: Record<string, unknown>, tags: Record<string, string> = {}) => {
  const raw = eventStyleItem({ resourceType: 'AWS::OpenSearch::Domain', name: 'phi-search', arn: ARN, configuration, tags });
  return parseConfigurationItem({ ...raw, resourceId: `${ACCOUNT}/phi-search` }, 'fixture');
};
const fromItem = (configuration: Record<string, unknown>, tags?: Record<string, string>) => {
  const read = openSearchDomainResource.fromConfigurationItem;
  if (!read) throw new Error('OpenSearch domains are recorded by Config');
  return read(item(configuration, tags));
};
const listDomains = (clients: AwsClients, options?: ListOptions) => {
  const [lister] = openSearchDomainResource.listers;
  if (!lister) throw new Error('no lister');
  return lister.list(clients, options);
};
async function collect(items: AsyncIterable<OpenSearchDomain | UnreadableResource>): Promise<(OpenSearchDomain | UnreadableResource)[]> {
  const out: (OpenSearchDomain | UnreadableResource)[] = [];
  for await (const i of items) out.push(i);
  return out;
}
// DomainStatus as the OpenSearch API model shapes it (DomainId, DomainName, ARN and ClusterConfig are required members).
const status = (name: string, o: Record<string, unknown> = {}) => ({ DomainId: `${ACCOUNT}/${name}`, DomainName: name, ARN: `arn:aws:es:us-east-1:${ACCOUNT}:domain/${name}`, ClusterConfig: {}, ...o });

describe('resources/opensearch', () => {
  describe('configuration item', () => {
    it('reads only configuration properties that AWS Config records for AWS::OpenSearch::Domain', () => {
      // Arrange
      const schema = configResourceSchema('AWS::OpenSearch::Domain');
      // Act
      const read = leafPaths(DomainConfiguration, 'configuration');
      // Assert
      expect(read).to.include.members(['configuration.EncryptionAtRestOptions.Enabled', 'configuration.DomainEndpointOptions.TLSSecurityPolicy']);
      for (const path of [...read, 'resourceId', 'resourceName', 'arn']) expect(schema, `schema has ${path}`).to.have.property(path);
    });

    it('builds the view from an item, ID as Config reports it', () => {
      expect(fromItem({ DomainName: 'phi-search', DomainArn: ARN, EngineVersion: 'OpenSearch_2.11', ...OPTIONS }, { team: 'records' })).to.deep.equal({
        id: `${ACCOUNT}/phi-search`,
        resourceType: 'AWS::OpenSearch::Domain',
        name: 'phi-search',
        arn: ARN,
        engineVersion: 'OpenSearch_2.11',
        encryptionAtRest: true,
        kmsKeyId: KEY_ARN,
        nodeToNodeEncryption: true,
        enforceHttps: true,
        tlsSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07',
        tags: { team: 'records' },
      });
    });

    it('reads absent options as off, and names no key for an unencrypted domain', () => {
      const d = fromItem({ DomainName: 'phi-search' });
      expect(d).to.deep.include({ encryptionAtRest: false, nodeToNodeEncryption: false, enforceHttps: false });
      expect(d.kmsKeyId).to.equal(undefined);
      expect(d.tlsSecurityPolicy).to.equal(undefined);
    });

    it('fails naming the field when an option has the wrong type', () => {
      expect(() => fromItem({ EncryptionAtRestOptions: { Enabled: 'yes' } })).to.throw(/configuration\.EncryptionAtRestOptions\.Enabled/);
    });
  });

  describe('API (moto 5.2.1 models OpenSearch domains)', () => {
    let clients: AwsClients;
    let tagging: TaggingMock | undefined;
    beforeEach(async function () {
      this.timeout(60_000);
      const moto = await useMoto();
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint });
    });
    afterEach(() => {
      tagging?.restore();
      tagging = undefined;
    });

    it('lists every domain in DescribeDomains batches of 5 and reads tags per domain when tag:GetResources is refused', async () => {
      // Arrange: 7 domains, one tagged exempt
      const os = clients.get(OpenSearchClient);
      for (let i = 0; i < 7; i++) await os.send(new CreateDomainCommand({ DomainName: `phi-${i}`, EngineVersion: 'OpenSearch_2.11', ...(i === 0 ? OPTIONS : {}) }));
      await os.send(new AddTagsCommand({ ARN: `arn:aws:es:us-east-1:${ACCOUNT}:domain/phi-3`, TagList: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-1' }] }));
      tagging = taggingDenied();
      const notes: ListingNote[] = [];
      // Act
      const domains = (await collect(listDomains(clients, { onNote: (n) => notes.push(n) }))) as OpenSearchDomain[];
      // Assert
      expect(domains.map((d) => d.id)).to.deep.equal([0, 1, 2, 3, 4, 5, 6].map((i) => `${ACCOUNT}/phi-${i}`));
      expect(domains[0]).to.deep.include({ encryptionAtRest: true, kmsKeyId: KEY_ARN, nodeToNodeEncryption: true, enforceHttps: true });
      expect(domains[1]).to.deep.include({ encryptionAtRest: false, nodeToNodeEncryption: false, enforceHttps: false, tlsSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07' });
      expect(domains[3]?.tags).to.deep.equal({ 'hipaa-safeguards:exempt': 'CHG-1' });
      expect(notes.map((n) => n.tags)).to.deep.equal(['per-resource']);
    });

    it('reads tags in bulk from tag:GetResources filtered to es:domain (GetResources faked: moto 5.2.1 returns no es:domain; the moto domain itself has no tags)', async () => {
      // Arrange
      const os = clients.get(OpenSearchClient);
      await os.send(new CreateDomainCommand({ DomainName: 'phi-search' }));
      tagging = mockClient(ResourceGroupsTaggingAPIClient);
      tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: ARN, Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'bulk' }] }] });
      // Act
      const domains = (await collect(listDomains(clients))) as OpenSearchDomain[];
      // Assert
      expect(domains.map((d) => d.tags)).to.deep.equal([{ 'hipaa-safeguards:exempt': 'bulk' }]);
      expect(tagging.commandCalls(GetResourcesCommand)[0]?.args[0].input.ResourceTypeFilters).to.deep.equal(['es:domain']);
    });
  });

  describe('API (mocked answers for what moto cannot show)', () => {
    let os: ReturnType<typeof mockClient>;
    let tagging: TaggingMock;
    beforeEach(() => {
      os = mockClient(OpenSearchClient);
      tagging = taggingDenied();
    });
    afterEach(() => {
      os.restore();
      tagging.restore();
    });
    const clients = () => new AwsClients({ region: 'us-east-1' });

    it('fails only the domain whose DomainStatus lacks a required member, and lists the others', async () => {
      os.on(ListDomainNamesCommand).resolves({ DomainNames: [{ DomainName: 'a' }, { DomainName: 'b' }] });
      os.on(DescribeDomainsCommand).resolves({ DomainStatusList: [{ ...status('a'), DomainId: undefined } as never, status('b')] });
      os.on(ListTagsCommand).resolves({ TagList: [] });
      const out = await collect(listDomains(clients()));
      expect(out[0]).to.be.instanceOf(UnreadableResource);
      expect((out[0] as UnreadableResource).error.message).to.match(/DomainStatus\.DomainId/);
      expect((out[1] as OpenSearchDomain).id).to.equal(`${ACCOUNT}/b`);
    });

    it('skips a domain that is being deleted or that DescribeDomains no longer returns', async () => {
      os.on(ListDomainNamesCommand).resolves({ DomainNames: [{ DomainName: 'a' }, { DomainName: 'gone' }, { DomainName: 'b' }] });
      os.on(DescribeDomainsCommand).resolves({ DomainStatusList: [status('a', { Deleted: true }), status('b')] });
      os.on(ListTagsCommand).resolves({ TagList: [] });
      const out = (await collect(listDomains(clients()))) as OpenSearchDomain[];
      expect(out.map((d) => d.name)).to.deep.equal(['b']);
    });

    it('never asks DescribeDomains for more than 5 names', async () => {
      os.on(ListDomainNamesCommand).resolves({ DomainNames: Array.from({ length: 11 }, (_, i) => ({ DomainName: `d${i}` })) });
      os.on(DescribeDomainsCommand).callsFake((input: { DomainNames: string[] }) => ({ DomainStatusList: input.DomainNames.map((n) => status(n)) }));
      os.on(ListTagsCommand).resolves({ TagList: [] });
      const out = await collect(listDomains(clients()));
      expect(out).to.have.length(11);
      expect(os.commandCalls(DescribeDomainsCommand).map((c) => (c.args[0].input as { DomainNames: string[] }).DomainNames.length)).to.deep.equal([5, 5, 1]);
    });
  });

  describe('TLS security policies', () => {
    it('ranks exactly the TLSSecurityPolicy names of the OpenSearch API model', () => {
      const model = JSON.parse(readFileSync(join(REFERENCE_DIR, 'F-botocore-service-models', 'opensearch-2021-01-01.service-2.json'), 'utf8')) as {
        shapes: Record<string, { enum?: string[] }>;
      };
      expect([...TLS_SECURITY_POLICIES]).to.have.members(model.shapes.TLSSecurityPolicy?.enum ?? []);
      expect(TLS_SECURITY_POLICIES[0]).to.equal('Policy-Min-TLS-1-0-2019-07');
    });
  });

  describe('CloudFormation and Terraform', () => {
    it('applies CreateDomain defaults to what a template leaves out', () => {
      const d = openSearchDomainFromCloudFormation({ resourceType: 'AWS::OpenSearchService::Domain', logicalId: 'Search', properties: {} });
      expect(d).to.deep.include({ id: 'Search', name: 'Search', encryptionAtRest: false, nodeToNodeEncryption: false, enforceHttps: false, tlsSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07' });
    });

    it('takes encryption at rest without a KmsKeyId as the AWS managed aws/es key, and quoted booleans', () => {
      const d = openSearchDomainFromCloudFormation({ resourceType: 'AWS::OpenSearchService::Domain', logicalId: 'Search', properties: { EncryptionAtRestOptions: { Enabled: 'true' } } });
      expect(d).to.deep.include({ encryptionAtRest: true, kmsKeyId: 'alias/aws/es' });
    });

    it('translates aws_opensearch_domain into the CloudFormation options', () => {
      const t = translateTerraform('aws_opensearch_domain', {
        domain_name: 'phi-search',
        engine_version: 'OpenSearch_2.11',
        encrypt_at_rest: [{ enabled: true, kms_key_id: KEY_ARN }],
        node_to_node_encryption: [{ enabled: true }],
        domain_endpoint_options: [{ enforce_https: true, tls_security_policy: 'Policy-Min-TLS-1-0-2019-07', custom_endpoint_enabled: false }],
        tags_all: { team: 'records' },
      });
      expect(t).to.deep.equal({
        resourceType: 'AWS::OpenSearchService::Domain',
        properties: { DomainName: 'phi-search', EngineVersion: 'OpenSearch_2.11', ...OPTIONS, Tags: [{ Key: 'team', Value: 'records' }] },
      });
    });
  });

  describe('one verdict across sources', () => {
    const cases = [
      { what: 'fully encrypted, TLS 1.2', options: { ...OPTIONS, DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' } }, atRest: 'COMPLIANT', transit: 'COMPLIANT' },
      { what: 'TLS 1.0 allowed', options: OPTIONS, atRest: 'COMPLIANT', transit: 'NON_COMPLIANT' },
      { what: 'nothing encrypted', options: { EncryptionAtRestOptions: { Enabled: false }, NodeToNodeEncryptionOptions: { Enabled: false }, DomainEndpointOptions: { EnforceHTTPS: false, TLSSecurityPolicy: 'Policy-Min-TLS-1-0-2019-07' } }, atRest: 'NON_COMPLIANT', transit: 'NON_COMPLIANT' },
    ];
    for (const c of cases) {
      it(`gives the same verdicts from a configuration item, the API, a template and a Terraform plan (${c.what})`, async () => {
        // Arrange: the same state through every builder
        const views: [string, OpenSearchDomain][] = [
          ['config item', fromItem({ DomainName: 'phi-search', ...c.options })],
          ['API', domainFromApi(status('phi-search', c.options), {})],
          ['template', openSearchDomainFromCloudFormation({ resourceType: 'AWS::OpenSearchService::Domain', logicalId: 'Search', properties: { DomainName: 'phi-search', ...c.options } })],
        ];
        const tf = translateTerraform('aws_opensearch_domain', {
          domain_name: 'phi-search',
          encrypt_at_rest: [{ enabled: c.options.EncryptionAtRestOptions.Enabled, ...(c.options.EncryptionAtRestOptions.Enabled ? { kms_key_id: KEY_ARN } : {}) }],
          node_to_node_encryption: [{ enabled: c.options.NodeToNodeEncryptionOptions.Enabled }],
          domain_endpoint_options: [{ enforce_https: c.options.DomainEndpointOptions.EnforceHTTPS, tls_security_policy: c.options.DomainEndpointOptions.TLSSecurityPolicy }],
        });
        if (!tf) throw new Error('aws_opensearch_domain is judged');
        views.push(['terraform', openSearchDomainFromCloudFormation({ resourceType: tf.resourceType, logicalId: 'aws_opensearch_domain.phi', properties: tf.properties })]);
        const ctx = newJudgeContext(new AwsClients({ region: 'us-east-1' }), NOW);
        for (const [source, view] of views) {
          // Act
          const atRest = await judge(openSearchEncryptedAtRest, view, parseParameters(openSearchEncryptedAtRest.schema, {}), ctx);
          const transit = await judge(openSearchEncryptedInTransit, view, parseParameters(openSearchEncryptedInTransit.schema, {}), ctx);
          // Assert
          expect([atRest.compliance, transit.compliance], source).to.deep.equal([c.atRest, c.transit]);
        }
        // And through the prevention entry point the hook and check-template share.
        const verdicts = await judgeProperties({ resourceType: 'AWS::OpenSearchService::Domain', logicalId: 'Search', properties: { DomainName: 'phi-search', ...c.options } });
        expect(verdicts.map((v) => `${v.rule} ${v.compliance}`)).to.deep.equal([`opensearch-encrypted-at-rest ${c.atRest}`, `opensearch-encrypted-in-transit ${c.transit}`]);
      });
    }
  });
});
