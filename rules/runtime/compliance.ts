/** The three verdicts `PutEvaluations` accepts (INSUFFICIENT_DATA is rejected for evaluations). */
export const Compliance = {
  Compliant: 'COMPLIANT',
  NonCompliant: 'NON_COMPLIANT',
  NotApplicable: 'NOT_APPLICABLE',
} as const;
export type ComplianceType = (typeof Compliance)[keyof typeof Compliance];

/** What a safeguard says about one resource. */
export interface Verdict {
  readonly compliance: ComplianceType;
  readonly annotation: string;
}

/** One verdict addressed to AWS Config (the shape `PutEvaluations` takes). */
export interface Evaluation {
  readonly ComplianceResourceType: string;
  readonly ComplianceResourceId: string;
  readonly ComplianceType: ComplianceType;
  readonly Annotation: string;
  readonly OrderingTimestamp: Date;
}

/** Config rejects annotations longer than this (Config API model, `StringWithCharLimit256`). */
export const MAX_ANNOTATION_LENGTH = 256;

const CITATION_TAIL = /\s(?:45 CFR \S+(?:,\s*)?)+$/;

/**
 * One piece of an annotation: the pack's own words (the verdict's reason, the fix hint, the citation), kept whole,
 * or `{ user }`: text a user controls (a resource name, an exemption reason, a date they typed), which is what gets
 * shortened when the annotation is too long.
 */
export type AnnotationPart = string | { readonly user: string };

/** Marks user-controlled text inside an annotation. */
export const userText = (text: string): AnnotationPart => ({ user: text });

/** Shortest a user text is cut to, ellipsis included, so the reader still sees which resource it was. */
const MIN_USER_TEXT = 12;

/**
 * Splits a finished annotation into parts, marking every occurrence of the given user-controlled texts, so
 * `fitAnnotation` cuts those rather than the reason or the citation.
 * @example markUserText('Stream a-very-long-name is not encrypted. 45 CFR ...', ['a-very-long-name'])
 */
export function markUserText(text: string, userTexts: readonly string[]): AnnotationPart[] {
  // Longest first, so a name that contains another is marked whole; very short texts are not worth cutting.
  const wanted = [...new Set(userTexts.map((t) => t.replace(/\s+/g, ' ').trim()))].filter((t) => t.length > MIN_USER_TEXT).sort((a, b) => b.length - a.length);
  let parts: AnnotationPart[] = [text.replace(/\s+/g, ' ')];
  for (const needle of wanted) {
    parts = parts.flatMap((p): AnnotationPart[] => {
      if (typeof p !== 'string' || !p.includes(needle)) return [p];
      return p.split(needle).flatMap((piece, i) => (i === 0 ? [piece] : [userText(needle), piece]));
    });
  }
  return parts.filter((p) => (typeof p === 'string' ? p !== '' : p.user !== ''));
}

const textOf = (p: AnnotationPart) => (typeof p === 'string' ? p : p.user);

/** The old cut, for an annotation whose own words alone are too long: cut the middle, keep the citation. */
function cutMiddle(clean: string): string {
  const tail = CITATION_TAIL.exec(clean)?.[0] ?? '';
  const room = MAX_ANNOTATION_LENGTH - tail.length - 1;
  return `${clean.slice(0, room).trimEnd()}…${tail}`;
}

/**
 * Fits an annotation into 256 characters. User-controlled parts (resource names, exemption reasons) are shortened
 * first, longest first, each to no less than a few characters and marked with `…`; the verdict's reason, the fix
 * hint and the HIPAA citation stay whole, because they are what an auditor reads and filters on. Only when the
 * pack's own words are too long is the middle of the text cut, still keeping the citation at the end.
 * @example fitAnnotation([`Stream `, userText('x'.repeat(300)), ` is not encrypted. 45 CFR 164.312(a)(2)(iv)`]).length // 256
 */
export function fitAnnotation(annotation: string | readonly AnnotationPart[]): string {
  const parts = (typeof annotation === 'string' ? [annotation] : annotation).map((p) =>
    typeof p === 'string' ? p.replace(/\s+/g, ' ') : userText(p.user.replace(/\s+/g, ' ')),
  );
  const joined = () => parts.map(textOf).join('').replace(/ +/g, ' ').trim();
  let clean = joined();
  if (clean.length <= MAX_ANNOTATION_LENGTH) return clean === '' ? '-' : clean;
  let excess = clean.length - MAX_ANNOTATION_LENGTH;
  const order = parts
    .map((p, i) => ({ p, i }))
    .filter((x) => typeof x.p !== 'string')
    .sort((a, b) => textOf(b.p).length - textOf(a.p).length);
  for (const { p, i } of order) {
    if (excess <= 0) break;
    const text = textOf(p);
    const keep = Math.max(MIN_USER_TEXT - 1, text.length - excess - 1);
    if (keep >= text.length) continue;
    const cut = `${text.slice(0, keep).trimEnd()}…`;
    excess -= text.length - cut.length;
    parts[i] = userText(cut);
  }
  clean = joined();
  return clean.length <= MAX_ANNOTATION_LENGTH ? clean : cutMiddle(clean);
}

export function compliant(annotation: string): Verdict {
  return { compliance: Compliance.Compliant, annotation };
}
export function nonCompliant(annotation: string): Verdict {
  return { compliance: Compliance.NonCompliant, annotation };
}
export function notApplicable(annotation: string): Verdict {
  return { compliance: Compliance.NotApplicable, annotation };
}
