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
 * Fits an annotation into 256 characters. Long resource names or reasons are shortened in the middle of the
 * text; the HIPAA citation at the end is kept, because auditors filter on it.
 * @example fitAnnotation(`Stream ${'x'.repeat(300)} is not encrypted. 45 CFR 164.312(a)(2)(iv)`).length // 256
 */
export function fitAnnotation(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= MAX_ANNOTATION_LENGTH) return clean === '' ? '-' : clean;
  const tail = CITATION_TAIL.exec(clean)?.[0] ?? '';
  const room = MAX_ANNOTATION_LENGTH - tail.length - 1;
  return `${clean.slice(0, room).trimEnd()}…${tail}`;
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
