import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { elastiCacheLabel, elastiCacheResource } from './resources/elasticache';

const CITATION = '45 CFR 164.312(e)(2)(ii)';

/**
 * ElastiCache caches accept only TLS connections. `TransitEncryptionMode preferred` (the migration mode) still accepts
 * plaintext clients, so it fails here even though TransitEncryptionEnabled is true (the AWS managed rule misses it).
 *
 * Scenario 1: Given a serverless cache (TLS is always required), Then COMPLIANT.
 * Scenario 2: Given a replication group with TransitEncryptionEnabled false (or absent), Then NON_COMPLIANT.
 * Scenario 3: Given a standalone cache cluster with TransitEncryptionEnabled false (or absent), Then NON_COMPLIANT.
 * Scenario 4: Given TransitEncryptionEnabled true and TransitEncryptionMode preferred, Then NON_COMPLIANT.
 * Scenario 5: Given TransitEncryptionEnabled true and TransitEncryptionMode required, Then COMPLIANT
 *             (Redis OSS, Valkey and Memcached alike).
 * Scenario 6: Given TransitEncryptionEnabled true and no TransitEncryptionMode (clusters older than the setting, which
 *             accept TLS only), Then COMPLIANT.
 * Status (creating, modifying, deleting, snapshotting) does not change the verdict: it comes from the configuration.
 */
export const elastiCacheEncryptedInTransit = defineSafeguard({
  name: 'elasticache-encrypted-in-transit',
  title: 'ElastiCache caches accept only TLS connections',
  description:
    'Checks that every ElastiCache replication group, standalone cache cluster and serverless cache requires TLS in transit: TransitEncryptionEnabled true and TransitEncryptionMode not preferred.',
  resource: elastiCacheResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {},
  // Manual: switching TLS on cuts off clients that do not speak it; a person schedules it (PreferredHours).
  remediation: {
    document: 'HIPAA-ElastiCacheEnableTransitEncryption',
    automatic: false,
    resourceIdParameter: 'ResourceId',
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
    parameters: {
      PreferredHours: {
        default: '0',
        description: 'Hours to stay in TLS mode preferred (plaintext still accepted) so clients can move to TLS before required.',
      },
    },
  },
  lookupActions: [],

  evaluate(cache) {
    const name = elastiCacheLabel(cache);
    if (cache.kind === 'serverlessCache') {
      // Scenario 1
      return compliant(`${name} requires TLS in transit (always, for serverless caches). ${CITATION}`);
    }
    if (!cache.transitEncryptionEnabled) {
      if (cache.kind === 'cacheCluster') {
        // Scenario 3
        return nonCompliant(
          `${name} is not encrypted in transit (TransitEncryptionEnabled false). A cluster gets TLS only at creation: recreate it with TransitEncryptionEnabled. ${CITATION}`,
        );
      }
      // Scenario 2
      return nonCompliant(
        `${name} is not encrypted in transit (TransitEncryptionEnabled false). Enable TLS with TransitEncryptionMode preferred, move every client to TLS, then set required. ${CITATION}`,
      );
    }
    if (cache.transitEncryptionMode === 'preferred') {
      // Scenario 4
      return nonCompliant(
        `${name} still accepts plaintext connections (TransitEncryptionMode preferred). Set TransitEncryptionMode to required once every client uses TLS. ${CITATION}`,
      );
    }
    if (cache.transitEncryptionMode) {
      // Scenario 5
      return compliant(`${name} requires TLS in transit (TransitEncryptionMode ${cache.transitEncryptionMode}). ${CITATION}`);
    }
    // Scenario 6
    return compliant(`${name} requires TLS in transit (TransitEncryptionEnabled true). ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(elastiCacheEncryptedInTransit);
