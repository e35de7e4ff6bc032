import {
  CloudFormationClient,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
} from '@aws-sdk/client-cloudformation';
import { ConfigServiceClient, GetOrganizationConformancePackDetailedStatusCommand } from '@aws-sdk/client-config-service';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  DescribePolicyCommand,
  EnablePolicyTypeCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { parse } from 'yaml';
import { awsDeployClients } from '../../scripts/lib/deploy/clients';
import { type OrgDeployOptions, orgDeployPlan } from '../../scripts/lib/deploy/org-plan';
import { executePlan } from '../../scripts/lib/deploy/plan';
import { exemptionScpContent } from '../../scripts/lib/exemption-scp';
import { catalog } from '../../rules/catalog';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { fakeClock, fakeRunner, paramOf } from '../helpers/deploy';
import { interceptClient } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';

/** moto's default account creates the organization, so it is the management account (StackSets CallAs SELF). */
const MANAGEMENT = '123456789012';
const REGIONS = ['us-east-1', 'eu-west-1'];

describe('deploy-org against moto (Organizations, S3, CloudFormation StackSets; Config answered by a fake)', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let config: AwsClientStub<ConfigServiceClient>;
  let s3Calls: ReturnType<typeof interceptClient>;
  let ou: string;
  let members: string[];
  let others: string[];
  let root: string;

  const client = <C>(Client: new (c: object) => C, region = 'us-east-1') =>
    new Client({ region, endpoint: moto.endpoint, requestHandler: new NodeHttpHandler(), ...(Client === (S3Client as unknown) ? { forcePathStyle: true } : {}) });

  beforeEach(async () => {
    moto = await useMoto();
    const orgs = client(OrganizationsClient);
    await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    root = (await orgs.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
    ou = (await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'phi-workloads' }))).OrganizationalUnit?.Id as string;
    const create = async (name: string) =>
      (await orgs.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.org` }))).CreateAccountStatus?.AccountId as string;
    members = [await create('ehr-prod'), await create('lab-prod')];
    for (const a of members) await orgs.send(new MoveAccountCommand({ AccountId: a, SourceParentId: root, DestinationParentId: ou }));
    others = [MANAGEMENT, await create('sandbox')];
    // moto 5.2.1 evaluates a bucket policy's Deny without its Condition, so the TLS-only Deny would refuse moto's plain
    // HTTP; PutBucketPolicy is answered here (its content is asserted in org-plan.test.ts), everything else reaches moto.
    s3Calls = interceptClient(S3Client, { PutBucketPolicy: () => ({}) });
    // moto has no organization conformance packs: every member account reports the pack in place.
    config = mockClient(ConfigServiceClient);
    config.on(GetOrganizationConformancePackDetailedStatusCommand).callsFake(() => ({
      OrganizationConformancePackDetailedStatuses: members.map((AccountId) => ({ AccountId, ConformancePackName: 'hipaa-safeguards-prod', Status: 'CREATE_SUCCESSFUL' })),
    }));
  });
  afterEach(() => {
    config.restore();
    s3Calls.restore();
  });

  const options = (): OrgDeployOptions => ({
    delegatedAdmin: MANAGEMENT,
    regions: REGIONS,
    ou,
    stage: 'prod',
    poll: { initialDelayMs: 10, maxDelayMs: 10, factor: 1, timeoutMs: 5_000 },
    packageDir: (r) => `/tmp/hub-${r}`,
  });
  const deploy = async (extra: Partial<OrgDeployOptions> = {}) => {
    const runner = fakeRunner();
    const result = await executePlan(orgDeployPlan({ ...options(), ...extra }), { clients: () => awsDeployClients({ endpoint: moto.endpoint }), runner, clock: fakeClock() });
    return { ...result, runner };
  };

  it('uploads the templates, deploys the spoke StackSet to the OU in every region, and hands the hub exactly the OU accounts', async () => {
    // Act
    const { state, runner } = await deploy();
    // Assert: templates in the organization-readable bucket of each region
    for (const region of REGIONS) {
      const s3 = client(S3Client, region);
      const bucket = `awsconfigconforms-hipaa-safeguards-${MANAGEMENT}-${region}`;
      const pack = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: state.pack?.key }));
      expect(await pack.Body?.transformToString()).to.equal(state.pack?.text);
      const policy = s3Calls.of('PutBucketPolicy').find((i) => i.Bucket === bucket);
      expect(String(policy?.Policy)).to.match(/"aws:PrincipalOrgID":"o-[a-z0-9]+"/);
    }
    // The StackSet, with an instance per OU account and region, built from the uploaded spoke template
    const cfn = client(CloudFormationClient);
    const set = (await cfn.send(new DescribeStackSetCommand({ StackSetName: 'hipaa-safeguards-prod-spoke' }))).StackSet;
    expect(set?.PermissionModel).to.equal('SERVICE_MANAGED');
    expect(Object.keys((parse(set?.TemplateBody ?? '') as { Resources: object }).Resources)).to.include.members(['EvaluationRole', 'HIPAANotifyNonCompliantResourceRole']);
    const instances = (await cfn.send(new ListStackInstancesCommand({ StackSetName: 'hipaa-safeguards-prod-spoke' }))).Summaries ?? [];
    expect(instances.map((i) => `${i.Account} ${i.Region}`).sort()).to.deep.equal(members.flatMap((a) => REGIONS.map((r) => `${a} ${r}`)).sort());
    // The hub serves the OU's accounts and its pack excludes the others
    const hub = runner.runs.filter((r) => r.args[0] === 'deploy');
    expect(hub).to.have.length(REGIONS.length);
    expect(paramOf(hub[0]?.args ?? [], 'memberAccounts')?.split(',')).to.deep.equal([...members].sort());
    expect(paramOf(hub[0]?.args ?? [], 'excludedAccounts')?.split(',')).to.deep.equal([...others].sort());
  });

  it('is idempotent: a second run updates the StackSet and leaves one instance per account and region', async () => {
    await deploy();
    const { calls } = await deploy();
    const ops = calls.map((c) => `${c.service}:${c.operation}`);
    expect(ops).to.include('cloudformation:UpdateStackSet');
    expect(ops).to.not.include.members(['cloudformation:CreateStackSet', 'cloudformation:CreateStackInstances', 's3:CreateBucket']);
    const instances = (await client(CloudFormationClient).send(new ListStackInstancesCommand({ StackSetName: 'hipaa-safeguards-prod-spoke' }))).Summaries ?? [];
    expect(instances).to.have.length(members.length * REGIONS.length);
  });

  it('--exemption-approvers creates the exemption SCP once, with the catalog and the approvers, attached to the OU only', async () => {
    // Arrange: SCPs enabled in the root, as the management account would have them
    const orgs = client(OrganizationsClient);
    await orgs.send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: 'SERVICE_CONTROL_POLICY' }));
    const approvers = [`arn:aws:iam::${MANAGEMENT}:role/security/ExemptionApprover`];
    // Act: twice, to show the second run changes nothing
    await deploy({ exemptionApprovers: approvers });
    const { calls } = await deploy({ exemptionApprovers: approvers });
    // Assert
    const policies = (await orgs.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))).Policies ?? [];
    const ours = policies.filter((p) => p.Name === 'hipaa-safeguards-prod-exemption-tags');
    expect(ours).to.have.length(1);
    const described = await orgs.send(new DescribePolicyCommand({ PolicyId: ours[0]?.Id }));
    expect(described.Policy?.Content).to.equal(exemptionScpContent(catalog, approvers));
    const targets = (await orgs.send(new ListTargetsForPolicyCommand({ PolicyId: ours[0]?.Id }))).Targets ?? [];
    expect(targets.map((t) => t.TargetId)).to.deep.equal([ou]);
    for (const op of ['CreatePolicy', 'UpdatePolicy', 'AttachPolicy']) expect(calls.map((c) => c.operation)).to.not.include(op);
  });
  it('--prevention-mode FAIL uploads the hook zip to every region\'s bucket and gives the StackSet its bucket prefix and key', async () => {
    // Arrange: what sls package writes (the runner is a fake)
    const dir = mkdtempSync(join(tmpdir(), 'hipaa-hook-moto-'));
    const zip = Buffer.from('PK\u0003\u0004 hook');
    writeFileSync(join(dir, 'cloudformation-hook.zip'), zip);
    // Act
    const { state } = await deploy({ preventionMode: 'FAIL', hookPackageDir: dir });
    // Assert
    const key = state.hookCode?.key as string;
    expect(key).to.match(/^prod\/hook\/cloudformation-hook-[0-9a-f]{16}\.zip$/);
    for (const region of REGIONS) {
      const got = await client(S3Client, region).send(new GetObjectCommand({ Bucket: `awsconfigconforms-hipaa-safeguards-${MANAGEMENT}-${region}`, Key: key }));
      expect(Buffer.compare(Buffer.from(await got.Body?.transformToByteArray() ?? []), zip)).to.equal(0);
    }
    const set = (await client(CloudFormationClient).send(new DescribeStackSetCommand({ StackSetName: 'hipaa-safeguards-prod-spoke' }))).StackSet;
    const params = Object.fromEntries((set?.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
    expect(params).to.deep.include({
      PreventionMode: 'FAIL',
      PreventionOnUnknown: 'BLOCK',
      HookCodeBucketPrefix: `awsconfigconforms-hipaa-safeguards-${MANAGEMENT}`,
      HookCodeKey: key,
    });
  });
});
