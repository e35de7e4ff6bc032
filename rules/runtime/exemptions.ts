import type { NormalizedResource } from './safeguard';

export const EXEMPT_TAG = 'hipaa-safeguards:exempt';
export const EXEMPT_UNTIL_TAG = 'hipaa-safeguards:exempt-until';

/** Outcome of the exemption check for one resource. */
export type Exemption =
  | { readonly kind: 'none' }
  /** `userTexts`: the tag values quoted in `note`, which an annotation may shorten (never the rest of the note). */
  | { readonly kind: 'exempt'; readonly note: string; readonly userTexts: readonly string[] }
  /** Evaluated normally; `note` prefixes the annotation so the owner sees why the exemption no longer holds. */
  | { readonly kind: 'lapsed'; readonly note: string; readonly userTexts: readonly string[] };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The instant an exempt-until value ends. A bare date covers that whole day (UTC), so
 * `2027-01-31` still exempts during January 31st.
 */
export function exemptionEnd(value: string): Date | undefined {
  const v = value.trim();
  if (ISO_DATE.test(v)) {
    const d = new Date(`${v}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) return undefined;
    return new Date(d.getTime() + 24 * 3600 * 1000);
  }
  if (ISO_DATE_TIME.test(v)) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/**
 * Applies the exemption tags and the `exemptResourceIds` rule parameter.
 * @example checkExemption({ id: 's', tags: { 'hipaa-safeguards:exempt': 'CHG-1' } }, [], now) // { kind: 'exempt', ... }
 */
export function checkExemption(resource: NormalizedResource, exemptIds: readonly string[], now: Date): Exemption {
  if (exemptIds.includes(resource.id)) {
    return { kind: 'exempt', note: 'is exempt by rule parameter exemptResourceIds', userTexts: [] };
  }
  const reasonTag = resource.tags[EXEMPT_TAG];
  if (reasonTag === undefined) return { kind: 'none' };
  const reason = reasonTag.trim() === '' ? 'no reason given' : reasonTag.trim();
  const until = resource.tags[EXEMPT_UNTIL_TAG];
  const userTexts = [reason, until ?? ''].filter((t) => t !== '');
  if (until === undefined) return { kind: 'exempt', note: `is exempt by tag ${EXEMPT_TAG} (${reason})`, userTexts };
  const end = exemptionEnd(until);
  if (!end) {
    return { kind: 'lapsed', note: `Exemption ignored: ${EXEMPT_UNTIL_TAG} ${JSON.stringify(until)} is not an ISO 8601 date.`, userTexts: [JSON.stringify(until)] };
  }
  if (now.getTime() >= end.getTime()) {
    return { kind: 'lapsed', note: `Exemption (${reason}) expired ${until.trim()}.`, userTexts };
  }
  return { kind: 'exempt', note: `is exempt by tag ${EXEMPT_TAG} (${reason}) until ${until.trim()}`, userTexts };
}
