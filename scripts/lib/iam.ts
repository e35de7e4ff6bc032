import { QUEUE_CONSUMER_ACTIONS, REEVALUATE_ACTIONS, RUNTIME_ACTIONS } from '../../rules/runtime/actions';
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

/** Whether the catalog has ElastiCache rules (periodic only) that the CloudTrail re-evaluation trigger starts early. */
export function wantsReevaluateTrigger(safeguards: readonly Safeguard[]): boolean {
  return safeguards.some((s) => s.resource.resourceTypes.some((t) => t.startsWith('AWS::ElastiCache::')));
}

/**
 * Organization mode, spoke side: the evaluation role the hub assumes serves every rule, so it holds their union, plus
 * what the ElastiCache re-evaluation trigger calls through it (rules/triggers/elasticache-reevaluate.ts) when deployed.
 */
export function evaluationRoleActions(safeguards: readonly Safeguard[]): string[] {
  const trigger = wantsReevaluateTrigger(safeguards) ? REEVALUATE_ACTIONS : [];
  return [...new Set([...safeguards.flatMap(ruleActions), ...trigger])].sort();
}

/**
 * Organization mode, hub side: what the ElastiCache re-evaluation trigger calls as its own role: it consumes its queue
 * and assumes the spoke evaluation role of the event's account, which holds REEVALUATE_ACTIONS.
 */
export function hubReevaluateActions(): string[] {
  return [...new Set<string>(['sts:AssumeRole', ...QUEUE_CONSUMER_ACTIONS])].sort();
}
