import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  InvalidReplicationGroupStateFault,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { expect } from 'chai';
import sinon from 'sinon';
import { elastiCacheEncryptedAtRest as rule, handler as exportedHandler } from '../../rules/elasticache-encrypted-at-rest';
import type { ElastiCacheResource } from '../../rules/resources/elasticache';
import { ListingError } from '../../rules/runtime/errors';
import { createRuleHandler } from '../../rules/runtime/handler';
import { judge, judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import {
  arnOf,
  clusterView,
  createCluster,
  createGroup,
  elastiCacheOn,
  fakeMissingElastiCacheApis,
  groupView,
  sdkServerlessCache,
  serverlessView,
  elastiCacheRuntime,
} from '../helpers/elasticache';
import { scheduledEvent } from '../helpers/fixtures';
import { interceptConfig } from '../helpers/intercept';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { accessDenied } from '../helpers/tagging';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const CMK = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_FIX = 'The key is fixed at creation: restore a snapshot into a new cache that uses an allowed key.';
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const run = (r: ElastiCacheResource, p = params(), key?: KeyFacts) => rule.evaluate(r, p, { now: NOW, facts: { key } });

describe('elasticache-encrypted-at-rest', () => {
  it('exports a Lambda handler', () => expect(exportedHandler).to.be.a('function'));

  describe('evaluate', () => {
    it('returns NON_COMPLIANT for a replication group without at-rest encryption (scenario 1)', () => {
      // Arrange
      const g = groupView({ atRestEncryptionEnabled: false });
      // Act
      const v = run(g);
      // Assert
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions is not encrypted at rest (AtRestEncryptionEnabled false). It is set only at creation: restore a snapshot into a new replication group with AtRestEncryptionEnabled. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a standalone cache cluster, which cannot encrypt at rest (scenario 2)', () => {
      expect(run(clusterView({ engine: 'memcached' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Cache cluster lab-cache is not encrypted at rest (AtRestEncryptionEnabled false). Standalone clusters cannot enable it: move the data to an encrypted replication group or serverless cache. ${CITE}`,
      });
    });

    it('returns COMPLIANT for an encrypted group with the default key and default parameters (scenario 3)', () => {
      expect(run(groupView())).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions is encrypted at rest with the ElastiCache default key. ${CITE}`,
      });
    });

    it('returns COMPLIANT for a serverless cache with default parameters (scenario 4)', () => {
      expect(run(serverlessView())).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Serverless cache claims-cache is encrypted at rest (always, for serverless caches) with the ElastiCache default key. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for the default key when a customer managed key is required (scenario 5)', () => {
      expect(run(serverlessView(), params({ requireCustomerManagedKey: 'true' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Serverless cache claims-cache is encrypted at rest (always, for serverless caches), but with the ElastiCache default key (no KmsKeyId); requireCustomerManagedKey needs a customer managed key. ${KEY_FIX} ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for the default key when allowedKmsKeyArns is set (scenario 6)', () => {
      expect(run(groupView(), params({ allowedKmsKeyArns: CMK }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions is encrypted at rest, but with the ElastiCache default key (no KmsKeyId), which is not in allowedKmsKeyArns. ${KEY_FIX} ${CITE}`,
      });
    });

    const keyCases: { what: string; key: KeyFacts; raw: Record<string, string>; reason: string }[] = [
      {
        what: 'AWS managed',
        key: { kind: 'resolved', keyId: CMK, arn: CMK, manager: 'AWS', state: 'Enabled' },
        raw: { requireCustomerManagedKey: 'true' },
        reason: `KMS key ${CMK} is AWS managed; requireCustomerManagedKey needs a customer managed key`,
      },
      {
        what: 'disabled',
        key: { kind: 'resolved', keyId: CMK, arn: CMK, manager: 'CUSTOMER', state: 'Disabled' },
        raw: { requireCustomerManagedKey: 'true' },
        reason: `customer managed key ${CMK} is Disabled, not Enabled`,
      },
      {
        what: 'unresolvable',
        key: { kind: 'unresolved', keyId: CMK, reason: 'DescribeKey failed: NotFoundException' },
        raw: { requireCustomerManagedKey: 'true' },
        reason: `KMS key ${CMK} cannot be verified (DescribeKey failed: NotFoundException)`,
      },
      {
        what: 'not allowed',
        key: { kind: 'resolved', keyId: CMK, arn: CMK, manager: 'CUSTOMER', state: 'Enabled' },
        raw: { allowedKmsKeyArns: 'arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab' },
        reason: `KMS key ${CMK} is not in allowedKmsKeyArns`,
      },
    ];
    for (const c of keyCases) {
      it(`returns NON_COMPLIANT when the key is ${c.what} (scenario 7)`, () => {
        expect(run(groupView({ kmsKeyId: CMK }), params(c.raw), c.key)).to.deep.equal({
          compliance: 'NON_COMPLIANT',
          annotation: `Replication group phi-sessions is encrypted at rest, but ${c.reason}. ${KEY_FIX} ${CITE}`,
        });
      });
    }

    it('returns COMPLIANT for an enabled, allowed customer managed key (scenario 8)', () => {
      const key: KeyFacts = { kind: 'resolved', keyId: CMK, arn: CMK, manager: 'CUSTOMER', state: 'Enabled' };
      expect(run(groupView({ kmsKeyId: CMK }), params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: CMK }), key)).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions is encrypted at rest with KMS key ${CMK}. ${CITE}`,
      });
    });
  });

  describe('judged through the runtime', function () {
    this.timeout(120_000);
    const env = elastiCacheRuntime((clients) => judgeAll(rule, params(), newJudgeContext(clients, NOW)));

    it('judges every group, cluster and serverless cache of a large account', async () => {
      // Arrange: 104 groups (two pages), half encrypted; 2 Memcached clusters; 1 serverless cache
      const ec = elastiCacheOn(env.moto.endpoint);
      for (let i = 0; i < 104; i++) await createGroup(ec, { id: `g-${String(i).padStart(3, '0')}`, engine: 'valkey', atRest: i % 2 === 0 });
      await createCluster(ec, { id: 'mc-1' });
      await createCluster(ec, { id: 'mc-2' });
      fakeMissingElastiCacheApis({ serverless: [sdkServerlessCache({ ServerlessCacheName: 'claims' })] });
      // Act
      const { judged, failures } = await judgeAll(rule, params(), newJudgeContext(env.clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      const count = (type: string, compliance: string) => judged.filter((j) => j.resource.resourceType === type && j.verdict.compliance === compliance).length;
      expect(judged).to.have.length(107);
      expect(count('AWS::ElastiCache::ReplicationGroup', 'COMPLIANT')).to.equal(52);
      expect(count('AWS::ElastiCache::ReplicationGroup', 'NON_COMPLIANT')).to.equal(52);
      expect(count('AWS::ElastiCache::CacheCluster', 'NON_COMPLIANT')).to.equal(2);
      expect(count('AWS::ElastiCache::ServerlessCache', 'COMPLIANT')).to.equal(1);
    });

    it('resolves a customer managed key in moto KMS and passes it', async () => {
      const key = await env.clients.get(KMSClient).send(new CreateKeyCommand({}));
      const arn = key.KeyMetadata?.Arn ?? '';
      await createGroup(elastiCacheOn(env.moto.endpoint), { id: 'cmk-grp', atRest: true, kmsKeyId: arn });
      const { judged } = await judgeAll(rule, params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: arn }), newJudgeContext(env.clients, NOW));
      expect(judged.find((j) => j.resource.id === 'cmk-grp')?.verdict).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group cmk-grp is encrypted at rest with KMS key ${arn}. ${CITE}`,
      });
    });

    it('reports an exempt group NOT_APPLICABLE with the reason from its tags', async () => {
      await createGroup(elastiCacheOn(env.moto.endpoint), { id: 'sandbox', atRest: false, tags: { 'hipaa-safeguards:exempt': 'CHG-42 synthetic data' } });
      const { judged } = await judgeAll(rule, params(), newJudgeContext(env.clients, NOW));
      expect(judged.find((j) => j.resource.id === 'sandbox')?.verdict).to.deep.equal({
        compliance: 'NOT_APPLICABLE',
        annotation: `Replication group sandbox is exempt by tag hipaa-safeguards:exempt (CHG-42 synthetic data). ${CITE}`,
      });
    });

    it('evaluates a group whose exemption expired and says so', async () => {
      const tags = { 'hipaa-safeguards:exempt': 'CHG-7', 'hipaa-safeguards:exempt-until': '2026-11-01' };
      await createGroup(elastiCacheOn(env.moto.endpoint), { id: 'old', atRest: false, tags });
      const { judged } = await judgeAll(rule, params(), newJudgeContext(env.clients, NOW));
      expect(judged.find((j) => j.resource.id === 'old')?.verdict).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Exemption (CHG-7) expired 2026-11-01. Replication group old is not encrypted at rest (AtRestEncryptionEnabled false). It is set only at creation: restore a snapshot into a new replication group with AtRestEncryptionEnabled. ${CITE}`,
      });
    });

    it('judges a group that is still creating from its configuration (tags per resource: tag:GetResources refused)', async () => {
      // Arrange: AWS answers ListTagsForResource only for available resources (mocked: moto has no creating state)
      sinon.stub(ResourceGroupsTaggingAPIClient.prototype, 'send').rejects(accessDenied());
      sinon.stub(ElastiCacheClient.prototype, 'send').callsFake((async (c: { constructor: { name: string } }) => {
        const name = c.constructor.name;
        if (name === DescribeReplicationGroupsCommand.name) {
          return { ReplicationGroups: [{ ReplicationGroupId: 'new-grp', Status: 'creating', ARN: arnOf('replicationgroup', 'new-grp'), Engine: 'redis', MemberClusters: [], AtRestEncryptionEnabled: false }] };
        }
        if (name === DescribeCacheClustersCommand.name) return { CacheClusters: [] };
        if (name === ListTagsForResourceCommand.name) throw new InvalidReplicationGroupStateFault({ message: 'not available', $metadata: {} });
        return { CacheClusters: [], ServerlessCaches: [] };
      }) as never);
      // Act
      const { judged } = await judgeAll(rule, params(), newJudgeContext(env.clients, NOW));
      // Assert
      expect(judged.map((j) => j.verdict)).to.deep.equal([
        {
          compliance: 'NON_COMPLIANT',
          annotation: `Replication group new-grp (creating; exemption tags unreadable) is not encrypted at rest (AtRestEncryptionEnabled false). It is set only at creation: restore a snapshot into a new replication group with AtRestEncryptionEnabled. ${CITE}`,
        },
      ]);
    });

    it('exempts a resource listed in exemptResourceIds', async () => {
      const v = await judge(rule, groupView({ atRestEncryptionEnabled: false }), params({ exemptResourceIds: 'phi-sessions' }), newJudgeContext(env.clients, NOW));
      expect(v).to.deep.equal({ compliance: 'NOT_APPLICABLE', annotation: `Replication group phi-sessions is exempt by rule parameter exemptResourceIds. ${CITE}` });
    });

    it('sends periodic evaluations typed by kind, then fails the invocation for the kind moto cannot list', async () => {
      // Arrange: moto lacks DescribeServerlessCaches; PutEvaluations is moto's (TestMode)
      await createGroup(elastiCacheOn(env.moto.endpoint), { id: 'vitals', atRest: true });
      await createCluster(elastiCacheOn(env.moto.endpoint), { id: 'mc-1' });
      const config = interceptConfig({ GetComplianceDetailsByConfigRule: () => ({ EvaluationResults: [] }) });
      const handler = createRuleHandler(rule, { retry: { attempts: 2, baseDelayMs: 1 }, clock: () => NOW, endpoint: env.moto.endpoint });
      // Act
      const err = await handler(scheduledEvent({ notificationCreationTime: '2026-11-22T11:00:00.000Z' })).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(ListingError);
      expect((err as ListingError).resourceTypes).to.deep.equal(['AWS::ElastiCache::ServerlessCache']);
      const sent = (config.of('PutEvaluations')[0]?.Evaluations ?? []) as Record<string, unknown>[];
      expect(sent.map((e) => [e.ComplianceResourceType, e.ComplianceResourceId, e.ComplianceType])).to.deep.equal([
        ['AWS::ElastiCache::ReplicationGroup', 'vitals', 'COMPLIANT'],
        ['AWS::ElastiCache::CacheCluster', 'mc-1', 'NON_COMPLIANT'],
      ]);
      // Previous verdicts are looked up only for the kinds that were listed in full.
      expect(config.of('GetComplianceDetailsByConfigRule')).to.have.length(1);
    });
  });
});
