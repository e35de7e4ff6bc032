/**
 * `npm start`: the whole pack on an embedded account. Starts moto server on loopback and seeds Kinesis streams,
 * Firehose delivery streams, ElastiCache replication groups and a cluster, an MSK cluster, MemoryDB clusters, OpenSearch domains and Kinesis video streams; scans them
 * with the same rules the Lambdas run (Kinesis video through `safeguards invoke` of configuration items, since the
 * emulator cannot list their tags), says SKIPPED for what the emulator lacks, runs every automatic remediation
 * through the SSM Automation simulator and shows what each changed, scans again, and tells the user the next step.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { CreateDBInstanceCommand, CreateDBParameterGroupCommand, ModifyDBParameterGroupCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateDeliveryStreamCommand, FirehoseClient, StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { CreateClusterCommand as CreateMskClusterCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { AddTagsToStreamCommand, CreateStreamCommand, KinesisClient, StartStreamEncryptionCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateACLCommand, CreateClusterCommand, CreateUserCommand, MemoryDBClient } from '@aws-sdk/client-memorydb';
import { CreateDomainCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { CreateTopicCommand, SNSClient, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { tlsOnlyStatement } from '../rules/runtime/secure-transport';
import { catalog } from '../rules/catalog';
import { AwsClients } from '../rules/runtime/clients';
import { kinesisVideoStreamCustomerKey } from '../rules/kinesis-video-stream-customer-key';
import { main as cli } from './cli';
import { type MotoServer, startMoto } from './lib/moto-server';
import { remediationRoleArnIn } from './lib/iam';
import { type RemediationOutcome, remediateWithSimulator } from './lib/remediate';
import { type ScanFailure, type ScanResult, type ScanSkip, formatFailure, formatSkip, formatTable, scan } from './lib/scan';
import type { CallOverride } from './lib/ssm/simulate';

const REGION = 'us-east-1';
/** moto's account. */
const ACCOUNT = '123456789012';
const TOPIC = 'HIPAA-Safeguards-Notifications';

interface SeedStream {
  readonly name: string;
  readonly keyId?: string;
  readonly tags?: Record<string, string>;
  readonly story: string;
}

export async function seedKinesis(endpoint: string, now: Date = new Date()): Promise<SeedStream[]> {
  const clients = new AwsClients({ region: REGION, endpoint });
  const kinesis = clients.get(KinesisClient);
  const kms = clients.get(KMSClient);
  const key = await kms.send(new CreateKeyCommand({ Description: 'PHI streams' }));
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/phi-streams', TargetKeyId: key.KeyMetadata?.KeyId }));
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  const streams: SeedStream[] = [
    { name: 'phi-vitals-raw', story: 'unencrypted' },
    { name: 'phi-claims', keyId: 'alias/aws/kinesis', story: 'AWS managed key' },
    { name: 'phi-lab-results', keyId: 'alias/phi-streams', story: 'customer key through an alias' },
    { name: 'research-sandbox', tags: { 'hipaa-safeguards:exempt': 'CHG-4711 synthetic data only' }, story: 'exempt' },
    {
      name: 'legacy-hl7-feed',
      tags: { 'hipaa-safeguards:exempt': 'CHG-1002 migration', 'hipaa-safeguards:exempt-until': yesterday },
      story: 'expired exemption',
    },
  ];
  for (const s of streams) {
    await kinesis.send(new CreateStreamCommand({ StreamName: s.name, ShardCount: 1 }));
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName: s.name });
    if (s.keyId) await kinesis.send(new StartStreamEncryptionCommand({ StreamName: s.name, EncryptionType: 'KMS', KeyId: s.keyId }));
    if (s.tags) await kinesis.send(new AddTagsToStreamCommand({ StreamName: s.name, Tags: s.tags }));
  }
  return streams;
}

/** Delivery streams: DirectPut without and with encryption, and one fed by the customer-key Kinesis stream. */
export async function seedFirehose(endpoint: string): Promise<string[]> {
  const firehose = new AwsClients({ region: REGION, endpoint }).get(FirehoseClient);
  const s3 = { BucketARN: 'arn:aws:s3:::phi-landing', RoleARN: `arn:aws:iam::${ACCOUNT}:role/firehose-delivery` };
  await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'phi-admissions', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
  // Encryption started after creation: moto then reports it ENABLED, as Firehose does once it is on.
  await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'phi-discharges', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
  await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'phi-discharges', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'phi-lab-feed',
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/phi-lab-results`, RoleARN: s3.RoleARN },
      ExtendedS3DestinationConfiguration: s3,
    }),
  );
  return ['phi-admissions (DirectPut, unencrypted)', 'phi-discharges (DirectPut, AWS owned key)', 'phi-lab-feed (from phi-lab-results)'];
}

/** An MSK cluster that still accepts plaintext clients, on the AWS managed key (moto lists it with ListClustersV2). */
export async function seedMsk(endpoint: string): Promise<string[]> {
  const kafka = new AwsClients({ region: REGION, endpoint }).get(KafkaClient);
  await kafka.send(
    new CreateMskClusterCommand({
      ClusterName: 'phi-orders',
      KafkaVersion: '3.6.0',
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: { InstanceType: 'kafka.m5.large', ClientSubnets: ['subnet-a', 'subnet-b'] },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } },
    }),
  );
  return ['phi-orders (MSK, TLS_PLAINTEXT, AWS managed key)'];
}

/**
 * Replication groups and a cluster. moto lists a group's member IDs but creates no member clusters, so Redis members
 * are created as cache clusters of the group, as ElastiCache shows them (they carry the engine version).
 */
export async function seedElastiCache(endpoint: string): Promise<string[]> {
  const ec = new AwsClients({ region: REGION, endpoint }).get(ElastiCacheClient);
  const group = async (id: string, secure: boolean) => {
    const out = await ec.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: id,
        ReplicationGroupDescription: `demo ${id}`,
        Engine: 'redis',
        EngineVersion: '7.1',
        CacheNodeType: 'cache.r7g.large',
        NumCacheClusters: 1,
        ...(secure ? { AtRestEncryptionEnabled: true, TransitEncryptionEnabled: true, TransitEncryptionMode: 'required', AuthToken: 'a-long-demo-auth-token-0001' } : {}),
      }),
    );
    for (const member of out.ReplicationGroup?.MemberClusters ?? []) {
      await ec.send(new CreateCacheClusterCommand({ CacheClusterId: member, ReplicationGroupId: id, Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.r7g.large' }));
    }
  };
  await group('phi-sessions', false);
  await group('phi-claims-cache', true);
  await ec.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'mc-sessions', Engine: 'memcached', EngineVersion: '1.6.22', CacheNodeType: 'cache.t4g.small', NumCacheNodes: 1, TransitEncryptionEnabled: true }),
  );
  return ['phi-sessions (Redis, no encryption, no AUTH)', 'phi-claims-cache (Redis, encrypted, TLS required, AUTH)', 'mc-sessions (Memcached cluster)'];
}

/** OpenSearch Service domains: one created with the API's defaults (nothing encrypted, TLS 1.0), one hardened. */
export async function seedOpenSearch(endpoint: string): Promise<string[]> {
  const os = new AwsClients({ region: REGION, endpoint }).get(OpenSearchClient);
  await os.send(new CreateDomainCommand({ DomainName: 'phi-search', EngineVersion: 'OpenSearch_2.11' }));
  await os.send(
    new CreateDomainCommand({
      DomainName: 'phi-audit-search',
      EngineVersion: 'OpenSearch_2.11',
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
    }),
  );
  return ['phi-search (OpenSearch domain, defaults)', 'phi-audit-search (OpenSearch domain, encrypted, HTTPS with TLS 1.2)'];
}

/**
 * MemoryDB clusters: one on a password ACL with a customer managed key, and an exempt sandbox on open-access without
 * TLS. moto models clusters; scripts/lib/moto_server.py fakes its missing ACLs and users (CreateUser, CreateACL).
 */
export async function seedMemoryDb(endpoint: string): Promise<string[]> {
  const clients = new AwsClients({ region: REGION, endpoint });
  const md = clients.get(MemoryDBClient);
  const key = await clients.get(KMSClient).send(new CreateKeyCommand({ Description: 'PHI caches' }));
  await md.send(new CreateUserCommand({ UserName: 'phi-app', AccessString: 'on ~* +@all', AuthenticationMode: { Type: 'password', Passwords: ['a-long-demo-password-0001'] } }));
  await md.send(new CreateACLCommand({ ACLName: 'phi-acl', UserNames: ['phi-app'] }));
  await md.send(new CreateClusterCommand({ ClusterName: 'phi-memory', NodeType: 'db.r7g.large', ACLName: 'phi-acl', TLSEnabled: true, ...(key.KeyMetadata?.Arn ? { KmsKeyId: key.KeyMetadata.Arn } : {}) }));
  await md.send(
    new CreateClusterCommand({
      ClusterName: 'memory-sandbox',
      NodeType: 'db.t4g.small',
      ACLName: 'open-access',
      TLSEnabled: false,
      Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-5120 synthetic data only' }],
    }),
  );
  return ['phi-memory (MemoryDB, TLS, password ACL, customer key)', 'memory-sandbox (MemoryDB, open-access, exempt)'];
}

/** RDS: an unencrypted PostgreSQL 14 database on its default group, and an encrypted one on a group that forces TLS. */
export async function seedRds(endpoint: string): Promise<string[]> {
  const rds = new AwsClients({ region: REGION, endpoint }).get(RDSClient);
  const db = { Engine: 'postgres', EngineVersion: '14.12', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'demo_admin', MasterUserPassword: 'a-demo-password-0001' };
  await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'phi-tls', DBParameterGroupFamily: 'postgres14', Description: 'demo: TLS only' }));
  await rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'phi-tls', Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: '1', ApplyMethod: 'immediate' }] }));
  await rds.send(new CreateDBInstanceCommand({ ...db, DBInstanceIdentifier: 'phi-ehr-db' }));
  await rds.send(new CreateDBInstanceCommand({ ...db, DBInstanceIdentifier: 'phi-lab-db', StorageEncrypted: true, DBParameterGroupName: 'phi-tls' }));
  return ['phi-ehr-db (PostgreSQL, unencrypted, default group)', 'phi-lab-db (PostgreSQL, encrypted, rds.force_ssl 1)'];
}

/**
 * Kinesis video streams as AWS Config records them: configuration items in ConfigurationItemChangeNotification events,
 * shaped like the AWS Config developer guide's example event. One uses the AWS managed key, one a customer key.
 */
export async function kinesisVideoEvents(endpoint: string, now: Date): Promise<Record<string, unknown>[]> {
  const kms = new AwsClients({ region: REGION, endpoint }).get(KMSClient);
  const key = await kms.send(new CreateKeyCommand({ Description: 'PHI video' }));
  const item = (name: string, kmsKeyId: string) => ({
    configurationItemCaptureTime: now.toISOString(),
    awsAccountId: ACCOUNT,
    configurationItemStatus: 'OK',
    resourceId: name,
    resourceName: name,
    ARN: `arn:aws:kinesisvideo:${REGION}:${ACCOUNT}:stream/${name}/1700000000000`,
    awsRegion: REGION,
    resourceType: 'AWS::KinesisVideo::Stream',
    tags: {},
    relationships: [],
    configuration: { Name: name, KmsKeyId: kmsKeyId },
  });
  return [item('ward-cam', ''), item('or-3-cam', key.KeyMetadata?.Arn ?? '')].map((configurationItem) => ({
    invokingEvent: JSON.stringify({ configurationItem, messageType: 'ConfigurationItemChangeNotification', notificationCreationTime: now.toISOString() }),
    ruleParameters: '{}',
    resultToken: 'TESTMODE',
    eventLeftScope: false,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/config-role`,
    configRuleArn: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-0123456`,
    configRuleName: kinesisVideoStreamCustomerKey.name,
    configRuleId: 'config-rule-0123456',
    accountId: ACCOUNT,
    version: '1.0',
  }));
}

/**
 * What moto 5.2.1 does not implement, per rule and resource kind. A failure that matches is reported as SKIPPED
 * with this reason; any other failure stays an ERROR. README ("Testing without an AWS account") lists the same.
 */
export const EMULATOR_GAPS: readonly { readonly rule?: string; readonly resourceType: string; readonly operation: string; readonly reason: string }[] = [
  { resourceType: 'AWS::ElastiCache::ServerlessCache', operation: 'ElastiCache.DescribeServerlessCaches', reason: 'moto does not implement it: serverless caches are not judged here' },
  { rule: 'elasticache-security-updates-applied', resourceType: 'AWS::ElastiCache::ReplicationGroup', operation: 'ElastiCache.DescribeUpdateActions', reason: 'moto does not implement it: pending security updates are not judged here' },
  { rule: 'elasticache-security-updates-applied', resourceType: 'AWS::ElastiCache::CacheCluster', operation: 'ElastiCache.DescribeUpdateActions', reason: 'moto does not implement it: pending security updates are not judged here' },
];

/** Failures the emulator explains become one SKIPPED per rule and kind; the rest stay failures. */
export function emulatorSkips(failures: readonly ScanFailure[], skipped: readonly ScanSkip[]): { skipped: ScanSkip[]; failures: ScanFailure[] } {
  const out: ScanSkip[] = [];
  for (const s of skipped) if (!out.some((o) => o.rule === s.rule && o.resourceType === s.resourceType)) out.push(s);
  const left: ScanFailure[] = [];
  for (const f of failures) {
    const gap = EMULATOR_GAPS.find((g) => g.resourceType === f.resourceType && (!g.rule || g.rule === f.rule) && (!f.operation || f.operation === g.operation));
    if (!gap) left.push(f);
    else if (!out.some((s) => s.rule === f.rule && s.resourceType === f.resourceType)) out.push({ rule: f.rule, resourceType: f.resourceType, operation: gap.operation, reason: gap.reason });
  }
  return { skipped: out, failures: left };
}

/**
 * The AWS Config answers the remediation documents read, which moto does not implement: the verdicts this demo's
 * scan just reached stand in for what Config would hold. And ElastiCache's final snapshot on a delete, which moto
 * accepts but does not take: it is created with CreateSnapshot, as ElastiCache would.
 */
function emulatedConfig(verdicts: () => readonly ScanResult[], ec: ElastiCacheClient): CallOverride {
  const asEvaluation = (r: ScanResult) => ({
    EvaluationResultIdentifier: {
      EvaluationResultQualifier: { ConfigRuleName: r.rule, ResourceType: r.resourceType, ResourceId: r.resourceId, EvaluationMode: 'DETECTIVE' },
      OrderingTimestamp: new Date().toISOString(),
    },
    ComplianceType: r.compliance,
    ResultRecordedTime: new Date().toISOString(),
    ConfigRuleInvokedTime: new Date().toISOString(),
    Annotation: r.annotation,
  });
  const ofTypes = (types: unknown) => (r: ScanResult) => !Array.isArray(types) || types.includes(r.compliance);
  return async ({ api, params }) => {
    if (api === 'GetComplianceDetailsByResource') {
      return { EvaluationResults: verdicts().filter((r) => r.resourceType === params.ResourceType && r.resourceId === params.ResourceId).filter(ofTypes(params.ComplianceTypes)).map(asEvaluation) };
    }
    if (api === 'GetComplianceDetailsByConfigRule') {
      return { EvaluationResults: verdicts().filter((r) => r.rule === params.ConfigRuleName).filter(ofTypes(params.ComplianceTypes)).map(asEvaluation) };
    }
    if (api === 'DescribeConfigRules') {
      const names = Array.isArray(params.ConfigRuleNames) ? (params.ConfigRuleNames as string[]) : catalog.map((s) => s.name);
      const ConfigRules = catalog
        .filter((s) => names.includes(s.name))
        .map((s) => ({
          ConfigRuleName: s.name,
          ConfigRuleArn: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-${s.name}`,
          ConfigRuleId: `config-rule-${s.name}`,
          Scope: { ComplianceResourceTypes: [...(s.resource.recordedTypes ?? s.resource.resourceTypes)] },
          Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${s.name}` },
          ConfigRuleState: 'ACTIVE',
        }));
      return { ConfigRules };
    }
    const final = params.FinalSnapshotIdentifier;
    if ((api === 'DeleteReplicationGroup' || api === 'DeleteCacheCluster') && typeof final === 'string') {
      const source = api === 'DeleteReplicationGroup' ? { ReplicationGroupId: String(params.ReplicationGroupId) } : { CacheClusterId: String(params.CacheClusterId) };
      await ec.send(new CreateSnapshotCommand({ SnapshotName: final, ...source }));
    }
    return undefined;
  };
}

/** One line per remediation: the document, the resource, and what it changed (or why it stopped). */
export function describeOutcome(o: RemediationOutcome): { status: 'CHANGED' | 'STOPPED' | 'FAILED' | 'NO CHANGE'; what: string } {
  const changes = o.calls.filter((c) => /^(Start|Delete|Create|Publish|Modify|Enable|Put|Add|Batch)/.test(c.api) && !c.error && c.answeredBy === 'endpoint');
  const shown = (params: Readonly<Record<string, unknown>>) =>
    Object.entries(params)
      .filter(([k]) => !['Message', 'Subject', 'RetainPrimaryCluster'].includes(k))
      // Tags are shown by key: the values (execution id, dates) would drown the line.
      .map(([k, v]) => (k === 'Tags' && Array.isArray(v) ? `Tags=${v.map((t: { Key?: unknown }) => String(t.Key)).join(',')}` : `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`))
      .join(' ');
  const what = changes.map((c) => `${c.service}:${c.api} ${shown(c.params)}`.trim());
  const snapshot = o.documentOutputs['DescribeFinalSnapshot.SnapshotName'];
  if (typeof snapshot === 'string') what.push(`final snapshot ${snapshot} available`);
  const messageId = o.documentOutputs['PublishNotification.MessageId'];
  if (typeof messageId === 'string') what.push(`message ${messageId}`);
  if (o.status === 'Failed') {
    // A document that stops on purpose (RemediationStopped) leaves the resource to a person: that is its job.
    const stopped = /RemediationStopped: (.*)$/s.exec(o.failure ?? '');
    return stopped ? { status: 'STOPPED', what: `for a person: ${stopped[1]}` } : { status: 'FAILED', what: o.failure ?? 'failed' };
  }
  return what.length > 0 ? { status: 'CHANGED', what: what.join('; ') } : { status: 'NO CHANGE', what: 'nothing to change' };
}

export interface DemoReport {
  readonly before: readonly ScanResult[];
  readonly after: readonly ScanResult[];
  readonly skipped: readonly ScanSkip[];
  /** Failures the emulator does not explain: none when the demo works. */
  readonly failures: readonly ScanFailure[];
  readonly remediations: readonly RemediationOutcome[];
  readonly exitCode: 0 | 2;
}

/** Runs the demo against a moto server already up at `endpoint`, printing to `io`. */
/**
 * The pack's notification topic as the stack creates it (scripts/lib/serverless-resources.ts): the AWS managed SNS
 * key and a TLS-only statement, so the pack passes its own SNS rules here too.
 */
export async function seedNotificationTopic(endpoint: string): Promise<string> {
  const sns = new AwsClients({ region: REGION, endpoint }).get(SNSClient);
  const arn = (await sns.send(new CreateTopicCommand({ Name: TOPIC, Attributes: { KmsMasterKeyId: 'alias/aws/sns' } }))).TopicArn ?? '';
  const policy = { Version: '2012-10-17', Statement: [tlsOnlyStatement('sns', arn)] };
  await sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: JSON.stringify(policy) }));
  return arn;
}

/** A queue on SQS-owned keys (SSE-SQS) without a policy: the TLS rule's remediation adds the statement. */
export async function seedQueues(endpoint: string): Promise<string[]> {
  const sqs = new AwsClients({ region: REGION, endpoint }).get(SQSClient);
  await sqs.send(new CreateQueueCommand({ QueueName: 'phi-intake', Attributes: { SqsManagedSseEnabled: 'true' } }));
  return ['phi-intake (SQS queue, SSE-SQS, no policy)'];
}

export async function runDemo(endpoint: string, io: { out(text: string): void; err(text: string): void }, now: Date = new Date()): Promise<DemoReport> {
  const progress = (m: string) => io.err(`${m}\n`);
  const seeded = [
    ...(await seedKinesis(endpoint, now)).map((s) => `${s.name} (${s.story})`),
    ...(await seedFirehose(endpoint)),
    ...(await seedElastiCache(endpoint)),
    ...(await seedMsk(endpoint)),
    ...(await seedMemoryDb(endpoint)),
    ...(await seedOpenSearch(endpoint)),
    ...(await seedRds(endpoint)),
  ];
  const videoEvents = await kinesisVideoEvents(endpoint, now);
  const ec = new AwsClients({ region: REGION, endpoint }).get(ElastiCacheClient);
  const topicArn = await seedNotificationTopic(endpoint);
  seeded.push(...(await seedQueues(endpoint)));
  progress(`Seeded: ${seeded.join(', ')}, ward-cam and or-3-cam (Kinesis video).`);

  // requireCustomerManagedKey shows the pack's stricter check: an AWS managed key is not enough for PHI streams.
  const parameters = { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } };
  const scanned = catalog.filter((s) => s !== kinesisVideoStreamCustomerKey);
  const dir = mkdtempSync(join(tmpdir(), 'safeguards-demo-'));
  const judgeAll = async (): Promise<{ results: ScanResult[]; failures: ScanFailure[]; skipped: ScanSkip[] }> => {
    const s = await scan({ safeguards: scanned, region: REGION, endpoint, parameters, maxAttempts: 1, onProgress: progress });
    // Kinesis video: moto cannot list stream tags, so these streams are judged the way a change-triggered rule
    // is, by `safeguards invoke` on their configuration items (PutEvaluations in TestMode).
    const video: ScanResult[] = [];
    for (const [i, event] of videoEvents.entries()) {
      const file = join(dir, `video-${i}.json`);
      writeFileSync(file, JSON.stringify(event));
      let out = '';
      let err = '';
      const code = await cli(['invoke', kinesisVideoStreamCustomerKey.name, '--event', file, '--endpoint-url', endpoint, '--test-mode'], { out: (t) => (out += t), err: (t) => (err += t) });
      if (code === 2) throw new Error(`safeguards invoke ${kinesisVideoStreamCustomerKey.name} failed: ${err.trim()}`);
      for (const e of JSON.parse(out) as { ComplianceResourceType: string; ComplianceResourceId: string; ComplianceType: ScanResult['compliance']; Annotation: string }[]) {
        video.push({ rule: kinesisVideoStreamCustomerKey.name, resourceType: e.ComplianceResourceType, resourceId: e.ComplianceResourceId, compliance: e.ComplianceType, annotation: e.Annotation });
      }
    }
    return { results: [...s.results, ...video], failures: s.failures, skipped: s.skipped };
  };

  try {
    io.out(`HIPAA safeguards demo: the whole pack on an embedded AWS emulator (moto server, ${REGION}, account ${ACCOUNT})\n`);
    const first = await judgeAll();
    const { skipped, failures } = emulatorSkips(first.failures, first.skipped);
    io.out(`\n1. Scan with the rules the Lambdas run (kinesis-stream-encrypted with requireCustomerManagedKey=true;\n   Kinesis video through \`safeguards invoke\` of configuration items)\n\n${formatTable(first.results)}\n\n`);
    for (const s of skipped) io.out(`${formatSkip(s)}\n`);
    for (const f of failures) io.out(`${formatFailure(f)}\n`);

    io.out('\n2. Automatic remediations, step by step through the SSM Automation simulator\n\n');
    let verdicts: readonly ScanResult[] = first.results;
    const remediations = await remediateWithSimulator({
      results: first.results,
      endpoint,
      region: REGION,
      // Each document as its own role, `<document>-<region>`, as the conformance pack passes it.
      roleArnFor: (document) => remediationRoleArnIn(document, { partition: 'aws', account: ACCOUNT, region: REGION }),
      documentParameters: {
        // A pack deployed with requireCustomerManagedKey is told to encrypt with the customer key.
        'kinesis-stream-encrypted': { KmsKeyId: 'alias/phi-streams' },
        'kinesis-video-stream-customer-key': { TopicArn: topicArn, ResourceType: 'AWS::KinesisVideo::Stream' },
        'elasticache-current-generation-nodes': { TopicArn: topicArn },
        'msk-encrypted-at-rest': { TopicArn: topicArn },
        'rds-encrypted-at-rest': { TopicArn: topicArn },
      },
      override: emulatedConfig(() => verdicts, ec),
      onProgress: progress,
    });
    const rows = remediations.map((o) => ({ o, d: describeOutcome(o) }));
    io.out(`${formatColumns([['DOCUMENT', 'RESOURCE ID', 'RESULT', 'WHAT IT DID'], ...rows.map(({ o, d }) => [o.document, o.resourceId, d.status, d.what])])}\n`);
    io.out('(moto has no AWS Config compliance store and takes no ElastiCache final snapshot: the scan\'s verdicts answer the\n documents\' Config reads, and the snapshot is created as ElastiCache would.)\n');

    const second = await judgeAll();
    verdicts = second.results;
    const key = (r: ScanResult) => `${r.rule}/${r.resourceType}/${r.resourceId}`;
    const afterByKey = new Map(second.results.map((r) => [key(r), r]));
    io.out('\n3. Scan after remediation: every verdict that was NON_COMPLIANT\n\n');
    const outcomeOf = (resourceId: string) => remediations.filter((o) => o.resourceId === resourceId);
    const whatNow = (r: ScanResult, after: ScanResult | undefined): string => {
      if (after && after.compliance !== 'NON_COMPLIANT') return 'fixed by the remediation';
      const deleted = outcomeOf(r.resourceId).find((o) => o.calls.some((c) => c.api.startsWith('Delete') && !c.error));
      if (deleted) return `deleted after final snapshot ${String(deleted.documentOutputs['DescribeFinalSnapshot.SnapshotName'] ?? '(none)')} (the emulator shows it "deleting")`;
      const mine = outcomeOf(r.resourceId).find((o) => o.rule === r.rule);
      if (mine && describeOutcome(mine).status === 'STOPPED') return `${mine.document} stopped: a person decides`;
      if (mine?.document === 'HIPAA-NotifyNonCompliantResource') return `a person was notified (SNS ${TOPIC})`;
      const link = catalog.find((s) => s.name === r.rule)?.remediation;
      return link ? `manual remediation: ${link.document}` : 'a person fixes it';
    };
    const changed = first.results
      .filter((r) => r.compliance === 'NON_COMPLIANT')
      .map((r) => {
        const after = afterByKey.get(key(r));
        return [r.rule, r.resourceId, r.compliance, after?.compliance ?? 'GONE', whatNow(r, after)];
      });
    io.out(`${formatColumns([['RULE', 'RESOURCE ID', 'BEFORE', 'AFTER', 'WHAT NOW'], ...changed])}\n`);
    const afterGaps = emulatorSkips(second.failures, second.skipped);
    for (const f of afterGaps.failures) io.out(`${formatFailure(f)}\n`);

    const unexpected = [...failures, ...afterGaps.failures].length > 0 || rows.some(({ d }) => d.status === 'FAILED');
    const fixed = changed.filter((row) => row[4]?.startsWith('fixed')).length;
    const deleted = changed.filter((row) => row[4]?.startsWith('deleted')).length;
    const shown = new Set(first.results.map((r) => r.rule)).size;
    io.out(
      `\n${shown} of ${catalog.length} safeguards judged ${first.results.length} verdicts; ${skipped.length} rule kinds SKIPPED (the emulator lacks their APIs); ` +
        `${remediations.length} automatic remediations: ${fixed} verdicts fixed, ${deleted} by deleting a new unencrypted cache after its final snapshot, ` +
        `${changed.length - fixed - deleted} left for a person (manual remediations, stops and notifications).\n`,
    );
    io.out(
      'Next: scan your own account, read-only: npx safeguards scan --region <region> [--profile <profile>]\n' +
        '      then deploy the pack:           npx safeguards deploy --region <region> --stage prod --dry-run   (README: "Deploy to one account")\n',
    );
    return { before: first.results, after: second.results, skipped, failures: [...failures, ...afterGaps.failures], remediations, exitCode: unexpected ? 2 : 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(rows[0] ?? []), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<number> {
  // moto accepts any credentials; never send a user's real ones to the emulator.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'moto',
    AWS_SECRET_ACCESS_KEY: 'moto',
    AWS_SESSION_TOKEN: 'moto',
    AWS_REGION: REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  delete process.env.AWS_PROFILE;
  let moto: MotoServer | undefined;
  try {
    process.stderr.write('Starting moto server on loopback…\n');
    moto = await startMoto();
    const report = await runDemo(moto.endpoint, { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) });
    return report.exitCode;
  } finally {
    await moto?.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`Error: ${(error as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
