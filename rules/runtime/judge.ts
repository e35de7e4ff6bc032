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

/**
 * A resource kind whose listing failed (no `resourceId`: none of its verdicts are known), or one resource whose
 * facts could not be gathered. Neither gets an invented verdict, and neither may be reported as gone.
 */
export interface ListingFailure {
  readonly resourceType: string;
  readonly resourceId?: string;
  readonly error: Error;
}

/**
 * Lists every resource the safeguard covers and judges each one. Each resource kind is listed on its own:
 * a failing API (throttled past retries, access denied, not supported by an emulator) is reported for its kind
 * while the other kinds are still judged; a resource whose lookup fails is reported on its own likewise.
 */
export async function judgeAll<R extends NormalizedResource, S extends ParameterSchema, F>(
  safeguard: Safeguard<R, S, F>,
  params: ParameterValues<Safeguard<R, S, F>['schema']>,
  ctx: JudgeContext,
): Promise<{ judged: Judged<R>[]; failures: ListingFailure[] }> {
  const judged: Judged<R>[] = [];
  const failures: ListingFailure[] = [];
  const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));
  for (const lister of safeguard.resource.listers) {
    const kind: Judged<R>[] = [];
    const resourceFailures: ListingFailure[] = [];
    try {
      for await (const resource of lister.list(ctx.clients)) {
        try {
          kind.push({ resource, verdict: await judge(safeguard, resource, params, ctx) });
        } catch (error) {
          resourceFailures.push({ resourceType: resource.resourceType, resourceId: resource.id, error: asError(error) });
        }
      }
      judged.push(...kind);
      failures.push(...resourceFailures);
    } catch (error) {
      failures.push({ resourceType: lister.resourceType, error: asError(error) });
    }
  }
  return { judged, failures };
}
