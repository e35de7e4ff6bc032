import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackInstancesCommand,
  ListStackSetOperationResultsCommand,
  StackSetNotFoundException,
  type StackInstanceSummary,
  UpdateStackSetCommand,
} from '@aws-sdk/client-cloudformation';
import { ConfigServiceClient, GetOrganizationConformancePackDetailedStatusCommand } from '@aws-sdk/client-config-service';
import {
  AccessDeniedException,
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  UpdatePolicyCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListDelegatedServicesForAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  NotFound,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { mockClient } from 'aws-sdk-client-mock';
import { catalog } from '../../rules/catalog';
import { awsDeployClients } from '../../scripts/lib/deploy/clients';
import {
  DeployTimeoutError,
  OrganizationPackError,
  PlanViolationError,
  PrerequisiteError,
  SpokesNotReadyError,
  StackSetOperationError,
  WrongAccountError,
} from '../../scripts/lib/deploy/errors';
import { OPERATION_PREFERENCES } from '../../scripts/lib/deploy/stackset';
import { exemptionScpContent } from '../../scripts/lib/exemption-scp';
import { HOOK_CODE_NOT_UPLOADED, spokeHookParts } from '../../scripts/lib/hook-resources';
import { type OrgDeployOptions, type OrgState, orgDeployPlan } from '../../scripts/lib/deploy/org-plan';
import { type ExecutedCall, type Plan, Service, executePlan, renderPlan } from '../../scripts/lib/deploy/plan';
import { propertiesValidator } from '../pack/cfn';
import { fakeClock, fakeRunner, paramOf } from '../helpers/deploy';

const ADMIN = '999999999999';
const MANAGEMENT = '100000000000';
const OU = 'ou-ab12-cdefgh34';
const CHILD_OU = 'ou-ab12-child000';
const [M1, M2, M3, OUTSIDER] = ['111111111111', '222222222222', '333333333333', '444444444444'] as const;
const REGIONS = ['us-east-1', 'eu-west-1'];
const POLL = { initialDelayMs: 1_000, maxDelayMs: 8_000, factor: 2, timeoutMs: 60_000 };
const options: OrgDeployOptions = { delegatedAdmin: ADMIN, regions: REGIONS, ou: OU, stage: 'prod', poll: POLL, packageDir: (r) => `/tmp/pkg-${r}` };

const instance = (account: string, region: string, status = 'SUCCEEDED', reason?: string): StackInstanceSummary => ({
  Account: account,
  Region: region,
  StackSetId: 'hipaa-safeguards-prod-spoke:1',
  OrganizationalUnitId: account === M3 ? CHILD_OU : OU,
  Status: status === 'SUCCEEDED' ? 'CURRENT' : 'OUTDATED',
  StackInstanceStatus: { DetailedStatus: status as 'SUCCEEDED' },
  ...(reason ? { StatusReason: reason } : {}),
});
const everywhere = (accounts: readonly string[], regions: readonly string[] = REGIONS) => accounts.flatMap((a) => regions.map((r) => instance(a, r)));

/** The AWS of a delegated administrator whose OU holds M1, M2 and (in a child OU) M3; nothing deployed yet. */
function organization() {
  const sts = mockClient(STSClient);
  const orgs = mockClient(OrganizationsClient);
  const s3 = mockClient(S3Client);
  const cfn = mockClient(CloudFormationClient);
  const config = mockClient(ConfigServiceClient);
  sts.on(GetCallerIdentityCommand).resolves({ Account: ADMIN, Arn: `arn:aws:sts::${ADMIN}:assumed-role/SecurityAdmin/me` });
  orgs.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-abcdefghij', FeatureSet: 'ALL', MasterAccountId: MANAGEMENT } });
  orgs.on(ListDelegatedServicesForAccountCommand).resolves({
    DelegatedServices: [{ ServicePrincipal: 'config-multiaccountsetup.amazonaws.com' }, { ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com' }],
  });
  orgs
    .on(ListAccountsCommand, { NextToken: undefined })
    .resolves({ Accounts: [MANAGEMENT, ADMIN, M1].map((Id) => ({ Id, State: 'ACTIVE' })), NextToken: 't2' })
    .on(ListAccountsCommand, { NextToken: 't2' })
    .resolves({ Accounts: [M2, M3, OUTSIDER].map((Id) => ({ Id, State: 'ACTIVE' })) });
  orgs
    .on(ListAccountsForParentCommand, { ParentId: OU })
    .resolves({ Accounts: [{ Id: M1 }, { Id: M2 }] })
    .on(ListAccountsForParentCommand, { ParentId: CHILD_OU })
    .resolves({ Accounts: [{ Id: M3 }] });
  orgs
    .on(ListChildrenCommand, { ParentId: OU })
    .resolves({ Children: [{ Id: CHILD_OU, Type: 'ORGANIZATIONAL_UNIT' }] })
    .on(ListChildrenCommand, { ParentId: CHILD_OU })
    .resolves({ Children: [] });
  // No bucket yet: HeadBucket answers 404 until CreateBucket.
  const buckets = new Set<string>();
  s3.on(HeadBucketCommand).callsFake((input: { Bucket: string }) => {
    if (!buckets.has(input.Bucket)) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return {};
  });
  s3.on(CreateBucketCommand).callsFake((input: { Bucket: string }) => {
    buckets.add(input.Bucket);
    return {};
  });
  s3.on(PutPublicAccessBlockCommand).resolves({});
  s3.on(PutBucketPolicyCommand).resolves({});
  s3.on(PutBucketVersioningCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  // No StackSet yet.
  let instances: StackInstanceSummary[] = [];
  cfn.on(DescribeStackSetCommand).rejects(new StackSetNotFoundException({ message: 'StackSet hipaa-safeguards-prod-spoke not found', $metadata: {} }));
  cfn.on(CreateStackSetCommand).callsFake(() => {
    cfn.on(DescribeStackSetCommand).resolves({ StackSet: { StackSetName: 'hipaa-safeguards-prod-spoke', Status: 'ACTIVE' } });
    return { StackSetId: 'hipaa-safeguards-prod-spoke:1' };
  });
  cfn.on(UpdateStackSetCommand).resolves({ OperationId: 'op-update' });
  cfn.on(CreateStackInstancesCommand).callsFake((input: { Regions: string[] }) => {
    instances = [...instances, ...everywhere([M1, M2, M3], input.Regions)];
    return { OperationId: 'op-create' };
  });
  cfn.on(ListStackInstancesCommand).callsFake(() => ({ Summaries: instances }));
  // Each operation runs for two polls, then succeeds.
  const polls = new Map<string, number>();
  cfn.on(DescribeStackSetOperationCommand).callsFake((input: { OperationId: string }) => {
    const n = (polls.get(input.OperationId) ?? 0) + 1;
    polls.set(input.OperationId, n);
    return { StackSetOperation: { OperationId: input.OperationId, Status: n < 3 ? 'RUNNING' : 'SUCCEEDED' } };
  });
  // The pack reaches the three member accounts: in progress on the first poll, done on the second.
  const packPolls = new Map<string, number>();
  config.on(GetOrganizationConformancePackDetailedStatusCommand).callsFake(() => {
    const n = (packPolls.get('n') ?? 0) + 1;
    packPolls.set('n', n);
    return {
      OrganizationConformancePackDetailedStatuses: [M1, M2, M3].map((AccountId) => ({
        AccountId,
        ConformancePackName: 'hipaa-safeguards-prod',
        Status: n % 2 === 1 ? 'CREATE_IN_PROGRESS' : 'CREATE_SUCCESSFUL',
      })),
    };
  });
  return {
    sts,
    orgs,
    s3,
    cfn,
    config,
    mocks: [sts, orgs, s3, cfn, config],
    setInstances: (i: StackInstanceSummary[]) => {
      instances = i;
    },
  };
}

async function run(plan: Plan<OrgState>, runner = fakeRunner(), clock = fakeClock()) {
  const progress: string[] = [];
  const result = await executePlan(plan, { clients: () => awsDeployClients(), runner, clock, progress: (m) => progress.push(m) });
  return { ...result, runner, clock, progress };
}

const names = (calls: readonly ExecutedCall[]) => calls.map((c) => `${c.step} ${c.service}:${c.operation} ${c.region}`);

describe('deploy-org plan (scripts/lib/deploy/org-plan.ts)', () => {
  let aws: ReturnType<typeof organization>;
  beforeEach(() => {
    aws = organization();
  });
  afterEach(() => {
    for (const m of aws.mocks) m.restore();
  });

  it('deploys spokes, waits for them, then the hub and the pack, step by step on a fresh organization', async () => {
    // Act
    const { calls, runner, state } = await run(orgDeployPlan(options));
    // Assert: every call, in order, with its step and region
    expect(names(calls)).to.deep.equal([
      '1 sts:GetCallerIdentity us-east-1',
      '2 organizations:DescribeOrganization us-east-1',
      '2 organizations:ListDelegatedServicesForAccount us-east-1',
      '2 organizations:ListAccounts us-east-1',
      '2 organizations:ListAccounts us-east-1',
      '2 organizations:ListAccountsForParent us-east-1',
      '2 organizations:ListChildren us-east-1',
      '2 organizations:ListAccountsForParent us-east-1',
      '2 organizations:ListChildren us-east-1',
      '4 s3:HeadBucket us-east-1',
      '4 s3:CreateBucket us-east-1',
      '4 s3:HeadBucket us-east-1',
      '4 s3:PutPublicAccessBlock us-east-1',
      '4 s3:PutBucketVersioning us-east-1',
      '4 s3:PutBucketPolicy us-east-1',
      '4 s3:PutObject us-east-1',
      '4 s3:PutObject us-east-1',
      '5 s3:HeadBucket eu-west-1',
      '5 s3:CreateBucket eu-west-1',
      '5 s3:HeadBucket eu-west-1',
      '5 s3:PutPublicAccessBlock eu-west-1',
      '5 s3:PutBucketVersioning eu-west-1',
      '5 s3:PutBucketPolicy eu-west-1',
      '5 s3:PutObject eu-west-1',
      '6 cloudformation:DescribeStackSet us-east-1',
      '6 cloudformation:CreateStackSet us-east-1',
      '7 cloudformation:ListStackInstances us-east-1',
      '7 cloudformation:CreateStackInstances us-east-1',
      '7 cloudformation:DescribeStackSetOperation us-east-1',
      '7 cloudformation:DescribeStackSetOperation us-east-1',
      '7 cloudformation:DescribeStackSetOperation us-east-1',
      '8 cloudformation:ListStackInstances us-east-1',
      '9 command:sls package us-east-1',
      '10 command:sls package eu-west-1',
      '11 command:sls deploy us-east-1',
      '12 command:sls deploy eu-west-1',
      '13 config:GetOrganizationConformancePackDetailedStatus us-east-1',
      '13 config:GetOrganizationConformancePackDetailedStatus us-east-1',
      '14 config:GetOrganizationConformancePackDetailedStatus eu-west-1',
      '14 config:GetOrganizationConformancePackDetailedStatus eu-west-1',
    ]);
    // The hub serves exactly the OU's accounts (child OU included) and excludes every other account.
    expect(state.memberAccounts).to.deep.equal([M1, M2, M3]);
    expect(state.excludedAccounts).to.deep.equal([MANAGEMENT, ADMIN, OUTSIDER].sort());
    const deploy = runner.runs.filter((r) => r.args[0] === 'deploy');
    expect(deploy.map((r) => paramOf(r.args, 'memberAccounts'))).to.deep.equal([`${M1},${M2},${M3}`, `${M1},${M2},${M3}`]);
    expect(deploy.map((r) => paramOf(r.args, 'excludedAccounts'))).to.deep.equal([[MANAGEMENT, ADMIN, OUTSIDER].sort().join(',')].flatMap((x) => [x, x]));
    expect(deploy.map((r) => paramOf(r.args, 'packTemplateS3Uri'))).to.deep.equal(
      REGIONS.map((r) => `s3://awsconfigconforms-hipaa-safeguards-${ADMIN}-${r}/${state.pack?.key}`),
    );
    expect(deploy[0]?.args).to.include.members(['--region', 'us-east-1', '--stage', 'prod', '--param=mode=organization', '--package', '/tmp/pkg-us-east-1']);
    // The hub's default bus accepts the spokes' ElastiCache change events from this organization only.
    expect(runner.runs.map((r) => paramOf(r.args, 'organizationId'))).to.deep.equal(runner.runs.map(() => 'o-abcdefghij'));
  });

  it('creates the StackSet service-managed with automatic deployment, as the delegated administrator, with the hub parameters', async () => {
    const { state } = await run(orgDeployPlan(options));
    const [create] = aws.cfn.commandCalls(CreateStackSetCommand).map((c) => c.args[0].input);
    expect(create).to.deep.include({
      StackSetName: 'hipaa-safeguards-prod-spoke',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      CallAs: 'DELEGATED_ADMIN',
      TemplateURL: `https://awsconfigconforms-hipaa-safeguards-${ADMIN}-us-east-1.s3.us-east-1.amazonaws.com/${state.spoke?.key}`,
      Parameters: [
        { ParameterKey: 'HubAccountId', ParameterValue: ADMIN },
        { ParameterKey: 'HubRolePath', ParameterValue: '/hipaa-safeguards/prod/' },
        { ParameterKey: 'EvaluationRoleName', ParameterValue: 'HIPAA-Safeguards-Evaluation' },
        { ParameterKey: 'HubStage', ParameterValue: 'prod' },
        { ParameterKey: 'ImportSecurityHubFindings', ParameterValue: 'false' },
      ],
    });
    const [instances] = aws.cfn.commandCalls(CreateStackInstancesCommand).map((c) => c.args[0].input);
    expect(instances).to.deep.equal({
      StackSetName: 'hipaa-safeguards-prod-spoke',
      DeploymentTargets: { OrganizationalUnitIds: [OU] },
      Regions: REGIONS,
      OperationPreferences: OPERATION_PREFERENCES,
      CallAs: 'DELEGATED_ADMIN',
    });
    // The inputs CloudFormation's own StackSet resource would take (the API has the same shapes).
    const { Description: _d, ...asResource } = create ?? {};
    const validate = propertiesValidator('AWS::CloudFormation::StackSet');
    expect(validate({ ...asResource, OperationPreferences: OPERATION_PREFERENCES }), JSON.stringify(validate.errors)).to.equal(true);
  });

  it('shares only conformance pack templates, only with Config\'s conformance-pack role in the organization, over TLS, in a versioned bucket that cannot go public', async () => {
    await run(orgDeployPlan(options));
    const policy = JSON.parse(String(aws.s3.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy)) as { Statement: unknown[] };
    const bucket = `awsconfigconforms-hipaa-safeguards-${ADMIN}-us-east-1`;
    expect(policy.Statement).to.deep.equal([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'ConfigConformsRoleOfTheOrganizationReadsPackTemplates',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*/conformance-packs/*`,
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' },
          ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/aws-service-role/config-conforms.amazonaws.com/AWSServiceRoleForConfigConforms' },
        },
      },
    ]);
    expect(aws.s3.commandCalls(PutBucketVersioningCommand)[0]?.args[0].input.VersioningConfiguration).to.deep.equal({ Status: 'Enabled' });
    expect(aws.s3.commandCalls(PutPublicAccessBlockCommand)[0]?.args[0].input.PublicAccessBlockConfiguration).to.deep.equal({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    for (const c of aws.s3.calls()) expect((c.args[0] as { input: { ExpectedBucketOwner?: string } }).input.ExpectedBucketOwner ?? ADMIN).to.equal(ADMIN);
  });

  it('is idempotent: a second run updates the bucket, the StackSet and its instances, and recreates nothing', async () => {
    // Arrange: the first run deployed everything
    await run(orgDeployPlan(options));
    for (const m of [aws.s3, aws.cfn]) m.resetHistory();
    // Act
    const { calls } = await run(orgDeployPlan(options));
    // Assert
    expect(aws.s3.commandCalls(CreateBucketCommand)).to.have.length(0);
    expect(aws.cfn.commandCalls(CreateStackSetCommand)).to.have.length(0);
    expect(aws.cfn.commandCalls(CreateStackInstancesCommand)).to.have.length(0);
    expect(aws.cfn.commandCalls(UpdateStackSetCommand).map((c) => c.args[0].input)).to.have.length(1);
    expect(aws.cfn.commandCalls(UpdateStackSetCommand)[0]?.args[0].input).to.not.have.any.keys('DeploymentTargets', 'Regions');
    expect(names(calls).filter((n) => n.startsWith('6 '))).to.deep.equal([
      '6 cloudformation:DescribeStackSet us-east-1',
      '6 cloudformation:UpdateStackSet us-east-1',
      '6 cloudformation:DescribeStackSetOperation us-east-1',
      '6 cloudformation:DescribeStackSetOperation us-east-1',
      '6 cloudformation:DescribeStackSetOperation us-east-1',
    ]);
  });

  it('adds instances only in a region that has none when a region is added', async () => {
    aws.cfn.on(DescribeStackSetCommand).resolves({ StackSet: { StackSetName: 'hipaa-safeguards-prod-spoke' } });
    aws.setInstances(everywhere([M1, M2, M3], ['us-east-1']));
    await run(orgDeployPlan(options));
    expect(aws.cfn.commandCalls(CreateStackInstancesCommand).map((c) => c.args[0].input.Regions)).to.deep.equal([['eu-west-1']]);
  });

  it('stops before the hub and the pack when a spoke instance is FAILED, naming it', async () => {
    // Arrange: the operation ends SUCCEEDED, but one instance is FAILED
    aws.cfn.on(CreateStackInstancesCommand).callsFake(() => {
      aws.setInstances([...everywhere([M1, M3]), instance(M2, 'us-east-1'), instance(M2, 'eu-west-1', 'FAILED', 'Role HIPAA-Safeguards-Evaluation-eu-west-1 already exists')]);
      return { OperationId: 'op-create' };
    });
    // Act
    const runner = fakeRunner();
    const err = await run(orgDeployPlan(options), runner).catch((e: unknown) => e);
    // Assert
    expect(err).to.be.instanceOf(SpokesNotReadyError);
    expect((err as Error).message).to.equal(
      `Spoke stack instances are not SUCCEEDED: ${M2} in eu-west-1 is FAILED (Role HIPAA-Safeguards-Evaluation-eu-west-1 already exists). The organization conformance pack was not deployed; fix these instances and run deploy-org again.`,
    );
    expect(runner.runs).to.deep.equal([]);
    expect(aws.config.calls()).to.have.length(0);
  });

  it('stops when the StackSet operation fails, listing each failed account and region', async () => {
    aws.cfn.on(DescribeStackSetOperationCommand).resolves({ StackSetOperation: { Status: 'FAILED', StatusReason: 'Failure tolerance exceeded' } });
    aws.cfn.on(ListStackSetOperationResultsCommand).resolves({
      Summaries: [
        { Account: M1, Region: 'us-east-1', Status: 'SUCCEEDED' },
        { Account: M2, Region: 'eu-west-1', Status: 'FAILED', StatusReason: 'ResourceLogicalId:EvaluationRole, ResourceStatusReason:Access denied' },
      ],
    });
    const runner = fakeRunner();
    const err = await run(orgDeployPlan(options), runner).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StackSetOperationError);
    expect((err as StackSetOperationError).failures).to.deep.equal([
      { account: M2, region: 'eu-west-1', status: 'FAILED', reason: 'ResourceLogicalId:EvaluationRole, ResourceStatusReason:Access denied' },
    ]);
    expect((err as Error).message).to.include(`ended FAILED (Failure tolerance exceeded): ${M2} in eu-west-1: FAILED`);
    expect(runner.runs).to.deep.equal([]);
  });

  it('polls a StackSet operation with growing waits and gives up at the timeout', async () => {
    aws.cfn.on(DescribeStackSetOperationCommand).resolves({ StackSetOperation: { Status: 'RUNNING' } });
    const clock = fakeClock();
    const err = await run(orgDeployPlan(options), fakeRunner(), clock).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DeployTimeoutError);
    expect((err as Error).message).to.equal('StackSet hipaa-safeguards-prod-spoke operation op-create did not finish within 60 s; last state: RUNNING.');
    expect(clock.sleeps.slice(0, 5)).to.deep.equal([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).to.be.at.most(POLL.timeoutMs);
  });

  it('changes nothing when the credentials are not the delegated administrator\'s', async () => {
    aws.sts.on(GetCallerIdentityCommand).resolves({ Account: M1, Arn: `arn:aws:sts::${M1}:assumed-role/Dev/me` });
    const err = await run(orgDeployPlan(options)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(WrongAccountError);
    expect((err as Error).message).to.include(`The credentials are of account ${M1}`);
    for (const m of [aws.orgs, aws.s3, aws.cfn, aws.config]) expect(m.calls()).to.have.length(0);
  });

  it('names the registration command when the account is not a delegated administrator for StackSets', async () => {
    aws.orgs.on(ListDelegatedServicesForAccountCommand).resolves({ DelegatedServices: [{ ServicePrincipal: 'config-multiaccountsetup.amazonaws.com' }] });
    const err = await run(orgDeployPlan(options)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PrerequisiteError);
    expect((err as Error).message).to.include(
      `aws organizations register-delegated-administrator --account-id ${ADMIN} --service-principal member.org.stacksets.cloudformation.amazonaws.com`,
    );
    expect(aws.s3.calls()).to.have.length(0);
  });

  it('calls StackSets as SELF when run from the management account', async () => {
    aws.sts.on(GetCallerIdentityCommand).resolves({ Account: MANAGEMENT });
    await run(orgDeployPlan({ ...options, delegatedAdmin: MANAGEMENT }));
    expect(aws.orgs.commandCalls(ListDelegatedServicesForAccountCommand)).to.have.length(0);
    expect(aws.cfn.commandCalls(CreateStackSetCommand)[0]?.args[0].input.CallAs).to.equal('SELF');
  });

  it('fails, naming the account, when the organization conformance pack fails in a member account', async () => {
    aws.config.on(GetOrganizationConformancePackDetailedStatusCommand).resolves({
      OrganizationConformancePackDetailedStatuses: [
        { AccountId: M1, ConformancePackName: 'p', Status: 'CREATE_SUCCESSFUL' },
        { AccountId: M2, ConformancePackName: 'p', Status: 'CREATE_FAILED', ErrorCode: 'NoAvailableConfigurationRecorder', ErrorMessage: 'Config is not recording' },
        { AccountId: M3, ConformancePackName: 'p', Status: 'CREATE_SUCCESSFUL' },
      ],
    });
    const err = await run(orgDeployPlan(options)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OrganizationPackError);
    expect((err as Error).message).to.equal(
      `The organization conformance pack failed in us-east-1 for ${M2} (CREATE_FAILED: NoAvailableConfigurationRecorder Config is not recording).`,
    );
  });

  it('refuses a step that sends a call its plan does not list', async () => {
    const plan = orgDeployPlan(options);
    const rogue: Plan<OrgState> = {
      ...plan,
      steps: [{ title: 'rogue', calls: [{ service: Service.Sts, operation: 'GetCallerIdentity', account: ADMIN, region: 'us-east-1' }], run: async (ctx) => void (await ctx.aws.cloudFormation('us-east-1').send(new DescribeStackSetCommand({ StackSetName: 'x' }))) }],
    };
    const err = await run(rogue).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PlanViolationError);
    expect(aws.cfn.calls()).to.have.length(0);
  });

  it('checks its inputs before planning anything', () => {
    expect(() => orgDeployPlan({ ...options, delegatedAdmin: '12345' })).to.throw(PrerequisiteError, /12-digit/);
    expect(() => orgDeployPlan({ ...options, ou: 'sales' })).to.throw(PrerequisiteError, /not an OU ID/);
    expect(() => orgDeployPlan({ ...options, regions: ['us-east-1', 'us-east-1'] })).to.throw(PrerequisiteError, /twice/);
    expect(() => orgDeployPlan({ ...options, regions: ['mars-1'] })).to.throw(PrerequisiteError, /not a region name/);
  });

  describe('--exemption-approvers (exemption service control policy)', () => {
    const APPROVER = `arn:aws:iam::${ADMIN}:role/security/ExemptionApprover`;
    const withScp: OrgDeployOptions = { ...options, exemptionApprovers: [APPROVER] };
    const NAME = 'hipaa-safeguards-prod-exemption-tags';
    const content = () => exemptionScpContent(catalog, [APPROVER]);
    const description = 'HIPAA Safeguards (stage prod): only the named approvers may add, change or remove hipaa-safeguards:exempt* tags.';
    beforeEach(() => {
      aws.orgs.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-ab12', PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] }] });
      aws.orgs
        .on(ListPoliciesCommand, { NextToken: undefined })
        .resolves({ Policies: [{ Id: 'p-FullAWSAccess', Name: 'FullAWSAccess' }], NextToken: 'p2' })
        .on(ListPoliciesCommand, { NextToken: 'p2' })
        .resolves({ Policies: [] });
      aws.orgs.on(CreatePolicyCommand).resolves({ Policy: { PolicySummary: { Id: 'p-exempt0001', Name: NAME } } });
      aws.orgs.on(ListTargetsForPolicyCommand).resolves({ Targets: [] });
      aws.orgs.on(AttachPolicyCommand).resolves({});
    });
    const orgsOperations = () => aws.orgs.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
    const existing = (policyContent: string, targets: string[]) => {
      aws.orgs.on(ListPoliciesCommand, { NextToken: 'p2' }).resolves({ Policies: [{ Id: 'p-exempt0001', Name: NAME }] });
      aws.orgs.on(DescribePolicyCommand).resolves({ Policy: { Content: policyContent, PolicySummary: { Id: 'p-exempt0001', Name: NAME, Description: description } } });
      aws.orgs.on(UpdatePolicyCommand).resolves({});
      aws.orgs.on(ListTargetsForPolicyCommand).resolves({ Targets: targets.map((TargetId) => ({ TargetId })) });
    };

    it('creates the policy from the catalog with the approvers and attaches it to the OU, before any spoke or hub', async () => {
      // Act
      const { calls } = await run(orgDeployPlan(withScp));
      // Assert
      expect(names(calls).filter((n) => n.startsWith('3 '))).to.deep.equal([
        '3 organizations:ListRoots us-east-1',
        '3 organizations:ListPolicies us-east-1',
        '3 organizations:ListPolicies us-east-1',
        '3 organizations:CreatePolicy us-east-1',
        '3 organizations:ListTargetsForPolicy us-east-1',
        '3 organizations:AttachPolicy us-east-1',
      ]);
      expect(aws.orgs.commandCalls(CreatePolicyCommand)[0]?.args[0].input).to.deep.equal({ Name: NAME, Description: description, Type: 'SERVICE_CONTROL_POLICY', Content: content() });
      expect(aws.orgs.commandCalls(AttachPolicyCommand)[0]?.args[0].input).to.deep.equal({ PolicyId: 'p-exempt0001', TargetId: OU });
      const first = (service: string) => calls.findIndex((c) => c.service === service);
      expect(calls.findIndex((c) => c.operation === 'AttachPolicy')).to.be.below(Math.min(first('s3'), first('cloudformation'), first('command')));
    });

    it('is idempotent: an attached policy with the same content is left alone', async () => {
      existing(content(), ['r-other', OU]);
      await run(orgDeployPlan(withScp));
      expect(orgsOperations()).to.not.include.oneOf(['CreatePolicy', 'UpdatePolicy', 'AttachPolicy']);
    });

    it('updates the content when the approvers or the catalog changed, and attaches it where it is missing', async () => {
      existing(exemptionScpContent(catalog, ['arn:aws:iam::111111111111:role/FormerApprover']), []);
      await run(orgDeployPlan(withScp));
      expect(aws.orgs.commandCalls(UpdatePolicyCommand).map((c) => c.args[0].input)).to.deep.equal([{ PolicyId: 'p-exempt0001', Description: description, Content: content() }]);
      expect(aws.orgs.commandCalls(CreatePolicyCommand)).to.have.length(0);
      expect(aws.orgs.commandCalls(AttachPolicyCommand)).to.have.length(1);
    });

    it('stops before deploying anything when SCPs are not enabled in the root, naming the command that enables them', async () => {
      aws.orgs.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-ab12', PolicyTypes: [] }] });
      const err = await run(orgDeployPlan(withScp)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(PrerequisiteError);
      expect((err as Error).message).to.include('aws organizations enable-policy-type --root-id r-ab12 --policy-type SERVICE_CONTROL_POLICY');
      expect(aws.orgs.commandCalls(CreatePolicyCommand)).to.have.length(0);
      for (const m of [aws.s3, aws.cfn, aws.config]) expect(m.calls()).to.have.length(0);
    });

    it('from a delegated administrator without a delegation policy: says what to delegate, deploys nothing', async () => {
      aws.orgs.on(ListPoliciesCommand).rejects(new AccessDeniedException({ message: 'You don\'t have permissions to access this resource.', $metadata: {} }));
      const runner = fakeRunner();
      const err = await run(orgDeployPlan(withScp), runner).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(PrerequisiteError);
      expect((err as Error).message).to.match(new RegExp(`^Account ${ADMIN} may not manage service control policies`));
      expect((err as Error).message).to.include('organizations:CreatePolicy, organizations:UpdatePolicy, organizations:ListTargetsForPolicy, organizations:AttachPolicy');
      expect((err as Error).message).to.include('aws organizations put-resource-policy');
      for (const m of [aws.s3, aws.cfn, aws.config]) expect(m.calls()).to.have.length(0);
      expect(runner.runs).to.deep.equal([]);
    });

    it('makes no policy call without --exemption-approvers', async () => {
      await run(orgDeployPlan(options));
      expect(orgsOperations()).to.not.include.oneOf(['ListRoots', 'ListPolicies', 'CreatePolicy', 'UpdatePolicy', 'AttachPolicy']);
    });

    it('refuses approvers the policy cannot hold before planning anything, naming the flag', () => {
      expect(() => orgDeployPlan({ ...options, exemptionApprovers: ['arn:aws:iam::*:role/*'] })).to.throw(PrerequisiteError, '--exemption-approvers: "arn:aws:iam::*:role/*" matches every role');
      expect(() => orgDeployPlan({ ...options, exemptionApprovers: [] })).to.throw(PrerequisiteError, '--exemption-approvers names no principal.');
    });
  });

  describe('--prevention-mode (the spokes\' CloudFormation hook)', () => {
    const hookDir = mkdtempSync(join(tmpdir(), 'hipaa-hook-test-'));
    const zip = Buffer.from('PK\u0003\u0004 the hook bundle');
    writeFileSync(join(hookDir, 'cloudformation-hook.zip'), zip);
    const hookKey = `prod/hook/cloudformation-hook-${createHash('sha256').update(zip).digest('hex').slice(0, 16)}.zip`;
    const prefix = `awsconfigconforms-hipaa-safeguards-${ADMIN}`;
    const withHook: OrgDeployOptions = { ...options, preventionMode: 'FAIL', hookPackageDir: hookDir };
    const hookParameters = (mode: string, onUnknown: string) => [
      { ParameterKey: 'PreventionMode', ParameterValue: mode },
      { ParameterKey: 'PreventionOnUnknown', ParameterValue: onUnknown },
      { ParameterKey: 'HookCodeBucketPrefix', ParameterValue: prefix },
      { ParameterKey: 'HookCodeKey', ParameterValue: hookKey },
    ];

    it('packages the hook Lambda once, before the buckets, and uploads its zip content-addressed to every region\'s bucket', async () => {
      const { calls, runner, state } = await run(orgDeployPlan(withHook));
      expect(names(calls).filter((n) => /^[4-6] /.test(n))).to.deep.equal([
        '4 command:sls package us-east-1',
        ...['5 us-east-1', '6 eu-west-1'].flatMap((sr) => {
          const [step, r] = sr.split(' ');
          const at = (op: string) => `${step} s3:${op} ${r}`;
          return [
            at('HeadBucket'),
            at('CreateBucket'),
            at('HeadBucket'),
            at('PutPublicAccessBlock'),
            at('PutBucketVersioning'),
            at('PutBucketPolicy'),
            at('PutObject'),
            ...(r === 'us-east-1' ? [at('PutObject')] : []),
            at('PutObject'),
          ];
        }),
      ]);
      // The single-account variant is the package with the hook function; only its zip is used, nothing is deployed.
      const [hookPackage] = runner.runs;
      expect(hookPackage?.args).to.include.members(['package', '--stage', 'prod', '--region', 'us-east-1', '--param=mode=single', '--param=preventionMode=FAIL', '--package', hookDir]);
      expect(paramOf(hookPackage?.args ?? [], 'preventionOnUnknown')).to.equal('BLOCK');
      expect(runner.runs.filter((r) => r.args.includes('--param=mode=single'))).to.have.length(1);
      expect(state.hookCode?.key).to.equal(hookKey);
      const uploads = aws.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input).filter((i) => i.Key === hookKey);
      expect(uploads.map((u) => u.Bucket)).to.deep.equal(REGIONS.map((r) => `${prefix}-${r}`));
      for (const u of uploads) {
        expect(Buffer.compare(u.Body as Buffer, zip)).to.equal(0);
        expect(u).to.deep.include({ ContentType: 'application/zip', ServerSideEncryption: 'AES256', ExpectedBucketOwner: ADMIN });
      }
    });

    it('lets only the StackSet execution roles of the organization read the hook code, and keeps the pack statement', async () => {
      await run(orgDeployPlan(withHook));
      for (const [i, region] of REGIONS.entries()) {
        const bucket = `${prefix}-${region}`;
        const policy = JSON.parse(String(aws.s3.commandCalls(PutBucketPolicyCommand)[i]?.args[0].input.Policy)) as { Statement: { Sid: string }[] };
        expect(policy.Statement.map((st) => st.Sid)).to.deep.equal([
          'DenyInsecureTransport',
          'ConfigConformsRoleOfTheOrganizationReadsPackTemplates',
          'StackSetExecutionRolesOfTheOrganizationReadHookCode',
        ]);
        expect(policy.Statement[2]).to.deep.equal({
          Sid: 'StackSetExecutionRolesOfTheOrganizationReadHookCode',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*/hook/*`,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' }, ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/stacksets-exec-*' } },
        });
      }
    });

    it('passes PreventionMode, PreventionOnUnknown and the code\'s bucket prefix and key to CreateStackSet, then UpdateStackSet', async () => {
      await run(orgDeployPlan({ ...withHook, preventionMode: 'warn', preventionOnUnknown: 'ALLOW' }));
      const created = aws.cfn.commandCalls(CreateStackSetCommand)[0]?.args[0].input.Parameters ?? [];
      expect(created.slice(5)).to.deep.equal(hookParameters('WARN', 'ALLOW'));
      // The values fit the spoke's parameters (AllowedPattern) and are not the placeholders its Rule refuses.
      const declared = spokeHookParts(catalog).Parameters as Record<string, { AllowedPattern?: string; AllowedValues?: string[] }>;
      for (const p of created.slice(5)) {
        const d = declared[p.ParameterKey ?? ''];
        expect(d, p.ParameterKey).to.not.equal(undefined);
        if (d?.AllowedPattern) expect(p.ParameterValue, p.ParameterKey).to.match(new RegExp(d.AllowedPattern));
        if (d?.AllowedValues) expect(d.AllowedValues, p.ParameterKey).to.include(p.ParameterValue);
      }
      expect(created.map((p) => p.ParameterValue)).to.not.include.oneOf([HOOK_CODE_NOT_UPLOADED.key, HOOK_CODE_NOT_UPLOADED.bucketPrefix]);
      // The bucket of each region is <prefix>-<region>, as the spoke's function reads it.
      expect(`${prefix}-us-east-1`).to.equal(aws.s3.commandCalls(CreateBucketCommand)[0]?.args[0].input.Bucket);
      aws.cfn.resetHistory();
      await run(orgDeployPlan(withHook));
      expect(aws.cfn.commandCalls(UpdateStackSetCommand)[0]?.args[0].input.Parameters?.slice(5)).to.deep.equal(hookParameters('FAIL', 'BLOCK'));
    });

    it('is OFF without the flag: no hook package, no hook upload, no hook statement, no hook parameter', async () => {
      const { runner } = await run(orgDeployPlan(options));
      expect(runner.runs.filter((r) => r.args.includes('--param=mode=single'))).to.deep.equal([]);
      expect(aws.s3.commandCalls(PutObjectCommand).map((c) => String(c.args[0].input.Key))).to.not.satisfy((keys: string[]) => keys.some((k) => k.includes('/hook/')));
      expect(String(aws.s3.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy)).to.not.include('hook');
      const keys = (aws.cfn.commandCalls(CreateStackSetCommand)[0]?.args[0].input.Parameters ?? []).map((p) => p.ParameterKey);
      expect(keys).to.not.include.oneOf(['PreventionMode', 'PreventionOnUnknown', 'HookCodeBucketPrefix', 'HookCodeKey']);
      expect(orgDeployPlan({ ...options, preventionMode: 'OFF' }).steps.length).to.equal(orgDeployPlan(options).steps.length);
    });

    it('refuses values that are not choices, and --prevention-on-unknown without a hook, before planning anything', () => {
      expect(() => orgDeployPlan({ ...options, preventionMode: 'BLOCK' })).to.throw(PrerequisiteError, '--prevention-mode "BLOCK" is not one of: FAIL, WARN, OFF.');
      expect(() => orgDeployPlan({ ...options, preventionMode: 'FAIL', preventionOnUnknown: 'maybe' })).to.throw(
        PrerequisiteError,
        '--prevention-on-unknown "maybe" is not one of: BLOCK, ALLOW.',
      );
      expect(() => orgDeployPlan({ ...options, preventionOnUnknown: 'ALLOW' })).to.throw(PrerequisiteError, '--prevention-on-unknown needs --prevention-mode FAIL or WARN');
    });

    it('dry run: shows the hook package, each region\'s hook upload and policy grant, and the StackSet parameters', () => {
      const text = renderPlan(orgDeployPlan({ ...withHook, preventionMode: 'WARN' }) as Plan<unknown>);
      for (const m of aws.mocks) expect(m.calls()).to.have.length(0);
      expect(text).to.include('prevention: the spokes\' CloudFormation hook WARN (unknown: BLOCK)');
      expect(text).to.include('Package the spokes\' hook Lambda (cloudformation-hook.zip of the single-account package');
      expect(text).to.include('--param=mode=single --param=preventionMode=WARN --param=preventionOnUnknown=BLOCK');
      expect(text.match(/s3:PutObject\s.*prod\/hook\/cloudformation-hook-<sha256>\.zip/g)).to.have.length(REGIONS.length);
      expect(text.match(/s3:GetObject on \*\/hook\/\* for stacksets-exec-\* of aws:PrincipalOrgID/g)).to.have.length(REGIONS.length);
      expect(text).to.include(`PreventionMode=WARN, PreventionOnUnknown=BLOCK, HookCodeBucketPrefix=${prefix}, HookCodeKey=prod/hook/cloudformation-hook-<sha256>.zip`);
      // The hook package comes before any bucket or StackSet call.
      expect(text.indexOf('--param=mode=single')).to.be.below(text.indexOf('s3:HeadBucket'));
      const off = renderPlan(orgDeployPlan(options) as Plan<unknown>);
      expect(off).to.include('prevention: OFF, no CloudFormation hook in the spokes (pass --prevention-mode FAIL or WARN)');
      expect(off).to.not.include('/hook/');
    });

    it('lists in each step exactly the kinds of call the real run made in it', async () => {
      const plan = orgDeployPlan(withHook);
      const { calls } = await run(plan);
      plan.steps.forEach((step, i) => {
        const made = new Set(calls.filter((c) => c.step === i + 1).map((c) => `${c.service}:${c.operation}`));
        const listed = new Set(step.calls.filter((c) => c.service !== Service.Local).map((c) => `${c.service}:${c.operation}`));
        for (const m of made) expect(listed, step.title).to.include(m);
      });
    });
  });

  describe('dry run', () => {
    it('prints every call in order with its account and region, and calls nothing', () => {
      // Act
      const text = renderPlan(orgDeployPlan(options) as Plan<unknown>);
      // Assert
      for (const m of aws.mocks) expect(m.calls()).to.have.length(0);
      const callLines = text.split('\n').filter((l) => /^ {6}\S+:/.test(l));
      expect(callLines.map((l) => l.trim().split(/\s+/)[0])).to.deep.equal([
        'sts:GetCallerIdentity',
        'organizations:DescribeOrganization',
        'organizations:ListDelegatedServicesForAccount',
        'organizations:ListAccounts',
        'organizations:ListAccountsForParent',
        'organizations:ListChildren',
        'local:render',
        'local:render',
        ...REGIONS.flatMap((r) => ['s3:HeadBucket', 's3:CreateBucket', 's3:PutPublicAccessBlock', 's3:PutBucketVersioning', 's3:PutBucketPolicy', 's3:PutObject', ...(r === 'us-east-1' ? ['s3:PutObject'] : [])]),
        'cloudformation:DescribeStackSet',
        'cloudformation:CreateStackSet',
        'cloudformation:UpdateStackSet',
        'cloudformation:DescribeStackSetOperation',
        'cloudformation:ListStackSetOperationResults',
        'cloudformation:ListStackInstances',
        'cloudformation:CreateStackInstances',
        'cloudformation:DescribeStackSetOperation',
        'cloudformation:ListStackSetOperationResults',
        'cloudformation:ListStackInstances',
        'command:sls',
        'command:sls',
        'command:sls',
        'command:sls',
        'config:GetOrganizationConformancePackDetailedStatus',
        'config:GetOrganizationConformancePackDetailedStatus',
      ]);
      for (const l of callLines.filter((x) => !/local:|command:sls package/.test(x))) expect(l, l).to.match(new RegExp(`account ${ADMIN}  region (global|us-east-1|eu-west-1)`));
      expect(text).to.match(/command:sls deploy\s+account 999999999999 {2}region eu-west-1/);
      // The pack is deployed after the spokes are checked.
      expect(text.indexOf('command:sls deploy')).to.be.greaterThan(text.indexOf('any instance not SUCCEEDED stops the deployment here'));
    });

    it('lists in each step exactly the kinds of call the real run made in it', async () => {
      const plan = orgDeployPlan(options);
      const { calls } = await run(plan);
      plan.steps.forEach((step, i) => {
        const made = new Set(calls.filter((c) => c.step === i + 1).map((c) => `${c.service}:${c.operation}`));
        const listed = new Set(step.calls.filter((c) => c.service !== Service.Local).map((c) => `${c.service}:${c.operation}`));
        // Calls listed "only when..." may not happen on a fresh organization; every call made is listed.
        for (const m of made) expect(listed, step.title).to.include(m);
      });
      expect(calls.length).to.be.above(catalog.length);
    });
  });
});
