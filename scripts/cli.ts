/**
 * The `safeguards` CLI. Only commander and the input checks load at start; the catalog, the rules and the AWS SDK
 * clients are imported by the command that needs them, so `safeguards --help` starts without them (bench/cli-startup.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { OutputFile, UsageError, resolveRegion, selectRuleNames, validateEndpoint } from './lib/cli-input';
import { addDeployCommands } from './lib/deploy/commands';

export const OutputFormat = { Table: 'table', Json: 'json', Asff: 'asff' } as const;

/** Exit codes shared by every command. */
export const ExitCode = { Ok: 0, NonCompliant: 1, Error: 2 } as const;

type Params = Record<string, Record<string, string>>;

function parseParam(value: string, previous: Params = {}): Params {
  const m = /^([a-z0-9-]+)\.([A-Za-z0-9]+)=(.*)$/s.exec(value);
  if (!m?.[1] || !m[2]) throw new InvalidArgumentError(`Expected <rule>.<parameter>=<value>, got "${value}".`);
  const [, rule, name, v] = m;
  return { ...previous, [rule]: { ...previous[rule], [name]: v ?? '' } };
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

const ACCOUNT_ID = /^\d{12}$/;

/** `--max-attempts <n>`: attempts per AWS call, first try included. */
function parseMaxAttempts(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError('Expected an integer from 1 to 20.');
  return n;
}

/** Longest `--request-timeout`: ten minutes, far above any AWS answer; a typo of a few zeros is refused. */
const MAX_REQUEST_TIMEOUT_MS = 600_000;

/** `--request-timeout <ms>`: how long one attempt of an AWS call may wait for its answer before it fails. */
function parseRequestTimeout(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_REQUEST_TIMEOUT_MS) {
    throw new InvalidArgumentError(`Expected milliseconds, an integer from 1 to ${MAX_REQUEST_TIMEOUT_MS}.`);
  }
  return n;
}

interface ScanOpts {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  rules?: string;
  rulesFile?: string;
  param: Params;
  format: string;
  output?: string;
  accountId?: string;
  maxAttempts?: number;
  requestTimeout?: number;
  concurrency?: number;
  verbose?: boolean;
  source: 'auto' | 'api' | 'config';
}

/** `scan`: every input is checked, the account resolved and the output opened before the first scan call. */
async function runScan(opts: ScanOpts, io: CliIo): Promise<number> {
  // 1. Input, without a network call.
  const names = selectRuleNames(opts.rules, opts.rulesFile);
  if (opts.endpointUrl !== undefined) validateEndpoint(opts.endpointUrl);
  if (opts.accountId !== undefined && !ACCOUNT_ID.test(opts.accountId)) {
    throw new UsageError(`--account-id "${opts.accountId}" is not an account ID. Expected 12 digits.`);
  }
  const region = await resolveRegion(opts);
  const { catalog, findSafeguard } = await import('../rules/catalog.js');
  const safeguards = names === 'all' ? [...catalog] : names.map(findSafeguard);
  for (const rule of Object.keys(opts.param)) findSafeguard(rule);
  const lib = await import('./lib/scan.js');
  const target = { region, ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}) };
  const limits = {
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.requestTimeout ? { requestTimeoutMs: opts.requestTimeout } : {}),
  };

  // 2. The account ASFF findings are filed under: a failing lookup must not cost the scan's verdicts.
  let caller: { accountId: string; partition: string } | undefined;
  if (opts.format === OutputFormat.Asff) {
    try {
      caller = await lib.callerIdentity({ ...target, ...limits }, opts.accountId);
    } catch (e) {
      throw new UsageError(
        `Cannot resolve the account for --format asff: sts:GetCallerIdentity failed (${(e as Error).name}: ${(e as Error).message}). Pass --account-id, or fix the credentials. Nothing was scanned.`,
        { cause: e },
      );
    }
  }

  // 3. The output file: opened now, written once the verdicts exist.
  const output = opts.output !== undefined ? OutputFile.open(opts.output) : undefined;
  let scanned: Awaited<ReturnType<typeof lib.scan>>;
  try {
    scanned = await lib.scan({
      safeguards,
      ...target,
      parameters: opts.param,
      ...limits,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      source: opts.source,
      ...(opts.verbose ? { onNote: (n: Parameters<typeof lib.describeListingNote>[0]) => io.err(`Listing ${lib.describeListingNote(n)}\n`) } : {}),
      onProgress: (m) => io.err(`${m}\n`),
    });
  } catch (e) {
    output?.abandon();
    throw e;
  }
  const { results, failures, skipped } = scanned;
  if (opts.verbose) io.err(`${lib.formatStats(scanned.stats)}\n`);
  const summary = lib.summarize(results, failures, skipped);

  let text: string;
  if (caller) {
    // Security Hub takes findings only: what could not be judged is said on stderr (ERROR/SKIPPED lines, summary).
    text = `${JSON.stringify(lib.findingsOf(results, { ...caller, region, now: new Date() }), null, 2)}\n`;
  } else if (opts.format === OutputFormat.Json) {
    text = `${JSON.stringify(lib.scanOutput(results, failures, skipped), null, 2)}\n`;
  } else {
    text = `${lib.formatTable(results)}\n\n${lib.formatSummary(summary)}\n`;
  }

  for (const f of failures) io.err(`${lib.formatFailure(f)}\n`);
  for (const s of skipped) io.err(`${lib.formatSkip(s)}\n`);
  // The verdicts exist: never lose them. If the file fails they go to stdout and the run still fails.
  if (!OutputFile.deliver(output, text, io)) return ExitCode.Error;
  if (opts.format !== OutputFormat.Table || output) io.err(`${lib.formatSummary(summary)}\n`);
  return summary.exitCode;
}

/** The commander program; `state.exitCode` carries a command's verdict-based exit code. */
export function buildProgram(io: CliIo = processIo, state: { exitCode: number; reported?: boolean } = { exitCode: 0 }): Command {
  const program = new Command('safeguards')
    .description('HIPAA safeguards for the AWS services that hold PHI (streams, caches, search, queues, topics, databases): AWS Config rules, remediations, scans and template checks.')
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // Commander prints its own parse errors; main() prints every other error.
      outputError: (text, write) => {
        state.reported = true;
        write(text);
      },
    })
    .exitOverride();

  program
    .command('list')
    .description('List the safeguards in the catalog.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { catalog } = await import('../rules/catalog.js');
      const { defaultAsString } = await import('../rules/runtime/parameters.js');
      const entries = catalog.map((s) => ({
        name: s.name,
        title: s.title,
        resourceTypes: s.resource.resourceTypes,
        triggers: s.triggers,
        severity: s.severity,
        hipaa: s.hipaa,
        parameters: Object.fromEntries(
          Object.entries(s.schema).map(([k, spec]) => [k, { type: spec.type, default: defaultAsString(spec), description: spec.description }]),
        ),
        remediation: s.remediation ? { document: s.remediation.document, automatic: s.remediation.automatic } : null,
      }));
      if (opts.json) return io.out(`${JSON.stringify(entries, null, 2)}\n`);
      for (const e of entries) {
        io.out(`${e.name}  [${e.resourceTypes.join(', ')}; ${e.triggers.join(', ')}; ${e.severity}; ${e.hipaa.join(', ')}]\n  ${e.title}\n`);
        for (const [k, p] of Object.entries(e.parameters)) io.out(`  --param ${e.name}.${k}=<${p.type}>  (default "${p.default}")\n`);
        io.out(`  remediation: ${e.remediation ? `${e.remediation.document}${e.remediation.automatic ? ' (automatic)' : ' (manual)'}` : 'none'}\n`);
      }
    });

  program
    .command('scan')
    .description('Evaluate an account read-only with the same rules the Lambdas run.')
    .option('--region <region>', 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile\'s region)')
    .option('--profile <profile>', 'AWS shared-config profile (default: AWS_PROFILE)')
    .option('--endpoint-url <url>', 'custom endpoint, such as a moto server')
    .option('--rules <names>', 'comma-separated rule names (see "safeguards list"; default: every rule)')
    .option('--rules-file <file>', 'file listing rule names, one per line or comma-separated')
    .option('--param <rule.name=value>', 'rule parameter, repeatable', parseParam, {})
    .addOption(new Option('--format <format>', 'output format (json: scripts/schemas/scan-output.schema.json)').choices(Object.values(OutputFormat)).default(OutputFormat.Table))
    .option('--output <file>', 'write results to a file instead of stdout (checked before scanning)')
    .option('--max-attempts <n>', 'attempts per AWS call, first try included (default 8)', parseMaxAttempts)
    .option('--request-timeout <ms>', 'milliseconds one attempt of an AWS call may wait for its answer before it fails and is retried (default 30000)', parseRequestTimeout)
    .option('--account-id <id>', 'account for ASFF findings (default: from sts:GetCallerIdentity)')
    .option('--concurrency <n>', 'resources judged and AWS requests in flight at once (default 8); each API still keeps its documented rate', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('Expected an integer from 1 to 64.');
      return n;
    })
    .option('--verbose', 'print each listing\'s source and, per operation, the calls made and the time waited on the rate limiter (stderr)')
    .addOption(
      new Option(
        '--source <source>',
        'where configurations are read: api (the service APIs), auto (AWS Config where the recorder records the type continuously, else the API, as periodic Lambdas do), config (AWS Config only; a type it does not record continuously fails, naming why)',
      )
        .choices(['auto', 'api', 'config'])
        .default('api'),
    )
    .action(async (opts: ScanOpts) => {
      state.exitCode = await runScan(opts, io);
    });

  program
    .command('invoke')
    .description("Run a rule's Lambda handler locally on a Config event; print the evaluations it sent to PutEvaluations.")
    .argument('<rule>', 'rule name')
    .requiredOption('--event <file>', 'Config rule event JSON')
    .option('--endpoint-url <url>', 'custom endpoint, such as a moto server')
    .option('--test-mode', 'replace the resultToken with TESTMODE (PutEvaluations TestMode)')
    .option('--max-attempts <n>', 'attempts per AWS call, first try included (default 8)', parseMaxAttempts)
    .option('--request-timeout <ms>', 'milliseconds one attempt of an AWS call may wait for its answer before it fails and is retried (default 30000)', parseRequestTimeout)
    .action(async (rule: string, opts: { event: string; endpointUrl?: string; testMode?: boolean; maxAttempts?: number; requestTimeout?: number }) => {
      const { runInvoke } = await import('./lib/invoke.js');
      state.exitCode = await runInvoke(rule, opts, io);
    });

  program
    .command('check-template')
    .description('Judge CloudFormation templates (YAML, JSON, CDK cdk.out, SAM, Serverless packages) and Terraform plan JSON before deployment.')
    .argument('<files...>', 'template files, cdk.out directories, or terraform show -json plan files')
    .option('--param <rule.name=value>', 'rule parameter, repeatable', parseParam, {})
    .option('--rules <names>', 'comma-separated rule names (default: every rule)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'sarif', 'junit']).default('table'))
    .option('--output <file>', 'write results to a file instead of stdout')
    .option('--region <region>', 'with --profile or alone: read what the templates cannot tell from this account and region')
    .option('--profile <profile>', 'AWS shared-config profile for those reads (default: offline)')
    .action(async (files: string[], opts: { param: Params; rules?: string; format: string; output?: string; region?: string; profile?: string }) => {
      const { runCheckTemplate } = await import('./lib/check-template.js');
      state.exitCode = await runCheckTemplate(files, opts, io);
    });

  program
    .command('invoke-hook')
    .description('Run the CloudFormation Lambda Hook handler locally on a hook request; print its response (exit 0 SUCCESS, 1 NonCompliant, 2 error).')
    .requiredOption('--event <file>', 'CloudFormation Lambda Hook request JSON (resource operation)')
    .option('--endpoint-url <url>', 'custom endpoint for the account lookups, such as a moto server')
    // Checked against the handler's own constants by invoke-hook.ts (loading them here would slow every --help).
    .option('--prevention-mode <mode>', 'preventionMode the hook is deployed with: FAIL, WARN or OFF (default FAIL)')
    .option('--on-unknown <policy>', 'what an UNKNOWN verdict does: BLOCK or ALLOW (default BLOCK)')
    .action(async (opts: { event: string; endpointUrl?: string; preventionMode?: string; onUnknown?: string }) => {
      const { runInvokeHook } = await import('./lib/invoke-hook.js');
      state.exitCode = await runInvokeHook(opts, io);
    });

  addDeployCommands(program, io);

  return program;
}

/** Runs the CLI; every failure becomes a message on stderr and exit code 2. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const state: { exitCode: number; reported?: boolean } = { exitCode: ExitCode.Ok };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.Ok;
    // An error commander did not print itself (anything thrown by an action) is printed here: none is silent.
    if (!state.reported) io.err(`Error: ${e.message}\n`);
    return ExitCode.Error;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
