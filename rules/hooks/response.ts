import type { PropertyVerdict } from '../prevention/judge-properties';
import type { Severity } from '../runtime/safeguard';

/**
 * The answer a Lambda Hook returns ("Response input").
 * @see https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/lambda-hooks-create-lambda-function.html#lambda-hooks-create-lambda-function-request-response
 *
 * - `hookStatus` SUCCESS | FAILED | IN_PROGRESS. This hook never answers IN_PROGRESS: it judges in one invocation
 *   (a hook may return IN_PROGRESS 3 times at most, and each reinvocation is another 30 s window).
 * - `errorCode` is required when FAILED: NonCompliant (evaluated, found invalid) or InternalFailure (the hook could
 *   not evaluate).
 * - `message` is truncated by CloudFormation to 4096 characters, and to 1024 for Cloud Control API: the handler fits
 *   it itself, whole entries first, so what is cut is said.
 * - `clientRequestToken` echoes the request's.
 * - `annotations` (optional): one per rule verdict, with PASSED | FAILED | SKIPPED and a severity level.
 */
export const HookStatus = { Success: 'SUCCESS', Failed: 'FAILED' } as const;
export type HookStatus = (typeof HookStatus)[keyof typeof HookStatus];

export const HookErrorCode = { NonCompliant: 'NonCompliant', InternalFailure: 'InternalFailure' } as const;
export type HookErrorCode = (typeof HookErrorCode)[keyof typeof HookErrorCode];

export const AnnotationStatus = { Passed: 'PASSED', Failed: 'FAILED', Skipped: 'SKIPPED' } as const;
export type AnnotationStatus = (typeof AnnotationStatus)[keyof typeof AnnotationStatus];

export interface HookAnnotation {
  readonly annotationName: string;
  readonly status: AnnotationStatus;
  readonly statusMessage: string;
  readonly severityLevel?: 'INFORMATIONAL' | Severity;
}

export interface HookResponse {
  readonly hookStatus: HookStatus;
  readonly errorCode?: HookErrorCode;
  readonly message: string;
  readonly clientRequestToken?: string;
  readonly annotations?: readonly HookAnnotation[];
}

/** CloudFormation keeps 4096 characters of the message; Cloud Control API keeps 1024. */
export const MAX_MESSAGE_LENGTH = 4096;
export const MAX_CLOUD_CONTROL_MESSAGE_LENGTH = 1024;
/**
 * The guide gives no limit for an annotation's statusMessage; it is kept to the Cloud Control message size so that no
 * annotation is longer than the shortest message a caller may see.
 */
export const MAX_ANNOTATION_MESSAGE_LENGTH = 1024;

const ELLIPSIS = '…';

/** Cuts text to `max` characters, marking the cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - ELLIPSIS.length))}${ELLIPSIS}`;
}

/**
 * `header entry1 entry2 ...` within `max` characters: whole entries while they fit, then `(+N more: rule, rule)`
 * naming the rules left out, so the caller still learns every rule that failed even when the reasons do not fit.
 */
export function fitMessage(header: string, entries: readonly { rule: string; text: string }[], max: number): string {
  for (let kept = entries.length; kept >= 0; kept--) {
    const shown = entries.slice(0, kept).map((e) => e.text);
    const rest = entries.slice(kept);
    const more = rest.length > 0 ? [`(+${rest.length} more: ${rest.map((e) => e.rule).join(', ')})`] : [];
    const text = [header, ...shown, ...more].join(' ');
    if (text.length <= max) return text;
  }
  return cut([header, ...entries.map((e) => e.rule)].join(' '), max);
}

/** One annotation per verdict: the rule, the verdict's annotation (it names the property and the HIPAA citation). */
export function annotationOf(v: PropertyVerdict, status: AnnotationStatus, severity: Severity | undefined): HookAnnotation {
  return {
    annotationName: v.rule,
    status,
    statusMessage: cut(v.compliance === 'UNKNOWN' ? `Could not verify: ${v.annotation}` : v.annotation, MAX_ANNOTATION_MESSAGE_LENGTH),
    ...(severity ? { severityLevel: severity } : {}),
  };
}
