import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { snapshotAndDeleteRemediation } from './runtime/remediation-links';
import { keyCheckNeeded, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { Condemnation, Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { elastiCacheLabel, elastiCacheResource } from './resources/elasticache';

const CITATION = '45 CFR 164.312(a)(2)(iv)';
/** At-rest encryption and its key are chosen when a cache is created and cannot be changed afterwards. */
const KEY_FIX = 'The key is fixed at creation: restore a snapshot into a new cache that uses an allowed key.';

/**
 * ElastiCache replication groups, standalone cache clusters and serverless caches that hold PHI are encrypted at rest.
 *
 * Scenario 1: Given a replication group with AtRestEncryptionEnabled false (or absent), Then NON_COMPLIANT.
 * Scenario 2: Given a standalone cache cluster without at-rest encryption (CreateCacheCluster cannot enable it),
 *             Then NON_COMPLIANT.
 * Scenario 3: Given at-rest encryption on a replication group or cluster and default parameters, Then COMPLIANT.
 * Scenario 4: Given a serverless cache (always encrypted at rest) and default parameters, Then COMPLIANT.
 * Scenario 5: Given encryption with the ElastiCache default key (no KmsKeyId) and requireCustomerManagedKey,
 *             Then NON_COMPLIANT.
 * Scenario 6: Given encryption with the ElastiCache default key (no KmsKeyId) and allowedKmsKeyArns, Then NON_COMPLIANT.
 * Scenario 7: Given a KmsKeyId and a key parameter, and the key is AWS managed, not Enabled, cannot be resolved or is
 *             not allowed, Then NON_COMPLIANT.
 * Scenario 8: Given a KmsKeyId that passes the key parameters, Then COMPLIANT.
 * Status (creating, modifying, deleting, snapshotting) does not change the verdict: it comes from the configuration.
 * Exemptions and vanished resources are the runtime's: NOT_APPLICABLE before evaluate runs.
 */
export const elastiCacheEncryptedAtRest = defineSafeguard({
  name: 'elasticache-encrypted-at-rest',
  title: 'ElastiCache caches are encrypted at rest',
  description:
    'Checks that every ElastiCache replication group, standalone cache cluster and serverless cache is encrypted at rest, optionally with a customer managed KMS key from an allow list.',
  resource: elastiCacheResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    requireCustomerManagedKey: requireCustomerManagedKeyParameter,
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  // Automatic like the service it replaces, made safe: it re-checks at run time, snapshots first and spares
  // caches older than MaxAgeHours.
  remediation: snapshotAndDeleteRemediation('elasticache-encrypted-at-rest', true, Condemnation.AtRestEncryptionDisabled),
  lookupActions: ['kms:DescribeKey'],
  async gather(cache, params, lookup) {
    return { key: cache.kmsKeyId && keyCheckNeeded(params) ? await kmsKeyFacts(lookup, cache.kmsKeyId) : undefined };
  },

  evaluate(cache, params, ctx) {
    const name = elastiCacheLabel(cache);
    if (cache.kind !== 'serverlessCache' && !cache.atRestEncryptionEnabled) {
      if (cache.kind === 'cacheCluster') {
        // Scenario 2
        return nonCompliant(
          `${name} is not encrypted at rest (AtRestEncryptionEnabled false). Standalone clusters cannot enable it: move the data to an encrypted replication group or serverless cache. ${CITATION}`,
        );
      }
      // Scenario 1
      return nonCompliant(
        `${name} is not encrypted at rest (AtRestEncryptionEnabled false). It is set only at creation: restore a snapshot into a new replication group with AtRestEncryptionEnabled. ${CITATION}`,
      );
    }
    const how = cache.kind === 'serverlessCache' ? 'encrypted at rest (always, for serverless caches)' : 'encrypted at rest';
    if (!cache.kmsKeyId) {
      if (params.requireCustomerManagedKey) {
        // Scenario 5
        return nonCompliant(
          `${name} is ${how}, but with the ElastiCache default key (no KmsKeyId); requireCustomerManagedKey needs a customer managed key. ${KEY_FIX} ${CITATION}`,
        );
      }
      if (params.allowedKmsKeyArns.length > 0) {
        // Scenario 6
        return nonCompliant(
          `${name} is ${how}, but with the ElastiCache default key (no KmsKeyId), which is not in allowedKmsKeyArns. ${KEY_FIX} ${CITATION}`,
        );
      }
      // Scenarios 3, 4
      return compliant(`${name} is ${how} with the ElastiCache default key. ${CITATION}`);
    }
    if (ctx.facts.key) {
      const problem = keyProblem(ctx.facts.key, params);
      // Scenario 7
      if (problem) return nonCompliant(`${name} is ${how}, but ${problem}. ${KEY_FIX} ${CITATION}`);
    }
    // Scenarios 3, 4, 8
    return compliant(`${name} is ${how} with KMS key ${cache.kmsKeyId}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(elastiCacheEncryptedAtRest);
