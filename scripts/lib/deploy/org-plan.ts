import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallAs } from '@aws-sdk/client-cloudformation';
import { type OrganizationConformancePackDetailedStatus, paginateGetOrganizationConformancePackDetailedStatus } from '@aws-sdk/client-config-service';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { catalog } from '../../../rules/catalog';
import { PreventionMode, UnknownPolicy } from '../../../rules/hooks/settings';
import { ExemptionScpError, exemptionScpContent, parseApprovers } from '../exemption-scp';
import { HOOK_FUNCTION_KEY, SpokeHookParameter } from '../hook-resources';
import { hubRolePath } from '../serverless-resources';
import { DEFAULT_EVALUATION_ROLE_NAME, SpokeParameter } from '../spoke-template';
import {
  type Artifact,
  type HookCode,
  artifactBucketName,
  artifactBucketPrefix,
  ensureBucket,
  hookCodeArtifact,
  httpsUrl,
  packArtifact,
  s3Uri,
  spokeArtifact,
  upload,
  uploadHookCode,
} from './artifacts';
import { OrganizationPackError, PrerequisiteError, WrongAccountError } from './errors';
import { accountsUnder, activeAccounts, checkDelegatedAdmin, describeOrganization, ensureServiceControlPolicy } from './organization';
import { type PlannedCall, type Plan, Service, type Step, securityHubSummary } from './plan';
import { DEFAULT_POLL, type PollPolicy, pollUntil } from './poll';
import { createInstances, createOrUpdateStackSet, listInstances, missingRegions, readySpokeAccounts } from './stackset';

export const SERVICE_NAME = 'hipaa-safeguards';

export interface OrgDeployOptions {
  readonly delegatedAdmin: string;
  /** The first region is the StackSet's home region. */
  readonly regions: readonly string[];
  readonly ou: string;
  readonly stage: string;
  readonly evaluationRoleName?: string;
  /**
   * Deploy-time option: whether the rules may import ASFF findings (rule parameter importSecurityHubFindings). Only
   * then do the spoke evaluation roles hold the Security Hub calls. Default false.
   */
  readonly importSecurityHubFindings?: boolean;
  readonly reservedConcurrency?: number;
  /**
   * IAM role or user ARNs that alone may add, change or remove `hipaa-safeguards:exempt*` tags. When set, the
   * exemption service control policy is created (or updated) and attached to `ou` before anything is deployed.
   */
  readonly exemptionApprovers?: readonly string[];
  /** Passed to serverless as --aws-profile (the SDK calls take it through DeployClients). */
  readonly profile?: string;
  /** StackSet operations and the organization conformance pack rollout. */
  readonly poll?: PollPolicy;
  /** Where each region's hub package is written; default: a new temporary directory. */
  readonly packageDir?: (region: string) => string;
  /**
   * The spokes' CloudFormation hook (spoke parameter PreventionMode): FAIL or WARN packages the hook Lambda, uploads
   * its zip to every region's artifact bucket and passes it to the StackSet; OFF (the default) deploys no hook.
   */
  readonly preventionMode?: string;
  /** BLOCK (the default) or ALLOW: what the hook does with a safeguard it cannot verify (spoke PreventionOnUnknown). */
  readonly preventionOnUnknown?: string;
  /** Where the hook Lambda package is written; default: a new temporary directory. */
  readonly hookPackageDir?: string;
}

/** What the steps learn and hand on. */
export interface OrgState {
  organizationId?: string;
  callAs?: CallAs;
  allAccounts?: string[];
  ouAccounts?: string[];
  pack?: Artifact;
  spoke?: Artifact;
  hookCode?: HookCode;
  memberAccounts?: string[];
  excludedAccounts?: string[];
  packageDirs: Record<string, string>;
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`Plan bug: ${what} is not known yet.`);
  return value;
};

export const ACCOUNT_ID = /^\d{12}$/;
export const OU_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const STAGE = /^[a-z][a-z0-9-]{0,15}$/;

/** One of `allowed` (case-insensitive), or a PrerequisiteError naming the flag. */
function choice<T extends string>(flag: string, value: string | undefined, allowed: Record<string, T>, fallback: T): T {
  if (value === undefined) return fallback;
  const found = Object.values(allowed).find((a) => a === value.trim().toUpperCase());
  if (!found) throw new PrerequisiteError(`${flag} "${value}" is not one of: ${Object.values(allowed).join(', ')}.`);
  return found;
}

type ValidOrgOptions = Required<Pick<OrgDeployOptions, 'evaluationRoleName'>> &
  OrgDeployOptions & { readonly prevention: { readonly mode: PreventionMode; readonly onUnknown: UnknownPolicy } };

/** Checks the inputs (the CLI reports the error); returns them with defaults. */
export function validateOrgOptions(o: OrgDeployOptions): ValidOrgOptions {
  if (!ACCOUNT_ID.test(o.delegatedAdmin)) throw new PrerequisiteError(`--delegated-admin "${o.delegatedAdmin}" is not a 12-digit account ID.`);
  if (!OU_ID.test(o.ou)) throw new PrerequisiteError(`--ou "${o.ou}" is not an OU ID (ou-xxxx-xxxxxxxx) or root ID (r-xxxx).`);
  if (o.regions.length === 0) throw new PrerequisiteError('--regions names no region.');
  for (const r of o.regions) if (!REGION.test(r)) throw new PrerequisiteError(`--regions: "${r}" is not a region name such as us-east-1.`);
  if (new Set(o.regions).size !== o.regions.length) throw new PrerequisiteError('--regions names a region twice.');
  if (!STAGE.test(o.stage)) throw new PrerequisiteError(`--stage "${o.stage}" must be 1-16 lowercase letters, digits or dashes, starting with a letter.`);
  if (o.exemptionApprovers !== undefined) {
    try {
      exemptionScpContent(catalog, o.exemptionApprovers);
    } catch (e) {
      if (e instanceof ExemptionScpError) throw new PrerequisiteError(e.message, { cause: e });
      throw e;
    }
  }
  const mode = choice('--prevention-mode', o.preventionMode, PreventionMode, PreventionMode.Off);
  const onUnknown = choice('--prevention-on-unknown', o.preventionOnUnknown, UnknownPolicy, UnknownPolicy.Block);
  if (o.preventionOnUnknown !== undefined && mode === PreventionMode.Off) {
    throw new PrerequisiteError('--prevention-on-unknown needs --prevention-mode FAIL or WARN (without it the spokes run no hook).');
  }
  return { ...o, evaluationRoleName: o.evaluationRoleName ?? DEFAULT_EVALUATION_ROLE_NAME, prevention: { mode, onUnknown } };
}

export const stackSetName = (stage: string) => `${SERVICE_NAME}-${stage}-spoke`;
export const orgPackName = (stage: string) => `${SERVICE_NAME}-${stage}`;
export const exemptionScpName = (stage: string) => `${SERVICE_NAME}-${stage}-exemption-tags`;

/** The serverless arguments of the hub in one region (the same for package and deploy). */
export function hubArguments(o: OrgDeployOptions & { evaluationRoleName: string }, region: string, state: OrgState | undefined): string[] {
  const bucket = artifactBucketName(SERVICE_NAME, o.delegatedAdmin, region);
  const members = state?.memberAccounts ? state.memberAccounts.join(',') : '<accounts whose spokes SUCCEEDED>';
  const excluded = state?.excludedAccounts ? state.excludedAccounts.join(',') : '<every other account of the organization>';
  const pack = state?.pack ? s3Uri(bucket, state.pack.key) : s3Uri(bucket, `${o.stage}/conformance-packs/hipaa-safeguards-<sha256>.yaml`);
  return [
    '--stage',
    o.stage,
    '--region',
    region,
    '--param=mode=organization',
    `--param=evaluationRoleName=${o.evaluationRoleName}`,
    `--param=packTemplateS3Uri=${pack}`,
    `--param=memberAccounts=${members}`,
    `--param=excludedAccounts=${excluded}`,
    `--param=organizationId=${state?.organizationId ?? '<the organization ID>'}`,
    ...(o.reservedConcurrency !== undefined ? [`--param=reservedConcurrency=${o.reservedConcurrency}`] : []),
    ...(o.importSecurityHubFindings ? ['--param=importSecurityHubFindings=true'] : []),
    ...(o.profile ? ['--aws-profile', o.profile] : []),
  ];
}

/**
 * The serverless arguments that package the hook Lambda for the spokes: the single-account variant of the hub, the
 * only one with the hook function (`cloudformation-hook`). Only its zip is used; nothing of this package is deployed.
 * The pack goes by URI so that its size never matters here.
 */
export function hookPackageArguments(o: ValidOrgOptions, state: OrgState | undefined): string[] {
  const home = o.regions[0] as string;
  const bucket = artifactBucketName(SERVICE_NAME, o.delegatedAdmin, home);
  const pack = state?.pack ? s3Uri(bucket, state.pack.key) : s3Uri(bucket, `${o.stage}/conformance-packs/hipaa-safeguards-<sha256>.yaml`);
  return [
    '--stage',
    o.stage,
    '--region',
    home,
    '--param=mode=single',
    `--param=preventionMode=${o.prevention.mode}`,
    `--param=preventionOnUnknown=${o.prevention.onUnknown}`,
    `--param=packTemplateS3Uri=${pack}`,
    ...(o.profile ? ['--aws-profile', o.profile] : []),
  ];
}

const IN_PROGRESS = /_IN_PROGRESS$/;
const FAILED = /_FAILED$/;

/**
 * `safeguards deploy-org`: spokes first (StackSet to the OU in every region, waited for, every instance SUCCEEDED),
 * then the hub in each region (rule Lambdas, one invoke permission per ready account, organization conformance pack
 * excluding every other account), then the pack's rollout to each member account. Idempotent: an existing bucket,
 * StackSet, instances or hub stack are updated, never recreated.
 */
export function orgDeployPlan(input: OrgDeployOptions): Plan<OrgState> {
  const o = validateOrgOptions(input);
  const admin = o.delegatedAdmin;
  const home = o.regions[0] as string;
  const poll = o.poll ?? DEFAULT_POLL;
  const set = stackSetName(o.stage);
  const callAsNote = 'CallAs DELEGATED_ADMIN (SELF from the management account)';
  const at = (service: Service, operation: string, region: string, note?: string): PlannedCall => ({
    service,
    operation,
    account: admin,
    region,
    ...(note ? { note } : {}),
  });
  const minutes = Math.round(poll.timeoutMs / 60_000);
  const prevention = o.prevention.mode !== PreventionMode.Off;
  const hookKey = `${o.stage}/hook/${HOOK_FUNCTION_KEY}-<sha256>.zip`;
  const preventionNote = prevention
    ? `${SpokeHookParameter.PreventionMode}=${o.prevention.mode}, ${SpokeHookParameter.PreventionOnUnknown}=${o.prevention.onUnknown}, ${SpokeHookParameter.HookCodeBucketPrefix}=${artifactBucketPrefix(SERVICE_NAME, admin)}, ${SpokeHookParameter.HookCodeKey}=${hookKey}`
    : `${SpokeHookParameter.PreventionMode} not passed (template default OFF: no hook)`;

  const steps: Step<OrgState>[] = [
    {
      title: `Check that the credentials are the delegated administrator's (${admin})`,
      calls: [at(Service.Sts, 'GetCallerIdentity', home)],
      async run(ctx) {
        const me = await ctx.aws.sts(home).send(new GetCallerIdentityCommand({}));
        if (me.Account !== admin) {
          throw new WrongAccountError(`The credentials are of account ${me.Account ?? 'unknown'} (${me.Arn ?? ''}); --delegated-admin is ${admin}. Nothing was changed.`);
        }
      },
    },
    {
      title: `Read the organization, the delegated administrator registrations and the accounts under ${o.ou}`,
      calls: [
        at(Service.Organizations, 'DescribeOrganization', 'global', 'all features must be enabled'),
        at(Service.Organizations, 'ListDelegatedServicesForAccount', 'global', `every page; ${admin} must be registered for Config and StackSets`),
        at(Service.Organizations, 'ListAccounts', 'global', 'every page: the accounts the pack must exclude'),
        at(Service.Organizations, 'ListAccountsForParent', 'global', `every page, for ${o.ou} and each OU below it`),
        at(Service.Organizations, 'ListChildren', 'global', `every page, for ${o.ou} and each OU below it`),
      ],
      async run(ctx) {
        const orgs = ctx.aws.organizations(home);
        const org = await describeOrganization(orgs);
        await checkDelegatedAdmin(orgs, admin, org);
        ctx.state.organizationId = org.id;
        ctx.state.callAs = admin === org.managementAccount ? 'SELF' : 'DELEGATED_ADMIN';
        ctx.state.allAccounts = await activeAccounts(orgs);
        const under = await accountsUnder(orgs, o.ou);
        ctx.state.ouAccounts = under.filter((a) => ctx.state.allAccounts?.includes(a));
        ctx.progress(`Organization ${org.id}: ${ctx.state.allAccounts.length} active account(s), ${ctx.state.ouAccounts.length} under ${o.ou}.`);
      },
    },
    ...(o.exemptionApprovers
      ? [
          ((approvers: readonly string[]): Step<OrgState> => {
            const name = exemptionScpName(o.stage);
            const onlyBy = approvers.join(', ');
            return {
              title: `Govern exemptions: service control policy ${name} attached to ${o.ou}; only ${onlyBy} may change hipaa-safeguards:exempt* tags`,
              calls: [
                at(Service.Organizations, 'ListRoots', 'global', 'every page; SERVICE_CONTROL_POLICY must be enabled in the root'),
                at(Service.Organizations, 'ListPolicies', 'global', `every page, SERVICE_CONTROL_POLICY, to find ${name}`),
                at(Service.Organizations, 'CreatePolicy', 'global', 'only when it is missing; content generated from the catalog (conformance-packs/hipaa-safeguards-exemption-scp.json with these approvers)'),
                at(Service.Organizations, 'DescribePolicy', 'global', 'only when it exists'),
                at(Service.Organizations, 'UpdatePolicy', 'global', 'only when its content or description differs'),
                at(Service.Organizations, 'ListTargetsForPolicy', 'global', 'every page'),
                at(Service.Organizations, 'AttachPolicy', 'global', `only when not yet attached to ${o.ou}; management account, or a delegated administrator the organization's delegation policy allows`),
              ],
              async run(ctx) {
                const out = await ensureServiceControlPolicy(ctx.aws.organizations(home), {
                  name,
                  description: `HIPAA Safeguards (stage ${o.stage}): only the named approvers may add, change or remove hipaa-safeguards:exempt* tags.`,
                  content: exemptionScpContent(catalog, approvers),
                  targetId: o.ou,
                  caller: admin,
                });
                ctx.progress(`Service control policy ${name} (${out.policyId}) ${out.policy}, ${out.attachment} to ${o.ou}.`);
              },
            };
          })(parseApprovers(o.exemptionApprovers)),
        ]
      : []),
    {
      title: 'Check the committed conformance pack and spoke templates against the catalog (local, no call)',
      calls: [
        { service: Service.Local, operation: 'render conformance-packs/hipaa-safeguards.yaml', account: '-', region: '-' },
        { service: Service.Local, operation: 'render conformance-packs/hipaa-safeguards-spoke.yaml', account: '-', region: '-' },
      ],
      async run(ctx) {
        ctx.state.pack = packArtifact(o.stage);
        ctx.state.spoke = spokeArtifact(o.stage);
      },
    },
    ...(prevention
      ? [
          {
            title: `Package the spokes' hook Lambda (${HOOK_FUNCTION_KEY}.zip of the single-account package; local: esbuild, no call)`,
            calls: [{ service: Service.Command, operation: 'sls package', account: '-', region: home, note: hookPackageArguments(o, undefined).join(' ') }],
            async run(ctx) {
              const dir = o.hookPackageDir ?? mkdtempSync(join(tmpdir(), 'hipaa-hook-'));
              await ctx.command('sls package', [...hookPackageArguments(o, ctx.state), '--package', dir]);
              ctx.state.hookCode = hookCodeArtifact(join(dir, `${HOOK_FUNCTION_KEY}.zip`), o.stage);
              ctx.progress(`Hook Lambda packaged: ${ctx.state.hookCode.key} (${ctx.state.hookCode.bytes.length} bytes).`);
            },
          } satisfies Step<OrgState>,
        ]
      : []),
    ...o.regions.map(
      (region): Step<OrgState> => {
        const bucket = artifactBucketName(SERVICE_NAME, admin, region);
        return {
          title: `Artifact bucket ${bucket}: Config's conformance-pack role in the organization may read the pack template${
            prevention ? ", the StackSet execution roles the hook's code" : ''
          }`,
          calls: [
            at(Service.S3, 'HeadBucket', region, 'and again after CreateBucket, until it exists'),
            at(Service.S3, 'CreateBucket', region, 'only when the bucket is missing'),
            at(Service.S3, 'PutPublicAccessBlock', region),
            at(Service.S3, 'PutBucketVersioning', region, 'Enabled'),
            at(
              Service.S3,
              'PutBucketPolicy',
              region,
              `TLS only; s3:GetObject on */conformance-packs/* for AWSServiceRoleForConfigConforms of aws:PrincipalOrgID${
                prevention ? '; s3:GetObject on */hook/* for stacksets-exec-* of aws:PrincipalOrgID' : ''
              }`,
            ),
            at(Service.S3, 'PutObject', region, `${o.stage}/conformance-packs/hipaa-safeguards-<sha256>.yaml`),
            ...(region === home ? [at(Service.S3, 'PutObject', region, `${o.stage}/spoke/hipaa-safeguards-spoke-<sha256>.yaml`)] : []),
            ...(prevention ? [at(Service.S3, 'PutObject', region, `${hookKey}: the spokes' hook Lambda code in ${region}`)] : []),
          ],
          async run(ctx) {
            const s3 = ctx.aws.s3(region);
            const how = await ensureBucket(s3, bucket, region, admin, need(ctx.state.organizationId, 'the organization ID'), prevention);
            await upload(s3, bucket, admin, need(ctx.state.pack, 'the pack'));
            if (region === home) await upload(s3, bucket, admin, need(ctx.state.spoke, 'the spoke template'));
            if (prevention) await uploadHookCode(s3, bucket, admin, need(ctx.state.hookCode, 'the hook code'));
            ctx.progress(`Bucket ${bucket} ${how}; ${prevention ? 'templates and hook code' : 'templates'} uploaded.`);
          },
        };
      },
    ),
    {
      title: `Create or update the service-managed StackSet ${set} (automatic deployment) in ${home}`,
      calls: [
        at(Service.CloudFormation, 'DescribeStackSet', home, callAsNote),
        at(Service.CloudFormation, 'CreateStackSet', home, `only when the StackSet is missing; ${SpokeParameter.ImportSecurityHubFindings}=${String(o.importSecurityHubFindings ?? false)}; ${preventionNote}`),
        at(Service.CloudFormation, 'UpdateStackSet', home, `only when it exists: every existing instance gets the new template; ${SpokeParameter.ImportSecurityHubFindings}=${String(o.importSecurityHubFindings ?? false)}; ${preventionNote}`),
        at(Service.CloudFormation, 'DescribeStackSetOperation', home, `after UpdateStackSet, polled with backoff until it ends, at most ${minutes} min`),
        at(Service.CloudFormation, 'ListStackSetOperationResults', home, 'every page, only when the operation failed'),
      ],
      async run(ctx) {
        const bucket = artifactBucketName(SERVICE_NAME, admin, home);
        const how = await createOrUpdateStackSet(
          ctx.aws.cloudFormation(home),
          {
            name: set,
            description: `HIPAA Safeguards spoke roles and remediation documents for the hub in ${admin} (stage ${o.stage}).`,
            templateUrl: httpsUrl(bucket, home, need(ctx.state.spoke, 'the spoke template').key),
            parameters: [
              { ParameterKey: SpokeParameter.HubAccountId, ParameterValue: admin },
              { ParameterKey: SpokeParameter.HubRolePath, ParameterValue: hubRolePath(SERVICE_NAME, o.stage) },
              { ParameterKey: SpokeParameter.EvaluationRoleName, ParameterValue: o.evaluationRoleName },
              { ParameterKey: SpokeParameter.HubStage, ParameterValue: o.stage },
              { ParameterKey: SpokeParameter.ImportSecurityHubFindings, ParameterValue: String(o.importSecurityHubFindings ?? false) },
              ...(prevention
                ? [
                    { ParameterKey: SpokeHookParameter.PreventionMode, ParameterValue: o.prevention.mode },
                    { ParameterKey: SpokeHookParameter.PreventionOnUnknown, ParameterValue: o.prevention.onUnknown },
                    { ParameterKey: SpokeHookParameter.HookCodeBucketPrefix, ParameterValue: artifactBucketPrefix(SERVICE_NAME, admin) },
                    { ParameterKey: SpokeHookParameter.HookCodeKey, ParameterValue: need(ctx.state.hookCode, 'the hook code').key },
                  ]
                : []),
            ],
            callAs: need(ctx.state.callAs, 'CallAs'),
          },
          poll,
          ctx.clock,
        );
        ctx.progress(`StackSet ${set} ${how}.`);
      },
    },
    {
      title: `Deploy the spoke to every account of ${o.ou} in ${o.regions.join(', ')} and wait`,
      calls: [
        at(Service.CloudFormation, 'ListStackInstances', home, 'every page'),
        at(Service.CloudFormation, 'CreateStackInstances', home, `only for regions without instances; targets every account of ${o.ou} in them`),
        at(Service.CloudFormation, 'DescribeStackSetOperation', home, `polled with backoff until it ends, at most ${minutes} min`),
        at(Service.CloudFormation, 'ListStackSetOperationResults', home, 'every page, only when the operation failed'),
      ],
      async run(ctx) {
        const cfn = ctx.aws.cloudFormation(home);
        const callAs = need(ctx.state.callAs, 'CallAs');
        const missing = missingRegions(await listInstances(cfn, set, callAs), o.ou, need(ctx.state.ouAccounts, 'the OU accounts'), o.regions);
        if (missing.length === 0) {
          ctx.progress(`Every region already has ${o.ou}'s instances; UpdateStackSet updated them.`);
          return;
        }
        await createInstances(cfn, set, o.ou, missing, callAs, poll, ctx.clock);
        ctx.progress(`Spoke instances created in ${missing.join(', ')}.`);
      },
    },
    {
      title: 'Check that every spoke stack instance SUCCEEDED before any conformance pack is deployed',
      calls: [at(Service.CloudFormation, 'ListStackInstances', home, 'every page; any instance not SUCCEEDED stops the deployment here')],
      async run(ctx) {
        const instances = await listInstances(ctx.aws.cloudFormation(home), set, need(ctx.state.callAs, 'CallAs'));
        const { ready, pending } = readySpokeAccounts(instances, need(ctx.state.ouAccounts, 'the OU accounts'), o.regions);
        if (ready.length === 0) {
          throw new PrerequisiteError(`No account under ${o.ou} has its spoke in every region (${o.regions.join(', ')}); nothing to serve.`);
        }
        if (pending.length > 0) ctx.progress(`Left out until their spoke is in every region (run deploy-org again): ${pending.join(', ')}.`);
        ctx.state.memberAccounts = ready;
        ctx.state.excludedAccounts = need(ctx.state.allAccounts, 'the accounts').filter((a) => !ready.includes(a));
      },
    },
    ...o.regions.map(
      (region): Step<OrgState> => ({
        title: `Package the hub for ${region} (local: esbuild, no call)`,
        calls: [
          {
            service: Service.Command,
            operation: 'sls package',
            account: '-',
            region,
            note: hubArguments(o, region, undefined).join(' '),
          },
        ],
        async run(ctx) {
          const dir = o.packageDir?.(region) ?? mkdtempSync(join(tmpdir(), `hipaa-hub-${region}-`));
          ctx.state.packageDirs[region] = dir;
          await ctx.command('sls package', [...hubArguments(o, region, ctx.state), '--package', dir]);
        },
      }),
    ),
    ...o.regions.map(
      (region): Step<OrgState> => ({
        title: `Deploy the hub in ${region}: rule Lambdas, invoke permissions per member account, organization conformance pack`,
        calls: [
          {
            service: Service.Command,
            operation: 'sls deploy',
            account: admin,
            region,
            note: `CloudFormation stack ${SERVICE_NAME}-${o.stage}; --package <the package of the previous step>`,
          },
        ],
        async run(ctx) {
          await ctx.command('sls deploy', [...hubArguments(o, region, ctx.state), '--package', need(ctx.state.packageDirs[region], 'the package')]);
        },
      }),
    ),
    ...o.regions.map(
      (region): Step<OrgState> => ({
        title: `Wait for the organization conformance pack ${orgPackName(o.stage)} in every member account in ${region}`,
        calls: [
          at(Service.Config, 'GetOrganizationConformancePackDetailedStatus', region, `every page, polled with backoff until no account is in progress, at most ${minutes} min`),
        ],
        async run(ctx) {
          const config = ctx.aws.config(region);
          const members = need(ctx.state.memberAccounts, 'the member accounts');
          const read = async () => {
            const statuses: OrganizationConformancePackDetailedStatus[] = [];
            for await (const page of paginateGetOrganizationConformancePackDetailedStatus({ client: config }, { OrganizationConformancePackName: orgPackName(o.stage) })) {
              statuses.push(...(page.OrganizationConformancePackDetailedStatuses ?? []));
            }
            return statuses.filter((s) => s.AccountId !== undefined && members.includes(s.AccountId));
          };
          const statuses = await pollUntil(
            `Organization conformance pack ${orgPackName(o.stage)} in ${region}`,
            read,
            (all) => all.length === members.length && !all.some((s) => IN_PROGRESS.test(s.Status ?? '')),
            poll,
            ctx.clock,
            (all) => `${all.filter((s) => !IN_PROGRESS.test(s.Status ?? '')).length} of ${members.length} account(s) done`,
          );
          const failed = statuses.filter((s) => FAILED.test(s.Status ?? ''));
          if (failed.length > 0) {
            throw new OrganizationPackError(
              `The organization conformance pack failed in ${region} for ${failed
                .map((s) => `${s.AccountId} (${s.Status}: ${s.ErrorCode ?? ''} ${s.ErrorMessage ?? ''})`.replace(/\s+\)/, ')'))
                .join('; ')}.`,
            );
          }
          ctx.progress(`Conformance pack ${orgPackName(o.stage)} is in place in ${statuses.length} account(s) in ${region}.`);
        },
      }),
    ),
  ];

  return {
    title: `safeguards deploy-org plan (stage ${o.stage})`,
    summary: [
      `delegated administrator ${admin}; OU ${o.ou}; regions ${o.regions.join(', ')} (StackSet home ${home})`,
      `StackSet ${set}; spoke roles ${o.evaluationRoleName}-<region> and <document>-<region>; hub role path ${hubRolePath(SERVICE_NAME, o.stage)}`,
      o.exemptionApprovers
        ? `exemption SCP ${exemptionScpName(o.stage)} on ${o.ou}; exemption approvers ${parseApprovers(o.exemptionApprovers).join(', ')}`
        : 'exemption SCP: not managed (pass --exemption-approvers to create and attach it)',
      securityHubSummary(o.importSecurityHubFindings),
      prevention
        ? `prevention: the spokes' CloudFormation hook ${o.prevention.mode} (unknown: ${o.prevention.onUnknown}); its code ${hookKey} in every region's artifact bucket`
        : 'prevention: OFF, no CloudFormation hook in the spokes (pass --prevention-mode FAIL or WARN)',
    ],
    steps,
    initialState: () => ({ packageDirs: {} }),
  };
}
