import {
  AddTagsToResourceCommand,
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { elastiCacheEncryptedAtRest } from '../../rules/elasticache-encrypted-at-rest';
import { elastiCacheEngineHipaaEligible } from '../../rules/elasticache-engine-hipaa-eligible';
import { AwsClients } from '../../rules/runtime/clients';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type CallOverride, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';
import { DEFAULT_NOTIFICATION_TOPIC_NAME } from '../../scripts/lib/conformance-pack';
import { createGroup as seedGroup } from '../helpers/elasticache';
import { useMoto } from '../helpers/moto';

// What runs for real: moto creates, describes, tags, deletes (status "deleting") replication groups and cache clusters,
// creates, describes and tags snapshots, and receives SNS messages (read back from moto-api/data.json). The Decide
// steps' Python runs under python3. The rule verdicts the matrix feeds in come from the real rules judging moto.
// What the override hook answers, and why:
// - config:GetComplianceDetailsByResource: moto has no such API; answered with EvaluationResults in the shape of the
//   botocore model (shared/reference/F-botocore-service-models/config-2014-11-12.service-2.json).
// - FinalSnapshotIdentifier: moto accepts it but takes no snapshot. The hook sees the delete call first and creates that
//   snapshot in moto with CreateSnapshot (as ElastiCache would), then lets the delete itself go to moto.
// - DescribeCacheClusters: moto omits AtRestEncryptionEnabled, which the API model's CacheCluster carries (false for a
//   standalone cluster); the hook adds it to moto's real answer.
// - Creation times and statuses moto cannot produce (a cache 30 hours old, "modifying") patch moto's real answer.
const DOCUMENT = 'HIPAA-ElastiCacheSnapshotAndDelete';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const RULE = 'elasticache-encrypted-at-rest';
const ENGINE_RULE = 'elasticache-engine-hipaa-eligible';
const TOPIC_NAME = 'HIPAA-Safeguards-Notifications';
const TOPIC = `arn:aws:sns:us-east-1:123456789012:${TOPIC_NAME}`;
const GROUP = 'phi-sessions';
const FINAL_SNAPSHOT = /^phi-sessions-hipaa-final-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const RG_READS = ['ReadReplicationGroup', 'AssertReplicationGroupAvailable', 'ReadReplicationGroupTags', 'ReadReplicationGroupVerdict', 'DecideReplicationGroupDeletion', 'BranchOnReplicationGroupDecision'];
const CC_READS = ['ReadCacheCluster', 'AssertCacheClusterAvailable', 'ReadCacheClusterTags', 'ReadCacheClusterVerdict', 'DecideCacheClusterDeletion', 'BranchOnCacheClusterDecision'];
const CHECKS = ['CheckCondemnationFitsRule', 'BranchOnResourceType'];
const RG_AT_REST = ['BranchOnReplicationGroupCondemnation', 'AssertReplicationGroupNotEncryptedAtRest'];
const FINAL = ['WaitForFinalSnapshotAvailable', 'DescribeFinalSnapshot', 'VerifyFinalSnapshotAvailable', 'TagFinalSnapshot', 'NotifySnapshotTakenAndDeleted'];

const nonCompliant = (resourceType: string, resourceId: string, rule = RULE, annotation = 'Not encrypted at rest (AtRestEncryptionEnabled false). 45 CFR 164.312(a)(2)(iv)') => ({
  EvaluationResultIdentifier: {
    EvaluationResultQualifier: { ConfigRuleName: rule, ResourceType: resourceType, ResourceId: resourceId, EvaluationMode: 'DETECTIVE' },
    OrderingTimestamp: '2026-01-05T10:00:00.000Z',
  },
  ComplianceType: 'NON_COMPLIANT',
  ResultRecordedTime: '2026-01-05T10:00:02.000Z',
  ConfigRuleInvokedTime: '2026-01-05T10:00:01.000Z',
  Annotation: annotation,
});

describe('remediations/HIPAA-ElastiCacheSnapshotAndDelete', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let ec: ElastiCacheClient;
  let endpoint: string;

  beforeEach(async () => {
    const moto = await useMoto();
    endpoint = moto.endpoint;
    ec = new ElastiCacheClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() });
    const sns = new SNSClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() });
    await sns.send(new CreateTopicCommand({ Name: TOPIC_NAME }));
  });

  const createGroup = async (id = GROUP, extra: { AtRestEncryptionEnabled?: boolean; KmsKeyId?: string } = {}) => {
    const { ReplicationGroup } = await ec.send(
      new CreateReplicationGroupCommand({ ReplicationGroupId: id, ReplicationGroupDescription: 'sessions', Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.t3.micro', NumCacheClusters: 1, ...extra }),
    );
    return ReplicationGroup?.ARN ?? '';
  };
  const createCluster = async (id: string, engine: 'memcached' | 'redis', version = engine === 'redis' ? '7.1' : '1.6.22') => {
    const { CacheCluster } = await ec.send(new CreateCacheClusterCommand({ CacheClusterId: id, Engine: engine, EngineVersion: version, CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1 }));
    return CacheCluster?.ARN ?? '';
  };
  const tag = (arn: string, tags: Record<string, string>) =>
    ec.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  const groupStatus = async (id = GROUP) => (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0]?.Status;
  const clusterStatus = async (id: string) => (await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: id }))).CacheClusters?.[0]?.CacheClusterStatus;
  const snapshots = async () => (await ec.send(new DescribeSnapshotsCommand({}))).Snapshots ?? [];
  /** What moto's topic received: the message and subject of each publish. */
  const published = async (): Promise<{ message: string; subject: string }[]> => {
    const data = (await (await fetch(`${endpoint}/moto-api/data.json`)).json()) as { sns: { Topic: { arn: string; sent_notifications: [string, string, string][] }[] } };
    return (data.sns.Topic.find((t) => t.arn === TOPIC)?.sent_notifications ?? []).map(([, message, subject]) => ({ message, subject }));
  };

  /**
   * The standard hook: the rule's verdict (NON_COMPLIANT for RULE unless told otherwise), the final snapshot
   * ElastiCache takes on a delete with FinalSnapshotIdentifier, and the AtRestEncryptionEnabled moto leaves out of
   * a cache cluster. `extra` answers first when it returns something.
   */
  const hook =
    (options: { verdicts?: unknown[]; extra?: CallOverride } = {}): CallOverride =>
    async (c) => {
      const answer = await options.extra?.(c);
      if (answer !== undefined) return answer;
      if (c.api === 'GetComplianceDetailsByResource') {
        return { EvaluationResults: options.verdicts ?? [nonCompliant(String(c.params.ResourceType), String(c.params.ResourceId))] };
      }
      if (c.api === 'DescribeCacheClusters' && typeof c.params.CacheClusterId === 'string') {
        const real = await ec.send(new DescribeCacheClustersCommand({ CacheClusterId: c.params.CacheClusterId }));
        return { CacheClusters: (real.CacheClusters ?? []).map((cc) => ({ AtRestEncryptionEnabled: false, ...cc })) };
      }
      const final = c.params.FinalSnapshotIdentifier;
      if ((c.api === 'DeleteReplicationGroup' || c.api === 'DeleteCacheCluster') && typeof final === 'string') {
        const source = c.api === 'DeleteReplicationGroup' ? { ReplicationGroupId: String(c.params.ReplicationGroupId) } : { CacheClusterId: String(c.params.CacheClusterId) };
        await ec.send(new CreateSnapshotCommand({ SnapshotName: final, ...source }));
      }
      return undefined;
    };
  /** Patches moto's real DescribeReplicationGroups answer in the Read step. */
  const patchRead =
    (patch: Record<string, unknown>): CallOverride =>
    async (c) => {
      if (c.step === 'ReadReplicationGroup') {
        const real = await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: GROUP }));
        return { ReplicationGroups: [{ ...real.ReplicationGroups?.[0], ...patch }] };
      }
      return undefined;
    };
  const run = (parameters: Record<string, unknown>, override: CallOverride = hook(), options: { accountId?: string; region?: string } = {}) =>
    simulateDocument(doc, {
      parameters: { AutomationAssumeRole: ROLE, ResourceId: GROUP, ConfigRuleName: RULE, Condemnation: 'AtRestEncryptionDisabled', ...parameters },
      override,
      pollIntervalMs: 5,
      maxWaitMs: 2_000,
      ...options,
    });
  const deletes = (r: SimulationResult) => r.calls.filter((c) => c.api.startsWith('Delete'));
  const decision = (r: SimulationResult) => ({
    decision: r.outputs['DecideReplicationGroupDeletion.Decision'] ?? r.outputs['DecideCacheClusterDeletion.Decision'],
    reason: r.outputs['DecideReplicationGroupDeletion.Reason'] ?? r.outputs['DecideCacheClusterDeletion.Reason'],
  });

  /** The verdict the real rule gives `id` on moto, as AWS Config would store it. */
  const storedVerdict = async (rule: Safeguard, raw: Record<string, string>, id: string, resourceType = 'AWS::ElastiCache::ReplicationGroup') => {
    const clients = new AwsClients({ region: 'us-east-1', endpoint, maxAttempts: 1 });
    const { judged, failures } = await judgeAll(rule, parseParameters(rule.schema, raw), newJudgeContext(clients));
    // moto has no DescribeServerlessCaches: only that kind's listing may fail.
    expect(failures.filter((f) => f.resourceType !== 'AWS::ElastiCache::ServerlessCache')).to.deep.equal([]);
    const verdict = judged.find((j) => j.resource.id === id && j.resource.resourceType === resourceType)?.verdict;
    if (!verdict) throw new Error(`The rule gave ${id} no verdict.`);
    return { compliance: verdict.compliance, stored: nonCompliant(resourceType, id, rule.name, verdict.annotation) };
  };

  it('declares exactly the IAM actions its steps call: CreateSnapshot for the final snapshots, AddTagsToResource to tag them, sns:Publish', () => {
    expect([...doc.iamActions].sort()).to.deep.equal([
      'config:GetComplianceDetailsByResource',
      'elasticache:AddTagsToResource',
      'elasticache:CreateSnapshot',
      'elasticache:DeleteCacheCluster',
      'elasticache:DeleteReplicationGroup',
      'elasticache:DescribeCacheClusters',
      'elasticache:DescribeReplicationGroups',
      'elasticache:DescribeSnapshots',
      'elasticache:ListTagsForResource',
      'sns:Publish',
    ]);
  });

  it('would be refused by the document checks without CreateSnapshot, which a final snapshot needs', () => {
    const without = { ...doc, iamActions: doc.iamActions.filter((a) => a !== 'elasticache:CreateSnapshot') };
    expect(checkDocument(without).map(formatProblem)).to.deep.equal([
      `${DOCUMENT}: step DeleteReplicationGroupWithFinalSnapshot, # IAM actions: Step needs elasticache:CreateSnapshot (a final snapshot needs it, per the DeleteReplicationGroup API reference), which "# IAM actions:" does not declare; the remediation role would be denied.`,
    ]);
  });

  it('keeps one decision function: both Decide steps carry the same script', () => {
    const steps = (doc.content as { mainSteps: { name: string; inputs: { Script?: string } }[] }).mainSteps;
    const script = (name: string) => steps.find((s) => s.name === name)?.inputs.Script;
    expect(script('DecideReplicationGroupDeletion')).to.be.a('string').and.equal(script('DecideCacheClusterDeletion'));
  });

  describe('issue 9 matrix: the real rule judges moto, the document runs on that verdict', () => {
    const foreignKey = 'arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';

    // Key-only verdicts of elasticache-encrypted-at-rest: the group is encrypted at rest, so nothing may be deleted.
    const keyOnly: { name: string; key: () => Promise<string>; params: (key: string) => Record<string, string>; annotation: RegExp }[] = [
      {
        name: 'encrypted, key unreadable (a central key account)',
        key: () => Promise.resolve(foreignKey),
        params: () => ({ requireCustomerManagedKey: 'true' }),
        annotation: /cannot be verified \(DescribeKey failed: NotFoundException\)/,
      },
      {
        name: 'encrypted, AWS managed key',
        key: () => Promise.resolve('alias/aws/elasticache'),
        params: () => ({ requireCustomerManagedKey: 'true' }),
        annotation: /is AWS managed; requireCustomerManagedKey needs a customer managed key/,
      },
      {
        name: 'encrypted, customer key not in allowedKmsKeyArns',
        key: async () => (await new KMSClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() }).send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? '',
        params: () => ({ allowedKmsKeyArns: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000' }),
        annotation: /is not in allowedKmsKeyArns/,
      },
    ];
    for (const c of keyOnly) {
      it(`${c.name}: the rule says NON_COMPLIANT, the document deletes nothing and notifies a person`, async () => {
        // Arrange
        const key = await c.key();
        await createGroup(GROUP, { AtRestEncryptionEnabled: true, KmsKeyId: key });
        const { compliance, stored } = await storedVerdict(elastiCacheEncryptedAtRest, c.params(key), GROUP);
        expect(compliance).to.equal('NON_COMPLIANT');
        expect(stored.Annotation).to.match(c.annotation);
        // Act
        const result = await run({}, hook({ verdicts: [stored] }));
        // Assert
        expect(deletes(result)).to.deep.equal([]);
        expect(result.status).to.equal('Success');
        expect(result.stepPath).to.deep.equal([...CHECKS, 'ProbeReplicationGroup', ...RG_READS, ...RG_AT_REST, 'NotifyReplicationGroupNotCondemned']);
        expect(result.steps.find((s) => s.name === 'AssertReplicationGroupNotEncryptedAtRest')?.message).to.equal(
          'Expected $.ReplicationGroups[0].AtRestEncryptionEnabled to be one of [False] but found True.',
        );
        expect(await groupStatus()).to.equal('available');
        const [sent, ...more] = await published();
        expect(more).to.deep.equal([]);
        expect(sent?.subject).to.equal(`HIPAA safeguards: ${RULE} - nothing deleted, a person must act`);
        expect(sent?.message).to.contain(`judges replication group ${GROUP} NON_COMPLIANT`);
        expect(sent?.message).to.contain('(AtRestEncryptionDisabled) did not hold');
        expect(sent?.message).to.contain(`Annotation: ${stored.Annotation}`);
      });
    }

    it('unencrypted and young: deletes with a final snapshot, tags the snapshot and tells a person how to restore it', async () => {
      // Arrange
      await createGroup(GROUP, { AtRestEncryptionEnabled: false });
      const { compliance, stored } = await storedVerdict(elastiCacheEncryptedAtRest, {}, GROUP);
      expect(compliance).to.equal('NON_COMPLIANT');
      // Act
      const result = await run({}, hook({ verdicts: [stored] }));
      // Assert
      expect(result.failure).to.equal(undefined);
      expect(result.stepPath).to.deep.equal([...CHECKS, 'ProbeReplicationGroup', ...RG_READS, ...RG_AT_REST, 'BranchOnReplicationGroupAge', 'DeleteReplicationGroupWithFinalSnapshot', ...FINAL]);
      const [del, ...moreDeletes] = deletes(result);
      expect(moreDeletes).to.deep.equal([]);
      expect(del?.params).to.include({ ReplicationGroupId: GROUP, RetainPrimaryCluster: false });
      const name = String(del?.params.FinalSnapshotIdentifier);
      expect(name).to.match(FINAL_SNAPSHOT);
      expect(await groupStatus()).to.equal('deleting');
      const [snapshot] = await snapshots();
      expect(snapshot).to.deep.include({ SnapshotName: name, ReplicationGroupId: GROUP, SnapshotStatus: 'available' });
      const executionId = name.slice(`${GROUP}-hipaa-final-`.length);
      const tags = (await ec.send(new ListTagsForResourceCommand({ ResourceName: snapshot?.ARN }))).TagList ?? [];
      expect(Object.fromEntries(tags.map((t) => [t.Key, t.Value]))).to.deep.equal({
        'hipaa-safeguards:rule': RULE,
        'hipaa-safeguards:reason': 'AtRestEncryptionDisabled',
        'hipaa-safeguards:source': GROUP,
        'hipaa-safeguards:execution-id': executionId,
        'hipaa-safeguards:expiry-suggestion': `keep 90 days from ${new Date().toISOString().slice(0, 10)} and until a restore into an encrypted cache is verified`,
      });
      const [sent] = await published();
      expect(sent?.subject).to.equal(`HIPAA safeguards: ${GROUP} deleted after a final snapshot`);
      expect(sent?.message).to.contain(`Final snapshot: ${name} (${snapshot?.ARN})`);
      expect(sent?.message).to.contain(`--snapshot-name ${name} --engine valkey`);
      expect(sent?.message).to.contain('--at-rest-encryption-enabled --kms-key-id <customer-managed-key-arn> --transit-encryption-enabled');
      expect(result.documentOutputs).to.deep.include({ 'DecideReplicationGroupDeletion.Decision': 'Delete', 'DescribeFinalSnapshot.SnapshotName': name, 'DescribeFinalSnapshot.SnapshotArn': snapshot?.ARN });
    });

    it('unencrypted and old: stops for a person after the fact is confirmed, deleting nothing', async () => {
      await createGroup(GROUP, { AtRestEncryptionEnabled: false });
      const { stored } = await storedVerdict(elastiCacheEncryptedAtRest, {}, GROUP);
      const created = new Date(Date.now() - 30 * 3600_000);
      const result = await run({ MaxAgeHours: 24 }, hook({ verdicts: [stored], extra: patchRead({ ReplicationGroupCreateTime: created }) }));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.stepPath.slice(-3)).to.deep.equal(['AssertReplicationGroupNotEncryptedAtRest', 'BranchOnReplicationGroupAge', 'StopReplicationGroupTooOld']);
      expect(result.failure).to.deep.equal({
        step: 'StopReplicationGroupTooOld',
        message: `RemediationStopped: Replication group ${GROUP} was created ${created.toISOString().slice(0, 16).replace('T', ' ')} UTC, 30 hours ago: this document deletes only caches created less than MaxAgeHours (24) hours ago, so that a cache already in use is never wiped. A person must act: move the data to a compliant cache and delete this one, or record an exception with the tag hipaa-safeguards:exempt. Nothing was deleted.`,
      });
      expect(await groupStatus()).to.equal('available');
    });

    it('unencrypted and exempt: the run ends without change (the stored verdict predates the tag)', async () => {
      const arn = await createGroup(GROUP, { AtRestEncryptionEnabled: false });
      const { stored } = await storedVerdict(elastiCacheEncryptedAtRest, {}, GROUP);
      await tag(arn, { 'hipaa-safeguards:exempt': 'CHG-1234 legacy sessions' });
      const result = await run({}, hook({ verdicts: [stored] }));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.status).to.equal('Success');
      expect(decision(result)).to.deep.equal({ decision: 'Keep', reason: `Replication group ${GROUP} is exempt by tag hipaa-safeguards:exempt (CHG-1234 legacy sessions). Nothing was deleted.` });
      expect(await published()).to.deep.equal([]);
    });

    it('Memcached without AllowDeleteWithoutSnapshot: stops, deleting nothing', async () => {
      await createCluster('memc', 'memcached');
      const { stored } = await storedVerdict(elastiCacheEncryptedAtRest, {}, 'memc', 'AWS::ElastiCache::CacheCluster');
      const result = await run({ ResourceId: 'memc' }, hook({ verdicts: [stored] }));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.failure?.step).to.equal('StopMemcachedWithoutSnapshot');
      expect(await clusterStatus('memc')).to.equal('available');
    });

    it('Memcached with AllowDeleteWithoutSnapshot: deletes without a snapshot and says the data is gone', async () => {
      await createCluster('memc', 'memcached');
      const { stored } = await storedVerdict(elastiCacheEncryptedAtRest, {}, 'memc', 'AWS::ElastiCache::CacheCluster');
      const result = await run({ ResourceId: 'memc', AllowDeleteWithoutSnapshot: true }, hook({ verdicts: [stored] }));
      expect(deletes(result).map((c) => c.params)).to.deep.equal([{ CacheClusterId: 'memc' }]);
      expect(result.stepPath.slice(-4)).to.deep.equal(['BranchOnDeleteWithoutSnapshot', 'DeleteMemcachedCluster', 'VerifyMemcachedClusterDeleting', 'NotifyMemcachedDeleted']);
      expect(await clusterStatus('memc')).to.equal('deleting');
      expect(await snapshots()).to.deep.equal([]);
      expect((await published())[0]?.subject).to.equal('HIPAA safeguards: memc deleted without a snapshot');
    });

    it('resource already deleting: stops at the status check, deleting nothing', async () => {
      await createGroup(GROUP, { AtRestEncryptionEnabled: false });
      const { stored } = await storedVerdict(elastiCacheEncryptedAtRest, {}, GROUP);
      await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: GROUP }));
      const result = await run({}, hook({ verdicts: [stored] }));
      expect(result.failure).to.deep.equal({ step: 'AssertReplicationGroupAvailable', message: 'Expected $.ReplicationGroups[0].Status to be one of [available] but found deleting.' });
      expect(deletes(result)).to.deep.equal([]);
      expect(result.calls.map((c) => c.api)).to.not.include('GetComplianceDetailsByResource');
    });

    it('stored verdict stale, the rule now judges it COMPLIANT: Config returns no NON_COMPLIANT verdict, nothing is deleted', async () => {
      await createGroup(GROUP, { AtRestEncryptionEnabled: true });
      const { compliance } = await storedVerdict(elastiCacheEncryptedAtRest, {}, GROUP);
      expect(compliance).to.equal('COMPLIANT');
      const result = await run({}, hook({ verdicts: [] }));
      expect(deletes(result)).to.deep.equal([]);
      expect(decision(result)).to.deep.equal({ decision: 'Keep', reason: `Replication group ${GROUP} is no longer NON_COMPLIANT for rule ${RULE}. Nothing was deleted.` });
    });

    it('stored verdict stale, Config still returns the old NON_COMPLIANT: the re-read fact spares the (now encrypted) group', async () => {
      await createGroup(GROUP, { AtRestEncryptionEnabled: true });
      const result = await run({}, hook({ verdicts: [nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP)] }));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.stepPath.at(-1)).to.equal('NotifyReplicationGroupNotCondemned');
      expect(await groupStatus()).to.equal('available');
    });
  });

  describe('engine path (elasticache-engine-hipaa-eligible, EngineNotHipaaEligible)', () => {
    const engineRun = (parameters: Record<string, unknown>, override: CallOverride) => run({ ConfigRuleName: ENGINE_RULE, Condemnation: 'EngineNotHipaaEligible', ...parameters }, override);

    it('deletes a Redis OSS 3.2.4 group (outside the BAA), read from its member cluster', async () => {
      await seedGroup(ec, { id: GROUP, version: '3.2.4' });
      const { compliance, stored } = await storedVerdict(elastiCacheEngineHipaaEligible, {}, GROUP);
      expect(compliance).to.equal('NON_COMPLIANT');
      const result = await engineRun({}, hook({ verdicts: [stored] }));
      expect(result.failure).to.equal(undefined);
      expect(result.stepPath).to.include.members(['ReadReplicationGroupMemberEngine', 'BranchOnReplicationGroupEngine', 'BranchOnReplicationGroupRedisVersion', 'DeleteReplicationGroupWithFinalSnapshot']);
      expect(deletes(result)).to.have.length(1);
      expect(result.calls.find((c) => c.step === 'ReadReplicationGroupMemberEngine')?.params).to.deep.equal({ CacheClusterId: `${GROUP}-001` });
    });

    it('spares Redis OSS 7.1 that only a stricter minimumRedisVersion condemns: notifies instead', async () => {
      await seedGroup(ec, { id: GROUP, version: '7.1' });
      const { compliance, stored } = await storedVerdict(elastiCacheEngineHipaaEligible, { minimumRedisVersion: '7.2' }, GROUP);
      expect(compliance).to.equal('NON_COMPLIANT');
      const result = await engineRun({}, hook({ verdicts: [stored] }));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.stepPath.slice(-2)).to.deep.equal(['BranchOnReplicationGroupRedisVersion', 'NotifyReplicationGroupNotCondemned']);
      expect((await published())[0]?.message).to.contain('(EngineNotHipaaEligible) did not hold');
    });

    it('spares Redis OSS 3.2.6, which the AWS HIPAA whitepaper names', async () => {
      await seedGroup(ec, { id: GROUP, version: '3.2.6' });
      const result = await engineRun({}, hook({ verdicts: [nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP, ENGINE_RULE)] }));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.stepPath.at(-1)).to.equal('NotifyReplicationGroupNotCondemned');
    });

    it('notifies, deleting nothing, when the engine version cannot be read (no member cluster)', async () => {
      await createGroup(GROUP); // moto creates no member cluster for it
      const result = await engineRun({}, hook({ verdicts: [nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP, ENGINE_RULE)] }));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.status).to.equal('Success');
      expect(result.stepPath.slice(-2)).to.deep.equal(['ReadReplicationGroupMemberEngine', 'NotifyReplicationGroupNotCondemned']);
    });

    it('deletes a Memcached cluster (never BAA eligible) when AllowDeleteWithoutSnapshot is true', async () => {
      await createCluster('memc', 'memcached');
      const { stored } = await storedVerdict(elastiCacheEngineHipaaEligible, {}, 'memc', 'AWS::ElastiCache::CacheCluster');
      const result = await engineRun({ ResourceId: 'memc', AllowDeleteWithoutSnapshot: true }, hook({ verdicts: [stored] }));
      expect(result.stepPath).to.include.members(['ReadCacheClusterEngine', 'BranchOnCacheClusterEngine', 'DeleteMemcachedCluster']);
      expect(deletes(result).map((c) => c.params)).to.deep.equal([{ CacheClusterId: 'memc' }]);
    });

    it('deletes a standalone Redis OSS 2.8.24 cluster with a final snapshot', async () => {
      await createCluster('old-redis', 'redis', '2.8.24');
      const { stored } = await storedVerdict(elastiCacheEngineHipaaEligible, {}, 'old-redis', 'AWS::ElastiCache::CacheCluster');
      const result = await engineRun({ ResourceId: 'old-redis' }, hook({ verdicts: [stored] }));
      expect(result.failure).to.equal(undefined);
      expect(String(deletes(result)[0]?.params.FinalSnapshotIdentifier)).to.match(/^old-redis-hipaa-final-/);
      expect(await clusterStatus('old-redis')).to.equal('deleting');
    });
  });

  describe('replication group', () => {
    it('gives each execution its own final snapshot name', async () => {
      await createGroup();
      await createGroup('phi-sessions-2');
      const first = await run({});
      const second = await run({ ResourceId: 'phi-sessions-2' });
      const names = [first, second].map((r) => deletes(r)[0]?.params.FinalSnapshotIdentifier);
      expect(names.every((n) => typeof n === 'string')).to.equal(true);
      expect(new Set(names).size).to.equal(2);
    });

    it('deletes nothing when only another rule judges it NON_COMPLIANT', async () => {
      await createGroup();
      const result = await run({}, hook({ verdicts: [nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP, 'elasticache-auth-enabled')] }));
      expect(decision(result).decision).to.equal('Keep');
      expect(deletes(result)).to.deep.equal([]);
    });

    it('deletes when the verdict comes from the same rule deployed by a conformance pack', async () => {
      await createGroup();
      const result = await run({}, hook({ verdicts: [nonCompliant('AWS::ElastiCache::ReplicationGroup', GROUP, `${RULE}-conformance-pack-x1y2z3`)] }));
      expect(decision(result).decision).to.equal('Delete');
      expect(await groupStatus()).to.equal('deleting');
    });

    it('deletes nothing while an exemption runs (exempt-until in the future)', async () => {
      await tag(await createGroup(), { 'hipaa-safeguards:exempt': 'CHG-1', 'hipaa-safeguards:exempt-until': '2999-12-31' });
      const result = await run({});
      expect(decision(result).reason).to.equal(`Replication group ${GROUP} is exempt by tag hipaa-safeguards:exempt (CHG-1) until 2999-12-31. Nothing was deleted.`);
      expect(deletes(result)).to.deep.equal([]);
      expect(await groupStatus()).to.equal('available');
    });

    it('deletes once an exemption has expired, as the rule judges it', async () => {
      await tag(await createGroup(), { 'hipaa-safeguards:exempt': 'CHG-1', 'hipaa-safeguards:exempt-until': '2020-01-31T00:00Z' });
      const result = await run({});
      expect(decision(result).decision).to.equal('Delete');
      expect(await groupStatus()).to.equal('deleting');
    });

    it('stops, deleting nothing, when exempt-until is not a date', async () => {
      await tag(await createGroup(), { 'hipaa-safeguards:exempt': 'CHG-1', 'hipaa-safeguards:exempt-until': 'end of Q3' });
      const result = await run({});
      expect(result.status).to.equal('Failed');
      expect(result.failure).to.deep.equal({
        step: 'DecideReplicationGroupDeletion',
        message: `RemediationStopped: Replication group ${GROUP} has tag hipaa-safeguards:exempt-until 'end of Q3', which is not an ISO 8601 date. The rule ignores such a tag, but nothing is deleted on a guess: fix or remove the tag, then run again. Nothing was deleted.`,
      });
      expect(deletes(result)).to.deep.equal([]);
    });

    it('deletes nothing with MaxAgeHours 0, however new the group', async () => {
      await createGroup();
      const result = await run({ MaxAgeHours: 0 });
      expect(result.failure?.step).to.equal('StopReplicationGroupTooOld');
      expect(result.failure?.message).to.match(/^RemediationStopped: Replication group phi-sessions was created .*, 0 hours ago: .*MaxAgeHours \(0\)/);
      expect(deletes(result)).to.deep.equal([]);
    });

    for (const status of ['creating', 'modifying', 'snapshotting']) {
      it(`stops at the status check when the group is ${status} (canned status, moto keeps groups available)`, async () => {
        await createGroup();
        const override = hook({
          extra: async (c) => (c.step === 'AssertReplicationGroupAvailable' ? { ReplicationGroups: [{ ReplicationGroupId: GROUP, Status: status }] } : undefined),
        });
        const result = await run({}, override);
        expect(result.failure?.message).to.equal(`Expected $.ReplicationGroups[0].Status to be one of [available] but found ${status}.`);
        expect(deletes(result)).to.deep.equal([]);
      });
    }

    it('notifies, deleting nothing, when the at-rest read fails (an API error is no fact)', async () => {
      await createGroup();
      const override = hook({
        extra: (c) => {
          if (c.step === 'AssertReplicationGroupNotEncryptedAtRest') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          return undefined;
        },
      });
      const result = await run({}, override);
      expect(deletes(result)).to.deep.equal([]);
      expect(result.stepPath.at(-1)).to.equal('NotifyReplicationGroupNotCondemned');
    });

    it('fails at the snapshot wait (after the delete started) when the final snapshot never becomes available', async () => {
      await createGroup();
      const override = hook({ extra: (c) => (c.api === 'DescribeSnapshots' ? { Snapshots: [{ SnapshotName: 'x', SnapshotStatus: 'creating' }] } : undefined) });
      const result = await simulateDocument(doc, {
        parameters: { AutomationAssumeRole: ROLE, ResourceId: GROUP, ConfigRuleName: RULE, Condemnation: 'AtRestEncryptionDisabled' },
        override,
        pollIntervalMs: 5,
        maxWaitMs: 50,
      });
      expect(result.status).to.equal('Failed');
      expect(result.failure?.step).to.equal('WaitForFinalSnapshotAvailable');
      expect(result.steps.find((s) => s.name === 'WaitForFinalSnapshotAvailable')?.attempts).to.equal(3);
    });
  });

  describe('standalone cache cluster', () => {
    it('deletes a standalone Redis OSS cluster with a final snapshot', async () => {
      await createCluster('sessions-1', 'redis');
      const result = await run({ ResourceId: 'sessions-1', ResourceType: 'AWS::ElastiCache::CacheCluster' });
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal([
        ...CHECKS,
        ...CC_READS,
        'BranchOnCacheClusterCondemnation',
        'AssertCacheClusterNotEncryptedAtRest',
        'BranchOnCacheClusterAge',
        'BranchOnCacheClusterSnapshotSupport',
        'DeleteCacheClusterWithFinalSnapshot',
        ...FINAL,
      ]);
      expect(String(deletes(result)[0]?.params.FinalSnapshotIdentifier)).to.match(/^sessions-1-hipaa-final-[0-9a-f-]{36}$/);
      expect(await clusterStatus('sessions-1')).to.equal('deleting');
      expect((await snapshots()).map((s) => s.CacheClusterId)).to.deep.equal(['sessions-1']);
    });

    it('deletes nothing on an exempt cluster', async () => {
      await tag(await createCluster('memc', 'memcached'), { 'hipaa-safeguards:exempt': 'INC-77' });
      const result = await run({ ResourceId: 'memc', AllowDeleteWithoutSnapshot: true });
      expect(result.status).to.equal('Success');
      expect(decision(result).decision).to.equal('Keep');
      expect(deletes(result)).to.deep.equal([]);
    });

    it('refuses a member cluster of a replication group: the group is the resource', async () => {
      await seedGroup(ec, { id: GROUP, version: '7.1', atRest: false });
      const result = await run({ ResourceId: `${GROUP}-001`, ResourceType: 'AWS::ElastiCache::CacheCluster' });
      expect(deletes(result)).to.deep.equal([]);
      expect(result.failure).to.deep.equal({
        step: 'DecideCacheClusterDeletion',
        message: `RemediationStopped: Cache cluster ${GROUP}-001 is a member of replication group ${GROUP}: run this document on the group. Nothing was deleted.`,
      });
    });

    it('notifies, deleting nothing, when DescribeCacheClusters reports no AtRestEncryptionEnabled (unknown is no fact)', async () => {
      await createCluster('sessions-1', 'redis');
      const result = await run({ ResourceId: 'sessions-1' }, async (c) => (c.api === 'DescribeCacheClusters' ? undefined : hook()(c)));
      expect(deletes(result)).to.deep.equal([]);
      expect(result.stepPath.at(-1)).to.equal('NotifyCacheClusterNotCondemned');
    });

    it('fails at ReadCacheCluster when the ID is neither a group nor a cluster', async () => {
      const result = await run({ ResourceId: 'gone' });
      expect(result.stepPath).to.deep.equal([...CHECKS, 'ProbeReplicationGroup', 'ReadCacheCluster']);
      expect(result.failure?.message).to.match(/^elasticache:DescribeCacheClusters failed: CacheClusterNotFoundFault: /);
    });
  });

  describe('inputs and outputs no caller may bend', () => {
    it('publishes only to the pack topic of the account and Region it runs in, whatever the caller wants', async () => {
      // Arrange: the pack's topic in moto's account; the execution runs as another account (a spoke)
      await createGroup();
      // Act
      const result = await run({}, hook(), { accountId: '210987654321' });
      // Assert: it tried the spoke's own topic (moto has none there), not the one it was not given
      const publish = result.calls.find((c) => c.api === 'Publish');
      expect(publish?.params.TopicArn).to.equal(`arn:aws:sns:us-east-1:210987654321:${TOPIC_NAME}`);
      expect(await published()).to.deep.equal([]);
    });

    it('names the topic the deployment creates (DEFAULT_NOTIFICATION_TOPIC_NAME) in every Publish step', () => {
      const steps = (doc.content as { mainSteps: { inputs: { Api?: string; TopicArn?: string } }[] }).mainSteps.filter((s) => s.inputs.Api === 'Publish');
      expect(steps).to.have.length(4);
      for (const s of steps) expect(s.inputs.TopicArn).to.equal(`arn:{{ global:AWS_PARTITION }}:sns:{{ global:REGION }}:{{ global:ACCOUNT_ID }}:${DEFAULT_NOTIFICATION_TOPIC_NAME}`);
    });

    it('stops when Condemnation is not the fact the rule condemns for (no key-only rule can borrow a destructive fact)', async () => {
      await createGroup();
      const result = await run({ ConfigRuleName: RULE, Condemnation: 'EngineNotHipaaEligible' });
      expect(result.stepPath).to.deep.equal(['CheckCondemnationFitsRule', 'StopCondemnationNotForRule']);
      expect(result.calls).to.deep.equal([]);
    });

    const refused: [string, Record<string, unknown>][] = [
      ['a rule that does not link the document', { ConfigRuleName: 'elasticache-auth-enabled' }],
      ['a Condemnation outside the catalog', { Condemnation: 'KmsKeyNotAllowed' }],
      ['MaxAgeHours above 720', { MaxAgeHours: 721 }],
      ['MaxAgeHours of six digits', { MaxAgeHours: 100_000 }],
      ['an upper-case ResourceId', { ResourceId: 'Phi-Sessions' }],
      ['a double hyphen', { ResourceId: 'phi--sessions' }],
      ['a trailing hyphen', { ResourceId: 'phi-' }],
      ['a leading digit', { ResourceId: '1phi' }],
      ['51 characters', { ResourceId: 'a'.repeat(51) }],
    ];
    for (const [what, parameters] of refused) {
      it(`refuses ${what} before any step runs`, async () => {
        let caught: unknown;
        await run(parameters).catch((e: unknown) => (caught = e));
        expect(caught).to.be.instanceOf(SimulationError);
        expect((caught as Error).message).to.match(/^Parameter \w+ value .* (does not match allowedPattern|is not one of)/);
      });
    }

    it('accepts MaxAgeHours 720', async () => {
      await createGroup();
      const result = await run({ MaxAgeHours: 720 });
      expect(decision(result).decision).to.equal('Delete');
    });
  });
});
