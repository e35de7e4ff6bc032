/**
 * `safeguards check-template`: judges every catalog resource of CloudFormation templates (YAML, JSON, CDK output,
 * SAM and Serverless packages) with the same safeguards the Config rules run, before anything is deployed.
 * The verdicts come from judgeProperties (rules/prevention/judge.ts); this module reads the templates, resolves them
 * (scripts/lib/template/) and formats the rows.
 */
import { relative, sep } from 'node:path';
import type { AwsClients } from '../../rules/runtime/clients';
import { Compliance } from '../../rules/runtime/compliance';
import { PreventionLookup, type TemplateResource } from '../../rules/prevention/facts';
import { judgeProperties, preventionResourceTypes } from '../../rules/prevention/judge';
import type { PreventionCompliance } from '../../rules/prevention/judge-properties';
import { type TemplateFile, readTemplate, templatePaths } from './template/read';
import { type Assignment, TemplateResolver, variantsOf } from './template/resolve';

/** One verdict about one resource of one template. */
export interface TemplateResult {
  readonly rule: string;
  readonly resourceType: string;
  readonly logicalId: string;
  readonly file: string;
  /** 1-based line of the resource's logical ID (0 when unknown). */
  readonly line: number;
  readonly compliance: PreventionCompliance;
  readonly annotation: string;
}

/** A template or a resource that could not be judged at all (unreadable file, properties CloudFormation would reject). */
export interface TemplateFailure {
  readonly file: string;
  readonly logicalId?: string;
  readonly resourceType?: string;
  readonly line?: number;
  readonly error: string;
}

export interface CheckTemplateOptions {
  /** Template files or directories (cdk.out). */
  readonly paths: readonly string[];
  /** Rule names (default: every rule). */
  readonly rules?: readonly string[];
  readonly parameters?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Known region: AWS::Region and AWS::Partition resolve from it. */
  readonly region?: string;
  /** Account credentials: facts the templates cannot give are read from the account. */
  readonly clients?: AwsClients;
  readonly now?: Date;
  readonly onProgress?: (message: string) => void;
}

export interface CheckTemplateOutcome {
  readonly results: TemplateResult[];
  readonly failures: TemplateFailure[];
  readonly templates: { readonly file: string; readonly flavor: string }[];
}

const display = (path: string) => {
  const rel = relative(process.cwd(), path);
  return (rel.startsWith('..') ? path : rel).split(sep).join('/');
};

const assignmentText = (a: Assignment) => Object.entries(a).map(([k, v]) => `${k}=${v}`).join(', ');

/** Judges one template file. */
async function checkFile(file: TemplateFile, options: CheckTemplateOptions, clients: AwsClients | undefined): Promise<{ results: TemplateResult[]; failures: TemplateFailure[] }> {
  const name = display(file.path);
  const results: TemplateResult[] = [];
  const failures: TemplateFailure[] = [];
  const base = new TemplateResolver(file.template, options.region ? { region: options.region } : {});
  // One fact source per assignment: every resource of the template, resolved the same way.
  const factSources = new Map<string, PreventionLookup>();
  const factsFor = (resolver: TemplateResolver, assignment: Assignment) => {
    const key = JSON.stringify(assignment);
    let facts = factSources.get(key);
    if (!facts) {
      const template: Record<string, TemplateResource> = {};
      for (const [id, r] of Object.entries(resolver.resources)) {
        if (resolver.isCreated(id) !== false) template[id] = { type: String(r?.Type ?? ''), properties: resolver.properties(id) };
      }
      facts = new PreventionLookup({ template, ...(clients ? { clients } : {}) });
      factSources.set(key, facts);
    }
    return facts;
  };
  for (const [logicalId, resource] of Object.entries(base.resources)) {
    const resourceType = String(resource?.Type ?? '');
    if (!preventionResourceTypes.includes(resourceType)) continue;
    const line = file.lines[logicalId] ?? 0;
    const variants = variantsOf(base, logicalId);
    const byRule = new Map<string, { compliance: PreventionCompliance; annotation: string; assignments: Assignment[] }[]>();
    try {
      for (const assignment of variants) {
        const resolver = base.withAssignment(assignment);
        // A resource whose Condition is false is not created; one whose Condition is unknown is judged, as it may be.
        if (resolver.isCreated(logicalId) === false) continue;
        const verdicts = await judgeProperties({
          resourceType,
          logicalId: file.names?.[logicalId] ?? logicalId,
          properties: resolver.properties(logicalId),
          ...(options.parameters ? { parameters: options.parameters } : {}),
          ...(options.rules ? { rules: options.rules } : {}),
          facts: factsFor(resolver, assignment),
          ...(options.now ? { now: options.now } : {}),
        });
        for (const v of verdicts) {
          const same = byRule.get(v.rule) ?? [];
          const found = same.find((s) => s.compliance === v.compliance && s.annotation === v.annotation);
          if (found) found.assignments.push(assignment);
          else same.push({ compliance: v.compliance, annotation: v.annotation, assignments: [assignment] });
          byRule.set(v.rule, same);
        }
      }
    } catch (error) {
      failures.push({ file: name, logicalId: file.names?.[logicalId] ?? logicalId, resourceType, line, error: (error as Error).message });
      continue;
    }
    for (const [rule, outcomes] of byRule) {
      for (const o of outcomes) {
        // Judged for several allowed values: each distinct verdict says for which.
        const when =
          variants.length > 1
            ? outcomes.length === 1
              ? `With every allowed value of ${Object.keys(variants[0] ?? {}).join(', ')}: `
              : `With ${o.assignments.map(assignmentText).join(' or ')}: `
            : '';
        results.push({ rule, resourceType, logicalId: file.names?.[logicalId] ?? logicalId, file: name, line, compliance: o.compliance, annotation: `${when}${o.annotation}` });
      }
    }
  }
  return { results, failures };
}

/**
 * Reads and judges every template. An unreadable template or a malformed resource is a failure (exit 2) and the
 * others are still judged.
 */
export async function checkTemplates(options: CheckTemplateOptions): Promise<CheckTemplateOutcome> {
  const results: TemplateResult[] = [];
  const failures: TemplateFailure[] = [];
  const templates: { file: string; flavor: string }[] = [];
  for (const path of options.paths) {
    let files: string[];
    try {
      files = templatePaths(path);
    } catch (e) {
      failures.push({ file: display(path), error: (e as Error).message });
      continue;
    }
    for (const f of files) {
      let file: TemplateFile;
      try {
        file = readTemplate(f);
      } catch (e) {
        failures.push({ file: display(f), error: (e as Error).message });
        continue;
      }
      templates.push({ file: display(f), flavor: file.flavor });
      options.onProgress?.(`Checking ${display(f)} (${file.flavor})…`);
      const one = await checkFile(file, options, options.clients);
      results.push(...one.results);
      failures.push(...one.failures);
    }
  }
  return { results, failures, templates };
}

export interface TemplateSummary {
  readonly evaluations: number;
  readonly compliant: number;
  readonly nonCompliant: number;
  readonly notApplicable: number;
  /** Verdicts that could not be reached before deployment: they count as failures to verify. */
  readonly unknown: number;
  readonly failures: number;
  readonly exitCode: 0 | 1 | 2;
}

/**
 * Exit codes as `scan`: 0 nothing NON_COMPLIANT, 1 something is, 2 something could not be judged: a failure, or an
 * UNKNOWN verdict (a fact that cannot be verified is never a pass, so a pipeline does not go green on it).
 */
export function summarizeTemplates(results: readonly TemplateResult[], failures: readonly TemplateFailure[]): TemplateSummary {
  const count = (c: PreventionCompliance) => results.filter((r) => r.compliance === c).length;
  const unknown = count('UNKNOWN');
  const nonCompliant = count(Compliance.NonCompliant);
  return {
    evaluations: results.length,
    compliant: count(Compliance.Compliant),
    nonCompliant,
    notApplicable: count(Compliance.NotApplicable),
    unknown,
    failures: failures.length,
    exitCode: failures.length > 0 || unknown > 0 ? 2 : nonCompliant > 0 ? 1 : 0,
  };
}

export function formatTemplateSummary(s: TemplateSummary): string {
  const meaning =
    s.exitCode === 2
      ? `${s.unknown > 0 ? 'UNKNOWN verdicts (not verifiable before deployment)' : ''}${s.unknown > 0 && s.failures > 0 ? ' and ' : ''}${s.failures > 0 ? 'failures (see ERROR lines)' : ''}${s.nonCompliant > 0 ? ', and NON_COMPLIANT resources' : ''}`
      : s.exitCode === 1
        ? 'NON_COMPLIANT resources found'
        : 'nothing NON_COMPLIANT';
  return `Summary: ${s.evaluations} evaluation(s): ${s.nonCompliant} NON_COMPLIANT, ${s.unknown} UNKNOWN, ${s.compliant} COMPLIANT, ${s.notApplicable} NOT_APPLICABLE; ${s.failures} failed. Exit ${s.exitCode}: ${meaning}.`;
}

export function formatTemplateFailure(f: TemplateFailure): string {
  const where = f.logicalId ? `${f.file}:${f.line ?? 0} ${f.logicalId} (${f.resourceType ?? ''})` : f.file;
  return `ERROR ${where}: ${f.error}`;
}

/** Table: rule, resource type, logical ID, file:line, compliance, annotation (last, never cut). */
export function formatTemplateTable(rows: readonly TemplateResult[]): string {
  const header = ['RULE', 'RESOURCE TYPE', 'LOGICAL ID', 'LOCATION', 'COMPLIANCE', 'ANNOTATION'];
  const cells = rows.map((r) => [r.rule, r.resourceType, r.logicalId, `${r.file}:${r.line}`, r.compliance, r.annotation]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export const TEMPLATE_OUTPUT_SCHEMA_VERSION = '1';

/** `--format json`: one document, results next to failures and the summary. */
export function templateOutput(outcome: CheckTemplateOutcome) {
  return {
    schemaVersion: TEMPLATE_OUTPUT_SCHEMA_VERSION,
    templates: outcome.templates,
    results: outcome.results,
    failures: outcome.failures,
    summary: summarizeTemplates(outcome.results, outcome.failures),
  };
}

export const TemplateFormat = { Table: 'table', Json: 'json', Sarif: 'sarif', Junit: 'junit' } as const;

export interface CheckTemplateCliOptions {
  readonly param: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly rules?: string;
  readonly format: string;
  readonly output?: string;
  readonly region?: string;
  readonly profile?: string;
}

/**
 * The command: every input checked first (rule names, parameters, region, the output file), then offline unless
 * --region or --profile is given, in which case facts the templates cannot give are read from that account.
 */
export async function runCheckTemplate(paths: readonly string[], opts: CheckTemplateCliOptions, io: { out(s: string): void; err(s: string): void }): Promise<number> {
  const { OutputFile, UsageError, resolveRegion, selectRuleNames, validateRegion } = await import('./cli-input.js');
  const { catalog, findSafeguard } = await import('../../rules/catalog.js');
  const { parseParameters } = await import('../../rules/runtime/parameters.js');
  const names = selectRuleNames(opts.rules, undefined);
  const safeguards = names === 'all' ? [...catalog] : names.map(findSafeguard);
  for (const [rule, values] of Object.entries(opts.param)) parseParameters(findSafeguard(rule).schema, values);
  if (paths.length === 0) throw new UsageError('check-template needs at least one template file or cdk.out directory.');
  let clients: AwsClients | undefined;
  let region: string | undefined;
  if (opts.region !== undefined || opts.profile !== undefined) {
    region = opts.region !== undefined ? validateRegion(opts.region, '--region') : await resolveRegion(opts.profile ? { profile: opts.profile } : {});
    const { AwsClients: Clients } = await import('../../rules/runtime/clients.js');
    const { fromIni } = await import('@aws-sdk/credential-providers');
    clients = new Clients({ region, ...(opts.profile ? { credentials: fromIni({ profile: opts.profile }) } : {}) });
  }
  const output = opts.output !== undefined ? OutputFile.open(opts.output) : undefined;
  let outcome: CheckTemplateOutcome;
  try {
    outcome = await checkTemplates({
      paths,
      ...(names === 'all' ? {} : { rules: names }),
      parameters: opts.param,
      ...(region ? { region } : {}),
      ...(clients ? { clients } : {}),
      onProgress: (m) => io.err(`${m}\n`),
    });
  } catch (e) {
    output?.abandon();
    throw e;
  }
  const summary = summarizeTemplates(outcome.results, outcome.failures);
  let text: string;
  if (opts.format === TemplateFormat.Json) text = `${JSON.stringify(templateOutput(outcome), null, 2)}\n`;
  else if (opts.format === TemplateFormat.Sarif || opts.format === TemplateFormat.Junit) {
    const formats = await import('./template/report-formats.js');
    if (opts.format === TemplateFormat.Junit) text = formats.toJunit(outcome.results, outcome.failures);
    else {
      const { default: pkg } = await import('../../package.json');
      const version = pkg.version;
      text = `${JSON.stringify(formats.toSarif(outcome.results, outcome.failures, safeguards, version), null, 2)}\n`;
    }
  } else text = `${formatTemplateTable(outcome.results)}\n\n${formatTemplateSummary(summary)}\n`;
  for (const f of outcome.failures) io.err(`${formatTemplateFailure(f)}\n`);
  if (!OutputFile.deliver(output, text, io)) return 2;
  if (opts.format !== TemplateFormat.Table || output) io.err(`${formatTemplateSummary(summary)}\n`);
  return summary.exitCode;
}
