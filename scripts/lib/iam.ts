import { RUNTIME_ACTIONS } from '../../rules/runtime/actions';
import { ORGANIZATION_GUARD_ACTIONS } from '../../rules/runtime/organization';
import type { Safeguard } from '../../rules/runtime/safeguard';
import type { RemediationDocument } from './remediation-docs';

export { RUNTIME_ACTIONS } from '../../rules/runtime/actions';

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

/**
 * Organization mode, hub side: what a rule Lambda calls as its own role. Every evaluation call goes through the
 * spoke evaluation role it assumes (rules/runtime/clients.ts); the account guard lists the organization's accounts
 * (rules/runtime/organization.ts).
 */
export function hubRuleActions(): string[] {
  return [...new Set<string>(['sts:AssumeRole', ...ORGANIZATION_GUARD_ACTIONS])].sort();
}

/** Organization mode, spoke side: the evaluation role the hub assumes serves every rule, so it holds their union. */
export function evaluationRoleActions(safeguards: readonly Safeguard[]): string[] {
  return [...new Set(safeguards.flatMap(ruleActions))].sort();
}
