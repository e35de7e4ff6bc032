import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { catalog, findSafeguard, safeguardNames } from '../rules/catalog';
import { defaultAsString } from '../rules/runtime/parameters';
import { createRuleHandler } from '../rules/runtime/handler';
import { TEST_MODE_TOKEN } from '../rules/runtime/put-evaluations';
import { Logger } from '@aws-lambda-powertools/logger';
import { callerIdentity, exitCodeOf, findingsOf, formatTable, scan } from './lib/scan';
import { addDeployCommands } from './lib/deploy/commands';

export const OutputFormat = { Table: 'table', Json: 'json', Asff: 'asff' } as const;

/** Exit codes shared by every command. */
export const ExitCode = { Ok: 0, NonCompliant: 1, Error: 2 } as const;

function parseParam(value: string, previous: Record<string, Record<string, string>> = {}) {
  const m = /^([a-z0-9-]+)\.([A-Za-z0-9]+)=(.*)$/s.exec(value);
  if (!m?.[1] || !m[2]) throw new InvalidArgumentError(`Expected <rule>.<parameter>=<value>, got "${value}".`);
  const [, rule, name, v] = m;
  findSafeguard(rule);
  return { ...previous, [rule]: { ...previous[rule], [name]: v ?? '' } };
}

function selectRules(rules?: string, rulesFile?: string) {
  const names = [
    ...(rules ? rules.split(',') : []),
    // A rules file holds names one per line or comma-separated; `#` starts a comment.
    ...(rulesFile ? readFileSync(rulesFile, 'utf8').split('\n').flatMap((l) => (l.split('#')[0] ?? '').split(/[\s,]+/)) : []),
  ]
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return names.length === 0 ? [...catalog] : [...new Set(names)].map(findSafeguard);
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** The commander program; `state.exitCode` carries a command's verdict-based exit code. */
export function buildProgram(io: CliIo = processIo, state: { exitCode: number } = { exitCode: 0 }): Command {
  const program = new Command('safeguards')
    .description('HIPAA safeguards for Kinesis and ElastiCache: AWS Config rules, remediations and scans.')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('list')
    .description('List the safeguards in the catalog.')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
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
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--profile <profile>', 'AWS shared-config profile')
    .option('--endpoint-url <url>', 'custom endpoint, such as a moto server')
    .option('--rules <names>', `comma-separated rule names (${safeguardNames.join(', ')})`)
    .option('--rules-file <file>', 'file listing rule names, one per line or comma-separated')
    .option('--param <rule.name=value>', 'rule parameter, repeatable', parseParam, {})
    .addOption(new Option('--format <format>', 'output format').choices(Object.values(OutputFormat)).default(OutputFormat.Table))
    .option('--output <file>', 'write results to a file instead of stdout')
    .option('--max-attempts <n>', 'attempts per AWS call, first try included (default 8)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError('Expected an integer from 1 to 20.');
      return n;
    })
    .option('--account-id <id>', 'account for ASFF findings (default: from sts:GetCallerIdentity)')
    .action(async (opts: { region?: string; profile?: string; endpointUrl?: string; rules?: string; rulesFile?: string; param: Record<string, Record<string, string>>; format: string; output?: string; accountId?: string; maxAttempts?: number }) => {
      const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new InvalidArgumentError('No region: pass --region or set AWS_REGION.');
      const { results, failures, skipped } = await scan({
        safeguards: selectRules(opts.rules, opts.rulesFile),
        region,
        ...(opts.profile ? { profile: opts.profile } : {}),
        ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
        parameters: opts.param,
        ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
        onProgress: (m) => io.err(`${m}\n`),
      });
      let text: string;
      if (opts.format === OutputFormat.Asff) {
        const caller = await callerIdentity({ region, ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}) }, opts.accountId);
        text = `${JSON.stringify(findingsOf(results, { ...caller, region, now: new Date() }), null, 2)}\n`;
      } else {
        text = opts.format === OutputFormat.Json ? `${JSON.stringify(results, null, 2)}\n` : `${formatTable(results)}\n`;
      }
      if (opts.output) writeFileSync(opts.output, text);
      else io.out(text);
      for (const k of skipped) io.err(`SKIPPED ${k.rule} (${k.resourceType}): ${k.reason}\n`);
      for (const f of failures) io.err(`ERROR ${f.rule} (${f.resourceType}${f.resourceId ? ` ${f.resourceId}` : ''}): ${f.error}\n`);
      state.exitCode = exitCodeOf(results, failures);
    });

  program
    .command('invoke')
    .description("Run a rule's Lambda handler locally on a Config event; print the evaluations it sent to PutEvaluations.")
    .argument('<rule>', 'rule name')
    .requiredOption('--event <file>', 'Config rule event JSON')
    .option('--endpoint-url <url>', 'custom endpoint, such as a moto server')
    .option('--test-mode', `replace the resultToken with ${TEST_MODE_TOKEN} (PutEvaluations TestMode)`)
    .action(async (rule: string, opts: { event: string; endpointUrl?: string; testMode?: boolean }) => {
      const safeguard = findSafeguard(rule);
      const event = JSON.parse(readFileSync(opts.event, 'utf8')) as Record<string, unknown>;
      if (opts.testMode) event.resultToken = TEST_MODE_TOKEN;
      const logger = new Logger({ serviceName: 'hipaa-safeguards', persistentKeys: { rule }, logLevel: 'SILENT' });
      const handler = createRuleHandler(safeguard, { logger, ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}) });
      const { evaluations } = await handler(event);
      io.out(`${JSON.stringify(evaluations, null, 2)}\n`);
    });

  addDeployCommands(program, io);

  return program;
}

/** Runs the CLI; every failure becomes a message on stderr and exit code 2. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const state = { exitCode: ExitCode.Ok as number };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.Ok;
    if (!e.code?.startsWith('commander.')) io.err(`Error: ${e.message}\n`);
    return ExitCode.Error;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
