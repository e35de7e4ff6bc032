import type { Safeguard } from '../../rules/runtime/safeguard';
import type { RemediationDocument } from './remediation-docs';

/**
 * IAM actions the shared runtime (rules/runtime) calls on top of a rule's own listing and lookups, by the
 * notification that makes it call them. Keep in step with rules/runtime/handler.ts.
 */
export const RUNTIME_ACTIONS = {
  /** Every invocation reports its verdicts. */
  always: ['config:PutEvaluations'],
  /** Oversized change notifications carry no item: the runtime reads it from the history. */
  change: ['config:GetResourceConfigHistory'],
  /** Periodic runs list the resources, and mark ones evaluated before but now gone as NOT_APPLICABLE. */
  periodic: ['config:GetComplianceDetailsByConfigRule'],
} as const;

/**
 * Exactly the actions one rule's Lambda calls, sorted: the runtime's for the rule's triggers, the resource
 * listing (periodic runs only list; change notifications carry the item) and the rule's lookups.
 * The single source for the rule roles in serverless.yml and for the tests that check them.
 */
export function ruleActions(safeguard: Safeguard): string[] {
  const actions = new Set<string>([...RUNTIME_ACTIONS.always, ...(safeguard.lookupActions ?? [])]);
  if (safeguard.triggers.includes('change')) for (const a of RUNTIME_ACTIONS.change) actions.add(a);
  if (safeguard.triggers.includes('periodic')) {
    for (const a of RUNTIME_ACTIONS.periodic) actions.add(a);
    for (const a of safeguard.resource.listActions) actions.add(a);
  }
  return [...actions].sort();
}

/** The remediation role's actions: the union of what the documents declare, sorted. */
export function remediationActions(documents: readonly RemediationDocument[]): string[] {
  return [...new Set(documents.flatMap((d) => d.iamActions))].sort();
}

/** `*`, `service:*` or any wildcard: never granted by this pack. */
export function isWildcardAction(action: string): boolean {
  return action.includes('*') || action.includes('?');
}
