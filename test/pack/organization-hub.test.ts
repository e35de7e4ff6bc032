import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalog, elastiCacheRuleNames } from '../../rules/catalog';
import { QUEUE_CONSUMER_ACTIONS } from '../../rules/runtime/actions';
import {
  EXECUTION_ROLE_NAME_VARIABLE,
  RULE_NAMES_VARIABLE,
  SERVED_ACCOUNTS_VARIABLE,
  SERVED_REGIONS_VARIABLE,
  elastiCacheChangeEventPattern,
  elastiCacheChangeInputTransformer,
} from '../../rules/triggers/elasticache-reevaluate';
import { ORGANIZATION_MODE_VARIABLE } from '../../rules/runtime/organization';
import { MAX_TEMPLATE_BODY_BYTES, PACK_PATH, packNames } from '../../scripts/lib/conformance-pack';
import { hubReevaluateActions, hubRuleActions } from '../../scripts/lib/iam';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import {
  CONFORMANCE_PACK_LOGICAL_ID,
  DEFAULT_HUB_RESERVED_CONCURRENCY,
  MAX_PACK_INPUT_PARAMETERS,
  ORGANIZATION_CONFORMANCE_PACK_LOGICAL_ID,
  type PartsInput,
  REEVALUATE,
  buildResources,
  checkOrganizationCapacity,
  ruleLogicalIds,
  serverlessLogicalIds,
} from '../../scripts/lib/serverless-resources';
import { SpokeParameter } from '../../scripts/lib/spoke-template';
import { type Template, cfnLint, describeMatches, propertiesValidator, resolveIntrinsics } from './cfn';
import { type Resource, policiesOf, policyViolations } from './policy-checks';

const ROOT = join(__dirname, '..', '..');
const STAGE = 'prod';
const MEMBERS = ['111111111111', '222222222222', '333333333333'];
const EXCLUDED = ['444444444444', '555555555555'];
const ORG_ID = 'o-abcdefghij';
const PACK_URI = 's3://awsconfigconforms-hipaa-safeguards-999999999999-us-east-1/prod/conformance-packs/hipaa-safeguards-0123456789abcdef.yaml';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; NotAction?: unknown; Condition?: unknown; Principal?: unknown };
const asList = (a: string | string[]) => (Array.isArray(a) ? a : [a]);

describe('serverless.yml in organization mode (the hub: --param="mode=organization")', function () {
  this.timeout(180_000);
  let dir: string;
  let template: Template;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hipaa-hub-'));
    const env = { ...process.env };
    // Packaging needs no AWS account.
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[k];
    const args = [
      'package',
      '--stage',
      STAGE,
      '--package',
      dir,
      '--param=mode=organization',
      `--param=memberAccounts=${MEMBERS.join(',')}`,
      `--param=excludedAccounts=${EXCLUDED.join(',')}`,
      `--param=packTemplateS3Uri=${PACK_URI}`,
      `--param=organizationId=${ORG_ID}`,
    ];
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'sls'), args, { cwd: ROOT, env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`sls package exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const res = (id: string) => {
    const r = template.Resources[id];
    if (!r) throw new Error(`The hub template has no resource ${id}.`);
    return r;
  };

  it('passes cfn-lint (only warning: serverless adds a DependsOn next to each function Role GetAtt)', () => {
    const matches = cfnLint(join(dir, 'cloudformation-template-update-stack.json')).filter(
      (m) => !(m.rule === 'W3005' && m.path[0] === 'Resources' && /LambdaFunction$/.test(String(m.path[1])) && m.path[2] === 'DependsOn'),
    );
    expect(matches, describeMatches(matches)).to.deep.equal([]);
  });

  it('passes the security review of every policy serverless writes (test/pack/policy-checks.ts)', () => {
    expect(policyViolations(policiesOf('packaged hub stack', template.Resources as Record<string, Resource>))).to.deep.equal([]);
  });

  it('has no SSM document, remediation role or single-account pack: the spokes hold them', () => {
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).to.not.include('AWS::SSM::Document');
    expect(types).to.not.include('AWS::Config::ConformancePack');
    expect(template.Resources).to.not.have.property(CONFORMANCE_PACK_LOGICAL_ID);
    const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role').map(([id]) => id);
    expect(roles.sort()).to.deep.equal([...catalog.map((s) => ruleLogicalIds(s).role), REEVALUATE.role].sort());
  });

  describe('ElastiCache re-evaluation trigger (spokes forward -> the pack\'s hub bus -> SQS -> Lambda)', () => {
    const fnId = serverlessLogicalIds(REEVALUATE.functionKey).function;
    const statements = () =>
      (resolveIntrinsics(template, res(REEVALUATE.role).Properties?.Policies, {}) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (x) => x.PolicyDocument.Statement,
      );

    it('has its own event bus, where only the spokes\' forwarding roles of the organization may put ElastiCache CloudTrail events', () => {
      expect(res(REEVALUATE.bus).Properties).to.deep.include({ Name: `hipaa-safeguards-changes-${STAGE}` });
      expect(resolveIntrinsics(template, res(REEVALUATE.busPolicy).Properties, { [REEVALUATE.bus]: 'bus' })).to.deep.equal({
        EventBusName: 'bus',
        StatementId: 'SpokeForwardingRolesOfTheOrganization',
        Statement: {
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: `arn:aws:test:us-east-1:123456789012:${REEVALUATE.bus}/Arn`,
          Condition: {
            StringEquals: { 'aws:PrincipalOrgID': ORG_ID, 'events:source': ['aws.elasticache'], 'events:detail-type': ['AWS API Call via CloudTrail'] },
            ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/HIPAA-Safeguards-Forward-us-east-1' },
          },
        },
      });
    });

    it('routes the ElastiCache CloudTrail pattern of the served member accounts on that bus to its queue, only the fields the trigger reads, and the queue refuses any other sender', () => {
      const p = res(REEVALUATE.rule).Properties ?? {};
      expect(p.EventPattern).to.deep.equal({ account: MEMBERS, ...elastiCacheChangeEventPattern });
      expect(p.EventBusName).to.deep.equal({ Ref: REEVALUATE.bus });
      expect(p.Targets).to.deep.equal([
        { Id: 'elasticache-reevaluate-queue', Arn: { 'Fn::GetAtt': [REEVALUATE.queue, 'Arn'] }, InputTransformer: elastiCacheChangeInputTransformer },
      ]);
      expect(res(REEVALUATE.queue).Properties).to.deep.include({ SqsManagedSseEnabled: true });
      expect(res(REEVALUATE.deadLetterQueue).Properties).to.deep.include({ SqsManagedSseEnabled: true });
      const [allow, deny] = (res(REEVALUATE.queuePolicy).Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
      expect(allow).to.deep.include({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [REEVALUATE.rule, 'Arn'] } } },
      });
      expect(deny).to.deep.include({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Condition: { ArnNotEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [REEVALUATE.rule, 'Arn'] } } },
      });
      const validate = propertiesValidator('AWS::Events::Rule');
      expect(validate(resolveIntrinsics(template, p, { [REEVALUATE.bus]: 'bus' })), JSON.stringify(validate.errors)).to.equal(true);
    });

    it('runs the trigger on that queue, assuming the regional spoke evaluation role (EXECUTION_ROLE_NAME)', () => {
      const p = res(fnId).Properties ?? {};
      expect(p).to.deep.include({ Handler: `rules/triggers/${REEVALUATE.functionKey}.handler`, ReservedConcurrentExecutions: 1, Timeout: REEVALUATE.timeoutSeconds });
      expect(p.Role).to.deep.equal({ 'Fn::GetAtt': [REEVALUATE.role, 'Arn'] });
      const env = resolveIntrinsics(template, (p.Environment as { Variables: Record<string, unknown> }).Variables, {}) as Record<string, string>;
      expect(env[EXECUTION_ROLE_NAME_VARIABLE]).to.equal('HIPAA-Safeguards-Evaluation-us-east-1');
      expect(env[SERVED_ACCOUNTS_VARIABLE]?.split(',')).to.deep.equal(MEMBERS);
      expect(env[SERVED_REGIONS_VARIABLE]).to.equal('us-east-1');
      expect(env[RULE_NAMES_VARIABLE]?.split(',')).to.deep.equal([...elastiCacheRuleNames]);
      const mappings = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
      expect(mappings.map((m) => m.Properties)).to.deep.equal([
        {
          BatchSize: 100,
          MaximumBatchingWindowInSeconds: 60,
          EventSourceArn: { 'Fn::GetAtt': [REEVALUATE.queue, 'Arn'] },
          FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
          Enabled: true,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      ]);
    });

    it('has a fixed-name role under the hub path that may only assume the spoke evaluation role in the organization and consume its queue', () => {
      expect(res(REEVALUATE.role).Properties?.Path).to.equal(`/hipaa-safeguards/${STAGE}/`);
      expect(resolveIntrinsics(template, res(REEVALUATE.role).Properties?.RoleName, {})).to.equal(`${STAGE}-${REEVALUATE.functionKey}-us-east-1`);
      const actions = statements()
        .filter((st) => st.Sid !== 'OwnLogGroupOnly')
        .flatMap((st) => asList(st.Action));
      expect([...actions].sort()).to.deep.equal(hubReevaluateActions());
      expect(hubReevaluateActions()).to.deep.equal(['sts:AssumeRole', ...QUEUE_CONSUMER_ACTIONS].sort());
      expect(statements().find((st) => st.Sid === 'AssumeSpokeEvaluationRoleInOrganization')).to.deep.equal({
        Sid: 'AssumeSpokeEvaluationRoleInOrganization',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::*:role/HIPAA-Safeguards-Evaluation-us-east-1',
        Condition: { StringEquals: { 'aws:ResourceOrgID': ORG_ID } },
      });
      expect(statements().find((st) => st.Sid === 'ConsumeItsQueue')?.Resource).to.equal(`arn:aws:test:us-east-1:123456789012:${REEVALUATE.queue}/Arn`);
    });
  });

  for (const s of catalog) {
    describe(s.name, () => {
      const fnId = serverlessLogicalIds(s.name).function;
      const roleId = ruleLogicalIds(s).role;

      it('runs with reserved concurrency and the organization account guard switched on', () => {
        const p = res(fnId).Properties ?? {};
        expect(p.ReservedConcurrentExecutions).to.equal(DEFAULT_HUB_RESERVED_CONCURRENCY);
        expect((p.Environment as { Variables: Record<string, string> }).Variables[ORGANIZATION_MODE_VARIABLE]).to.equal('true');
        expect(p.Role).to.deep.equal({ 'Fn::GetAtt': [roleId, 'Arn'] });
      });

      it('has a fixed-name role under the hub path that may only assume the spoke evaluation role in the organization and list the accounts', () => {
        const p = res(roleId).Properties ?? {};
        expect(p.Path).to.equal(`/hipaa-safeguards/${STAGE}/`);
        expect(resolveIntrinsics(template, p.RoleName, {})).to.equal(`${STAGE}-${s.name}-us-east-1`);
        const statements = (resolveIntrinsics(template, p.Policies, {}) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
          (x) => x.PolicyDocument.Statement,
        );
        const actions = statements.filter((st) => st.Sid !== 'OwnLogGroupOnly').flatMap((st) => asList(st.Action));
        expect([...actions].sort()).to.deep.equal(hubRuleActions());
        expect(statements.find((st) => st.Sid === 'AssumeSpokeEvaluationRoleInOrganization')).to.deep.equal({
          Sid: 'AssumeSpokeEvaluationRoleInOrganization',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: 'arn:aws:iam::*:role/HIPAA-Safeguards-Evaluation-us-east-1',
          Condition: { StringEquals: { 'aws:ResourceOrgID': ORG_ID } },
        });
      });

      it('may be invoked by Config of each member account only: one SourceAccount statement per account', () => {
        const permissions = Object.values(template.Resources).filter(
          (r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties?.FunctionName).includes(`"${fnId}"`),
        );
        expect(permissions.map((r) => r.Properties)).to.deep.equal(
          MEMBERS.map((account) => ({
            FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
            Action: 'lambda:InvokeFunction',
            Principal: 'config.amazonaws.com',
            SourceAccount: account,
          })),
        );
      });
    });
  }

  describe('organization conformance pack', () => {
    const pack = () => res(ORGANIZATION_CONFORMANCE_PACK_LOGICAL_ID);

    it('reads the uploaded pack from S3 and leaves out every account without a spoke', () => {
      const p = pack().Properties ?? {};
      expect(p.OrganizationConformancePackName).to.equal(`hipaa-safeguards-${STAGE}`);
      expect(p.TemplateS3Uri).to.equal(PACK_URI);
      expect(p).to.not.have.property('TemplateBody');
      expect(p.ExcludedAccounts).to.deep.equal(EXCLUDED);
    });

    it('fills in each Lambda ARN and each rule\'s executionRoleName, named for the region', () => {
      const inputs = resolveIntrinsics(template, pack().Properties?.ConformancePackInputParameters, {}) as { ParameterName: string; ParameterValue: string }[];
      expect(inputs).to.deep.equal([
        ...catalog.flatMap((s) => [
          { ParameterName: packNames(s).lambdaArn, ParameterValue: `arn:aws:test:us-east-1:123456789012:${serverlessLogicalIds(s.name).function}/Arn` },
          { ParameterName: packNames(s).parameter('executionRoleName'), ParameterValue: 'HIPAA-Safeguards-Evaluation-us-east-1' },
        ]),
      ]);
      expect(inputs.length).to.be.at.most(MAX_PACK_INPUT_PARAMETERS);
    });

    it('is created only after every invoke permission (PutConfigRule in a member account fails without one)', () => {
      const permissions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Permission').map(([id]) => id);
      expect(permissions).to.have.length(catalog.length * MEMBERS.length);
      expect(pack().DependsOn).to.have.members(permissions);
    });

    it('matches the AWS::Config::OrganizationConformancePack registry schema (ajv)', () => {
      const validate = propertiesValidator('AWS::Config::OrganizationConformancePack');
      expect(validate(resolveIntrinsics(template, pack().Properties, {})), JSON.stringify(validate.errors)).to.equal(true);
    });

    it('names the same roles the spoke creates (the spoke parameters deploy-org passes)', () => {
      // The spoke appends -<region> to these parameters' defaults; the hub appends it to the same base names.
      const spoke = readFileSync(join(ROOT, 'conformance-packs', 'hipaa-safeguards-spoke.yaml'), 'utf8');
      expect(spoke).to.include(`${SpokeParameter.EvaluationRoleName}:\n    Type: String\n    Default: HIPAA-Safeguards-Evaluation\n`);
    });
  });
});

describe('scripts/lib/serverless-resources (pack source and organization limits)', () => {
  const packText = readFileSync(PACK_PATH, 'utf8');
  const base: PartsInput = {
    safeguards: catalog,
    documents: loadAllRemediationDocuments(),
    packText,
    service: 'hipaa-safeguards',
    stage: 'dev',
  };
  const single = (overrides: Partial<PartsInput>) => buildResources({ ...base, ...overrides }).Resources[CONFORMANCE_PACK_LOGICAL_ID] as { Properties: Record<string, unknown> };
  const org = (overrides: Partial<NonNullable<PartsInput['organization']>>, uri = PACK_URI) =>
    buildResources({
      ...base,
      packTemplateS3Uri: uri,
      organization: { memberAccounts: MEMBERS, excludedAccounts: EXCLUDED, evaluationRoleName: 'HIPAA-Safeguards-Evaluation', organizationId: ORG_ID, ...overrides },
    });

  it('single account: uses TemplateS3Uri when safeguards deploy uploaded the pack, TemplateBody otherwise', () => {
    const uri = 's3://awsconfigconforms-hipaa-safeguards-123456789012-us-east-1/dev/conformance-packs/hipaa-safeguards-0123.yaml';
    expect(single({ packTemplateS3Uri: uri }).Properties).to.include({ TemplateS3Uri: uri }).and.not.have.property('TemplateBody');
    // A pack small enough to go inline (the committed one outgrew the 51,200 bytes: see the next test).
    const small = 'Resources: {}\n';
    expect(single({ packText: small }).Properties).to.include({ TemplateBody: small }).and.not.have.property('TemplateS3Uri');
  });

  it(`single account: refuses an inline pack larger than ${MAX_TEMPLATE_BODY_BYTES} bytes and says how to deploy it`, () => {
    const big = `${packText}#${'x'.repeat(MAX_TEMPLATE_BODY_BYTES)}\n`;
    expect(() => single({ packText: big })).to.throw(/is \d+ bytes; a TemplateBody holds 51200\. Deploy with safeguards deploy/);
  });

  it('organization: refuses a template bucket whose name does not start with awsconfigconforms', () => {
    expect(() => org({}, 's3://my-artifacts/prod/pack.yaml')).to.throw(/starts with awsconfigconforms; got my-artifacts/);
    expect(() => org({}, '')).to.throw(/needs packTemplateS3Uri/);
  });

  it('organization: refuses no member account, a malformed ID, and an account both served and excluded', () => {
    expect(() => org({ memberAccounts: [] })).to.throw(/needs memberAccounts/);
    expect(() => org({ memberAccounts: ['1234'] })).to.throw(/"1234" is not a 12-digit AWS account ID/);
    expect(() => org({ excludedAccounts: [MEMBERS[0] as string] })).to.throw(/both served and excluded/);
  });

  it('organization: refuses a missing or malformed organization ID (aws:ResourceOrgID on every hub role needs it)', () => {
    expect(() => org({ organizationId: undefined })).to.throw(/needs organizationId \(o-\.\.\.\)/);
    expect(() => org({ organizationId: 'r-abcd' })).to.throw(/got "r-abcd"/);
    expect(() => org({})).to.not.throw();
  });

  it('organization: refuses more accounts than one stack or one function policy holds, naming the way out', () => {
    const many = Array.from({ length: 60 }, (_, i) => String(100000000000 + i));
    expect(() => org({ memberAccounts: many })).to.throw(/one stage per OU/);
    // Within both limits.
    expect(() => checkOrganizationCapacity(base, 40)).to.not.throw();
    expect(() => checkOrganizationCapacity(base, 60)).to.throw(/CloudFormation resources|resource policy/);
  });
});
