import type { AwsClients } from './clients';
import { type Verdict, fitAnnotation, notApplicable } from './compliance';
import { checkExemption } from './exemptions';
import { Lookup } from './lookup';
import type { ParameterSchema, ParameterValues } from './parameters';
import type { NormalizedResource, Safeguard } from './safeguard';

/** What judging needs besides the resource: clients, the clock, and the run's cached lookups. */
export interface JudgeContext {
  readonly clients: AwsClients;
  readonly now: Date;
  readonly lookup: Lookup;
}

export function newJudgeContext(clients: AwsClients, now: Date = new Date()): JudgeContext {
  return { clients, now, lookup: new Lookup(clients) };
}

/**
 * One resource's verdict, exemptions included: the single path shared by the Lambda and the CLI.
 * Annotations come back fitted to Config's 256-character limit.
 */
export async function judge<R extends NormalizedResource, S extends ParameterSchema, F>(
  safeguard: Safeguard<R, S, F>,
  resource: R,
  params: ParameterValues<Safeguard<R, S, F>['schema']>,
  ctx: JudgeContext,
): Promise<Verdict> {
  const citation = safeguard.hipaa.join(', ');
  const exemption = checkExemption(resource, params.exemptResourceIds, ctx.now);
  if (exemption.kind === 'exempt') {
    return notApplicable(fitAnnotation(`${safeguard.resource.label(resource)} ${exemption.note}. ${citation}`));
  }
  const facts = (safeguard.gather ? await safeguard.gather(resource, params, ctx.lookup) : undefined) as F;
  const verdict = safeguard.evaluate(resource, params, { now: ctx.now, facts });
  const annotation = exemption.kind === 'lapsed' ? `${exemption.note} ${verdict.annotation}` : verdict.annotation;
  return { compliance: verdict.compliance, annotation: fitAnnotation(annotation) };
}

export interface Judged<R> {
  readonly resource: R;
  readonly verdict: Verdict;
}

/** A resource kind whose listing failed: none of its verdicts are known, and none may be invented. */
export interface ListingFailure {
  readonly resourceType: string;
  readonly error: Error;
}

/**
 * Lists every resource the safeguard covers and judges each one. Each resource kind is listed on its own:
 * a failing API (throttled past retries, access denied, not supported by an emulator) is reported for its kind
 * while the other kinds are still judged.
 */
export async function judgeAll<R extends NormalizedResource, S extends ParameterSchema, F>(
  safeguard: Safeguard<R, S, F>,
  params: ParameterValues<Safeguard<R, S, F>['schema']>,
  ctx: JudgeContext,
): Promise<{ judged: Judged<R>[]; failures: ListingFailure[] }> {
  const judged: Judged<R>[] = [];
  const failures: ListingFailure[] = [];
  for (const lister of safeguard.resource.listers) {
    const kind: Judged<R>[] = [];
    try {
      for await (const resource of lister.list(ctx.clients)) {
        kind.push({ resource, verdict: await judge(safeguard, resource, params, ctx) });
      }
      judged.push(...kind);
    } catch (error) {
      failures.push({ resourceType: lister.resourceType, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return { judged, failures };
}
