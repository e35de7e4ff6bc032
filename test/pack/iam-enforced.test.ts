import { readFileSync } from 'node:fs';
import {
  ConfigServiceClient,
  DeleteConfigRuleCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { ElastiCacheClient, DeleteReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { CreateStreamCommand as CreateVideoStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { expect } from 'chai';
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
import { buildResources, ruleLogicalIds } from '../../scripts/lib/serverless-resources';
import { simulateDocument } from '../../scripts/lib/ssm/simulate';
import { createGroup } from '../helpers/elasticache';
import { scheduledEvent } from '../helpers/fixtures';
import {
  type Credentials,
  type IamEnforcedMoto,
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
  startIamEnforcedMoto,
} from '../helpers/iam-enforced-moto';

/**
 * The generated roles against real calls: a moto server that enforces IAM (test/helpers/iam-enforced-moto.ts) holds a
 * session of each role to exactly the role's policy, taken from the single-account template (buildResources). Roles
 * are found by what they are for (a rule's role by its logical ID or name, a document's role as the SSM role granting
 * what the document declares), so the tests follow the one-role-per-document rewrite without change.
 *
 * What moto cannot check, said once here and reported per role by motoCompatible: resource scoping (moto authorizes
 * every call against Resource "*") and conditions (moto has no request context): iam:PassedToService, aws:ResourceTag
 * guardrails and the like are not exercised here; test/pack/iam.test.ts checks them statically.
 */

const documents = loadAllRemediationDocuments();
const fallbackTagActions = new Set(Object.values(PER_RESOURCE_TAG_ACTIONS));
const template = buildResources({
  safeguards: catalog,
  documents,
  packText: readFileSync(PACK_PATH, 'utf8'),
  service: 'hipaa-safeguards',
  stage: 'prod',
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

/** Answers for the APIs moto lacks, sent to moto first (probeThenAnswer) so it still authorizes them. */
function answerWhatMotoLacks(moto: IamEnforcedMoto, creds: Credentials): () => void {
  const cfg = moto.clientConfig(creds);
  const restores = [
    probeThenAnswer(ConfigServiceClient, { GetComplianceDetailsByConfigRule: { EvaluationResults: [] } }, () => new ConfigServiceClient(cfg)),
    probeThenAnswer(ElastiCacheClient, { DescribeUpdateActions: { UpdateActions: [] }, DescribeServerlessCaches: { ServerlessCaches: [] } }, () => new ElastiCacheClient(cfg)),
    probeThenAnswer(KinesisVideoClient, { ListTagsForStream: { Tags: {} } }, () => new KinesisVideoClient(cfg)),
  ];
  return () => {
    for (const r of restores) r();
  };
}

describe('generated roles against an IAM-enforcing moto (every call the code makes is allowed, others are denied)', function () {
  this.timeout(60_000);
  let moto: IamEnforcedMoto;
  let admin: { kinesis: KinesisClient; kms: KMSClient; firehose: FirehoseClient; video: KinesisVideoClient; elastiCache: ElastiCacheClient };

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
    admin = { kinesis: new KinesisClient(c), kms: new KMSClient(c), firehose: new FirehoseClient(c), video: new KinesisVideoClient(c), elastiCache: new ElastiCacheClient(c) };
  });

  /** One resource of each kind the catalog judges, seeded by the administrator. */
  async function seed(): Promise<void> {
    const key = (await admin.kms.send(new CreateKeyCommand({ Description: 'PHI' }))).KeyMetadata?.Arn;
    await admin.kinesis.send(new CreateStreamCommand({ StreamName: 'vitals', ShardCount: 1 }));
    const s3 = { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::phi-archive' };
    await admin.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'admissions', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
    await admin.video.send(new CreateVideoStreamCommand({ StreamName: 'ward-7-cam', ...(key ? { KmsKeyId: key } : {}) }));
    await createGroup(admin.elastiCache, { id: 'sessions', atRest: true, transit: true, mode: 'required', authToken: 'a-long-enough-auth-token-0123456789' });
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
        // Tags were read in bulk, and the role may: no per-resource tag call was needed.
        const bulk = recorder.calls.filter((c) => c.operation === 'GetResources').map((c) => c.status);
        expect(bulk, JSON.stringify(recorder.calls)).to.not.deep.equal([]);
        expect(bulk.filter((x) => x !== 200)).to.deep.equal([]);
        expect(recorder.calls.filter((c) => c.operation === 'PutEvaluations').map((c) => c.status)).to.deep.equal([200]);
        expect(evaluations).to.be.above(0);
        // moto has no route for these (HTTP 404): it authorized nothing, so the grant is checked in the policy instead.
        for (const c of recorder.calls.filter((x) => x.status === 404)) {
          expect(allowedActions(policy), `${c.client} ${c.operation}`).to.include(`${IAM_PREFIX_OF_CLIENT[c.client] ?? '?'}:${c.operation}`);
        }
      });
    }

    for (const rule of catalog) {
      it(`${rule.name}: with tag:GetResources denied, tags are read per resource and every one of those calls is allowed`, async () => {
        // Arrange: the rule role minus tag:GetResources, as in an account whose SCP denies the Tagging API
        await seed();
        const policy = rolePolicy(roleForRule(template, rule.name, ruleLogicalIds(rule).role));
        const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
        const withoutBulk = {
          Statement: statements.map((s) => ({ ...s, Action: ([] as unknown[]).concat(s.Action ?? []).filter((a) => a !== 'tag:GetResources') })).filter((s) => s.Action.length > 0),
        };
        const creds = await moto.assumeRoleWith(`nobulk-${rule.name}`.slice(0, 64), withoutBulk);
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
          expect(reached.has(a.split(':')[1] ?? ''), `${a}: ${JSON.stringify(recorder.calls)}`).to.equal(true);
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
        try {
          // Act: moto answers SelectResourceConfig with no rows (its results are set in-process only), after authorizing it
          const clients = new AwsClients({ region: MOTO_REGION, endpoint: moto.endpoint, maxAttempts: 1, credentials: async () => creds });
          for (const lister of rule.resource.listers) {
            for await (const r of lister.list(clients, { preferConfig: true, onNote: (n) => notes.push(n.source) })) if (r instanceof UnreadableResource) throw r.error;
          }
        } finally {
          recorder.restore();
        }
        // Assert
        expect(notes).to.deep.equal(['config']);
        expect(recorder.denied(), JSON.stringify(recorder.calls)).to.deep.equal([]);
        expect(recorder.calls.map((c) => `${c.operation} ${c.status}`)).to.deep.equal(['DescribeConfigurationRecorders 200', 'DescribeConfigurationRecorderStatus 200', 'SelectResourceConfig 200']);
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

  describe('remediation roles: documents run through the simulator with exactly their role', () => {
    // The documents moto can run end to end; the others need APIs moto lacks (answered by fakes in
    // test/remediations/*, which would bypass moto's authorization), so their roles are covered by the denial test below
    // and statically by test/remediations/document-checks.test.ts.
    const runnable = [
      {
        name: 'HIPAA-EnableKinesisStreamEncryption',
        parameters: { StreamName: 'vitals' },
        fixed: async () => (await admin.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'vitals' }))).StreamDescriptionSummary?.EncryptionType === 'KMS',
      },
      {
        name: 'HIPAA-EnableFirehoseEncryption',
        parameters: { DeliveryStreamName: 'admissions' },
        fixed: async () =>
          (await admin.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'admissions' }))).DeliveryStreamDescription?.DeliveryStreamEncryptionConfiguration?.Status ===
          'ENABLED',
      },
    ];
    for (const c of runnable) {
      it(`${c.name} fixes the resource with its role, every call allowed`, async () => {
        // Arrange
        await seed();
        expect(await c.fixed()).to.equal(false);
        const doc = loadRemediationDocument(c.name);
        const role = roleForDocument(template, doc.iamActions, doc.name);
        const creds = await moto.assumeRoleWith(`remediate-${c.name}`.slice(0, 64), rolePolicy(role));
        const recorder = recordSdkCalls(KinesisClient);
        // Act
        const result = await actingAs(creds, () =>
          simulateDocument(doc, {
            parameters: { AutomationAssumeRole: `arn:aws:iam::123456789012:role/${role.logicalId}`, ...c.parameters },
            endpoint: moto.endpoint,
            pollIntervalMs: 5,
            maxWaitMs: 2_000,
          }),
        ).finally(() => recorder.restore());
        // Assert
        expect(recorder.denied(), JSON.stringify(recorder.calls)).to.deep.equal([]);
        expect(recorder.calls.length).to.equal(result.calls.filter((x) => !x.fromScript).length);
        expect(result.status, JSON.stringify(result.failure)).to.equal('Success');
        expect(await c.fixed()).to.equal(true);
      });
    }

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
