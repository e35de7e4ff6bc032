import { spawn } from 'node:child_process';
import type { DeployClients } from './clients';
import { CommandFailedError, PlanViolationError } from './errors';
import { type Clock, realClock } from './poll';

/**
 * A deployment is a plan: an ordered list of steps, each listing every call it may make with its target account
 * and region. The dry run prints the plan and calls nothing; the real run executes the same steps, and a step that
 * sends a call its entry does not list fails (PlanViolationError), so what the dry run shows is what runs.
 */

export const Service = {
  Sts: 'sts',
  Organizations: 'organizations',
  S3: 's3',
  CloudFormation: 'cloudformation',
  Config: 'config',
  /** Work on this machine: no network, no credentials. */
  Local: 'local',
  /** An external command (serverless), which makes its own calls. */
  Command: 'command',
} as const;
export type Service = (typeof Service)[keyof typeof Service];

export interface PlannedCall {
  readonly service: Service;
  /** The API operation (`ListAccounts`), or for `command` the command name (`sls deploy`). */
  readonly operation: string;
  readonly account: string;
  /** `global` for Organizations. */
  readonly region: string;
  /** When it is made, what it targets: `only when the bucket is missing`, `every page`. */
  readonly note?: string;
}

/** What a step may use while it runs. */
export interface StepContext<S> {
  readonly aws: DeployClients;
  /** Runs a listed command; the name is its `operation`. */
  command(name: string, args: readonly string[]): Promise<void>;
  readonly state: S;
  readonly clock: Clock;
  progress(message: string): void;
}

export interface Step<S> {
  readonly title: string;
  readonly calls: readonly PlannedCall[];
  run(ctx: StepContext<S>): Promise<void>;
}

export interface Plan<S> {
  readonly title: string;
  /** Lines printed under the title: the inputs the plan was made from. */
  readonly summary: readonly string[];
  readonly steps: readonly Step<S>[];
  /** State shared by the steps (what discovery found, what later steps need). */
  initialState(): S;
}

/**
 * The plan's line for the deploy-time option importSecurityHubFindings: what the roles may then do in Security Hub.
 * It decides IAM (scripts/lib/iam.ts securityHubStatements), so a reviewer of a dry run must see it.
 */
export function securityHubSummary(importSecurityHubFindings: boolean | undefined): string {
  return importSecurityHubFindings
    ? 'Security Hub import: on (rule roles may import findings to this account\'s own product and set Workflow.Status to RESOLVED; set the rule parameter importSecurityHubFindings=true too)'
    : 'Security Hub import: off (no role may write to Security Hub; pass --import-security-hub-findings to allow it)';
}

/** The dry run's text: every step and every call, numbered, in order. */
export function renderPlan(plan: Plan<unknown>): string {
  const lines = [`${plan.title}`, ...plan.summary.map((s) => `  ${s}`), ''];
  const width = Math.max(...plan.steps.flatMap((s) => s.calls.map((c) => `${c.service}:${c.operation}`.length)), 10);
  plan.steps.forEach((step, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${step.title}`);
    for (const c of step.calls) {
      const what = `${c.service}:${c.operation}`.padEnd(width);
      lines.push(`      ${what}  account ${c.account}  region ${c.region}${c.note ? `  (${c.note})` : ''}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/** A call as the executor saw it, for the log and the tests. */
export interface ExecutedCall {
  readonly step: number;
  readonly service: Service;
  readonly operation: string;
  readonly region: string;
}

export type CommandRunner = (command: string, args: readonly string[]) => Promise<void>;

/** Runs a command with its output on stderr (progress), failing on a non-zero exit. */
export function spawnRunner(cwd: string): CommandRunner {
  return (command, args) =>
    new Promise((resolve, reject) => {
      const child = spawn(command, [...args], { cwd, stdio: ['ignore', 2, 2] });
      child.once('error', (e) => reject(new CommandFailedError(`${command} could not start: ${e.message}`, { cause: e })));
      child.once('exit', (code, signal) =>
        code === 0 ? resolve() : reject(new CommandFailedError(`${command} ${args.slice(0, 2).join(' ')} exited with ${signal ?? code}.`)),
      );
    });
}

type Sender = { send(command: unknown, ...rest: unknown[]): Promise<unknown> };

/**
 * The client itself for everything but `send`, which first checks the call against the running step. Built with
 * Object.create so it stays an instance of the client class (SDK paginators check that).
 */
function guarded<C extends object>(client: C, service: Service, region: string, check: (s: Service, op: string, r: string) => void): C {
  const wrapper = Object.create(client) as C;
  Object.defineProperty(wrapper, 'send', {
    value: (command: { constructor: { name: string } }, ...rest: unknown[]) => {
      check(service, command.constructor.name.replace(/Command$/, ''), region);
      return (client as unknown as Sender).send(command, ...rest);
    },
  });
  return wrapper;
}

export interface ExecuteOptions {
  /** Made on first use only. */
  readonly clients: () => DeployClients;
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  readonly progress?: (message: string) => void;
}

/** Executes the steps in order; returns every call made. The first failing step stops the plan. */
export async function executePlan<S>(plan: Plan<S>, options: ExecuteOptions): Promise<{ calls: ExecutedCall[]; state: S }> {
  const calls: ExecutedCall[] = [];
  const state = plan.initialState();
  let index = 0;
  let made: DeployClients | undefined;
  const clients = () => (made ??= options.clients());
  const check = (service: Service, operation: string, region: string) => {
    const step = plan.steps[index];
    const listed = step?.calls.some((c) => c.service === service && c.operation === operation && (c.region === region || c.region === 'global'));
    if (!step || !listed) {
      throw new PlanViolationError(`Step ${index + 1} (${step?.title ?? '?'}) sent ${service}:${operation} in ${region}, which its plan does not list.`);
    }
    calls.push({ step: index + 1, service, operation, region });
  };
  const aws: DeployClients = {
    sts: (r) => guarded(clients().sts(r), Service.Sts, r, check),
    organizations: (r) => guarded(clients().organizations(r), Service.Organizations, r, check),
    s3: (r) => guarded(clients().s3(r), Service.S3, r, check),
    cloudFormation: (r) => guarded(clients().cloudFormation(r), Service.CloudFormation, r, check),
    config: (r) => guarded(clients().config(r), Service.Config, r, check),
  };
  const progress = options.progress ?? (() => undefined);
  for (const step of plan.steps) {
    progress(`[${index + 1}/${plan.steps.length}] ${step.title}`);
    await step.run({
      aws,
      state,
      clock: options.clock ?? realClock,
      progress,
      command: async (name, args) => {
        const listed = step.calls.find((c) => c.service === Service.Command && c.operation === name);
        if (!listed) throw new PlanViolationError(`Step ${index + 1} (${step.title}) ran ${name}, which its plan does not list.`);
        calls.push({ step: index + 1, service: Service.Command, operation: name, region: listed.region });
        const [command, ...rest] = name.split(' ');
        await options.runner(command ?? name, [...rest, ...args]);
      },
    });
    index += 1;
  }
  return { calls, state };
}
