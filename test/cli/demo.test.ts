import { DescribeSnapshotsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { catalog, findSafeguard } from '../../rules/catalog';
import { PACK_PATH, packNames } from '../../scripts/lib/conformance-pack';
import { type Template, resolveIntrinsics } from '../pack/cfn';
import { type DemoReport, describeOutcome, runDemo } from '../../scripts/demo';
import { useMoto } from '../helpers/moto';

describe('npm start (demo): the whole pack on moto', function () {
  this.timeout(120_000);
  let report: DemoReport;
  let out = '';
  let endpoint: string;
  let intakeUrl = '';

  before(async () => {
    ({ endpoint } = await useMoto());
    out = '';
    report = await runDemo(endpoint, { out: (t) => (out += t), err: () => undefined }, new Date());
    intakeUrl = (await new SQSClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() }).send(new GetQueueUrlCommand({ QueueName: 'phi-intake' }))).QueueUrl ?? '';
  });

  const verdicts = (results: DemoReport['before']) => Object.fromEntries(results.map((r) => [`${r.rule} ${r.resourceId}`, r.compliance]));

  it('finishes cleanly: no failure the emulator does not explain', () => {
    expect(report.failures).to.deep.equal([]);
    expect(report.exitCode).to.equal(0);
  });

  it('shows every safeguard of the catalog: a verdict, or SKIPPED where the emulator lacks the API', () => {
    const judged = new Set(report.before.map((r) => r.rule));
    const skippedRules = new Set(report.skipped.map((s) => s.rule));
    for (const s of catalog) expect(judged.has(s.name) || skippedRules.has(s.name), s.name).to.equal(true);
    // Serverless caches (DescribeServerlessCaches) and update actions (DescribeUpdateActions): moto has neither.
    expect(report.skipped.map((s) => `${s.rule} ${s.resourceType}`)).to.have.members([
      ...catalog.filter((s) => s.resource.resourceTypes.includes('AWS::ElastiCache::ServerlessCache')).map((s) => `${s.name} AWS::ElastiCache::ServerlessCache`),
      'elasticache-security-updates-applied AWS::ElastiCache::ReplicationGroup',
      'elasticache-security-updates-applied AWS::ElastiCache::CacheCluster',
    ]);
    expect(out).to.match(/^SKIPPED elasticache-encrypted-at-rest \(AWS::ElastiCache::ServerlessCache\) ElastiCache\.DescribeServerlessCaches: /m);
  });

  it('judges OpenSearch domains by scan: the one created with the defaults fails both rules, the hardened one passes', () => {
    expect(verdicts(report.before)).to.deep.include({
      'opensearch-encrypted-at-rest 123456789012/phi-search': 'NON_COMPLIANT',
      'opensearch-encrypted-at-rest 123456789012/phi-audit-search': 'COMPLIANT',
      'opensearch-encrypted-in-transit 123456789012/phi-search': 'NON_COMPLIANT',
      'opensearch-encrypted-in-transit 123456789012/phi-audit-search': 'COMPLIANT',
    });
  });

  it('judges Kinesis, Firehose, ElastiCache groups and clusters by scan, and Kinesis video through invoke', () => {
    expect(verdicts(report.before)).to.deep.include({
      'kinesis-stream-encrypted phi-vitals-raw': 'NON_COMPLIANT',
      'kinesis-stream-encrypted phi-claims': 'NON_COMPLIANT',
      'kinesis-stream-encrypted phi-lab-results': 'COMPLIANT',
      'kinesis-stream-encrypted research-sandbox': 'NOT_APPLICABLE',
      'kinesis-stream-encrypted legacy-hl7-feed': 'NON_COMPLIANT',
      'firehose-delivery-stream-encrypted phi-admissions': 'NON_COMPLIANT',
      'firehose-delivery-stream-encrypted phi-discharges': 'COMPLIANT',
      'firehose-delivery-stream-encrypted phi-lab-feed': 'COMPLIANT',
      'elasticache-encrypted-at-rest phi-sessions': 'NON_COMPLIANT',
      'elasticache-encrypted-at-rest phi-claims-cache': 'COMPLIANT',
      'elasticache-encrypted-at-rest mc-sessions': 'NON_COMPLIANT',
      'elasticache-encrypted-in-transit phi-sessions': 'NON_COMPLIANT',
      'elasticache-auth-enabled phi-sessions': 'NON_COMPLIANT',
      'elasticache-auth-enabled mc-sessions': 'NOT_APPLICABLE',
      'elasticache-engine-hipaa-eligible mc-sessions': 'NON_COMPLIANT',
      'elasticache-current-generation-nodes phi-claims-cache': 'COMPLIANT',
      'kinesis-video-stream-customer-key ward-cam': 'NON_COMPLIANT',
      'kinesis-video-stream-customer-key or-3-cam': 'COMPLIANT',
      'memorydb-encrypted-in-transit phi-memory': 'COMPLIANT',
      'memorydb-auth-enabled phi-memory': 'COMPLIANT',
      'memorydb-encrypted-at-rest phi-memory': 'COMPLIANT',
      'memorydb-auth-enabled memory-sandbox': 'NOT_APPLICABLE',
    });
  });

  it('runs each document as its own role, the AutomationAssumeRole the conformance pack passes for that rule', () => {
    // Arrange: the pack as deployed in the demo's account and region (cfn.ts PSEUDO: 123456789012, us-east-1)
    const pack = parse(readFileSync(PACK_PATH, 'utf8')) as Template;
    const packRole = (rule: string) => {
      const config = pack.Resources[packNames(findSafeguard(rule)).remediation]?.Properties as { Parameters: { AutomationAssumeRole: { StaticValue: { Values: unknown[] } } } };
      return resolveIntrinsics(pack, config.Parameters.AutomationAssumeRole.StaticValue.Values[0], {});
    };
    // Assert
    expect(report.remediations.length).to.be.above(3);
    for (const o of report.remediations) {
      expect(o.roleArn, `${o.document} ${o.resourceId}`).to.equal(packRole(o.rule));
      expect(o.roleArn).to.equal(`arn:aws:iam::123456789012:role/${o.document}-us-east-1`);
    }
    expect(new Set(report.remediations.map((o) => o.roleArn)).size).to.equal(new Set(report.remediations.map((o) => o.document)).size);
  });

  it('runs each automatic remediation and says what it changed: key, API call, snapshot name', async () => {
    const lines = Object.fromEntries(report.remediations.map((o) => [`${o.document} ${o.resourceId}`, describeOutcome(o)]));
    // MSK: both rules judge phi-orders (ID: its ARN, which moto makes up); only the at-rest notification is automatic.
    const msk = report.before.filter((r) => r.rule.startsWith('msk-')).map((r) => [r.rule, r.compliance, r.resourceId]);
    const mskArn = String(msk[0]?.[2]);
    expect(mskArn).to.match(/^arn:aws:kafka:us-east-1:123456789012:cluster\//);
    expect(msk).to.have.deep.members([
      ['msk-encrypted-in-transit', 'NON_COMPLIANT', mskArn],
      ['msk-encrypted-at-rest', 'NON_COMPLIANT', mskArn],
    ]);
    // The unencrypted RDS instance is notified by its Config resource ID (DbiResourceId).
    const rds = new RDSClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() });
    const ehr = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'phi-ehr-db' }))).DBInstances?.[0]?.DbiResourceId;
    expect(Object.keys(lines)).to.have.members([
      `HIPAA-NotifyNonCompliantResource ${mskArn}`,
      `HIPAA-NotifyNonCompliantResource ${ehr ?? ''}`,
      'HIPAA-EnableKinesisStreamEncryption phi-vitals-raw',
      'HIPAA-EnableKinesisStreamEncryption phi-claims',
      'HIPAA-EnableKinesisStreamEncryption legacy-hl7-feed',
      'HIPAA-EnableFirehoseEncryption phi-admissions',
      'HIPAA-ElastiCacheSnapshotAndDelete phi-sessions',
      'HIPAA-ElastiCacheSnapshotAndDelete mc-sessions',
      'HIPAA-NotifyNonCompliantResource ward-cam',
      `HIPAA-SQSEnforceTlsOnly ${intakeUrl}`,
    ]);
    expect(lines['HIPAA-EnableKinesisStreamEncryption phi-claims']).to.deep.equal({
      status: 'CHANGED',
      what: 'kinesis:StartStreamEncryption StreamName=phi-claims EncryptionType=KMS KeyId=alias/phi-streams',
    });
    expect(lines['HIPAA-EnableFirehoseEncryption phi-admissions']?.what).to.equal(
      'firehose:StartDeliveryStreamEncryption DeliveryStreamName=phi-admissions DeliveryStreamEncryptionConfigurationInput={"KeyType":"AWS_OWNED_CMK"}',
    );
    const deletion = lines['HIPAA-ElastiCacheSnapshotAndDelete phi-sessions'];
    const snapshot = /FinalSnapshotIdentifier=(phi-sessions-hipaa-final-[0-9a-f-]{36}); elasticache:AddTagsToResource ResourceName=\S+:snapshot:\1 Tags=hipaa-safeguards:rule,hipaa-safeguards:reason,\S+; sns:Publish TopicArn=\S+; final snapshot \1 available$/.exec(deletion?.what ?? '')?.[1];
    expect(deletion?.status).to.equal('CHANGED');
    expect(snapshot, deletion?.what).to.be.a('string');
    const ec = new ElastiCacheClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() });
    expect(((await ec.send(new DescribeSnapshotsCommand({}))).Snapshots ?? []).map((s) => s.SnapshotName)).to.deep.equal([snapshot]);
    // moto omits AtRestEncryptionEnabled from DescribeCacheClusters: the document cannot confirm the condemning fact
    // itself, so it deletes nothing and tells a person instead.
    expect(lines['HIPAA-ElastiCacheSnapshotAndDelete mc-sessions']).to.deep.equal({
      status: 'CHANGED',
      what: 'sns:Publish TopicArn=arn:aws:sns:us-east-1:123456789012:HIPAA-Safeguards-Notifications',
    });
    expect(lines['HIPAA-NotifyNonCompliantResource ward-cam']?.what).to.match(/^sns:Publish TopicArn=arn:aws:sns:us-east-1:123456789012:HIPAA-Safeguards-Notifications; message [0-9a-f-]{36}$/);
    expect(out).to.contain('kinesis:StartStreamEncryption StreamName=phi-vitals-raw EncryptionType=KMS KeyId=alias/phi-streams');
  });

  it('scans again: what the remediations fixed is COMPLIANT, and the rest is named for a person', () => {
    expect(verdicts(report.after)).to.deep.include({
      'kinesis-stream-encrypted phi-vitals-raw': 'COMPLIANT',
      'kinesis-stream-encrypted phi-claims': 'COMPLIANT',
      'kinesis-stream-encrypted legacy-hl7-feed': 'COMPLIANT',
      'kinesis-stream-encrypted research-sandbox': 'NOT_APPLICABLE',
      'firehose-delivery-stream-encrypted phi-admissions': 'COMPLIANT',
      'elasticache-encrypted-at-rest mc-sessions': 'NON_COMPLIANT',
      [`sqs-queue-tls-only ${intakeUrl}`]: 'COMPLIANT',
      // The key is the engineer's to name: that remediation is manual.
      [`sqs-queue-encrypted ${intakeUrl}`]: 'NON_COMPLIANT',
      'sns-topic-encrypted arn:aws:sns:us-east-1:123456789012:HIPAA-Safeguards-Notifications': 'COMPLIANT',
      'sns-topic-tls-only arn:aws:sns:us-east-1:123456789012:HIPAA-Safeguards-Notifications': 'COMPLIANT',
    });
    expect(out).to.match(/^elasticache-engine-hipaa-eligible\s+mc-sessions\s+NON_COMPLIANT\s+NON_COMPLIANT\s+manual remediation: HIPAA-ElastiCacheSnapshotAndDelete$/m);
  });

  it('ends by telling the user the next step: scan their own account, then deploy', () => {
    const lines = out.trimEnd().split('\n');
    expect(lines.at(-2)).to.match(/^Next: scan your own account, read-only: npx safeguards scan --region <region>/);
    expect(lines.at(-1)).to.contain('npx safeguards deploy --region <region> --stage prod --dry-run');
  });
});
