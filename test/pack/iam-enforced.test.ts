import { readFileSync } from 'node:fs';
import {
  ConfigServiceClient,
  DeleteConfigRuleCommand,
  DescribeConfigRulesCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigRulesEvaluationCommand,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import {
  CreateReplicationGroupCommand,
  type CreateReplicationGroupCommandInput,
  CreateSnapshotCommand,
  DeleteReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ModifyReplicationGroupCommand,
} from '@aws-sdk/client-elasticache';
import { CreateDeliveryStreamCommand, DeleteDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { CreateStreamCommand as CreateVideoStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { DeleteClusterCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateDomainCommand, DeleteDomainCommand, DescribeDomainCommand, ListTagsCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { CreateCollectionCommand, CreateSecurityPolicyCommand, OpenSearchServerlessClient } from '@aws-sdk/client-opensearchserverless';
import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, DeleteTopicCommand, GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { parse } from 'yaml';
import { expect } from 'chai';
import { SINGLE_PACK_URI } from './cfn';
import { catalog } from '../../rules/catalog';
import { clearClientCache } from '../../rules/runtime/clients';
import { createRuleHandler } from '../../rules/runtime/handler';
import { PER_RESOURCE_TAG_ACTIONS } from '../../rules/runtime/tagging';
import { CONFIG_SOURCE_ACTIONS } from '../../rules/runtime/config-source';
import { AwsClients } from '../../rules/runtime/clients';
import { UnreadableResource } from '../../rules/runtime/safeguard';
import { PACK_PATH } from '../../scripts/lib/conformance-pack';
import { loadAllRemediationDocuments, loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { scan } from '../../scripts/lib/scan';
import { hubReevaluateActions, remediationRoleArnIn, remediationRoleLogicalId } from '../../scripts/lib/iam';
import { REEVALUATE, buildResources, hubRolePath, ruleLogicalIds } from '../../scripts/lib/serverless-resources';
import { EVALUATION_ROLE_LOGICAL_ID, SECURITY_HUB_CONDITION, SPOKE_PATH, SpokeParameter } from '../../scripts/lib/spoke-template';
import { commandClass, iamPrefixFor, loadClientPackage } from '../../scripts/lib/ssm/sdk-operations';
import { type CallOverride, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { emulateModifyReplicationGroup } from '../remediations/elasticache-emulation';
import { emulateUpdateSecurity } from '../remediations/msk-emulation';
import { createProvisioned, createServerless } from '../helpers/msk';
import { createGroup } from '../helpers/elasticache';
import { createMemoryDbCluster, createPasswordAcl } from '../helpers/memorydb';
import { MemoryDBClient } from '@aws-sdk/client-memorydb';
import { scheduledEvent } from '../helpers/fixtures';
import {
  type Credentials,
  type IamEnforcedMoto,
  MOTO_ACCOUNT,
  MOTO_REGION,
  allowedActions,
  isDenied,
  IAM_PREFIX_OF_CLIENT,
  motoCompatible,
  probeThenAnswer,
  resolvePolicy,
  recordSdkCalls,
  roleForDocument,
  roleForRule,
  rolePolicy,
  rolesOf,
  startIamEnforcedMoto,
} from '../helpers/iam-enforced-moto';

/**
 * The generated roles against real calls: a moto server that enforces IAM (test/helpers/iam-enforced-moto.ts) holds a
 * session of each role to exactly the role's policy, taken from the generated templates: every rule role (scan and a
 * periodic run), every remediation document's own role (`HIPAA<Doc>Role`, the document run through the simulator),
 * the spoke evaluation role (a scan of every rule) and the hub trigger role (through the evaluation role). Calls moto
 * lacks are still sent to moto first with the same credentials (probeThenAnswer, authorizedFirst), so moto authorizes
 * them before the test answers them.
 *
 * What moto cannot check, said once here and reported per role by motoCompatible: resource scoping (moto authorizes
 * every call against Resource "*") and conditions (moto has no request context): iam:PassedToService, aws:ResourceTag
 * and aws:ResourceOrgID conditions, the ElastiCache guardrail Denies and the like are not exercised here; nor is an
 * account-root trust with an aws:PrincipalArn condition (moto compares principals literally).
 * test/pack/iam.test.ts checks all of them statically.
 */

const documents = loadAllRemediationDocuments();
const fallbackTagActions = new Set(Object.values(PER_RESOURCE_TAG_ACTIONS));
const template = buildResources({
  safeguards: catalog,
  documents,
  packText: readFileSync(PACK_PATH, 'utf8'),
  service: 'hipaa-safeguards',
  stage: 'prod',
  // The pack outgrew a TemplateBody (51,200 bytes): the stack points at it in S3, as `safeguards deploy` makes it do.
  packTemplateS3Uri: SINGLE_PACK_URI,
}).Resources as Record<string, unknown>;

const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/** Runs `fn` with the SDK's default credentials (env) set to `creds`, as the Lambda runtime and the simulator take them. */
async function actingAs<T>(creds: Credentials, fn: () => Promise<T>): Promise<T> {
  const saved = CREDENTIAL_VARIABLES.map((k) => [k, process.env[k]] as const);
  process.env.AWS_ACCESS_KEY_ID = creds.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
  process.env.AWS_SESSION_TOKEN = creds.sessionToken ?? '';
  clearClientCache();
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    clearClientCache();
  }
}

/**
 * `denied` when moto refused the caller (HTTP 403); anything else (success, moto's 500 for an API it lacks, a
 * validation error) came after authorization: moto authorizes before it dispatches.
 */
async function authorization(send: () => Promise<unknown>): Promise<'allowed' | 'denied'> {
  try {
    await send();
    return 'allowed';
  } catch (error) {
    return isDenied(error) ? 'denied' : 'allowed';
  }
}

/**
 * moto 5.2.1 cannot check the SigV4 signature of OpenSearch ListTags (GET /2021-01-01/tags/?arn=...): with IAM enforced
 * it answers every ListTags 403 SignatureDoesNotMatch, whatever the caller holds (with the right policy and any ARN),
 * so it never authorizes es:ListTags. Those calls are answered here without reaching moto (the seeded domains have no
 * tags) and named in `unsignedCalls`; the tests check the grant of es:ListTags statically instead.
 */
const unsignedCalls = new Set<string>();
function answerOpenSearchListTags(): () => void {
  const proto = OpenSearchClient.prototype as unknown as { send: (command: unknown, ...rest: unknown[]) => Promise<unknown> };
  const had = Object.hasOwn(proto, 'send');
  const inherited = proto.send;
  proto.send = function (this: unknown, command: unknown, ...rest: unknown[]) {
    if (!(command instanceof ListTagsCommand)) return inherited.call(this, command, ...rest);
    unsignedCalls.add('ListTags');
    return Promise.resolve({ TagList: [], $metadata: { httpStatusCode: 200 } });
  };
  return () => {
    if (had) proto.send = inherited;
    else delete (proto as { send?: unknown }).send;
  };
}

/** Answers for the APIs moto lacks, sent to moto first (probeThenAnswer) so it still authorizes them. */
function answerWhatMotoLacks(moto: IamEnforcedMoto, creds: Credentials): () => void {
  const cfg = moto.clientConfig(creds);
  const restores = [
    answerOpenSearchListTags(),
    probeThenAnswer(ConfigServiceClient, { GetComplianceDetailsByConfigRule: { EvaluationResults: [] } }, () => new ConfigServiceClient(cfg)),
    probeThenAnswer(ElastiCacheClient, { DescribeUpdateActions: { UpdateActions: [] }, DescribeServerlessCaches: { ServerlessCaches: [] } }, () => new ElastiCacheClient(cfg)),
    probeThenAnswer(KinesisVideoClient, { ListTagsForStream: { Tags: {} } }, () => new KinesisVideoClient(cfg)),
  ];
  return () => {
    for (const r of restores) r();
  };
}

const spoke = parse(readFileSync(SPOKE_PATH, 'utf8')) as { Resources: Record<string, unknown> };
/** The spoke evaluation role as a member account gets it, without the Security Hub import (a conditional policy of its own). */
function spokeEvaluationPolicy() {
  const role = rolesOf(spoke.Resources).find((r) => r.logicalId === EVALUATION_ROLE_LOGICAL_ID);
  if (!role) throw new Error(`The spoke template has no ${EVALUATION_ROLE_LOGICAL_ID}.`);
  const parameters = {
    [SpokeParameter.HubAccountId]: '999999999999',
    [SpokeParameter.HubRolePath]: hubRolePath('hipaa-safeguards', 'prod'),
    [SpokeParameter.HubStage]: 'prod',
    [SpokeParameter.EvaluationRoleName]: 'HIPAA-Safeguards-Evaluation',
    [SpokeParameter.ImportSecurityHubFindings]: 'false',
  };
  return rolePolicy(role, (v) => resolvePolicy(v, { parameters, conditions: { [SECURITY_HUB_CONDITION]: false } }));
}

/**
 * For a call a scenario answers itself (an API moto lacks: ModifyReplicationGroup, DescribeUpdateActions,
 * BatchApplyUpdateAction, Config's compliance reads; or state moto does not keep), the same call is first sent to
 * moto with the role's credentials, once: moto authorizes before it dispatches, so its 403 is the role's refusal and
 * fails the step, and anything else (its 500 "not implemented", a validation error) means allowed. The simulator's
 * counterpart of the harness's probeThenAnswer, for answers that depend on the request.
 */
function authorizedFirst(moto: IamEnforcedMoto, creds: Credentials, answer: CallOverride): CallOverride {
  const clients = new Map<string, { send(command: unknown): Promise<unknown> }>();
  const clientOf = (service: string) => {
    let client = clients.get(service);
    if (!client) {
      const mod = loadClientPackage(service).module;
      const name = Object.keys(mod).find((k) => k.endsWith('Client') && k !== '__Client' && typeof mod[k] === 'function');
      if (!name) throw new Error(`No SDK client class for ${service}.`);
      client = new (mod[name] as new (config: object) => { send(command: unknown): Promise<unknown> })(moto.clientConfig(creds));
      clients.set(service, client);
    }
    return client;
  };
  return async (c) => {
    const out = await answer(c);
    if (out === undefined) return undefined;
    const Command = commandClass(c.service, c.api);
    await clientOf(c.service)
      .send(new Command(c.params))
      .catch((error: unknown) => {
        if (isDenied(error)) throw error;
      });
    return out;
  };
}

/** A NON_COMPLIANT evaluation as Config's GetComplianceDetailsBy* return it (botocore model shape). */
function nonCompliant(rule: string, resourceType: string, resourceId: string, annotation: string) {
  return {
    EvaluationResultIdentifier: {
      EvaluationResultQualifier: { ConfigRuleName: rule, ResourceType: resourceType, ResourceId: resourceId, EvaluationMode: 'DETECTIVE' },
      OrderingTimestamp: new Date('2026-01-05T10:00:00Z'),
    },
    ComplianceType: 'NON_COMPLIANT',
    ResultRecordedTime: new Date('2026-01-05T10:00:02Z'),
    ConfigRuleInvokedTime: new Date('2026-01-05T10:00:01Z'),
    Annotation: annotation,
  };
}

describe('generated roles against an IAM-enforcing moto (every call the code makes is allowed, others are denied)', function () {
  this.timeout(60_000);
  let moto: IamEnforcedMoto;
  let admin: {
    kinesis: KinesisClient;
    kms: KMSClient;
    firehose: FirehoseClient;
    video: KinesisVideoClient;
    elastiCache: ElastiCacheClient;
    kafka: KafkaClient;
    openSearch: OpenSearchClient;
    memoryDb: MemoryDBClient;
    rds: RDSClient;
  };

  before(async () => {
    moto = await startIamEnforcedMoto();
  });
  after(async () => {
    // Runs when tests fail too: the server is this file's own.
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    const c = moto.clientConfig(moto.admin);
    admin = {
      kinesis: new KinesisClient(c),
      kms: new KMSClient(c),
      firehose: new FirehoseClient(c),
      video: new KinesisVideoClient(c),
      elastiCache: new ElastiCacheClient(c),
      kafka: new KafkaClient(c),
      openSearch: new OpenSearchClient(c),
      memoryDb: new MemoryDBClient(c),
      rds: new RDSClient(c),
    };
  });

  /** One resource of each kind the catalog judges, seeded by the administrator. */
  async function seed(): Promise<void> {
    const key = (await admin.kms.send(new CreateKeyCommand({ Description: 'PHI' }))).KeyMetadata?.Arn;
    await admin.kinesis.send(new CreateStreamCommand({ StreamName: 'vitals', ShardCount: 1 }));
    const s3 = { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::phi-archive' };
    await admin.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'admissions', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
    await admin.video.send(new CreateVideoStreamCommand({ StreamName: 'ward-7-cam', ...(key ? { KmsKeyId: key } : {}) }));
    await createGroup(admin.elastiCache, { id: 'sessions', atRest: true, transit: true, mode: 'required', authToken: 'a-long-enough-auth-token-0123456789' });
    await createProvisioned(admin.kafka, 'claims', { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } });
    await createServerless(admin.kafka, 'events');
    await admin.openSearch.send(new CreateDomainCommand({ DomainName: 'phi-search', EngineVersion: 'OpenSearch_2.11' }));
    // OpenSearch Serverless: moto 5.2.1 creates a collection only under a KmsARN encryption policy.
    const aoss = new OpenSearchServerlessClient(moto.clientConfig(moto.admin));
    const encryption = { Rules: [{ ResourceType: 'collection', Resource: ['collection/phi-logs'] }], AWSOwnedKey: false, KmsARN: key };
    await aoss.send(new CreateSecurityPolicyCommand({ name: 'phi-logs-enc', type: 'encryption', policy: JSON.stringify(encryption) }));
    await aoss.send(new CreateCollectionCommand({ name: 'phi-logs' }));
    // MemoryDB: moto's clusters, and the ACLs and users scripts/lib/moto_server.py fakes in moto's handler (moto still authorizes them).
    await createPasswordAcl(admin.memoryDb, 'phi-acl', ['phi-app']);
    await createMemoryDbCluster(admin.memoryDb, { name: 'phi-cache', acl: 'phi-acl', ...(key ? { kmsKeyId: key } : {}) });
    const c = moto.clientConfig(moto.admin);
    await new SQSClient(c).send(new CreateQueueCommand({ QueueName: 'intake', Attributes: { KmsMasterKeyId: 'alias/aws/sqs' } }));
    await new SNSClient(c).send(new CreateTopicCommand({ Name: 'alerts', Attributes: { KmsMasterKeyId: 'alias/aws/sns' } }));
    // RDS: an encrypted PostgreSQL instance on a custom group (DescribeDBParameters), an Oracle one (DescribeOptionGroups).
    await admin.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'phi-pg', DBParameterGroupFamily: 'postgres14', Description: 'phi' }));
    const db = { DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'admin1', MasterUserPassword: 'password123' };
    await admin.rds.send(new CreateDBInstanceCommand({ ...db, DBInstanceIdentifier: 'phi-db', Engine: 'postgres', EngineVersion: '14.12', DBParameterGroupName: 'phi-pg', StorageEncrypted: true, ...(key ? { KmsKeyId: key } : {}) }));
    await admin.rds.send(new CreateDBInstanceCommand({ ...db, DBInstanceIdentifier: 'phi-ora', Engine: 'oracle-ee', LicenseModel: 'bring-your-own-license' }));
  }

  it('the harness enforces a policy: the granted call passes, any other is AccessDenied', async () => {
    // Arrange
    const creds = await moto.assumeRoleWith('list-only', { Statement: [{ Effect: 'Allow', Action: 'kinesis:ListStreams', Resource: '*' }] });
    const kinesis = new KinesisClient(moto.clientConfig(creds));
    // Act / Assert
    expect(await authorization(() => kinesis.send(new ListStreamsCommand({})))).to.equal('allowed');
    expect(await authorization(() => kinesis.send(new CreateStreamCommand({ StreamName: 'x', ShardCount: 1 })))).to.equal('denied');
  });

  it('says where moto is too simple: scoped resources and conditions are widened or dropped, and reported', () => {
    const { document, limitations } = motoCompatible({
      Statement: [
        { Sid: 'Scoped', Effect: 'Allow', Action: 'kinesis:DescribeStreamSummary', Resource: 'arn:aws:kinesis:us-east-1:123456789012:stream/*' },
        { Sid: 'PassOwnRole', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } } },
        { Sid: 'NoDeleteExempt', Effect: 'Deny', Action: 'elasticache:DeleteReplicationGroup', Resource: '*', Condition: { StringLike: { 'aws:ResourceTag/hipaa-safeguards:exempt': '*' } } },
      ],
    });
    expect(limitations.map((l) => l.split(':')[0])).to.deep.equal(['Scoped', 'PassOwnRole', 'NoDeleteExempt']);
    expect(document.Statement).to.deep.equal([
      { Sid: 'Scoped', Effect: 'Allow', Action: 'kinesis:DescribeStreamSummary', Resource: '*' },
      { Sid: 'PassOwnRole', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
    ]);
  });

  it('grants moto\'s spelling of a tag: action beside it (moto authorizes the Tagging API as tagging:), and says so', () => {
    const { document, limitations } = motoCompatible({ Statement: [{ Sid: 'Bulk', Effect: 'Allow', Action: ['kinesis:ListStreams', 'tag:GetResources'], Resource: '*' }] });
    expect(document.Statement).to.deep.equal([{ Sid: 'Bulk', Effect: 'Allow', Action: ['kinesis:ListStreams', 'tag:GetResources', 'tagging:GetResources'], Resource: '*' }]);
    expect(limitations).to.deep.equal(['Bulk: tagging:GetResources added: moto authorizes tag: actions under the signing name tagging.']);
  });

  describe('finding roles and resolving their policies (no server)', () => {
    it('resolves Ref, Fn::Join, Fn::Sub (both forms) and Fn::GetAtt in moto\'s account and region', () => {
      const doc = resolvePolicy({
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: [
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':topic']] },
              { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:hipaa-safeguards/*' },
              { 'Fn::Sub': ['arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Name}:*', { Name: 'rule' }] },
              { 'Fn::GetAtt': ['NotificationTopic', 'TopicArn'] },
            ],
          },
        ],
      });
      expect((doc.Statement as unknown as { Resource: string[] }[])[0]?.Resource).to.deep.equal([
        'arn:aws:sns:us-east-1:123456789012:topic',
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:hipaa-safeguards/*',
        'arn:aws:logs:us-east-1:123456789012:log-group:rule:*',
        'arn:aws:cloudformation:us-east-1:123456789012:placeholder/NotificationTopic/TopicArn',
      ]);
      expect(() => resolvePolicy({ Statement: { Effect: 'Allow', Resource: { 'Fn::ImportValue': 'x' } } })).to.throw('resolvePolicy does not handle Fn::ImportValue.');
    });

    it('picks the most specific SSM role that grants what a document declares, so one role per document is found unchanged', () => {
      const ssmRole = (actions: string[]) => ({
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } }],
        },
      });
      const resources = {
        Shared: ssmRole(['sns:Publish', 'config:DescribeConfigRules', 'elasticache:DeleteReplicationGroup']),
        NotifyRole: ssmRole(['sns:Publish', 'config:DescribeConfigRules']),
        Lambda: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] }, Policies: [] } },
      };
      expect(roleForDocument(resources, ['sns:Publish', 'config:DescribeConfigRules'], 'notify').logicalId).to.equal('NotifyRole');
      expect(roleForDocument(resources, ['elasticache:DeleteReplicationGroup'], 'delete').logicalId).to.equal('Shared');
      expect(() => roleForDocument(resources, ['kinesis:StartStreamEncryption'], 'kinesis')).to.throw('No role that SSM may assume grants every action kinesis declares');
    });

    it('finds each rule\'s role in the generated template', () => {
      for (const rule of catalog) expect(roleForRule(template, rule.name, ruleLogicalIds(rule).role).logicalId).to.equal(ruleLogicalIds(rule).role);
    });
  });

  describe('rule roles: scan and a periodic invocation with exactly the rule role', () => {
    for (const rule of catalog) {
      it(`${rule.name}: every call of scan() and of the periodic handler is allowed`, async () => {
        // Arrange
        await seed();
        const policy = rolePolicy(roleForRule(template, rule.name, ruleLogicalIds(rule).role));
        const creds = await moto.assumeRoleWith(`rule-${rule.name}`.slice(0, 64), policy);
        const recorder = recordSdkCalls(KinesisClient);
        const restore = answerWhatMotoLacks(moto, creds);
        let evaluations: number | undefined;
        try {
          // Act: the CLI's scan, then the Lambda's periodic path (PutEvaluations in TestMode goes to moto)
          const scanned = await actingAs(creds, () => scan({ safeguards: [rule], region: MOTO_REGION, endpoint: moto.endpoint, maxAttempts: 1 }));
          expect(scanned.failures, JSON.stringify(scanned.failures)).to.deep.equal([]);
          const handler = createRuleHandler(rule, { endpoint: moto.endpoint, retry: { attempts: 1, baseDelayMs: 1 } });
          evaluations = (await actingAs(creds, () => handler(scheduledEvent()))).evaluations.length;
        } finally {
          restore();
          recorder.restore();
        }
        // Assert: moto refused nothing; the listing, every seeded resource's reads and PutEvaluations were answered
        expect(recorder.denied(), JSON.stringify(recorder.calls)).to.deep.equal([]);
        // 200, or moto's 500 for an API it lacks: both come after moto's authorization.
        const authorized = new Set(recorder.calls.filter((c) => c.status === 200 || c.status >= 500).map((c) => c.operation));
        const unrouted = new Set(recorder.calls.filter((c) => c.status === 404).map((c) => c.operation));
        for (const a of rule.resource.listActions) {
          // A per-resource tag action is tag:GetResources' fallback: called only when that is refused (test below).
          if (fallbackTagActions.has(a)) continue;
          // Config as the source is asked for by periodic runs (ListOptions.preferConfig): test below.
          if ((CONFIG_SOURCE_ACTIONS as readonly string[]).includes(a)) continue;
          const op = a.split(':')[1] ?? '';
          expect(authorized.has(op) || unrouted.has(op), `${a}: ${JSON.stringify(recorder.calls)}`).to.equal(true);
        }
        // Tags were read in bulk, and the role may: no per-resource tag call was needed. (MSK's listing and RDS's describes
        // return the tags themselves: its rules hold no tag:GetResources and make no tag call at all.)
        const bulk = recorder.calls.filter((c) => c.operation === 'GetResources').map((c) => c.status);
        if (rule.resource.listActions.includes('tag:GetResources')) expect(bulk, JSON.stringify(recorder.calls)).to.not.deep.equal([]);
        else expect(recorder.calls.filter((c) => /Tag/.test(c.operation)), JSON.stringify(recorder.calls)).to.deep.equal([]);
        expect(bulk.filter((x) => x !== 200)).to.deep.equal([]);
        expect(recorder.calls.filter((c) => c.operation === 'PutEvaluations').map((c) => c.status)).to.deep.equal([200]);
        expect(evaluations).to.be.above(0);
        // moto has no route for these (HTTP 404): it authorized nothing, so the grant is checked in the policy instead.
        for (const c of recorder.calls.filter((x) => x.status === 404)) {
          expect(allowedActions(policy), `${c.client} ${c.operation}`).to.include(`${IAM_PREFIX_OF_CLIENT[c.client] ?? '?'}:${c.operation}`);
        }
      });
    }

    // Only rules that read tags in bulk have a fallback to test (MSK's listing carries the tags).
    for (const rule of catalog.filter((r) => r.resource.listActions.includes('tag:GetResources'))) {
      it(`${rule.name}: with tag:GetResources denied, tags are read per resource and every one of those calls is allowed`, async () => {
        // Arrange: the rule role minus tag:GetResources, as in an account whose SCP denies the Tagging API
        await seed();
        const policy = rolePolicy(roleForRule(template, rule.name, ruleLogicalIds(rule).role));
        const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
        const withoutBulk = {
          Statement: statements.map((s) => ({ ...s, Action: ([] as unknown[]).concat(s.Action ?? []).filter((a) => a !== 'tag:GetResources') })).filter((s) => s.Action.length > 0),
        };
        const creds = await moto.assumeRoleWith(`nobulk-${rule.name}`.slice(0, 64), withoutBulk);
        unsignedCalls.clear();
        const recorder = recordSdkCalls(KinesisClient);
        const restore = answerWhatMotoLacks(moto, creds);
        try {
          // Act
          const scanned = await actingAs(creds, () => scan({ safeguards: [rule], region: MOTO_REGION, endpoint: moto.endpoint, maxAttempts: 1 }));
          // Assert: only GetResources was refused, and the listing read every tag its own way
          expect(scanned.failures, JSON.stringify(scanned.failures)).to.deep.equal([]);
          expect(scanned.results.length, rule.name).to.be.above(0);
        } finally {
          restore();
          recorder.restore();
        }
        expect([...new Set(recorder.denied().map((c) => c.operation))], JSON.stringify(recorder.calls)).to.deep.equal(['GetResources']);
        const reached = new Set(recorder.calls.filter((c) => c.status === 200 || c.status === 404 || c.status >= 500).map((c) => c.operation));
        for (const a of rule.resource.listActions.filter((x) => fallbackTagActions.has(x))) {
          const op = a.split(':')[1] ?? '';
          // A call moto cannot sign-check (answerOpenSearchListTags) was made, and the grant is checked in the policy.
          if (a === 'es:ListTags' && unsignedCalls.has(op)) {
            expect(allowedActions(withoutBulk as Parameters<typeof allowedActions>[0]).has(a), a).to.equal(true);
            continue;
          }
          expect(reached.has(op), `${a}: ${JSON.stringify(recorder.calls)}`).to.equal(true);
        }
      });
    }

    for (const rule of catalog.filter((r) => r.resource.listActions.some((a) => (CONFIG_SOURCE_ACTIONS as readonly string[]).includes(a)))) {
      it(`${rule.name}: reading from AWS Config (recorder recording every type), every call is allowed`, async () => {
        // Arrange: a recorder that records every supported type, started by the administrator
        const config = new ConfigServiceClient(moto.clientConfig(moto.admin));
        await config.send(new PutConfigurationRecorderCommand({ ConfigurationRecorder: { name: 'default', roleARN: 'arn:aws:iam::123456789012:role/config', recordingGroup: { allSupported: true } } }));
        await config.send(new PutDeliveryChannelCommand({ DeliveryChannel: { name: 'default', s3BucketName: 'config-bucket' } }));
        await config.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
        const creds = await moto.assumeRoleWith(`config-${rule.name}`.slice(0, 64), rolePolicy(roleForRule(template, rule.name, ruleLogicalIds(rule).role)));
        const recorder = recordSdkCalls(KinesisClient);
        const notes: string[] = [];
        const recorded = rule.resource.recordedTypes ?? rule.resource.resourceTypes;
        try {
          // Act: moto answers SelectResourceConfig with no rows (its results are set in-process only), after authorizing it
          const clients = new AwsClients({ region: MOTO_REGION, endpoint: moto.endpoint, maxAttempts: 1, credentials: async () => creds });
          for (const lister of rule.resource.listers) {
            for await (const r of lister.list(clients, { preferConfig: true, onNote: (n) => notes.push(`${n.resourceType} ${n.source}`) })) if (r instanceof UnreadableResource) throw r.error;
          }
        } finally {
          recorder.restore();
        }
        // Assert
        // Types AWS Config does not record (MSK serverless clusters) are listed through their API, also allowed; each
        // recorded type is one recorder check and one query (RDS lists instances and clusters, each on its own).
        expect(notes).to.deep.equal(rule.resource.resourceTypes.map((t) => `${t} ${recorded.includes(t) ? 'config' : 'api'}`));
        expect(recorder.denied(), JSON.stringify(recorder.calls)).to.deep.equal([]);
        expect(recorder.calls.filter((c) => c.client === 'ConfigServiceClient').map((c) => `${c.operation} ${c.status}`)).to.deep.equal(
          rule.resource.resourceTypes
            .filter((t) => recorded.includes(t))
            .flatMap(() => ['DescribeConfigurationRecorders 200', 'DescribeConfigurationRecorderStatus 200', 'SelectResourceConfig 200']),
        );
      });
    }

    it('every rule role is refused what it does not grant (the control for the test above)', async () => {
      for (const rule of catalog) {
        const policy = rolePolicy(roleForRule(template, rule.name, ruleLogicalIds(rule).role));
        expect(allowedActions(policy).has('config:DeleteConfigRule'), rule.name).to.equal(false);
        const creds = await moto.assumeRoleWith(`control-${rule.name}`.slice(0, 64), policy);
        const config = new ConfigServiceClient(moto.clientConfig(creds));
        expect(await authorization(() => config.send(new DeleteConfigRuleCommand({ ConfigRuleName: 'r' }))), rule.name).to.equal('denied');
      }
    });

    it('a rule role cannot delete what it reads (kinesis:DeleteStream is AccessDenied)', async () => {
      await seed();
      const rule = catalog.find((s) => s.name === 'kinesis-stream-encrypted');
      if (!rule) throw new Error('kinesis-stream-encrypted is not in the catalog.');
      const creds = await moto.assumeRoleWith('rule-kinesis', rolePolicy(roleForRule(template, rule.name, ruleLogicalIds(rule).role)));
      const kinesis = new KinesisClient(moto.clientConfig(creds));
      expect(await authorization(() => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'vitals' })))).to.equal('allowed');
      expect(await authorization(() => kinesis.send(new DeleteStreamCommand({ StreamName: 'vitals' })))).to.equal('denied');
      expect((await admin.kinesis.send(new ListStreamsCommand({}))).StreamNames).to.include('vitals');
    });
  });

  describe('organization: the spoke evaluation role (from the spoke template) the hub assumes for every rule', () => {

    it('a scan of every rule, and the CloudTrail re-evaluation trigger\'s Config calls, are allowed; a delete is not', async () => {
      // Arrange
      await seed();
      const creds = await moto.assumeRoleWith('HIPAA-Safeguards-Evaluation-us-east-1', spokeEvaluationPolicy());
      const recorder = recordSdkCalls(KinesisClient);
      const restore = answerWhatMotoLacks(moto, creds);
      let scanned: Awaited<ReturnType<typeof scan>>;
      try {
        // Act: every rule at once, as the hub's Lambdas do through this one role
        scanned = await actingAs(creds, () => scan({ safeguards: catalog, region: MOTO_REGION, endpoint: moto.endpoint, maxAttempts: 1 }));
      } finally {
        restore();
        recorder.restore();
      }
      // Assert
      expect(recorder.denied(), JSON.stringify(recorder.calls)).to.deep.equal([]);
      expect(scanned.failures, JSON.stringify(scanned.failures)).to.deep.equal([]);
      expect(new Set(scanned.results.map((r) => r.rule))).to.have.property('size', catalog.length);
      const config = new ConfigServiceClient(moto.clientConfig(creds));
      // moto authorizes before it dispatches: a rule it does not know is a 400, not a 403.
      expect(await authorization(() => config.send(new DescribeConfigRulesCommand({ ConfigRuleNames: ['elasticache-encrypted-at-rest'] })))).to.equal('allowed');
      expect(await authorization(() => config.send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: ['elasticache-encrypted-at-rest'] })))).to.equal('allowed');
      expect(await authorization(() => config.send(new DeleteConfigRuleCommand({ ConfigRuleName: 'elasticache-encrypted-at-rest' })))).to.equal('denied');
      const kinesis = new KinesisClient(moto.clientConfig(creds));
      expect(await authorization(() => kinesis.send(new DeleteStreamCommand({ StreamName: 'vitals' })))).to.equal('denied');
    });
  });

  describe('organization: the hub trigger role reaches members only through the spoke evaluation role', () => {
    it('assumes the evaluation role and, as it, starts a rule evaluation; as itself it reads and starts nothing', async () => {
      // Arrange: the hub stack's trigger role and the spoke's evaluation role, both from the generated templates
      await seed();
      const hub = buildResources({
        safeguards: catalog,
        documents,
        packText: readFileSync(PACK_PATH, 'utf8'),
        service: 'hipaa-safeguards',
        stage: 'prod',
        packTemplateS3Uri: 's3://awsconfigconforms-hipaa-safeguards-999999999999-us-east-1/prod/conformance-packs/p.yaml',
        organization: { memberAccounts: [MOTO_ACCOUNT], excludedAccounts: [], evaluationRoleName: 'HIPAA-Safeguards-Evaluation', organizationId: 'o-abcdefghij' },
      }).Resources as Record<string, unknown>;
      const trigger = rolesOf(hub).find((r) => r.logicalId === REEVALUATE.role);
      if (!trigger) throw new Error(`The hub template has no ${REEVALUATE.role}.`);
      const triggerPolicy = rolePolicy(trigger);
      // Its own log group aside (OwnLogGroupOnly), exactly what the trigger calls as itself.
      expect([...allowedActions(triggerPolicy)].filter((a) => !a.startsWith('logs:')).sort()).to.deep.equal(hubReevaluateActions());
      // moto ignores the aws:ResourceOrgID condition and the role ARN the statement names (motoCompatible says so).
      await moto.assumeRoleWith('HIPAA-Safeguards-Evaluation-us-east-1', spokeEvaluationPolicy());
      const hubCreds = await moto.assumeRoleWith(`prod-${REEVALUATE.functionKey}-us-east-1`, triggerPolicy);
      // moto checks the assumed role's trust policy, too simply for the spoke's: it compares the caller's session ARN
      // literally with Principal.AWS (moto/iam/access_control.py _check_principal), so the spoke's account-root
      // principal with its aws:PrincipalArn condition (exact hub role ARNs) never matches. The trust here names the
      // hub session instead; the spoke's real trust is checked statically in iam.test.ts.
      const hubSession = `arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/prod-${REEVALUATE.functionKey}-us-east-1/under-test`;
      const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: hubSession }, Action: 'sts:AssumeRole' }] };
      await new IAMClient(moto.clientConfig(moto.admin)).send(new UpdateAssumeRolePolicyCommand({ RoleName: 'HIPAA-Safeguards-Evaluation-us-east-1', PolicyDocument: JSON.stringify(trust) }));
      // Act
      const sts = new STSClient(moto.clientConfig(hubCreds));
      const assumed = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/HIPAA-Safeguards-Evaluation-us-east-1`, RoleSessionName: 'hipaa-safeguards' }))).Credentials;
      if (!assumed?.AccessKeyId || !assumed.SecretAccessKey) throw new Error('moto returned no credentials.');
      const spokeCreds = { accessKeyId: assumed.AccessKeyId, secretAccessKey: assumed.SecretAccessKey, ...(assumed.SessionToken ? { sessionToken: assumed.SessionToken } : {}) };
      const start = (k: Credentials) => () => new ConfigServiceClient(moto.clientConfig(k)).send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: ['elasticache-encrypted-at-rest'] }));
      // Assert
      expect(await authorization(start(spokeCreds))).to.equal('allowed');
      expect(await authorization(start(hubCreds))).to.equal('denied');
      // Its queue actions (sqs:ReceiveMessage...) are not exercised: the project has no SQS client; iam.test.ts checks them.
      expect(await authorization(() => new KinesisClient(moto.clientConfig(hubCreds)).send(new DescribeStreamSummaryCommand({ StreamName: 'vitals' })))).to.equal('denied');
    });
  });

  describe('remediation roles: documents run through the simulator with exactly their role', () => {
    // Every document, with its own role (`HIPAA<Doc>Role`, `<document>-<region>`) from the generated template. What moto
    // lacks is answered by the scenario after moto authorized the same call (authorizedFirst); moto still ignores
    // resource scoping and conditions (the guardrail Denies are dropped: see motoCompatible), which
    // test/pack/iam.test.ts checks statically.
    type Scenario = {
      name: string;
      /** Seeds what the document acts on and returns its parameters and the answers for what moto lacks. */
      arrange: () => Promise<{ parameters: Record<string, unknown>; answer?: CallOverride }>;
      /** Whether the document did its job, read by the administrator afterwards. */
      done: (result: Awaited<ReturnType<typeof simulateDocument>>) => Promise<boolean>;
    };
    const redis = (id: string, extra: Partial<CreateReplicationGroupCommandInput> = {}) =>
      admin.elastiCache.send(
        new CreateReplicationGroupCommand({ ReplicationGroupId: id, ReplicationGroupDescription: id, Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.t3.micro', NumCacheClusters: 1, ...extra }),
      );
    const topic = async () => (await new SNSClient(moto.clientConfig(moto.admin)).send(new CreateTopicCommand({ Name: 'HIPAA-Safeguards-Notifications' }))).TopicArn ?? '';
    // The queue and topic seed() creates.
    const ALERTS_ARN = `arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT}:alerts`;
    const queueUrl = async () => (await new SQSClient(moto.clientConfig(moto.admin)).send(new GetQueueUrlCommand({ QueueName: 'intake' }))).QueueUrl ?? '';
    const queueAttributes = async () => (await new SQSClient(moto.clientConfig(moto.admin)).send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl(), AttributeNames: ['All'] }))).Attributes ?? {};
    const topicAttributes = async () => (await new SNSClient(moto.clientConfig(moto.admin)).send(new GetTopicAttributesCommand({ TopicArn: ALERTS_ARN }))).Attributes ?? {};
    const groupOf = async (id: string) => (await admin.elastiCache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0];
    const scenarios: Scenario[] = [
      {
        name: 'HIPAA-EnableKinesisStreamEncryption',
        arrange: async () => ({ parameters: { StreamName: 'vitals' } }),
        done: async () => (await admin.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'vitals' }))).StreamDescriptionSummary?.EncryptionType === 'KMS',
      },
      {
        name: 'HIPAA-EnableFirehoseEncryption',
        arrange: async () => ({ parameters: { DeliveryStreamName: 'admissions' } }),
        done: async () =>
          (await admin.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'admissions' }))).DeliveryStreamDescription?.DeliveryStreamEncryptionConfiguration?.Status ===
          'ENABLED',
      },
      {
        name: 'HIPAA-ElastiCacheEnableTransitEncryption',
        arrange: async () => {
          await redis('plaintext');
          const emulation = emulateModifyReplicationGroup(admin.elastiCache, { engine: 'redis', engineVersion: '7.1.0' });
          return { parameters: { ResourceId: 'plaintext', PreferredHours: 0 }, answer: emulation.override };
        },
        done: async (r) => r.calls.filter((c) => c.api === 'ModifyReplicationGroup' && !c.error).length === 2,
      },
      {
        name: 'HIPAA-ElastiCacheAddAuthToken',
        arrange: async () => {
          await redis('no-auth', { TransitEncryptionEnabled: true, TransitEncryptionMode: 'required' });
          const emulation = emulateModifyReplicationGroup(admin.elastiCache, { engine: 'redis', engineVersion: '7.1.0' });
          return { parameters: { ResourceId: 'no-auth' }, answer: emulation.override };
        },
        done: async (r) => {
          const secrets = (await new SecretsManagerClient(moto.clientConfig(moto.admin)).send(new ListSecretsCommand({}))).SecretList ?? [];
          return r.calls.some((c) => c.api === 'ModifyReplicationGroup' && !c.error) && secrets.some((x) => x.Name?.startsWith('hipaa-safeguards/elasticache/no-auth/auth-token-'));
        },
      },
      {
        name: 'HIPAA-ElastiCacheApplySecurityUpdates',
        arrange: async () => {
          await redis('unpatched');
          const update = {
            ReplicationGroupId: 'unpatched',
            ServiceUpdateName: 'elasticache-20250801-001',
            ServiceUpdateStatus: 'available',
            ServiceUpdateType: 'security-update',
            ServiceUpdateSeverity: 'important',
            ServiceUpdateRecommendedApplyByDate: new Date(Date.now() - 10 * 86_400_000),
            UpdateActionStatus: 'not-applied',
          };
          const answer: CallOverride = (c) => {
            if (c.api === 'DescribeUpdateActions') {
              const statuses = c.params.UpdateActionStatus as string[] | undefined;
              return { UpdateActions: !statuses || statuses.includes(update.UpdateActionStatus) ? [update] : [] };
            }
            if (c.api !== 'BatchApplyUpdateAction') return undefined;
            update.UpdateActionStatus = 'waiting-to-start';
            return { ProcessedUpdateActions: [{ ReplicationGroupId: 'unpatched', ServiceUpdateName: update.ServiceUpdateName, UpdateActionStatus: 'waiting-to-start' }], UnprocessedUpdateActions: [] };
          };
          return { parameters: { ResourceId: 'unpatched' }, answer };
        },
        done: async (r) => r.calls.filter((c) => c.api === 'BatchApplyUpdateAction' && !c.error).length === 1,
      },
      {
        name: 'HIPAA-ElastiCacheSnapshotAndDelete',
        arrange: async () => {
          await topic();
          await redis('unencrypted', { AtRestEncryptionEnabled: false });
          const verdict = nonCompliant('elasticache-encrypted-at-rest', 'AWS::ElastiCache::ReplicationGroup', 'unencrypted', 'Replication group unencrypted is not encrypted at rest. 45 CFR 164.312(a)(2)(iv)');
          const answer: CallOverride = async (c) => {
            if (c.api === 'GetComplianceDetailsByResource') return { EvaluationResults: [verdict] };
            // moto accepts FinalSnapshotIdentifier but takes no snapshot: take it as ElastiCache would, then let the
            // role's own DeleteReplicationGroup reach moto.
            if (c.api === 'DeleteReplicationGroup' && typeof c.params.FinalSnapshotIdentifier === 'string') {
              await admin.elastiCache.send(new CreateSnapshotCommand({ SnapshotName: c.params.FinalSnapshotIdentifier, ReplicationGroupId: 'unencrypted' }));
            }
            return undefined;
          };
          return {
            parameters: { ResourceId: 'unencrypted', ConfigRuleName: 'elasticache-encrypted-at-rest', Condemnation: 'AtRestEncryptionDisabled' },
            answer,
          };
        },
        done: async (r) =>
          (await groupOf('unencrypted'))?.Status === 'deleting' &&
          ((await admin.elastiCache.send(new DescribeSnapshotsCommand({}))).Snapshots ?? []).length === 1 &&
          r.calls.some((c) => c.api === 'AddTagsToResource' && !c.error) &&
          r.calls.some((c) => c.api === 'Publish' && !c.error),
      },
      {
        name: 'HIPAA-MSKEnforceClientBrokerTls',
        arrange: async () => {
          // moto has no UpdateSecurity and leaves clusters CREATING: test/remediations/msk-emulation.ts answers both.
          const arn = await createProvisioned(admin.kafka, 'claims-tls', { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } });
          return { parameters: { ResourceId: arn }, answer: emulateUpdateSecurity(admin.kafka).override };
        },
        done: async (r) => r.calls.filter((c) => c.api === 'UpdateSecurity').length === 1 && r.stepPath.at(-1) === 'VerifyClientBrokerTls',
      },
      {
        name: 'HIPAA-SQSEnableEncryption',
        arrange: async () => {
          const key = (await admin.kms.send(new CreateKeyCommand({ Description: 'PHI queues' }))).KeyMetadata?.Arn ?? '';
          return { parameters: { QueueUrl: await queueUrl(), KmsKeyId: key } };
        },
        done: async (r) => (await queueAttributes()).KmsMasterKeyId === (r.calls.find((x) => x.api === 'SetQueueAttributes')?.params.Attributes as { KmsMasterKeyId?: string } | undefined)?.KmsMasterKeyId,
      },
      {
        name: 'HIPAA-SQSEnforceTlsOnly',
        arrange: async () => ({ parameters: { QueueUrl: await queueUrl() } }),
        done: async () => (queueAttributes().then((a) => a.Policy ?? '')).then((p) => p.includes('HipaaSafeguardsDenyInsecureTransport')),
      },
      {
        name: 'HIPAA-SNSEnableEncryption',
        arrange: async () => {
          const key = (await admin.kms.send(new CreateKeyCommand({ Description: 'PHI topics' }))).KeyMetadata?.Arn ?? '';
          return { parameters: { TopicArn: ALERTS_ARN, KmsKeyId: key } };
        },
        done: async (r) => (await topicAttributes()).KmsMasterKeyId === r.calls.find((x) => x.api === 'SetTopicAttributes')?.params.AttributeValue,
      },
      {
        name: 'HIPAA-SNSEnforceTlsOnly',
        arrange: async () => ({ parameters: { TopicArn: ALERTS_ARN } }),
        done: async () => ((await topicAttributes()).Policy ?? '').includes('HipaaSafeguardsDenyInsecureTransport'),
      },
      {
        // moto has no Config rules with InputParameters: DescribeConfigRules is answered (after moto authorized it),
        // in the shape of the botocore model, with allowParameterGroupChanges true.
        name: 'HIPAA-RDSEnforceTls',
        arrange: async () => {
          const topicArn = await topic();
          const [db] = (await admin.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'phi-db' }))).DBInstances ?? [];
          const answer: CallOverride = (c) =>
            c.api === 'DescribeConfigRules'
              ? { ConfigRules: [{ ConfigRuleName: 'rds-tls-enforced', Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: 'arn:aws:lambda:us-east-1:123456789012:function:f' }, InputParameters: '{"allowParameterGroupChanges":"true"}' }] }
              : undefined;
          return { parameters: { ResourceId: db?.DbiResourceId ?? '', ConfigRuleName: 'rds-tls-enforced', TopicArn: topicArn }, answer };
        },
        done: async (r) =>
          (await admin.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'phi-pg' }))).Parameters?.find((p) => p.ParameterName === 'rds.force_ssl')?.ParameterValue === '1' &&
          r.calls.some((c) => c.api === 'Publish' && !c.error),
      },
      {
        name: 'HIPAA-NotifyNonCompliantResource',
        arrange: async () => {
          const topicArn = await topic();
          const verdict = nonCompliant('kinesis-video-stream-customer-key', 'AWS::KinesisVideo::Stream', 'ward-7-cam', 'Video stream ward-7-cam is encrypted with the AWS managed key. 45 CFR 164.312(a)(2)(iv)');
          const answer: CallOverride = (c) => (c.api === 'GetComplianceDetailsByResource' ? { EvaluationResults: [verdict] } : undefined);
          return {
            parameters: { ResourceId: 'ward-7-cam', ResourceType: 'AWS::KinesisVideo::Stream', ConfigRuleName: 'kinesis-video-stream-customer-key', TopicArn: topicArn },
            answer,
          };
        },
        done: async (r) => r.calls.some((c) => c.api === 'Publish' && !c.error),
      },
      {
        name: 'HIPAA-OpenSearchEnableEncryptionAtRest',
        arrange: async () => ({ parameters: { DomainId: `${MOTO_ACCOUNT}/phi-search` } }),
        done: async () => (await admin.openSearch.send(new DescribeDomainCommand({ DomainName: 'phi-search' }))).DomainStatus?.EncryptionAtRestOptions?.Enabled === true,
      },
      {
        name: 'HIPAA-OpenSearchEnforceTransitEncryption',
        arrange: async () => ({ parameters: { DomainId: `${MOTO_ACCOUNT}/phi-search` } }),
        done: async () => {
          const s = (await admin.openSearch.send(new DescribeDomainCommand({ DomainName: 'phi-search' }))).DomainStatus;
          return s?.NodeToNodeEncryptionOptions?.Enabled === true && s.DomainEndpointOptions?.EnforceHTTPS === true && s.DomainEndpointOptions.TLSSecurityPolicy === 'Policy-Min-TLS-1-2-2019-07';
        },
      },
    ];

    it('covers every remediation document', () => {
      expect(scenarios.map((c) => c.name).sort()).to.deep.equal(documents.map((d) => d.name).sort());
    });

    for (const c of scenarios) {
      it(`${c.name} does its job as its own role (${remediationRoleLogicalId(c.name)}), every call allowed`, async () => {
        // Arrange
        await seed();
        const doc = loadRemediationDocument(c.name);
        const role = rolesOf(template).find((r) => r.logicalId === remediationRoleLogicalId(doc.name));
        if (!role) throw new Error(`The template has no role ${remediationRoleLogicalId(doc.name)}.`);
        // The most specific SSM role for the document's actions is its own.
        expect(roleForDocument(template, doc.iamActions, doc.name).logicalId).to.equal(role.logicalId);
        const creds = await moto.assumeRoleWith(`remediate-${c.name}`.slice(0, 64), rolePolicy(role));
        const { parameters, answer } = await c.arrange();
        const recorder = recordSdkCalls(KinesisClient);
        // moto cannot sign-check OpenSearch ListTags (answerOpenSearchListTags); the last assertion checks its grant.
        const restoreListTags = answerOpenSearchListTags();
        // Act
        const result = await actingAs(creds, () =>
          simulateDocument(doc, {
            parameters: { AutomationAssumeRole: remediationRoleArnIn(doc.name, { partition: 'aws', account: MOTO_ACCOUNT, region: MOTO_REGION }), ...parameters },
            endpoint: moto.endpoint,
            pollIntervalMs: 5,
            maxWaitMs: 2_000,
            ...(answer ? { override: authorizedFirst(moto, creds, answer) } : {}),
          }),
        ).finally(() => {
          recorder.restore();
          restoreListTags();
        });
        // Assert: moto refused nothing (the document's calls, its script's, and the probes of what moto lacks)
        expect(recorder.denied(), JSON.stringify(recorder.calls)).to.deep.equal([]);
        expect(result.calls.filter((x) => x.error !== undefined && /AccessDenied|403/.test(x.error)), JSON.stringify(result.calls)).to.deep.equal([]);
        expect(result.status, JSON.stringify(result.failure)).to.equal('Success');
        expect(await c.done(result), JSON.stringify(result.stepPath)).to.equal(true);
        // Every API the run called is one the role grants (moto authorized it; this names it).
        const granted = allowedActions(rolePolicy(role));
        for (const x of result.calls) expect(granted, `${x.service}:${x.api}`).to.include(`${iamPrefixFor(x.service)}:${x.api}`);
      });
    }

    // One call outside each role's policy, denied by moto (the control for the runs above).
    const outside: { document: string; action: string; send: (creds: Credentials) => Promise<unknown> }[] = [
      { document: 'HIPAA-ElastiCacheSnapshotAndDelete', action: 'elasticache:ModifyReplicationGroup', send: (k) => new ElastiCacheClient(moto.clientConfig(k)).send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'sessions', ApplyImmediately: true })) },
      { document: 'HIPAA-ElastiCacheAddAuthToken', action: 'elasticache:DeleteReplicationGroup', send: (k) => new ElastiCacheClient(moto.clientConfig(k)).send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'sessions' })) },
      { document: 'HIPAA-ElastiCacheEnableTransitEncryption', action: 'elasticache:DeleteReplicationGroup', send: (k) => new ElastiCacheClient(moto.clientConfig(k)).send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'sessions' })) },
      { document: 'HIPAA-ElastiCacheApplySecurityUpdates', action: 'elasticache:ModifyReplicationGroup', send: (k) => new ElastiCacheClient(moto.clientConfig(k)).send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'sessions', ApplyImmediately: true })) },
      { document: 'HIPAA-MSKEnforceClientBrokerTls', action: 'kafka:DeleteCluster', send: (k) => new KafkaClient(moto.clientConfig(k)).send(new DeleteClusterCommand({ ClusterArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/claims/x' })) },
      { document: 'HIPAA-SQSEnforceTlsOnly', action: 'sqs:DeleteQueue', send: async (k) => new SQSClient(moto.clientConfig(k)).send(new DeleteQueueCommand({ QueueUrl: (await new SQSClient(moto.clientConfig(moto.admin)).send(new GetQueueUrlCommand({ QueueName: 'intake' }))).QueueUrl ?? '' })) },
      { document: 'HIPAA-SNSEnableEncryption', action: 'sns:DeleteTopic', send: (k) => new SNSClient(moto.clientConfig(k)).send(new DeleteTopicCommand({ TopicArn: `arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT}:alerts` })) },
      { document: 'HIPAA-EnableFirehoseEncryption', action: 'firehose:DeleteDeliveryStream', send: (k) => new FirehoseClient(moto.clientConfig(k)).send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'admissions' })) },
      { document: 'HIPAA-OpenSearchEnableEncryptionAtRest', action: 'es:DeleteDomain', send: (k) => new OpenSearchClient(moto.clientConfig(k)).send(new DeleteDomainCommand({ DomainName: 'phi-search' })) },
      { document: 'HIPAA-OpenSearchEnforceTransitEncryption', action: 'es:DeleteDomain', send: (k) => new OpenSearchClient(moto.clientConfig(k)).send(new DeleteDomainCommand({ DomainName: 'phi-search' })) },
      { document: 'HIPAA-RDSEnforceTls', action: 'rds:DeleteDBInstance', send: (k) => new RDSClient(moto.clientConfig(k)).send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'phi-db', SkipFinalSnapshot: true })) },
    ];
    it('each remediation document role is refused a write it does not hold', async () => {
      await seed();
      for (const o of outside) {
        const role = rolesOf(template).find((r) => r.logicalId === remediationRoleLogicalId(o.document));
        if (!role) throw new Error(`No role for ${o.document}.`);
        const policy = rolePolicy(role);
        expect(allowedActions(policy).has(o.action), `${o.document} ${o.action}`).to.equal(false);
        const creds = await moto.assumeRoleWith(`control-${o.document}`.slice(0, 64), policy);
        expect(await authorization(() => o.send(creds)), `${o.document} ${o.action}`).to.equal('denied');
      }
      expect((await groupOf('sessions'))?.Status).to.equal('available');
    });

    it('the Kinesis encryption document\'s role cannot delete the stream it fixes (kinesis:DeleteStream is AccessDenied)', async () => {
      await seed();
      const doc = loadRemediationDocument('HIPAA-EnableKinesisStreamEncryption');
      const creds = await moto.assumeRoleWith('remediate-kinesis-control', rolePolicy(roleForDocument(template, doc.iamActions, doc.name)));
      const kinesis = new KinesisClient(moto.clientConfig(creds));
      expect(await authorization(() => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'vitals' })))).to.equal('allowed');
      expect(await authorization(() => kinesis.send(new DeleteStreamCommand({ StreamName: 'vitals' })))).to.equal('denied');
    });

    it('the notify document\'s role cannot delete a cache (elasticache:DeleteReplicationGroup is AccessDenied)', async () => {
      // Arrange
      await seed();
      const doc = loadRemediationDocument('HIPAA-NotifyNonCompliantResource');
      const role = roleForDocument(template, doc.iamActions, doc.name);
      const policy = rolePolicy(role);
      // Each document has its own role (issue 9 §2): the notify role holds no ElastiCache write at all.
      expect(allowedActions(policy).has('elasticache:DeleteReplicationGroup')).to.equal(false);
      const creds = await moto.assumeRoleWith('remediate-notify', policy);
      // Act
      const verdict = await authorization(() =>
        new ElastiCacheClient(moto.clientConfig(creds)).send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'sessions', FinalSnapshotIdentifier: 'final' })),
      );
      // Assert
      expect(verdict).to.equal('denied');
    });
  });
});
