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
import { expect } from 'chai';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { awsDeployClients } from '../../scripts/lib/deploy/clients';
import { WrongAccountError } from '../../scripts/lib/deploy/errors';
import { type Plan, executePlan, renderPlan } from '../../scripts/lib/deploy/plan';
import { type SingleState, singleDeployPlan } from '../../scripts/lib/deploy/single-plan';
import { fakeClock, fakeRunner, paramOf } from '../helpers/deploy';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const BUCKET = `awsconfigconforms-hipaa-safeguards-${ACCOUNT}-${REGION}`;

describe('deploy plan, single account (scripts/lib/deploy/single-plan.ts)', () => {
  let sts: AwsClientStub<STSClient>;
  let s3: AwsClientStub<S3Client>;
  let exists: boolean;

  beforeEach(() => {
    exists = false;
    sts = mockClient(STSClient);
    s3 = mockClient(S3Client);
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
    s3.on(HeadBucketCommand).callsFake(() => {
      if (!exists) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
      return {};
    });
    s3.on(CreateBucketCommand).callsFake(() => {
      exists = true;
      return {};
    });
    s3.on(PutPublicAccessBlockCommand).resolves({});
    s3.on(PutBucketPolicyCommand).resolves({});
    s3.on(PutBucketVersioningCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
  });
  afterEach(() => {
    sts.restore();
    s3.restore();
  });

  const run = async (plan: Plan<SingleState>) => {
    const runner = fakeRunner();
    const result = await executePlan(plan, { clients: () => awsDeployClients(), runner, clock: fakeClock() });
    return { ...result, runner };
  };
  const plan = () => singleDeployPlan({ region: REGION, stage: 'dev', packageDir: () => '/tmp/single' });

  it('uploads the pack to a new bucket in the region, then packages and deploys with its S3 URI', async () => {
    // Act
    const { calls, runner, state } = await run(plan());
    // Assert
    expect(calls.map((c) => `${c.service}:${c.operation}`)).to.deep.equal([
      'sts:GetCallerIdentity',
      's3:HeadBucket',
      's3:CreateBucket',
      's3:HeadBucket',
      's3:PutPublicAccessBlock',
      's3:PutBucketVersioning',
      's3:PutBucketPolicy',
      's3:PutObject',
      'command:sls package',
      'command:sls deploy',
    ]);
    expect(s3.commandCalls(CreateBucketCommand)[0]?.args[0].input).to.deep.equal({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).to.deep.include({ Bucket: BUCKET, Key: state.pack?.key, ExpectedBucketOwner: ACCOUNT, ServerSideEncryption: 'AES256' });
    expect(state.pack?.key).to.match(/^dev\/conformance-packs\/hipaa-safeguards-[0-9a-f]{16}\.yaml$/);
    const policy = JSON.parse(String(s3.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy)) as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid)).to.deep.equal(['DenyInsecureTransport']);
    expect(runner.runs.map((r) => [r.command, r.args[0], paramOf(r.args, 'mode'), paramOf(r.args, 'packTemplateS3Uri')])).to.deep.equal([
      ['sls', 'package', 'single', `s3://${BUCKET}/${state.pack?.key}`],
      ['sls', 'deploy', 'single', `s3://${BUCKET}/${state.pack?.key}`],
    ]);
  });

  it('reuses the bucket on a second run', async () => {
    await run(plan());
    s3.resetHistory();
    await run(plan());
    expect(s3.commandCalls(CreateBucketCommand)).to.have.length(0);
    expect(s3.commandCalls(PutObjectCommand)).to.have.length(1);
  });

  it('changes nothing when --account names another account than the credentials\'', async () => {
    const err = await run(singleDeployPlan({ region: REGION, stage: 'dev', account: '210987654321' })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(WrongAccountError);
    expect(s3.calls()).to.have.length(0);
  });

  it('prints its calls with the account and region for a dry run', () => {
    const text = renderPlan(singleDeployPlan({ region: REGION, stage: 'dev', account: ACCOUNT }) as Plan<unknown>);
    expect(text).to.include(`s3:CreateBucket`);
    expect(text).to.match(new RegExp(`sts:GetCallerIdentity\\s+account ${ACCOUNT}  region ${REGION}`));
    expect(text).to.match(new RegExp(`command:sls deploy\\s+account ${ACCOUNT}  region ${REGION}`));
    expect(sts.calls()).to.have.length(0);
  });
});
