import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { type Artifact, artifactBucketName, ensureBucket, packArtifact, s3Uri, upload } from './artifacts';
import { PrerequisiteError, WrongAccountError } from './errors';
import { ACCOUNT_ID, REGION, SERVICE_NAME, STAGE } from './org-plan';
import { type Plan, Service, type Step, securityHubSummary } from './plan';

export interface SingleDeployOptions {
  readonly region: string;
  readonly stage: string;
  /** When given, the credentials must be of this account (and the dry run can name it). */
  readonly account?: string;
  readonly reservedConcurrency?: number;
  /** Deploy-time option: the rule roles may import ASFF findings (rule parameter importSecurityHubFindings). */
  readonly importSecurityHubFindings?: boolean;
  readonly profile?: string;
  readonly packageDir?: () => string;
}

export interface SingleState {
  account?: string;
  pack?: Artifact;
  packageDir?: string;
}

/**
 * `safeguards deploy`: one account and region. The pack goes to the account's artifact bucket (TemplateS3Uri, so it
 * may grow past the 51,200-byte TemplateBody limit), then serverless packages and deploys everything else.
 */
export function singleDeployPlan(o: SingleDeployOptions): Plan<SingleState> {
  if (!REGION.test(o.region)) throw new PrerequisiteError(`--region "${o.region}" is not a region name such as us-east-1.`);
  if (!STAGE.test(o.stage)) throw new PrerequisiteError(`--stage "${o.stage}" must be 1-16 lowercase letters, digits or dashes, starting with a letter.`);
  if (o.account !== undefined && !ACCOUNT_ID.test(o.account)) throw new PrerequisiteError(`--account "${o.account}" is not a 12-digit account ID.`);
  const shown = o.account ?? '<the credentials\' account>';
  const bucketShown = o.account ? artifactBucketName(SERVICE_NAME, o.account, o.region) : `awsconfigconforms-${SERVICE_NAME}-<account>-${o.region}`;
  const args = (state: SingleState | undefined): string[] => {
    const pack =
      state?.account && state.pack
        ? s3Uri(artifactBucketName(SERVICE_NAME, state.account, o.region), state.pack.key)
        : `s3://${bucketShown}/${o.stage}/conformance-packs/hipaa-safeguards-<sha256>.yaml`;
    return [
      '--stage',
      o.stage,
      '--region',
      o.region,
      '--param=mode=single',
      `--param=packTemplateS3Uri=${pack}`,
      ...(o.reservedConcurrency !== undefined ? [`--param=reservedConcurrency=${o.reservedConcurrency}`] : []),
      ...(o.importSecurityHubFindings ? ['--param=importSecurityHubFindings=true'] : []),
      ...(o.profile ? ['--aws-profile', o.profile] : []),
    ];
  };
  const steps: Step<SingleState>[] = [
    {
      title: 'Read the account of the credentials',
      calls: [{ service: Service.Sts, operation: 'GetCallerIdentity', account: shown, region: o.region }],
      async run(ctx) {
        const me = await ctx.aws.sts(o.region).send(new GetCallerIdentityCommand({}));
        if (!me.Account) throw new PrerequisiteError('GetCallerIdentity returned no account.');
        if (o.account && me.Account !== o.account) throw new WrongAccountError(`The credentials are of account ${me.Account}; --account is ${o.account}. Nothing was changed.`);
        ctx.state.account = me.Account;
      },
    },
    {
      title: 'Check the committed conformance pack against the catalog (local, no call)',
      calls: [{ service: Service.Local, operation: 'render conformance-packs/hipaa-safeguards.yaml', account: '-', region: '-' }],
      async run(ctx) {
        ctx.state.pack = packArtifact(o.stage);
      },
    },
    {
      title: `Artifact bucket ${bucketShown}: upload the conformance pack template`,
      calls: [
        { service: Service.S3, operation: 'HeadBucket', account: shown, region: o.region, note: 'and again after CreateBucket, until it exists' },
        { service: Service.S3, operation: 'CreateBucket', account: shown, region: o.region, note: 'only when the bucket is missing' },
        { service: Service.S3, operation: 'PutPublicAccessBlock', account: shown, region: o.region },
        { service: Service.S3, operation: 'PutBucketVersioning', account: shown, region: o.region, note: 'Enabled' },
        { service: Service.S3, operation: 'PutBucketPolicy', account: shown, region: o.region, note: 'TLS only' },
        { service: Service.S3, operation: 'PutObject', account: shown, region: o.region, note: `${o.stage}/conformance-packs/hipaa-safeguards-<sha256>.yaml` },
      ],
      async run(ctx) {
        const account = ctx.state.account as string;
        const bucket = artifactBucketName(SERVICE_NAME, account, o.region);
        const s3 = ctx.aws.s3(o.region);
        await ensureBucket(s3, bucket, o.region, account);
        await upload(s3, bucket, account, ctx.state.pack as Artifact);
      },
    },
    {
      title: `Package (local: esbuild, no call)`,
      calls: [{ service: Service.Command, operation: 'sls package', account: '-', region: o.region, note: args(undefined).join(' ') }],
      async run(ctx) {
        ctx.state.packageDir = o.packageDir?.() ?? mkdtempSync(join(tmpdir(), `hipaa-single-${o.region}-`));
        await ctx.command('sls package', [...args(ctx.state), '--package', ctx.state.packageDir]);
      },
    },
    {
      title: 'Deploy: Lambdas, roles, SSM documents, remediation role, conformance pack',
      calls: [{ service: Service.Command, operation: 'sls deploy', account: shown, region: o.region, note: `CloudFormation stack ${SERVICE_NAME}-${o.stage}` }],
      async run(ctx) {
        await ctx.command('sls deploy', [...args(ctx.state), '--package', ctx.state.packageDir as string]);
      },
    },
  ];
  return {
    title: `safeguards deploy plan (stage ${o.stage})`,
    summary: [`account ${shown}; region ${o.region}`, securityHubSummary(o.importSecurityHubFindings)],
    steps,
    initialState: () => ({}),
  };
}
