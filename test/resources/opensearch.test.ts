import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddTagsCommand, CreateDomainCommand, DescribeDomainsCommand, ListDomainNamesCommand, ListTagsCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import {
  BatchGetCollectionCommand,
  CreateCollectionCommand,
  CreateSecurityPolicyCommand,
  ListCollectionsCommand,
  ListTagsForResourceCommand,
  OpenSearchServerlessClient,
} from '@aws-sdk/client-opensearchserverless';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { openSearchEncryptedAtRest } from '../../rules/opensearch-encrypted-at-rest';
import { openSearchEncryptedInTransit } from '../../rules/opensearch-encrypted-in-transit';
import { judgeProperties } from '../../rules/prevention/judge';
import { checkTemplates } from '../../scripts/lib/check-template';
import { encryptionFromPolicy, openSearchCollectionFromCloudFormation, openSearchDomainFromCloudFormation } from '../../rules/resources/cloudformation/opensearch';
import { type OpenSearchCollection, collectionEncryptionOf, DomainConfiguration, type OpenSearchDomain, TLS_SECURITY_POLICIES, domainFromApi, openSearchDomainResource } from '../../rules/resources/opensearch';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';
import { planAsTemplate } from '../../scripts/lib/template/terraform';
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
  // A configuration item is always a domain (Config does not record collections).
  return read(item(configuration, tags)) as OpenSearchDomain;
};
const listCollections = (clients: AwsClients, options?: ListOptions) => {
  const lister = openSearchDomainResource.listers[1];
  if (!lister) throw new Error('no collection lister');
  return lister.list(clients, options);
};
const listDomains = (clients: AwsClients, options?: ListOptions) => {
  const [lister] = openSearchDomainResource.listers;
  if (!lister) throw new Error('no lister');
  return lister.list(clients, options);
};
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
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

  describe('OpenSearch Serverless collections (moto 5.2.1 models collections under KmsARN encryption policies)', () => {
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

    it('lists collections with the key BatchGetCollection reports and reads tags per collection when tag:GetResources is refused', async () => {
      // Arrange
      const aoss = clients.get(OpenSearchServerlessClient);
      const policy = JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: ['collection/phi-logs'] }], AWSOwnedKey: false, KmsARN: KEY_ARN });
      await aoss.send(new CreateSecurityPolicyCommand({ name: 'phi-logs-enc', type: 'encryption', policy }));
      await aoss.send(new CreateCollectionCommand({ name: 'phi-logs', tags: [{ key: 'hipaa-safeguards:exempt', value: 'CHG-2' }] }));
      tagging = taggingDenied();
      const notes: ListingNote[] = [];
      // Act
      const out = (await collect(listCollections(clients, { onNote: (n) => notes.push(n) }))) as OpenSearchCollection[];
      // Assert
      expect(out).to.have.length(1);
      expect(out[0]).to.deep.include({ resourceType: 'AWS::OpenSearchServerless::Collection', kind: 'collection', name: 'phi-logs', encryption: { kind: 'kmsKey', keyArn: KEY_ARN }, tags: { 'hipaa-safeguards:exempt': 'CHG-2' } });
      expect(out[0]?.id).to.match(/^arn:aws:aoss:us-east-1:123456789012:collection\/[a-z0-9]+$/);
      expect(notes.map((n) => n.tags)).to.deep.equal(['per-resource']);
    });

    it('reads kmsKeyArn auto as an AWS owned key, none as unverifiable (BatchGetCollection faked: moto 5.2.1 fails on an AWSOwnedKey policy)', async () => {
      const aoss = mockClient(OpenSearchServerlessClient);
      tagging = taggingDenied();
      try {
        const arn = (id: string) => `arn:aws:aoss:us-east-1:${ACCOUNT}:collection/${id}`;
        // Shapes of the OpenSearch Serverless API model: CollectionSummary, CollectionDetail, Tag.
        aoss.on(ListCollectionsCommand).resolves({ collectionSummaries: [{ id: 'aaa111', name: 'owned', status: 'ACTIVE', arn: arn('aaa111') }, { id: 'bbb222', name: 'silent', status: 'ACTIVE', arn: arn('bbb222') }] });
        aoss.on(BatchGetCollectionCommand).resolves({
          collectionDetails: [
            { id: 'aaa111', name: 'owned', arn: arn('aaa111'), status: 'ACTIVE', kmsKeyArn: 'auto' },
            { id: 'bbb222', name: 'silent', arn: arn('bbb222'), status: 'ACTIVE' },
          ],
        });
        aoss.on(ListTagsForResourceCommand).resolves({ tags: [] });
        const out = (await collect(listCollections(new AwsClients({ region: 'us-east-1' })))) as OpenSearchCollection[];
        expect(out.map((c) => c.encryption)).to.deep.equal([{ kind: 'awsOwnedKey' }, { kind: 'unverifiable', reason: 'BatchGetCollection reports no kmsKeyArn' }]);
      } finally {
        aoss.restore();
      }
    });

    it('fails only the collection whose CollectionDetail lacks its arn', async () => {
      const aoss = mockClient(OpenSearchServerlessClient);
      tagging = taggingDenied();
      try {
        aoss.on(ListCollectionsCommand).resolves({ collectionSummaries: [{ id: 'aaa111' }, { id: 'bbb222' }] });
        aoss.on(BatchGetCollectionCommand).resolves({ collectionDetails: [{ id: 'aaa111', name: 'a' }, { id: 'bbb222', name: 'b', arn: `arn:aws:aoss:us-east-1:${ACCOUNT}:collection/bbb222`, kmsKeyArn: KEY_ARN }] });
        aoss.on(ListTagsForResourceCommand).resolves({ tags: [] });
        const out = await collect(listCollections(new AwsClients({ region: 'us-east-1' })));
        expect(out[0]).to.be.instanceOf(UnreadableResource);
        expect((out[0] as UnreadableResource).error.message).to.match(/collectionDetails\.arn/);
        expect((out[1] as OpenSearchCollection).name).to.equal('b');
      } finally {
        aoss.restore();
      }
    });

    it('tells a KMS key ARN, auto and anything else apart', () => {
      expect(collectionEncryptionOf(KEY_ARN)).to.deep.equal({ kind: 'kmsKey', keyArn: KEY_ARN });
      expect(collectionEncryptionOf('auto')).to.deep.equal({ kind: 'awsOwnedKey' });
      expect(collectionEncryptionOf('x')).to.deep.equal({ kind: 'unverifiable', reason: 'BatchGetCollection reports kmsKeyArn x' });
    });
  });

  describe('OpenSearch Serverless collections in templates', () => {
    const policy = (doc: Record<string, unknown>) => ({ Type: 'AWS::OpenSearchServerless::SecurityPolicy', Properties: { Name: 'enc', Type: 'encryption', Policy: JSON.stringify(doc) } });
    const collectionRes = { Type: 'AWS::OpenSearchServerless::Collection', Properties: { Name: 'phi-logs' } };

    it('matches encryption policy patterns with * wildcards against collection/<name>', () => {
      const doc = (resource: string[]) => ({ Rules: [{ ResourceType: 'collection', Resource: resource }], AWSOwnedKey: true });
      expect(encryptionFromPolicy(JSON.stringify(doc(['collection/phi-*'])), 'phi-logs')).to.deep.equal({ kind: 'awsOwnedKey' });
      expect(encryptionFromPolicy(JSON.stringify(doc(['collection/other'])), 'phi-logs')).to.equal(undefined);
      expect(encryptionFromPolicy(JSON.stringify({ ...doc(['collection/*']), AWSOwnedKey: false, KmsARN: KEY_ARN }), 'phi-logs')).to.deep.equal({ kind: 'kmsKey', keyArn: KEY_ARN });
    });

    it('takes EncryptionConfig when the collection sets it, else leaves the key to the template policy', () => {
      const c = (properties: Record<string, unknown>) => openSearchCollectionFromCloudFormation({ resourceType: 'AWS::OpenSearchServerless::Collection', logicalId: 'Logs', properties });
      expect(c({ Name: 'phi-logs', EncryptionConfig: { KmsKeyArn: KEY_ARN } }).encryption).to.deep.equal({ kind: 'kmsKey', keyArn: KEY_ARN });
      expect(c({ EncryptionConfig: { AWSOwnedKey: 'true' } })).to.deep.include({ name: 'Logs', encryption: { kind: 'awsOwnedKey' } });
      expect(c({ Name: 'phi-logs' }).encryption).to.deep.equal({ kind: 'templatePolicy' });
    });

    it('judges a collection by the encryption policy of the same template, and UNKNOWN when the policy is defined elsewhere', async () => {
      const params = { requireCustomerManagedKey: 'true' };
      const judged = async (template: Record<string, unknown>) => {
        const dir = mkdtempSync(join(tmpdir(), 'aoss-'));
        const file = join(dir, 'template.json');
        writeFileSync(file, JSON.stringify({ Resources: template }));
        const { results } = await checkTemplates({ paths: [file], rules: ['opensearch-encrypted-at-rest'], parameters: { 'opensearch-encrypted-at-rest': params } });
        return results.filter((r) => r.rule === 'opensearch-encrypted-at-rest').map((r) => [r.compliance, r.annotation]);
      };
      const owned = await judged({ Enc: policy({ Rules: [{ ResourceType: 'collection', Resource: ['collection/phi-*'] }], AWSOwnedKey: true }), Logs: collectionRes });
      expect(owned.map((r) => r[0])).to.deep.equal(['NON_COMPLIANT']);
      // check-template shortens long annotations (the whole sentence is asserted in test/rules/opensearch-encrypted-at-rest.test.ts).
      expect(owned[0]?.[1]).to.equal(
        'Collection phi-logs is encrypted at rest with an AWS owned key; requireCustomerManagedKey needs a customer managed key. The key of a collection cannot change after creation: create a new collection under an encryption policy with… 45 CFR 164.312(a)(2)(iv)',
      );
      const elsewhere = await judged({ Logs: collectionRes });
      expect(elsewhere.map((r) => r[0])).to.deep.equal(['UNKNOWN']);
      expect(elsewhere[0]?.[1]).to.equal(
        'Collection phi-logs cannot be judged before deployment: the encryption policy of collection phi-logs (none here covers it: defined elsewhere) is not known. Set it in the template or check with account credentials. 45 CFR 164.312(a)(2)(iv)',
      );
    });
  });

  describe('OpenSearch Serverless collections in Terraform plans', () => {
    it('judges aws_opensearchserverless_collection by the encryption aws_opensearchserverless_security_policy of the same plan', async () => {
      // Arrange: a `terraform show -json` plan with a KmsARN encryption policy over phi-* and a collection it covers
      const doc = JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: ['collection/phi-*'] }], AWSOwnedKey: false, KmsARN: KEY_ARN });
      const plan = {
        format_version: '1.2',
        planned_values: {
          root_module: {
            resources: [
              { address: 'aws_opensearchserverless_security_policy.enc', mode: 'managed', type: 'aws_opensearchserverless_security_policy', values: { name: 'phi-enc', type: 'encryption', policy: doc } },
              { address: 'aws_opensearchserverless_collection.logs', mode: 'managed', type: 'aws_opensearchserverless_collection', values: { name: 'phi-logs', type: 'SEARCH', tags: { team: 'records' } } },
              { address: 'aws_opensearchserverless_collection.other', mode: 'managed', type: 'aws_opensearchserverless_collection', values: { name: 'other' } },
            ],
          },
        },
      };
      const { template } = planAsTemplate(plan);
      const resources = template.Resources as Record<string, { Type: string; Properties: unknown }>;
      const all = Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, { type: r.Type, properties: r.Properties }]));
      const atRest = async (id: string) =>
        (await judgeProperties({ resourceType: 'AWS::OpenSearchServerless::Collection', logicalId: id, properties: resources[id]?.Properties, template: all, rules: ['opensearch-encrypted-at-rest'] }))[0];
      // Act and Assert
      expect(translateTerraform('aws_opensearchserverless_collection', { name: 'phi-logs', tags_all: { team: 'records' } })).to.deep.equal({
        resourceType: 'AWS::OpenSearchServerless::Collection',
        properties: { Name: 'phi-logs', Tags: [{ Key: 'team', Value: 'records' }] },
      });
      expect(await atRest('aws_opensearchserverless_collection_logs')).to.deep.include({ compliance: 'COMPLIANT', annotation: `Collection phi-logs is encrypted at rest with KMS key ${KEY_ARN}. 45 CFR 164.312(a)(2)(iv)` });
      expect(await atRest('aws_opensearchserverless_collection_other')).to.deep.include({ compliance: 'UNKNOWN', unresolved: ['the encryption policy of collection other (none here covers it: defined elsewhere)'] });
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
