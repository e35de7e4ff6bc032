import { compliant, nonCompliant, notApplicable } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { type PendingSecurityUpdate, elastiCacheLabel, elastiCacheResource, pendingSecurityUpdates } from './resources/elasticache';

/**
 * Why 164.308(a)(1)(ii)(B): risk management requires security measures that reduce vulnerabilities to a reasonable
 * and appropriate level. An ElastiCache security update left unapplied past the date AWS recommends is a known,
 * fixable vulnerability on a system that holds ePHI.
 */
const CITATION = '45 CFR 164.308(a)(1)(ii)(B)';

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * ElastiCache replication groups and cache clusters have every security update applied by its recommended
 * apply-by date (ServiceUpdateRecommendedApplyByDate of the DescribeUpdateActions security updates).
 *
 * Scenario 1: Given a serverless cache (AWS applies its updates; it has no update actions), Then NOT_APPLICABLE.
 * Scenario 2: Given a security update not complete and past its recommended apply-by date, Then NON_COMPLIANT,
 *             naming the update, its date and status.
 * Scenario 3: Given security updates not complete but none past its date, Then COMPLIANT, naming the next due.
 * Scenario 4: Given no security update outstanding, Then COMPLIANT.
 * Update actions of a group's member clusters count for the group. An update without an apply-by date is pending,
 * never overdue.
 */
export const elastiCacheSecurityUpdatesApplied = defineSafeguard({
  name: 'elasticache-security-updates-applied',
  title: 'ElastiCache caches have security updates applied by their recommended date',
  description:
    'Checks that no ElastiCache replication group or cache cluster has a security update (DescribeUpdateActions) that is not complete past its recommended apply-by date.',
  resource: elastiCacheResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.Medium,
  parameters: {},
  // Manual: applying an update restarts nodes; a person picks the window.
  remediation: {
    document: 'HIPAA-ElastiCacheApplySecurityUpdates',
    automatic: false,
    resourceIdParameter: 'ResourceId',
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
  },
  lookupActions: ['elasticache:DescribeUpdateActions'],
  async gather(cache, _params, lookup): Promise<{ updates: readonly PendingSecurityUpdate[] }> {
    if (cache.kind === 'serverlessCache') return { updates: [] };
    // One DescribeUpdateActions pass per run serves every resource.
    const all = await pendingSecurityUpdates(lookup);
    const mine =
      cache.kind === 'replicationGroup'
        ? all.filter((u) => u.replicationGroupId === cache.id || (u.cacheClusterId !== undefined && cache.memberClusters.includes(u.cacheClusterId)))
        : all.filter((u) => u.cacheClusterId === cache.id);
    return { updates: mine };
  },

  evaluate(cache, _params, ctx) {
    const name = elastiCacheLabel(cache);
    if (cache.kind === 'serverlessCache') {
      // Scenario 1
      return notApplicable(`${name} is patched by AWS: serverless caches have no update actions. ${CITATION}`);
    }
    const byDate = [...ctx.facts.updates].sort(
      (a, b) => (a.recommendedApplyBy?.getTime() ?? Infinity) - (b.recommendedApplyBy?.getTime() ?? Infinity) || a.serviceUpdateName.localeCompare(b.serviceUpdateName),
    );
    const overdue = byDate.filter((u) => u.recommendedApplyBy !== undefined && u.recommendedApplyBy.getTime() < ctx.now.getTime());
    if (overdue.length > 0) {
      const list = overdue.map((u) => `${u.serviceUpdateName} due ${day(u.recommendedApplyBy as Date)} (${u.status})`).join('; ');
      // Scenario 2
      return nonCompliant(`${name} has ${overdue.length} overdue security update(s): ${list}. Apply with BatchApplyUpdateAction. ${CITATION}`);
    }
    const next = byDate[0];
    if (next) {
      const when = next.recommendedApplyBy ? `next due ${day(next.recommendedApplyBy)} (${next.serviceUpdateName})` : `without an apply-by date (${next.serviceUpdateName})`;
      // Scenario 3
      return compliant(`${name} has no overdue security update; ${byDate.length} pending, ${when}. ${CITATION}`);
    }
    // Scenario 4
    return compliant(`${name} has no pending security update. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(elastiCacheSecurityUpdatesApplied);
