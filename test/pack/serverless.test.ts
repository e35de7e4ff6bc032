import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalog, deployedChangeSources } from '../../rules/catalog';
import { QUEUE_CONSUMER_ACTIONS, REEVALUATE_ACTIONS } from '../../rules/runtime/actions';
import {
  RULE_NAMES_VARIABLE,
  SERVED_ACCOUNTS_VARIABLE,
  SERVED_REGIONS_VARIABLE,
  changeEventPattern,
  changeInputTransformer,
  parseRuleNames,
} from '../../rules/triggers/reevaluate-on-change';
import { MAX_TEMPLATE_BODY_BYTES, PACK_PATH, packNames } from '../../scripts/lib/conformance-pack';
import { HOOK, HOOK_FUNCTION_KEY, HOOK_HANDLER, hookLookupActions } from '../../scripts/lib/hook-resources';
import { documentActions, isWildcardAction, remediationRoleLogicalId, ruleActions } from '../../scripts/lib/iam';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import {
  CONFORMANCE_PACK_LOGICAL_ID,
  MAX_PACK_INPUT_PARAMETERS,
  CHANGE_QUEUE_TARGET_ID,
  REEVALUATE,
  changeRuleLogicalId,
  documentLogicalId,
  ruleLogicalIds,
  serverlessLogicalIds,
} from '../../scripts/lib/serverless-resources';
import { CreateStreamCommand, KinesisClient, StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ACCOUNT, REGION, changeEvent, kinesisItemEventStyle, scheduledEvent } from '../helpers/fixtures';
import { startAnsweringServer } from '../helpers/fault-servers';
import { useMoto } from '../helpers/moto';
import { SINGLE_PACK_URI, type Template, cfnLint, describeMatches, propertiesValidator, resolveIntrinsics } from './cfn';
import { type Resource, policiesOf, policyViolations } from './policy-checks';

const ROOT = join(__dirname, '..', '..');
const STAGE = 'dev';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; NotAction?: unknown; Resource: unknown; Condition?: unknown };
type PolicyDocument = { Statement: Statement[] };

const asList = (a: string | string[]) => (Array.isArray(a) ? a : [a]);

describe('serverless.yml (npm run package)', function () {
  // esbuild bundles every rule; the first run also compiles the framework's config schema.
  this.timeout(180_000);
  // The same output as `npm run package`: sls package always rewrites .serverless/, even with --package elsewhere.
  const dir = join(ROOT, '.serverless');
  let template: Template;

  before(() => {
    const env = { ...process.env };
    // Packaging must need no AWS account: no credentials at all, not even the dummy ones of the test setup.
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[k];
    // The pack outgrew a TemplateBody (51,200 bytes): the stack points at it in S3, as `safeguards deploy` makes it do.
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'sls'), ['package', '--stage', STAGE, `--param=packTemplateS3Uri=${SINGLE_PACK_URI}`], { cwd: ROOT, env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`sls package exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  });

  const res = (id: string) => {
    const r = template.Resources[id];
    if (!r) throw new Error(`The packaged template has no resource ${id}.`);
    return r;
  };
  const policies = (roleId: string): PolicyDocument[] =>
    ((res(roleId).Properties?.Policies ?? []) as { PolicyDocument: PolicyDocument }[]).map((p) => p.PolicyDocument);

  it('passes cfn-lint (only warning: serverless adds a DependsOn next to each function Role GetAtt)', () => {
    const matches = cfnLint(join(dir, 'cloudformation-template-update-stack.json')).filter(
      (m) => !(m.rule === 'W3005' && m.path[0] === 'Resources' && /LambdaFunction$/.test(String(m.path[1])) && m.path[2] === 'DependsOn'),
    );
    expect(matches, describeMatches(matches)).to.deep.equal([]);
  });

  describe('CloudTrail re-evaluation trigger (CloudTrail -> EventBridge -> SQS -> Lambda)', () => {
    const fn = () => res(serverlessLogicalIds(REEVALUATE.functionKey).function);
    const deployed = deployedChangeSources(catalog);

    it('runs the trigger handler alone, as its own role, one batch at a time', () => {
      expect(fn().Properties).to.deep.include({ Handler: `rules/triggers/${REEVALUATE.functionKey}.handler`, ReservedConcurrentExecutions: 1, Timeout: REEVALUATE.timeoutSeconds });
      expect(fn().Properties?.Role).to.deep.equal({ 'Fn::GetAtt': [REEVALUATE.role, 'Arn'] });
      const env = (fn().Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      // Per change source of the catalog, its rules; as the Lambda reads the variable.
      expect(deployed.length).to.be.above(0);
      expect(parseRuleNames(String(env[RULE_NAMES_VARIABLE]))).to.deep.equal(Object.fromEntries(deployed.map((d) => [d.source.id, d.ruleNames])));
      // Single account: the trigger starts the rules of this account as its own role, and no other account sends events.
      expect(env).to.not.have.property('EXECUTION_ROLE_NAME');
      expect(env[SERVED_ACCOUNTS_VARIABLE]).to.deep.equal({ Ref: 'AWS::AccountId' });
      expect(env[SERVED_REGIONS_VARIABLE]).to.deep.equal({ Ref: 'AWS::Region' });
      expect(template.Resources).to.not.have.property(REEVALUATE.busPolicy);
    });

    it('reads its queue in 60-second batches and reports failed items for redelivery', () => {
      const mappings = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
      expect(mappings.map((m) => m.Properties)).to.deep.include({
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 60,
        EventSourceArn: { 'Fn::GetAtt': [REEVALUATE.queue, 'Arn'] },
        FunctionName: { 'Fn::GetAtt': [serverlessLogicalIds(REEVALUATE.functionKey).function, 'Arn'] },
        Enabled: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('holds exactly what the trigger calls: find and start Config rules, consume its own queue', () => {
      const statements = policies(REEVALUATE.role).flatMap((d) => d.Statement).filter((st) => st.Sid !== 'OwnLogGroupOnly');
      expect(statements.flatMap((st) => asList(st.Action)).sort()).to.deep.equal([...REEVALUATE_ACTIONS, ...QUEUE_CONSUMER_ACTIONS].sort());
      expect(statements.find((st) => st.Sid === 'ConsumeItsQueue')?.Resource).to.deep.equal({ 'Fn::GetAtt': [REEVALUATE.queue, 'Arn'] });
    });

    it('routes each change source\'s CloudTrail pattern, by its own rule, to an encrypted queue only those rules may write to', () => {
      const rules = Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type === 'AWS::Events::Rule');
      expect(rules.sort()).to.deep.equal(deployed.map((d) => changeRuleLogicalId(d.source)).sort());
      for (const { source } of deployed) {
        expect(res(changeRuleLogicalId(source)).Properties, source.id).to.deep.include({ EventPattern: changeEventPattern(source) });
        expect(res(changeRuleLogicalId(source)).Properties?.Targets, source.id).to.deep.equal([
          { Id: CHANGE_QUEUE_TARGET_ID, Arn: { 'Fn::GetAtt': [REEVALUATE.queue, 'Arn'] }, InputTransformer: changeInputTransformer },
        ]);
      }
      expect(res(REEVALUATE.queue).Properties).to.deep.include({ SqsManagedSseEnabled: true, VisibilityTimeout: 240 });
      expect(res(REEVALUATE.deadLetterQueue).Properties).to.deep.include({ SqsManagedSseEnabled: true });
      const [statement] = (res(REEVALUATE.queuePolicy).Properties?.PolicyDocument as PolicyDocument).Statement;
      const ruleArns = deployed.map((d) => ({ 'Fn::GetAtt': [changeRuleLogicalId(d.source), 'Arn'] }));
      expect(statement).to.deep.include({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } } });
    });
  });

  it('writes one zip per safeguard holding only its bundled handler, which loads with no node_modules (SDK bundled)', () => {
    const zips = readdirSync(dir).filter((f) => f.endsWith('.zip'));
    expect(zips).to.have.members([...catalog.map((s) => `${s.name}.zip`), `${REEVALUATE.functionKey}.zip`, `${HOOK_FUNCTION_KEY}.zip`]);
    const trigger = spawnSync('unzip', ['-Z1', join(dir, `${REEVALUATE.functionKey}.zip`)], { encoding: 'utf8' });
    expect(trigger.stdout.trim().split('\n')).to.deep.equal([`rules/triggers/${REEVALUATE.functionKey}.js`]);
    // The CloudFormation hook (default preventionMode FAIL): its own bundle, loadable without node_modules.
    const hookZip = join(dir, `${HOOK_FUNCTION_KEY}.zip`);
    expect(spawnSync('unzip', ['-Z1', hookZip], { encoding: 'utf8' }).stdout.trim().split('\n')).to.deep.equal([`${HOOK_HANDLER.split('.')[0]}.js`]);
    const hookDir = mkdtempSync(join(tmpdir(), 'hipaa-zip-'));
    try {
      expect(spawnSync('unzip', ['-q', hookZip, '-d', hookDir]).status).to.equal(0);
      const load = spawnSync(process.execPath, ['-e', `if (typeof require('./${HOOK_HANDLER.split('.')[0]}.js').handler !== 'function') process.exit(3)`], {
        cwd: hookDir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
      });
      expect(load.status, load.stderr).to.equal(0);
    } finally {
      rmSync(hookDir, { recursive: true, force: true });
    }
    expect(res(HOOK.hook).Type).to.equal('AWS::CloudFormation::LambdaHook');
    for (const s of catalog) {
      const zip = join(dir, `${s.name}.zip`);
      const list = spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8' });
      expect(list.stdout.trim().split('\n'), s.name).to.deep.equal([`rules/${s.name}.js`]);
      // Outside the repository no node_modules is reachable: an external SDK would fail to load here.
      const unpacked = mkdtempSync(join(tmpdir(), 'hipaa-zip-'));
      try {
        expect(spawnSync('unzip', ['-q', zip, '-d', unpacked]).status).to.equal(0);
        const load = spawnSync(process.execPath, ['-e', `if (typeof require('./rules/${s.name}.js').handler !== 'function') process.exit(3)`], {
          cwd: unpacked,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
        });
        expect(load.status, load.stderr).to.equal(0);
        // keepNames: logs name the error class (MalformedEventError), not a minified one.
        expect(readFileSync(join(unpacked, 'rules', `${s.name}.js`), 'utf8'), `${s.name} keeps error class names`).to.match(/,\s*"MalformedEventError"\)/);
      } finally {
        rmSync(unpacked, { recursive: true, force: true });
      }
    }
  });

  describe('each bundle holds its own side of a safeguard (scripts/esbuild-plugins.js)', () => {
    /**
     * Unzips `zip` where no node_modules is reachable and runs its handler on `event`; what it returned, as JSON.
     * Asynchronous: the loopback server of the test answers the child from this process's event loop.
     */
    async function runBundle(zip: string, entry: string, event: unknown, env: Record<string, string> = {}): Promise<unknown> {
      const unpacked = mkdtempSync(join(tmpdir(), 'hipaa-zip-'));
      try {
        expect(spawnSync('unzip', ['-q', join(dir, zip), '-d', unpacked]).status).to.equal(0);
        const script = `require('./${entry}').handler(JSON.parse(process.argv[1])).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(4); })`;
        const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            ['-e', script, JSON.stringify(event)],
            { cwd: unpacked, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', AWS_REGION: REGION, POWERTOOLS_LOG_LEVEL: 'SILENT', ...env } },
            (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
          );
        });
        expect(run.status, run.stderr).to.equal(0);
        return JSON.parse(run.stdout) as unknown;
      } finally {
        rmSync(unpacked, { recursive: true, force: true });
      }
    }
    const hookRequest = (properties: Record<string, unknown>) => ({
      ...(JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'hooks', 'kinesis-create.json'), 'utf8')) as Record<string, unknown>),
      requestData: { targetName: 'AWS::Kinesis::Stream', targetType: 'AWS::Kinesis::Stream', targetLogicalId: 'VitalsStream', targetModel: { resourceProperties: properties } },
    });

    it('the hook bundle, with no listing in it, judges a stream from its properties alone', async () => {
      const zip = `${HOOK_FUNCTION_KEY}.zip`;
      const entry = `${HOOK_HANDLER.split('.')[0]}.js`;
      // No credentials and no endpoint: a listing or an account read would fail the request instead of judging it.
      const plain = (await runBundle(zip, entry, hookRequest({ Name: 'vitals', ShardCount: 1 }))) as { hookStatus: string; message: string };
      expect(plain.hookStatus).to.equal('FAILED');
      expect(plain.message).to.include('[kinesis-stream-encrypted] Stream vitals is not encrypted at rest (StreamEncryption absent)');
      // What it leaves out: every command a listing sends that no lookup sends, and the Config handler's.
      const bundled = spawnSync('unzip', ['-p', join(dir, zip)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).stdout;
      // The TLS-only rules' gather reads a deployed queue's or topic's policy with an action their listing also holds.
      const gatherReads = ['sqs:GetQueueAttributes', 'sns:GetTopicAttributes'];
      const lookups = new Set<string>([...hookLookupActions(catalog), ...gatherReads]);
      const listingOnly = [...new Set(catalog.flatMap((r) => r.resource.listActions))].filter((a) => !lookups.has(a));
      expect(listingOnly.length).to.be.greaterThan(10);
      for (const action of [...listingOnly, 'config:PutEvaluations']) expect(bundled, action).to.not.include(`"${action.split(':')[1]}Command"`);
      const encrypted = (await runBundle(zip, entry, hookRequest({ Name: 'vitals', ShardCount: 1, StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } }))) as { hookStatus: string };
      expect(encrypted.hookStatus).to.equal('SUCCESS');
    });

    it('a rule bundle, with no CloudFormation builder in it, judges a change notification and a periodic run (moto)', async () => {
      const moto = await useMoto();
      // HTTP/1.1: the Kinesis client's default HTTP/2 handler is for its event streams, which moto does not speak.
      const kinesis = new KinesisClient({ endpoint: moto.endpoint, region: REGION, requestHandler: new NodeHttpHandler() });
      await kinesis.send(new CreateStreamCommand({ StreamName: 'plain', ShardCount: 1 }));
      await kinesis.send(new CreateStreamCommand({ StreamName: 'sealed', ShardCount: 1 }));
      await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'sealed', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
      // moto lacks GetComplianceDetailsByConfigRule (the periodic run's vanished-resource sweep): this loopback server
      // answers it "nothing evaluated before", in the botocore output shape, and forwards everything else to moto.
      const front = await startAnsweringServer((op, res) => {
        if (op !== 'GetComplianceDetailsByConfigRule') return false;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ EvaluationResults: [] }));
        return true;
      }, moto.endpoint);
      try {
        const env = { AWS_ENDPOINT_URL: front.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
        type Result = { evaluations: { ComplianceResourceId: string; ComplianceType: string }[] };
        const verdicts = (r: unknown) => (r as Result).evaluations.map((e) => [e.ComplianceResourceId, e.ComplianceType]);

        // The change path reads the configuration item (its schema built on first use).
        const change = await runBundle('kinesis-stream-encrypted.zip', 'rules/kinesis-stream-encrypted.js', changeEvent(kinesisItemEventStyle({ name: 'plain', encryption: null })), env);
        expect(verdicts(change)).to.deep.equal([['plain', 'NON_COMPLIANT']]);
        // The periodic path lists through the Kinesis API (moto records no configuration items), tags in bulk.
        const periodic = await runBundle('kinesis-stream-encrypted.zip', 'rules/kinesis-stream-encrypted.js', scheduledEvent({ accountId: ACCOUNT }), env);
        expect(verdicts(periodic)).to.have.deep.members([
          ['plain', 'NON_COMPLIANT'],
          ['sealed', 'COMPLIANT'],
        ]);
        expect(front.operations).to.include.members(['ListStreams', 'DescribeStreamSummary', 'GetResources', 'PutEvaluations']);
        // What it leaves out: the CloudFormation builders (their functions keep their names in the bundle).
        const bundled = spawnSync('unzip', ['-p', join(dir, 'kinesis-stream-encrypted.zip')], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).stdout;
        expect(bundled).to.include('"streamFromItem"').and.not.include('"kinesisStreamFromCloudFormation"');
      } finally {
        await front.close();
      }
    });
  });

  it('has no shared provider role: every function runs as its own role', () => {
    expect(template.Resources).to.not.have.property('IamRoleLambdaExecution');
  });

  for (const s of catalog) {
    describe(s.name, () => {
      const fnId = serverlessLogicalIds(s.name).function;
      const ids = ruleLogicalIds(s);

      it('is one nodejs22.x Lambda named after the rule, running rules/<name>.handler as its own role', () => {
        const p = res(fnId).Properties ?? {};
        expect(p.FunctionName).to.equal(`hipaa-safeguards-${STAGE}-${s.name}`);
        expect(p.Handler).to.equal(`rules/${s.name}.handler`);
        expect(p.Runtime).to.equal('nodejs22.x');
        expect(p.Role).to.deep.equal({ 'Fn::GetAtt': [ids.role, 'Arn'] });
        expect(String(p.FunctionName).length).to.be.at.most(64);
      });

      it('has a role holding exactly the actions the rule calls', () => {
        // Arrange
        const role = res(ids.role);
        // Act
        const actions = policies(ids.role)
          .flatMap((d) => d.Statement)
          .filter((st) => st.Sid !== 'OwnLogGroupOnly')
          .flatMap((st) => asList(st.Action));
        // Assert
        expect(role.Type).to.equal('AWS::IAM::Role');
        expect([...actions].sort()).to.deep.equal(ruleActions(s));
        expect(new Set(actions).size, 'an action is granted twice').to.equal(actions.length);
        const trust = role.Properties?.AssumeRolePolicyDocument as PolicyDocument;
        expect(trust.Statement.map((st) => st.Action)).to.deep.equal(['sts:AssumeRole']);
        expect(JSON.stringify(trust)).to.equal(JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }));
      });

      it('may write logs to its own log group only', () => {
        const logs = policies(ids.role)
          .flatMap((d) => d.Statement)
          .filter((st) => asList(st.Action).some((a) => a.startsWith('logs:')));
        const logGroup = serverlessLogicalIds(s.name).logGroup;
        expect(logs).to.deep.equal([
          { Sid: 'OwnLogGroupOnly', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] } },
        ]);
        expect(res(logGroup).Properties?.LogGroupName).to.equal(`/aws/lambda/hipaa-safeguards-${STAGE}-${s.name}`);
      });

      it('can be invoked by AWS Config of this account only', () => {
        const permissions = Object.values(template.Resources).filter(
          (r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties?.FunctionName).includes(`"${fnId}"`),
        );
        expect(permissions).to.deep.equal([
          {
            Type: 'AWS::Lambda::Permission',
            Properties: {
              FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
              Action: 'lambda:InvokeFunction',
              Principal: 'config.amazonaws.com',
              SourceAccount: { Ref: 'AWS::AccountId' },
            },
          },
        ]);
      });
    });
  }

  it('grants kinesis-stream-encrypted exactly its runtime, listing and key lookups (catalog derivation pinned)', () => {
    const s = catalog.find((x) => x.name === 'kinesis-stream-encrypted');
    if (!s) throw new Error('kinesis-stream-encrypted is not in the catalog.');
    expect(ruleActions(s)).to.deep.equal([
      // AWS Config as the source of periodic runs where it records streams (issue 11).
      'config:DescribeConfigurationRecorderStatus',
      'config:DescribeConfigurationRecorders',
      'config:GetComplianceDetailsByConfigRule',
      'config:GetResourceConfigHistory',
      'config:PutEvaluations',
      'config:SelectResourceConfig',
      'kinesis:DescribeStreamSummary',
      'kinesis:ListStreams',
      'kinesis:ListTagsForStream',
      'kms:DescribeKey',
      // Tags in bulk (issue 11); ListTagsForStream stays for when it is refused.
      'tag:GetResources',
    ]);
  });

  it('passes the security review of every policy serverless writes, its deployment bucket\'s included (test/pack/policy-checks.ts)', () => {
    expect(policyViolations(policiesOf('packaged single-account stack', template.Resources as Record<string, Resource>))).to.deep.equal([]);
  });

  it('keeps the deployment bucket private and versioned, and the Lambda log groups (audit evidence) when the stack goes', () => {
    expect(res('ServerlessDeploymentBucket').Properties).to.deep.include({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    const logGroups = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    // One per rule, the CloudTrail re-evaluation trigger and the CloudFormation hook.
    expect(logGroups).to.have.length(catalog.length + 2);
    for (const g of logGroups) {
      expect(g, JSON.stringify(g.Properties)).to.deep.include({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(g.Properties?.RetentionInDays).to.equal(365);
    }
  });

  it('never grants a wildcard action (*, service:*) or NotAction in any IAM policy', () => {
    const statements = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      .flatMap((r) => {
        const p = r.Properties ?? {};
        const docs = [
          ...((p.Policies ?? []) as { PolicyDocument: PolicyDocument }[]).map((x) => x.PolicyDocument),
          ...(p.PolicyDocument ? [p.PolicyDocument as PolicyDocument] : []),
        ];
        return docs.flatMap((d) => d.Statement);
      });
    expect(statements.length).to.be.above(0);
    for (const st of statements) {
      expect(st, JSON.stringify(st)).to.not.have.property('NotAction');
      for (const a of asList(st.Action)) expect(isWildcardAction(a), a).to.equal(false);
    }
  });

  describe('remediation', () => {
    const documents = loadAllRemediationDocuments();

    it('has one fixed-name role per document and region, SSM Automation of this account assumes, with exactly the actions its document declares', () => {
      for (const d of documents) {
        const id = remediationRoleLogicalId(d.name);
        const p = res(id).Properties ?? {};
        // IAM names are global: the region suffix lets one account run the pack in several regions.
        expect(p.RoleName, d.name).to.deep.equal({ 'Fn::Join': ['-', [d.name, { Ref: 'AWS::Region' }]] });
        expect(p.AssumeRolePolicyDocument, d.name).to.deep.equal({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'ssm.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        });
        const actions = policies(id).flatMap((doc) => doc.Statement.filter((st) => st.Effect === 'Allow').flatMap((st) => asList(st.Action)));
        expect(d.iamActions.length, `${d.name} declares no action`).to.be.above(0);
        expect([...actions].sort(), d.name).to.deep.equal(documentActions(d));
      }
    });

    it('deploys every document as a fixed-name Automation document, updated as a new version', () => {
      expect(documents.map((d) => d.name)).to.include.members(catalog.flatMap((s) => (s.remediation ? [s.remediation.document] : [])));
      for (const d of documents) {
        const r = res(documentLogicalId(d.name));
        expect(r.Type).to.equal('AWS::SSM::Document');
        const { Content, ...rest } = r.Properties ?? {};
        expect(rest, d.name).to.deep.equal({ Name: d.name, DocumentType: 'Automation', DocumentFormat: 'YAML', UpdateMethod: 'NewVersion' });
        expect(Content, d.name).to.deep.equal(d.content);
      }
    });
  });

  describe('conformance pack', () => {
    const packResource = () => res(CONFORMANCE_PACK_LOGICAL_ID);

    it('points at the uploaded conformance pack, which is too large to embed as committed', () => {
      expect(Buffer.byteLength(readFileSync(PACK_PATH, 'utf8'), 'utf8')).to.be.greaterThan(MAX_TEMPLATE_BODY_BYTES);
      expect(packResource().Properties).to.include({ TemplateS3Uri: SINGLE_PACK_URI }).and.not.have.property('TemplateBody');
    });

    it('fills in each rule Lambda ARN (each remediation names its own role in the pack)', () => {
      const inputs = packResource().Properties?.ConformancePackInputParameters as { ParameterName: string; ParameterValue: unknown }[];
      const expected = catalog.map((s) => ({ ParameterName: packNames(s).lambdaArn, ParameterValue: { 'Fn::GetAtt': [serverlessLogicalIds(s.name).function, 'Arn'] } }));
      expect(inputs).to.deep.equal(expected);
      expect(inputs.length).to.be.at.most(MAX_PACK_INPUT_PARAMETERS);
    });

    it('is created after the Lambda permissions, the documents and the remediation roles', () => {
      const dependsOn = packResource().DependsOn;
      expect(dependsOn).to.include.members([
        ...loadAllRemediationDocuments().map((d) => remediationRoleLogicalId(d.name)),
        ...catalog.map((s) => ruleLogicalIds(s).permission),
        ...loadAllRemediationDocuments().map((d) => documentLogicalId(d.name)),
      ]);
    });

    it('matches the AWS::Config::ConformancePack registry schema (ajv)', () => {
      const validate = propertiesValidator('AWS::Config::ConformancePack');
      const properties = resolveIntrinsics(template, packResource().Properties, {});
      expect(validate(properties), JSON.stringify(validate.errors)).to.equal(true);
    });
  });
});
