import { type ListingNote, describeListingNote } from '../../rules/runtime/safeguard';

export { describeListingNote };
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { parse as parseArn } from '@aws-sdk/util-arn-parser';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { findSafeguard } from '../../rules/catalog';
import { type FindingContext, toFinding } from '../../rules/runtime/securityhub';
import { AwsClients } from '../../rules/runtime/clients';
import type { ComplianceType } from '../../rules/runtime/compliance';
import { describeFailure } from '../../rules/runtime/aws-errors';
import { DEFAULT_CONCURRENCY, judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import type { RateLimiter } from '../../rules/runtime/limiter';
import { parseParameters } from '../../rules/runtime/parameters';
import type { Safeguard } from '../../rules/runtime/safeguard';

/** One verdict, as `safeguards scan --format json` prints it. */
export interface ScanResult {
  readonly rule: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly compliance: ComplianceType;
  readonly annotation: string;
}

/** An API failure that kept one rule from judging its resource kind; other rules still report. */
export interface ScanFailure {
  readonly rule: string;
  readonly resourceType: string;
  /** Set when one resource failed rather than the whole kind. */
  readonly resourceId?: string;
  /** `<Service>.<Operation>` that failed, when known (issue 10: every ERROR line names it). */
  readonly operation?: string;
  readonly error: string;
}

/**
 * A resource kind not judged because the endpoint or region does not offer an operation it needs (unknown
 * operation, not implemented by an emulator, not available in this region or partition). Not an error: the exit
 * code stays 0/1, and the JSON output lists it.
 */
export interface ScanSkip {
  readonly rule: string;
  readonly resourceType: string;
  /** `<Service>.<Operation>` the endpoint does not offer. */
  readonly operation: string;
  readonly reason: string;
}

export interface ScanOptions {
  readonly safeguards: readonly Safeguard[];
  readonly region: string;
  readonly profile?: string;
  readonly endpoint?: string;
  /** Rule parameters per rule name, as strings (the way Config passes them). */
  readonly parameters?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly maxAttempts?: number;
  /** Milliseconds one attempt of an AWS call may wait for its answer before it fails and is retried (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Milliseconds one attempt may wait for the TCP connection (default 5 s). */
  readonly connectionTimeoutMs?: number;
  /**
   * The endpoint is an emulator that answers operations it lacks with an HTML error page (moto): such an answer to a
   * listing call is a SKIPPED kind, not an ERROR. Off by default (from AWS, an HTML page is an error).
   */
  readonly nonAwsResponseIsUnsupported?: boolean;
  readonly onProgress?: (message: string) => void;
  /** Each listing's choice of source and tag reads (`scan --verbose`). */
  readonly onNote?: (note: ListingNote) => void;
  readonly now?: Date;
  /** Resources judged at once and most AWS requests in flight (default DEFAULT_CONCURRENCY, 8). */
  readonly concurrency?: number;
  /** The rate limiter the scan's clients wait on (default: the process-wide one, seeded with the documented rates). */
  readonly limiter?: RateLimiter;
  /**
   * Where listings read configurations (`scan --source`): `api` (default) the service APIs; `auto` AWS Config where
   * the account's recorder records the type continuously, else the service API, as periodic Lambdas do; `config`
   * AWS Config only: a type it cannot serve fails its kind, naming why. Each listing's choice goes to `onNote`.
   */
  readonly source?: ScanSource;
}

export const SCAN_SOURCES = ['auto', 'api', 'config'] as const;
export type ScanSource = (typeof SCAN_SOURCES)[number];

/** The listing options of a `--source`. */
export function listOptionsOf(source: ScanSource): { preferConfig?: true; requireConfig?: true } {
  return source === 'auto' ? { preferConfig: true } : source === 'config' ? { preferConfig: true, requireConfig: true } : {};
}

/** What a scan cost: per operation, the calls made (each attempt) and the time they waited on the rate limiter. */
export interface ScanStats {
  readonly operations: Record<string, { readonly calls: number; readonly waitedMs: number }>;
  /** Resource listings made, and listings a later rule was served from the run's cache instead. */
  readonly listings: { readonly listed: number; readonly replayed: number };
}

/**
 * Read-only evaluation of one account and region with the same judge the Lambda uses.
 * Parameter errors throw before any call (the caller's mistake); API errors are collected per rule.
 */
export async function scan(
  options: ScanOptions,
): Promise<{ results: ScanResult[]; failures: ScanFailure[]; skipped: ScanSkip[]; stats: ScanStats }> {
  const prepared = options.safeguards.map((s) => ({ s, params: parseParameters(s.schema, options.parameters?.[s.name] ?? {}) }));
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const clients = new AwsClients({
    region: options.region,
    ...(options.profile ? { credentials: fromIni({ profile: options.profile }) } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.connectionTimeoutMs ? { connectionTimeoutMs: options.connectionTimeoutMs } : {}),
    maxInFlight: concurrency,
  }, options.limiter ? { limiter: options.limiter } : {});
  const before = clients.limiter.stats();
  // One context for every rule: a resource family is listed once and each lookup made once, whichever rules ask.
  const ctx = newJudgeContext(clients, options.now, {
    concurrency,
    ...(options.nonAwsResponseIsUnsupported ? { nonAwsResponseIsUnsupported: true } : {}),
    listOptions: { ...listOptionsOf(options.source ?? 'api'), ...(options.onNote ? { onNote: options.onNote } : {}) },
  });
  const results: ScanResult[] = [];
  const failures: ScanFailure[] = [];
  const skipped: ScanSkip[] = [];
  for (const { s, params } of prepared) {
    options.onProgress?.(`Scanning ${s.resource.resourceTypes.join(', ')} for ${s.name}…`);
    const { judged, failures: failed, skipped: skips } = await judgeAll(s, params, ctx, {
      ...(options.nonAwsResponseIsUnsupported ? { nonAwsResponseIsUnsupported: true } : {}),
    });
    for (const j of judged) {
      results.push({
        rule: s.name,
        resourceType: j.resource.resourceType,
        resourceId: j.resource.id,
        compliance: j.verdict.compliance,
        annotation: j.verdict.annotation,
      });
    }
    for (const f of failed) {
      failures.push({
        rule: s.name,
        resourceType: f.resourceType,
        ...(f.resourceId ? { resourceId: f.resourceId } : {}),
        ...(f.operation ? { operation: f.operation } : {}),
        // The operation leads the line (`Kinesis.ListStreams: TimeoutError: ...`), as describeFailure words it.
        error: describeFailure(f.error),
      });
    }
    for (const k of skips) skipped.push({ rule: s.name, resourceType: k.resourceType, operation: k.operation, reason: k.reason });
    const notes = [...(failed.length ? [`${failed.length} failure(s)`] : []), ...(skips.length ? [`${skips.length} kind(s) skipped`] : [])];
    options.onProgress?.(`${s.name}: ${judged.length} resource(s) evaluated${notes.length ? `, ${notes.join(', ')}` : ''}.`);
  }
  await ctx.listings.close();
  return { results, failures, skipped, stats: { operations: statsSince(before, clients.limiter.stats(), clients.limitKey), listings: { ...ctx.listings.counts } } };
}

/**
 * The limiter's counts for one account and region, less what they were before (the limiter is process-wide),
 * keyed `service:Operation`.
 */
function statsSince(
  before: Record<string, { taken: number; waitedMs: number }>,
  after: Record<string, { taken: number; waitedMs: number }>,
  key: { accountId: string; region: string },
): ScanStats['operations'] {
  const prefix = `${key.accountId}/${key.region}/`;
  const out: Record<string, { calls: number; waitedMs: number }> = {};
  for (const [id, now] of Object.entries(after)) {
    if (!id.startsWith(prefix)) continue;
    const was = before[id] ?? { taken: 0, waitedMs: 0 };
    if (now.taken > was.taken) out[id.slice(prefix.length)] = { calls: now.taken - was.taken, waitedMs: now.waitedMs - was.waitedMs };
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** `scan --verbose`: one line per operation with its calls and the time they waited for the rate limiter. */
export function formatStats(stats: ScanStats): string {
  const rows = Object.entries(stats.operations);
  const width = Math.max(9, ...rows.map(([op]) => op.length));
  const lines = [
    `${'OPERATION'.padEnd(width)}  ${'CALLS'.padStart(7)}  ${'WAITED MS'.padStart(10)}`,
    ...rows.map(([op, s]) => `${op.padEnd(width)}  ${String(s.calls).padStart(7)}  ${s.waitedMs.toFixed(0).padStart(10)}`),
    `Listings: ${stats.listings.listed} made, ${stats.listings.replayed} served again from this run's cache.`,
  ];
  return lines.join('\n');
}

/**
 * 0 nothing NON_COMPLIANT, 1 something is, 2 an error kept part of the scan from running. Skipped kinds (an
 * operation the endpoint or region does not offer) are not errors and do not change the code.
 */
export function exitCodeOf(results: readonly ScanResult[], failures: readonly ScanFailure[]): 0 | 1 | 2 {
  if (failures.length > 0) return 2;
  return results.some((r) => r.compliance === 'NON_COMPLIANT') ? 1 : 0;
}

/** Version of the `scan --format json` document; scripts/schemas/scan-output.schema.json describes it. */
export const SCAN_OUTPUT_SCHEMA_VERSION = '1';

/** Counts of one scan: every verdict kind and every failure and skip, so neither hides the other. */
export interface ScanSummary {
  readonly evaluations: number;
  readonly compliant: number;
  readonly nonCompliant: number;
  readonly notApplicable: number;
  /** Rule and resource kinds (or single resources) that could not be judged: exit code 2. */
  readonly failures: number;
  /** Rule and resource kinds the endpoint or region does not offer. */
  readonly skipped: number;
  readonly exitCode: 0 | 1 | 2;
}

/**
 * What `scan --format json` prints: an object, never a bare array, so a scan in which everything failed reads
 * `"results": []` next to its failures instead of an empty, clean-looking `[]`.
 */
export interface ScanOutput {
  readonly schemaVersion: typeof SCAN_OUTPUT_SCHEMA_VERSION;
  readonly results: readonly ScanResult[];
  readonly failures: readonly ScanFailure[];
  readonly skipped: readonly ScanSkip[];
  readonly summary: ScanSummary;
}

export function summarize(results: readonly ScanResult[], failures: readonly ScanFailure[], skipped: readonly ScanSkip[]): ScanSummary {
  const count = (c: ComplianceType) => results.filter((r) => r.compliance === c).length;
  return {
    evaluations: results.length,
    compliant: count('COMPLIANT'),
    nonCompliant: count('NON_COMPLIANT'),
    notApplicable: count('NOT_APPLICABLE'),
    failures: failures.length,
    skipped: skipped.length,
    exitCode: exitCodeOf(results, failures),
  };
}

export function scanOutput(results: readonly ScanResult[], failures: readonly ScanFailure[], skipped: readonly ScanSkip[]): ScanOutput {
  return { schemaVersion: SCAN_OUTPUT_SCHEMA_VERSION, results, failures, skipped, summary: summarize(results, failures, skipped) };
}

/** One line that names every count and what the exit code means, for the table and for stderr. */
export function formatSummary(s: ScanSummary): string {
  const verdicts = `${s.evaluations} evaluation(s): ${s.nonCompliant} NON_COMPLIANT, ${s.compliant} COMPLIANT, ${s.notApplicable} NOT_APPLICABLE`;
  const gaps = `${s.failures} failed, ${s.skipped} skipped`;
  const meaning =
    s.exitCode === 2
      ? s.nonCompliant > 0
        ? 'NON_COMPLIANT resources found AND part of the scan failed (see ERROR lines)'
        : 'part of the scan failed (see ERROR lines); the verdicts above are incomplete'
      : s.exitCode === 1
        ? 'NON_COMPLIANT resources found'
        : 'nothing NON_COMPLIANT';
  return `Summary: ${verdicts}; ${gaps}. Exit ${s.exitCode}: ${meaning}.`;
}

/** `ERROR <rule> (<type>[ <id>]) <operation>: <error>`, one per failure. */
export function formatFailure(f: ScanFailure): string {
  // The runtime's messages already lead with the operation (`Kinesis.ListStreams: TimeoutError: ...`): name it once.
  const named = f.operation !== undefined && !f.error.startsWith(`${f.operation}:`);
  return `ERROR ${f.rule} (${f.resourceType}${f.resourceId ? ` ${f.resourceId}` : ''})${named ? ` ${f.operation}` : ''}: ${f.error}`;
}

/** `SKIPPED <rule> (<type>) <operation>: <reason>`, one per skip. */
export function formatSkip(s: ScanSkip): string {
  return `SKIPPED ${s.rule} (${s.resourceType}) ${s.operation}: ${s.reason}`;
}

/** A plain-text table, widths fitted to the content; the annotation column is last and never cut. */
export function formatTable(rows: readonly ScanResult[]): string {
  const header = ['RULE', 'RESOURCE TYPE', 'RESOURCE ID', 'COMPLIANCE', 'ANNOTATION'];
  const cells = rows.map((r) => [r.rule, r.resourceType, r.resourceId, r.compliance, r.annotation]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** The account and partition findings are filed under: given, or read with sts:GetCallerIdentity. */
export async function callerIdentity(
  target: { region: string; profile?: string; endpoint?: string; maxAttempts?: number; requestTimeoutMs?: number },
  accountId?: string,
): Promise<{ accountId: string; partition: string }> {
  if (accountId) return { accountId, partition: 'aws' };
  const clients = new AwsClients({
    region: target.region,
    ...(target.profile ? { credentials: fromIni({ profile: target.profile }) } : {}),
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.maxAttempts ? { maxAttempts: target.maxAttempts } : {}),
    ...(target.requestTimeoutMs ? { requestTimeoutMs: target.requestTimeoutMs } : {}),
  });
  const who = await clients.get(STSClient).send(new GetCallerIdentityCommand({}));
  if (!who.Account || !who.Arn) throw new Error('sts:GetCallerIdentity returned no Account or Arn.');
  return { accountId: who.Account, partition: parseArn(who.Arn).partition };
}

/** The ASFF findings the Lambdas import for the same verdicts (`scan --format asff`). */
export function findingsOf(results: readonly ScanResult[], context: FindingContext): AwsSecurityFinding[] {
  return results.map((r) =>
    toFinding(
      findSafeguard(r.rule),
      { ComplianceResourceType: r.resourceType, ComplianceResourceId: r.resourceId, ComplianceType: r.compliance, Annotation: r.annotation, OrderingTimestamp: context.now },
      context,
    ),
  );
}
