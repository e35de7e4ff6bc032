import { NonAwsResponseError, TimeBudgetExceededError, isUnsupportedOperation, operationOf } from './aws-errors';
import type { AwsClients } from './clients';
import { type Verdict, fitAnnotation, markUserText, notApplicable } from './compliance';
import { checkExemption } from './exemptions';
import { runBounded } from './limiter';
import { ListingCache } from './listing-cache';
import { Lookup } from './lookup';
import type { ParameterSchema, ParameterValues } from './parameters';
import { type ListOptions, type NormalizedResource, type Safeguard, UnreadableResource } from './safeguard';

/** Resources judged at once by default (`scan --concurrency`, the Lambda's HIPAA_SAFEGUARDS_CONCURRENCY). */
export const DEFAULT_CONCURRENCY = 8;

/**
 * What judging needs besides the resource: clients, the clock, and what the run shares across its rules: cached
 * lookups, and listings made once (`listings`). One per run; every rule of a scan judges with the same one.
 */
export interface JudgeContext {
  readonly clients: AwsClients;
  readonly now: Date;
  readonly lookup: Lookup;
  readonly listings: ListingCache;
  /** Resources of a kind judged at once, and what listers may have in flight (ListContext). */
  readonly concurrency: number;
}

/**
 * The context of one run.
 * @example const ctx = newJudgeContext(clients, new Date(), { concurrency: 8 }); for (const s of rules) await judgeAll(s, params, ctx);
 */
export function newJudgeContext(
  clients: AwsClients,
  now: Date = new Date(),
  options: {
    readonly concurrency?: number;
    readonly nonAwsResponseIsUnsupported?: boolean;
    /** How the run's listings read (AWS Config first, where each listing says what it chose). */
    readonly listOptions?: Omit<ListOptions, 'concurrency'>;
  } = {},
): JudgeContext {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}.`);
  const lookup = new Lookup(clients, options.nonAwsResponseIsUnsupported ? { nonAwsResponseIsUnsupported: true } : {});
  return { clients, now, lookup, listings: new ListingCache({ ...options.listOptions, concurrency }), concurrency };
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
  // What users control (the resource's ID and name, the exemption tag values) is what a long annotation loses first.
  const userTexts = [resource.id, ...userNamesOf(resource), ...(exemption.kind === 'none' ? [] : exemption.userTexts)];
  if (exemption.kind === 'exempt') {
    return notApplicable(fitAnnotation(markUserText(`${safeguard.resource.label(resource)} ${exemption.note}. ${citation}`, userTexts)));
  }
  const facts = (safeguard.gather ? await safeguard.gather(resource, params, ctx.lookup) : undefined) as F;
  const verdict = safeguard.evaluate(resource, params, { now: ctx.now, facts });
  const annotation = exemption.kind === 'lapsed' ? `${exemption.note} ${verdict.annotation}` : verdict.annotation;
  return { compliance: verdict.compliance, annotation: fitAnnotation(markUserText(annotation, userTexts)) };
}

/** A resource's own name, where its view has one besides the ID (Kinesis `name`). */
function userNamesOf(resource: NormalizedResource): string[] {
  const name = (resource as { name?: unknown }).name;
  return typeof name === 'string' ? [name] : [];
}

export interface Judged<R> {
  readonly resource: R;
  readonly verdict: Verdict;
}

/**
 * A resource kind whose listing failed or was not finished (no `resourceId`: its verdicts are incomplete), or one
 * resource that could not be judged (incomplete API answer, failed lookup). Neither gets an invented verdict, and
 * neither may be reported as gone.
 */
export interface ListingFailure {
  readonly resourceType: string;
  readonly resourceId?: string;
  /** `<Service>.<Operation>` that failed, when an AWS call failed. */
  readonly operation?: string;
  readonly error: Error;
}

/**
 * A resource kind not judged (by this rule) because the endpoint or region does not offer an operation its listing
 * or the rule's lookup needs. Not an error: its resources get no verdict (exempt ones, which need no lookup, still
 * may) and none is reported as gone, since the kind is not known completely.
 */
export interface ListingSkip {
  readonly resourceType: string;
  /** `<Service>.<Operation>` the endpoint does not offer. */
  readonly operation: string;
  readonly reason: string;
}

export interface JudgeAllOptions<R> {
  /**
   * Called before each resource kind and each resource; once it returns true, nothing more is listed or judged and
   * what was not reached is reported as a TimeBudgetExceededError failure (its kind is incomplete).
   */
  readonly outOfTime?: () => boolean;
  /** Receives each verdict as it is reached (the Lambda sends them in batches while it lists). */
  readonly onJudged?: (judged: Judged<R>) => Promise<void> | void;
  /**
   * For an endpoint known to answer the operations it lacks with an HTML error page (moto answers HTTP 500
   * text/html): a non-AWS answer to a listing call skips the kind instead of failing it. Off by default: from AWS,
   * an HTML page means a proxy or a wrong endpoint, which is an error.
   */
  readonly nonAwsResponseIsUnsupported?: boolean;
}

export interface JudgeAllResult<R> {
  readonly judged: Judged<R>[];
  readonly failures: ListingFailure[];
  readonly skipped: ListingSkip[];
}

/** The items of `source`, each pulled only once `ready` resolves. */
async function* paced<T>(source: AsyncIterable<T>, ready: () => Promise<void>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      await ready();
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

/** What became of one listed item, kept in listing order. */
type Settled<R> =
  | { readonly kind: 'judged'; readonly one: Judged<R> }
  | { readonly kind: 'unreadable'; readonly item: UnreadableResource }
  | { readonly kind: 'failed'; readonly item: R; readonly error: unknown };

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

function failureOf(resourceType: string, error: unknown, resourceId?: string): ListingFailure {
  const err = asError(error);
  const operation = operationOf(err);
  return { resourceType, ...(resourceId !== undefined ? { resourceId } : {}), ...(operation ? { operation } : {}), error: err };
}

/** The skip an error means for a kind: an operation the endpoint or region does not offer; undefined otherwise. */
function skipOf(resourceType: string, error: unknown, options: { readonly nonAwsResponseIsUnsupported?: boolean }): ListingSkip | undefined {
  if (isUnsupportedOperation(error)) {
    const operation = operationOf(error) ?? 'unknown operation';
    return { resourceType, operation, reason: `${operation} is not offered by this endpoint or region (${asError(error).name}).` };
  }
  if (options.nonAwsResponseIsUnsupported && error instanceof NonAwsResponseError) {
    return { resourceType, operation: error.operation, reason: `${error.message.replace(/\.$/, '')}: taken as not offered by this endpoint.` };
  }
  return undefined;
}

/**
 * Lists every resource the safeguard covers and judges each one. Each resource kind is listed on its own:
 * a failing API (throttled past retries, access denied, timed out) is reported for its kind while the other kinds
 * are still judged, and the verdicts reached before it failed are kept; an operation the endpoint does not offer
 * skips its kind; a resource whose answer is incomplete or whose lookup fails is reported on its own.
 */
export async function judgeAll<R extends NormalizedResource, S extends ParameterSchema, F>(
  safeguard: Safeguard<R, S, F>,
  params: ParameterValues<Safeguard<R, S, F>['schema']>,
  ctx: JudgeContext,
  options: JudgeAllOptions<R> = {},
): Promise<JudgeAllResult<R>> {
  const judged: Judged<R>[] = [];
  const failures: ListingFailure[] = [];
  const skipped: ListingSkip[] = [];
  const outOfTime = options.outOfTime ?? (() => false);
  const addSkip = (skip: ListingSkip) => {
    if (!skipped.some((k) => k.resourceType === skip.resourceType && k.operation === skip.operation)) skipped.push(skip);
  };
  const listers = safeguard.resource.listers;
  for (const [index, lister] of listers.entries()) {
    if (outOfTime()) {
      for (const rest of listers.slice(index)) {
        failures.push(failureOf(rest.resourceType, new TimeBudgetExceededError(`The time budget ran out before ${rest.resourceType} was listed.`)));
      }
      break;
    }
    let count = 0;
    // Verdicts are delivered one after the other, in listing order, while later resources are still being judged.
    let delivering: Promise<void> = Promise.resolve();
    let deliveryError: unknown;
    const backlog = { queued: 0, delivered: 0 };
    // The listing waits while `concurrency` verdicts wait to be delivered: a slow PutEvaluations slows listing
    // instead of piling up verdicts that a stopped run would never send.
    const held = async () => {
      while (backlog.queued - backlog.delivered >= ctx.concurrency) await delivering;
    };
    let pulls = 0;
    const run = await runBounded(
      paced(ctx.listings.list(lister, ctx.clients), held),
      async (item): Promise<Settled<R>> => {
        if (item instanceof UnreadableResource) return { kind: 'unreadable', item };
        try {
          return { kind: 'judged', one: { resource: item, verdict: await judge(safeguard, item, params, ctx) } };
        } catch (error) {
          return { kind: 'failed', item, error };
        }
      },
      {
        concurrency: ctx.concurrency,
        // Asked after each resource (the kind was checked just before its first): once out of time, nothing more is
        // listed or judged.
        remainingMs: () => (pulls++ > 0 && outOfTime() ? -1 : 0),
        onSettled: (outcome) => {
          // The work above never throws: each resource's failure is its own outcome.
          if (outcome.status !== 'fulfilled') return;
          const settled = outcome.value;
          if (settled.kind === 'unreadable') failures.push(failureOf(settled.item.resourceType, settled.item.error, settled.item.id));
          else if (settled.kind === 'failed') {
            // A lookup the endpoint does not offer (DescribeUpdateActions on an emulator) skips the kind for this
            // rule rather than failing each resource; the resource gets no verdict either way.
            const skip = skipOf(settled.item.resourceType, settled.error, options);
            if (skip) addSkip(skip);
            else failures.push(failureOf(settled.item.resourceType, settled.error, settled.item.id));
          } else {
            judged.push(settled.one);
            count++;
            const deliver = options.onJudged;
            // A failure to deliver is the caller's, not this resource's: it ends the kind below.
            if (deliver) {
              backlog.queued++;
              delivering = delivering
                .then(() => deliver(settled.one))
                .catch((error: unknown) => void (deliveryError ??= error))
                .finally(() => void backlog.delivered++);
            }
          }
        },
      },
    );
    await delivering;
    if (deliveryError !== undefined) failures.push(failureOf(lister.resourceType, deliveryError));
    else if (run.sourceError) {
      const skip = skipOf(lister.resourceType, run.sourceError, options);
      if (skip) addSkip(skip);
      else failures.push(failureOf(lister.resourceType, run.sourceError));
    } else if (run.stoppedEarly) {
      failures.push(
        failureOf(lister.resourceType, new TimeBudgetExceededError(`The time budget ran out after ${count} ${lister.resourceType} resource(s); the rest were not listed.`)),
      );
    }
  }
  return { judged, failures, skipped };
}
