import { compliant, nonCompliant, notApplicable } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { notifyPersonRemediation } from './runtime/remediation-links';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { elastiCacheLabel, elastiCacheResource, requireKnown } from './resources/elasticache';

/**
 * Why 164.308(a)(1)(ii)(B): risk management requires reducing vulnerabilities to a reasonable level. Previous-generation
 * node types run on retired hardware platforms, cannot be created any more (so a failed or restored cache cannot be
 * rebuilt on the same type: a contingency risk as well) and do not get the newer platform's security features.
 */
const CITATION = '45 CFR 164.308(a)(1)(ii)(B)';

/**
 * Current-generation node families, from the ElastiCache API reference (CacheNode, botocore model 2015-02-02) plus
 * r6gd (data tiering) and c7gn (network optimized). Previous generation: t1, m1, m2, m3, c1, r3. AWS is moving t2 to
 * previous generation: drop it from the parameter to fail t2 nodes now.
 */
export const CURRENT_GENERATION_FAMILIES = ['t2', 't3', 't4g', 'm4', 'm5', 'm6g', 'm7g', 'r4', 'r5', 'r6g', 'r6gd', 'r7g', 'c7gn'] as const;

const NODE_TYPE = /^cache\.([a-z][a-z0-9-]*)\.[a-z0-9]+$/;

/**
 * ElastiCache replication groups and cache clusters run on current-generation node types.
 *
 * Scenario 1: Given a serverless cache (no node types), Then NOT_APPLICABLE.
 * Scenario 2: Given no node type reported, Then NON_COMPLIANT (it cannot be verified).
 * Scenario 3: Given a node type that is not cache.<family>.<size>, Then NON_COMPLIANT.
 * Scenario 4: Given a node type whose family is not in currentGenerationFamilies (t1, m1, m2, m3, c1, r3 by default),
 *             Then NON_COMPLIANT. A group mid-scaling fails while any of its node types does.
 * Scenario 5: Given only node types of listed families, Then COMPLIANT.
 * Scenario 6: Given a cluster whose API answer left CacheNodeType out, Then no verdict: a failure of that resource
 *             (IncompleteResourceError); the other rules still judge it.
 */
export const elastiCacheCurrentGenerationNodes = defineSafeguard({
  name: 'elasticache-current-generation-nodes',
  title: 'ElastiCache caches run on current-generation node types',
  description:
    'Checks that every ElastiCache replication group and cache cluster uses node types of a current-generation family (previous generation: t1, m1, m2, m3, c1, r3).',
  resource: elastiCacheResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.Low,
  parameters: {
    currentGenerationFamilies: {
      type: 'stringList',
      default: CURRENT_GENERATION_FAMILIES,
      itemPattern: /^[a-z][a-z0-9-]*$/,
      description: `Comma-separated node families counted as current generation (the part between "cache." and the size). Default: ${CURRENT_GENERATION_FAMILIES.join(',')}.`,
    },
  },
  // A node type changes only through a migration a person plans, so the pack tells them.
  remediation: notifyPersonRemediation('elasticache-current-generation-nodes'),
  lookupActions: [],

  evaluate(cache, params) {
    const name = elastiCacheLabel(cache);
    if (cache.kind === 'serverlessCache') {
      // Scenario 1
      return notApplicable(`${name} has no node types to choose (serverless). ${CITATION}`);
    }
    // Scenario 6: the answer left CacheNodeType out for this cluster: its failure, not a verdict.
    requireKnown(cache, 'CacheNodeType');
    if (cache.nodeTypes.length === 0) {
      // Scenario 2
      return nonCompliant(`${name} reports no CacheNodeType, so its node generation cannot be verified. ${CITATION}`);
    }
    for (const type of cache.nodeTypes) {
      const family = NODE_TYPE.exec(type)?.[1];
      if (family === undefined) {
        // Scenario 3
        return nonCompliant(`${name} uses node type ${type}, which is not of the form cache.<family>.<size>. ${CITATION}`);
      }
      if (!params.currentGenerationFamilies.includes(family)) {
        // Scenario 4
        return nonCompliant(
          `${name} uses previous-generation node type ${type} (family ${family} is not in currentGenerationFamilies). Scale to a current-generation node type. ${CITATION}`,
        );
      }
    }
    // Scenario 5
    return compliant(`${name} uses current-generation node type ${cache.nodeTypes.join(', ')}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(elastiCacheCurrentGenerationNodes);
