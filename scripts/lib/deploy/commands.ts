import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
// The plans and their SDK clients load when a deploy command runs, so `safeguards --help` and `scan` never pay for them.
import type { DeployClients } from './clients';
import type { OrgDeployOptions } from './org-plan';
import { type CommandRunner, type Plan, executePlan, renderPlan, spawnRunner } from './plan';

const ROOT = join(__dirname, '..', '..', '..');

export interface DeployDeps {
  readonly clients: (options: { profile?: string }) => DeployClients;
  readonly runner: CommandRunner;
}

/** `sls` is the project's own osls, whatever is on PATH. */
let awsDeployClients: ((options: { profile?: string }) => DeployClients) | undefined;
async function loadDeployClients(): Promise<void> {
  awsDeployClients ??= (await import('./clients.js')).awsDeployClients;
}

const defaultDeps: DeployDeps = {
  clients: (options) => {
    // Synchronous by contract: the module is already loaded by the command's action (loadDeployClients).
    if (!awsDeployClients) throw new Error('Deploy clients were not loaded.');
    return awsDeployClients(options);
  },
  runner: (command, args) => spawnRunner(ROOT)(command === 'sls' ? join(ROOT, 'node_modules', '.bin', 'sls') : command, args),
};

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const positiveInteger = (value: string) => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError(`Expected a positive integer, got "${value}".`);
  return Number(value);
};

async function runOrPrint<S>(plan: Plan<S>, dryRun: boolean, io: Io, deps: DeployDeps, profile: string | undefined): Promise<void> {
  if (dryRun) {
    // No client is made and no command runs: a dry run needs neither network nor credentials.
    io.out(renderPlan(plan as Plan<unknown>));
    return;
  }
  if (deps === defaultDeps) await loadDeployClients();
  const { calls } = await executePlan(plan, {
    clients: () => deps.clients(profile ? { profile } : {}),
    runner: deps.runner,
    progress: (m) => io.err(`${m}\n`),
  });
  io.out(`${plan.title}: done, ${plan.steps.length} step(s), ${calls.length} call(s).\n`);
}

const SECURITY_HUB_FLAG_HELP =
  'let the rule roles import ASFF findings to this account\'s own Security Hub product and set their Workflow.Status (deploy-time option importSecurityHubFindings; without it no role may write to Security Hub)';

/** Adds `deploy` and `deploy-org` to the safeguards CLI. */
export function addDeployCommands(program: Command, io: Io, deps: DeployDeps = defaultDeps): void {
  program
    .command('deploy-org')
    .description(
      'Deploy to an organization from its delegated administrator: spoke StackSet to an OU, then the hub and its organization conformance pack.',
    )
    .requiredOption('--delegated-admin <account>', 'the delegated administrator account (the credentials must be of it)')
    .requiredOption('--regions <regions>', 'comma-separated regions; the first is the StackSet home region')
    .requiredOption('--ou <id>', 'the OU (or root) whose accounts are evaluated')
    .option('--stage <stage>', 'stage name', 'prod')
    .option('--profile <profile>', 'AWS shared-config profile')
    .option('--reserved-concurrency <n>', 'reserved concurrency of each rule Lambda (default 10)', positiveInteger)
    .option('--timeout-minutes <n>', 'longest wait for one StackSet operation or the pack rollout', positiveInteger, 60)
    .option(
      '--exemption-approvers <arns>',
      'comma-separated IAM role or user ARNs that alone may change hipaa-safeguards:exempt* tags: creates (or updates) the exemption service control policy and attaches it to --ou',
    )
    .option('--import-security-hub-findings', SECURITY_HUB_FLAG_HELP)
    .option(
      '--prevention-mode <mode>',
      "FAIL|WARN|OFF: the spokes' CloudFormation hook blocks (FAIL) or warns about (WARN) non-compliant catalog resources before they are created; packages its Lambda and uploads it to each region's artifact bucket (default OFF: no hook)",
    )
    .option('--prevention-on-unknown <policy>', 'BLOCK|ALLOW: what the hook does with a safeguard it cannot verify before deployment (default BLOCK; needs --prevention-mode FAIL or WARN)')
    .option('--dry-run', 'print every call in order, with its account and region, and make none')
    .action(async (opts: { delegatedAdmin: string; regions: string; ou: string; stage: string; profile?: string; reservedConcurrency?: number; timeoutMinutes: number; exemptionApprovers?: string; importSecurityHubFindings?: boolean; preventionMode?: string; preventionOnUnknown?: string; dryRun?: boolean }) => {
      const options: OrgDeployOptions = {
        delegatedAdmin: opts.delegatedAdmin,
        regions: opts.regions.split(',').map((r) => r.trim()).filter((r) => r !== ''),
        ou: opts.ou,
        stage: opts.stage,
        ...(opts.profile ? { profile: opts.profile } : {}),
        ...(opts.reservedConcurrency !== undefined ? { reservedConcurrency: opts.reservedConcurrency } : {}),
        ...(opts.exemptionApprovers !== undefined
          ? { exemptionApprovers: opts.exemptionApprovers.split(',').map((a) => a.trim()).filter((a) => a !== '') }
          : {}),
        ...(opts.importSecurityHubFindings ? { importSecurityHubFindings: true } : {}),
        ...(opts.preventionMode !== undefined ? { preventionMode: opts.preventionMode } : {}),
        ...(opts.preventionOnUnknown !== undefined ? { preventionOnUnknown: opts.preventionOnUnknown } : {}),
        poll: { initialDelayMs: 5_000, maxDelayMs: 60_000, factor: 1.5, timeoutMs: opts.timeoutMinutes * 60_000 },
      };
      const { orgDeployPlan } = await import('./org-plan.js');
      await runOrPrint(orgDeployPlan(options), opts.dryRun === true, io, deps, opts.profile);
    });

  program
    .command('deploy')
    .description('Deploy to one account and region: conformance pack template to S3, then serverless package and deploy.')
    .option('--region <region>', "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region)")
    .option('--stage <stage>', 'stage name', 'dev')
    .option('--account <account>', 'refuse to deploy unless the credentials are of this account')
    .option('--profile <profile>', 'AWS shared-config profile')
    .option('--reserved-concurrency <n>', 'reserved concurrency of each rule Lambda (default: none)', positiveInteger)
    .option('--import-security-hub-findings', SECURITY_HUB_FLAG_HELP)
    .option('--dry-run', 'print every call in order, with its account and region, and make none')
    .action(async (opts: { region?: string; stage: string; account?: string; profile?: string; reservedConcurrency?: number; importSecurityHubFindings?: boolean; dryRun?: boolean }) => {
      // As `scan` and the AWS CLI: --region, AWS_REGION / AWS_DEFAULT_REGION, then the profile's region.
      const { resolveRegion } = await import('../cli-input.js');
      const region = await resolveRegion(opts);
      const { singleDeployPlan } = await import('./single-plan.js');
      const plan = singleDeployPlan({
        region,
        stage: opts.stage,
        ...(opts.account ? { account: opts.account } : {}),
        ...(opts.profile ? { profile: opts.profile } : {}),
        ...(opts.reservedConcurrency !== undefined ? { reservedConcurrency: opts.reservedConcurrency } : {}),
        ...(opts.importSecurityHubFindings ? { importSecurityHubFindings: true } : {}),
      });
      await runOrPrint(plan, opts.dryRun === true, io, deps, opts.profile);
    });
}
