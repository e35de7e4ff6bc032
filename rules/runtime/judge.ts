import type { AwsClients } from './clients';
import { type Verdict, fitAnnotation, notApplicable } from './compliance';
import { checkExemption } from './exemptions';
import { type KeyFacts, describeKmsKey } from './kms';
import type { ParameterSchema, ParameterValues } from './parameters';
import type { NormalizedResource, Safeguard } from './safeguard';

/** What judging needs besides the resource: clients for lookups, the clock, and a per-run key cache. */
export interface JudgeContext {
  readonly clients: AwsClients;
  readonly now: Date;
  /** Many resources share a key: describe each key once per run. */
  readonly keyCache: Map<string, Promise<KeyFacts>>;
}

export function newJudgeContext(clients: AwsClients, now: Date = new Date()): JudgeContext {
  return { clients, now, keyCache: new Map() };
}

async function lookupKeys(keyIds: readonly string[], ctx: JudgeContext): Promise<Map<string, KeyFacts>> {
  const keys = new Map<string, KeyFacts>();
  for (const keyId of new Set(keyIds)) {
    let pending = ctx.keyCache.get(keyId);
    if (!pending) {
      pending = describeKmsKey(ctx.clients.kms(), keyId);
      ctx.keyCache.set(keyId, pending);
    }
    keys.set(keyId, await pending);
  }
  return keys;
}

/**
 * One resource's verdict, exemptions included: the single path shared by the Lambda and the CLI.
 * Annotations come back fitted to Config's 256-character limit.
 */
export async function judge<R extends NormalizedResource, S extends ParameterSchema>(
  safeguard: Safeguard<R, S>,
  resource: R,
  params: ParameterValues<Safeguard<R, S>['schema']>,
  ctx: JudgeContext,
): Promise<Verdict> {
  const citation = safeguard.hipaa.join(', ');
  const exemption = checkExemption(resource, params.exemptResourceIds, ctx.now);
  if (exemption.kind === 'exempt') {
    return notApplicable(fitAnnotation(`${safeguard.resource.label(resource)} ${exemption.note}. ${citation}`));
  }
  const keys = await lookupKeys(safeguard.kmsKeysOf?.(resource, params) ?? [], ctx);
  const verdict = safeguard.evaluate(resource, params, { now: ctx.now, keys });
  const annotation = exemption.kind === 'lapsed' ? `${exemption.note} ${verdict.annotation}` : verdict.annotation;
  return { compliance: verdict.compliance, annotation: fitAnnotation(annotation) };
}

export interface Judged<R> {
  readonly resource: R;
  readonly verdict: Verdict;
}

/** Lists every resource of the safeguard's type and judges each one. */
export async function judgeAll<R extends NormalizedResource, S extends ParameterSchema>(
  safeguard: Safeguard<R, S>,
  params: ParameterValues<Safeguard<R, S>['schema']>,
  ctx: JudgeContext,
): Promise<Judged<R>[]> {
  const out: Judged<R>[] = [];
  for await (const resource of safeguard.resource.list(ctx.clients)) {
    out.push({ resource, verdict: await judge(safeguard, resource, params, ctx) });
  }
  return out;
}
