import {
  type CallAs,
  type CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  type Parameter,
  type StackInstanceSummary,
  type StackSetOperationPreferences,
  StackSetNotFoundException,
  UpdateStackSetCommand,
  paginateListStackInstances,
  paginateListStackSetOperationResults,
} from '@aws-sdk/client-cloudformation';
import { SpokesNotReadyError, StackSetOperationError } from './errors';
import { type Clock, type PollPolicy, pollUntil } from './poll';

/**
 * Every stack instance at once, counting any failed instance as a failed operation: the deployer checks each
 * instance before the pack anyway, and a partial spoke must never get the pack. SOFT_FAILURE_TOLERANCE keeps the
 * concurrency independent of the zero failure tolerance (STRICT would deploy one account at a time).
 */
export const OPERATION_PREFERENCES: StackSetOperationPreferences = {
  RegionConcurrencyType: 'PARALLEL',
  ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
  FailureToleranceCount: 0,
  MaxConcurrentPercentage: 100,
};

export interface StackSetSpec {
  readonly name: string;
  readonly templateUrl: string;
  readonly parameters: readonly Parameter[];
  readonly callAs: CallAs;
  readonly description: string;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'STOPPED']);

/** Waits for one StackSet operation (CloudFormation has no SDK waiter for them); throws naming each failed instance. */
export async function waitForOperation(
  cfn: CloudFormationClient,
  stackSet: string,
  operationId: string,
  callAs: CallAs,
  policy: PollPolicy,
  clock: Clock,
): Promise<void> {
  const op = await pollUntil(
    `StackSet ${stackSet} operation ${operationId}`,
    async () => (await cfn.send(new DescribeStackSetOperationCommand({ StackSetName: stackSet, OperationId: operationId, CallAs: callAs }))).StackSetOperation,
    (o) => TERMINAL.has(o?.Status ?? ''),
    policy,
    clock,
    (o) => o?.Status ?? 'unknown',
  );
  if (op?.Status === 'SUCCEEDED') return;
  const failures: { account: string; region: string; status: string; reason: string }[] = [];
  for await (const page of paginateListStackSetOperationResults({ client: cfn }, { StackSetName: stackSet, OperationId: operationId, CallAs: callAs })) {
    for (const r of page.Summaries ?? []) {
      if (r.Status !== 'SUCCEEDED') {
        failures.push({ account: r.Account ?? '?', region: r.Region ?? '?', status: r.Status ?? '?', reason: r.StatusReason ?? 'no reason given' });
      }
    }
  }
  const detail = failures.map((f) => `${f.account} in ${f.region}: ${f.status} (${f.reason})`).join('; ');
  throw new StackSetOperationError(
    `StackSet ${stackSet} operation ${operationId} ended ${op?.Status ?? 'unknown'}${op?.StatusReason ? ` (${op.StatusReason})` : ''}${detail ? `: ${detail}` : ''}. Nothing was deployed to the hub.`,
    failures,
  );
}

/** Creates the StackSet (service-managed, automatic deployment) or updates every instance it has; waits for the update. */
export async function createOrUpdateStackSet(
  cfn: CloudFormationClient,
  spec: StackSetSpec,
  policy: PollPolicy,
  clock: Clock,
): Promise<'created' | 'updated'> {
  let exists = true;
  try {
    await cfn.send(new DescribeStackSetCommand({ StackSetName: spec.name, CallAs: spec.callAs }));
  } catch (error) {
    if (!(error instanceof StackSetNotFoundException)) throw error;
    exists = false;
  }
  const common = {
    StackSetName: spec.name,
    Description: spec.description,
    TemplateURL: spec.templateUrl,
    Parameters: [...spec.parameters],
    // The roles have fixed names.
    Capabilities: ['CAPABILITY_NAMED_IAM' as const],
    // New accounts of the OU get their spoke at once; an account that leaves loses it.
    AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
    CallAs: spec.callAs,
  };
  if (!exists) {
    await cfn.send(new CreateStackSetCommand({ ...common, PermissionModel: 'SERVICE_MANAGED', ManagedExecution: { Active: true } }));
    return 'created';
  }
  // No DeploymentTargets or Regions: every existing instance gets the new template.
  const out = await cfn.send(new UpdateStackSetCommand({ ...common, OperationPreferences: OPERATION_PREFERENCES }));
  if (out.OperationId) await waitForOperation(cfn, spec.name, out.OperationId, spec.callAs, policy, clock);
  return 'updated';
}

export async function listInstances(cfn: CloudFormationClient, stackSet: string, callAs: CallAs): Promise<StackInstanceSummary[]> {
  const all: StackInstanceSummary[] = [];
  for await (const page of paginateListStackInstances({ client: cfn }, { StackSetName: stackSet, CallAs: callAs })) all.push(...(page.Summaries ?? []));
  return all;
}

/**
 * Regions of `regions` where none of the OU's accounts has an instance yet. An OU with no account yet counts as
 * missing everywhere (CreateStackInstances then only records the target for automatic deployment).
 */
export function missingRegions(instances: readonly StackInstanceSummary[], ou: string, ouAccounts: readonly string[], regions: readonly string[]): string[] {
  return regions.filter(
    (r) => !instances.some((i) => i.Region === r && (i.OrganizationalUnitId === ou || (i.Account !== undefined && ouAccounts.includes(i.Account)))),
  );
}

/** Adds the OU's instances in the regions that lack them, and waits. */
export async function createInstances(
  cfn: CloudFormationClient,
  stackSet: string,
  ou: string,
  regions: readonly string[],
  callAs: CallAs,
  policy: PollPolicy,
  clock: Clock,
): Promise<void> {
  const out = await cfn.send(
    new CreateStackInstancesCommand({
      StackSetName: stackSet,
      DeploymentTargets: { OrganizationalUnitIds: [ou] },
      Regions: [...regions],
      OperationPreferences: OPERATION_PREFERENCES,
      CallAs: callAs,
    }),
  );
  if (out.OperationId) await waitForOperation(cfn, stackSet, out.OperationId, callAs, policy, clock);
}

/** Detailed status of an instance (SUCCEEDED, FAILED, INOPERABLE, CANCELLED, RUNNING, PENDING...). */
const statusOf = (i: StackInstanceSummary) => i.StackInstanceStatus?.DetailedStatus ?? i.Status ?? 'UNKNOWN';

/**
 * The accounts whose spoke is SUCCEEDED in every region: only they may get the conformance pack. Any instance of
 * the OU's accounts that is not SUCCEEDED (FAILED, INOPERABLE, still RUNNING...) stops the deployment with a message
 * naming each one; an OU account with no instance at all (it joined while the operation ran) is left out and named.
 */
export function readySpokeAccounts(
  instances: readonly StackInstanceSummary[],
  ouAccounts: readonly string[],
  regions: readonly string[],
): { ready: string[]; pending: string[] } {
  const mine = instances.filter((i) => i.Account !== undefined && ouAccounts.includes(i.Account) && i.Region !== undefined && regions.includes(i.Region));
  const bad = mine.filter((i) => statusOf(i) !== 'SUCCEEDED');
  if (bad.length > 0) {
    throw new SpokesNotReadyError(
      `Spoke stack instances are not SUCCEEDED: ${bad
        .map((i) => `${i.Account} in ${i.Region} is ${statusOf(i)}${i.StatusReason ? ` (${i.StatusReason})` : ''}`)
        .join('; ')}. The organization conformance pack was not deployed; fix these instances and run deploy-org again.`,
    );
  }
  const ready: string[] = [];
  const pending: string[] = [];
  for (const a of ouAccounts) {
    const everywhere = regions.every((r) => mine.some((i) => i.Account === a && i.Region === r));
    (everywhere ? ready : pending).push(a);
  }
  return { ready, pending };
}
