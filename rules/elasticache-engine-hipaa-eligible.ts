import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { snapshotAndDeleteRemediation } from './runtime/remediation-links';
import { Condemnation, Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { Engine, compareVersions, elastiCacheLabel, elastiCacheResource, engineName, requireKnown } from './resources/elasticache';

/**
 * Why 164.308(b)(1): a covered entity may let a business associate (AWS) create, receive, maintain or transmit ePHI
 * only under a business associate contract. The AWS BAA covers only HIPAA-eligible services and, for ElastiCache, only
 * eligible engines: Valkey and Redis OSS 3.2.6 or 4.0.10 and later, not Memcached. PHI in any other engine sits
 * outside the contract, so this is a business-associate safeguard rather than a technical one.
 */
const CITATION = '45 CFR 164.308(b)(1)';
/** The AWS HIPAA whitepaper names Redis OSS 3.2.6 as eligible besides 4.0.10 and later. */
const WHITEPAPER_REDIS_VERSION = '3.2.6';
const DEFAULT_MINIMUM_REDIS_VERSION = '4.0.10';

/**
 * ElastiCache caches that hold PHI run an engine and version covered by the AWS Business Associate Addendum.
 *
 * Scenario 1: Given Memcached and allowedEngines without memcached (the default), Then NON_COMPLIANT.
 * Scenario 2: Given another engine that allowedEngines does not list, Then NON_COMPLIANT.
 * Scenario 3: Given Redis OSS and no known engine version, Then NON_COMPLIANT (it cannot be verified).
 * Scenario 4: Given Redis OSS with a version below minimumRedisVersion on any node (other than an accepted 3.2.6),
 *             Then NON_COMPLIANT.
 * Scenario 5: Given Redis OSS 3.2.6 and a minimumRedisVersion of at most 4.0.10, Then COMPLIANT (whitepaper version);
 *             with a higher minimum, 3.2.6 fails like any older version (Scenario 4).
 * Scenario 6: Given Redis OSS at or above minimumRedisVersion on every node, Then COMPLIANT.
 * Scenario 7: Given Valkey (or any engine allowedEngines lists that has no version rule), Then COMPLIANT.
 * Scenario 8: Given Redis OSS whose API answer left EngineVersion out (a cluster, or a member of the group), Then no
 *             verdict: a failure of that resource (IncompleteResourceError); the other rules still judge it.
 */
export const elastiCacheEngineHipaaEligible = defineSafeguard({
  name: 'elasticache-engine-hipaa-eligible',
  title: 'ElastiCache caches run a HIPAA-eligible engine and version',
  description:
    'Checks that every ElastiCache cache runs an engine covered by the AWS BAA (Valkey or Redis OSS, not Memcached) and Redis OSS 3.2.6 or at least minimumRedisVersion.',
  resource: elastiCacheResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    allowedEngines: {
      type: 'stringList',
      default: [Engine.Redis, Engine.Valkey],
      itemPattern: /^(?:redis|valkey|memcached)$/,
      description: 'Comma-separated engines allowed for PHI, in lower case (redis, valkey, memcached). Memcached is not HIPAA eligible.',
    },
    minimumRedisVersion: {
      type: 'string',
      default: DEFAULT_MINIMUM_REDIS_VERSION,
      pattern: /^\d+\.\d+(?:\.\d+)?$/,
      description: `Lowest Redis OSS engine version allowed. Redis OSS ${WHITEPAPER_REDIS_VERSION} is also accepted while this is at most ${DEFAULT_MINIMUM_REDIS_VERSION}, as the AWS HIPAA whitepaper names it.`,
    },
  },
  // Manual: moving off an ineligible engine is a migration; deletion is the last resort a person chooses.
  remediation: snapshotAndDeleteRemediation('elasticache-engine-hipaa-eligible', false, Condemnation.EngineNotHipaaEligible),
  lookupActions: [],

  evaluate(cache, params) {
    const name = elastiCacheLabel(cache);
    const engine = engineName(cache.engine);
    if (!params.allowedEngines.includes(cache.engine)) {
      if (cache.engine === Engine.Memcached) {
        // Scenario 1
        return nonCompliant(`${name} runs Memcached, which is not HIPAA eligible under the AWS BAA. Move PHI to a Valkey or Redis OSS cache. ${CITATION}`);
      }
      // Scenario 2
      return nonCompliant(
        `${name} runs ${engine}, which is not in allowedEngines (${params.allowedEngines.join(', ')}). Move PHI to an allowed engine. ${CITATION}`,
      );
    }
    if (cache.engine === Engine.Redis) {
      // Scenario 8: the version decides, and the answer left it out for this resource: its failure, not a verdict.
      requireKnown(cache, 'EngineVersion');
    }
    const versions = cache.kind === 'serverlessCache' ? (cache.engineVersion ? [cache.engineVersion] : []) : cache.engineVersions;
    if (cache.engine !== Engine.Redis) {
      // Scenario 7
      return compliant(`${name} runs ${engine}${versions.length ? ` ${versions.join(', ')}` : ''}, an allowed engine. ${CITATION}`);
    }
    if (versions.length === 0) {
      // Scenario 3
      return nonCompliant(
        `${name} runs Redis OSS of unknown version (no member cluster reports EngineVersion). It is evaluated again on the next run. ${CITATION}`,
      );
    }
    const minimum = params.minimumRedisVersion;
    const whitepaperAccepted = compareVersions(minimum, DEFAULT_MINIMUM_REDIS_VERSION) <= 0;
    const eligible = (v: string) => compareVersions(v, minimum) >= 0 || (whitepaperAccepted && compareVersions(v, WHITEPAPER_REDIS_VERSION) === 0);
    const failing = versions.find((v) => !eligible(v));
    if (failing !== undefined) {
      const also = whitepaperAccepted ? ` (${WHITEPAPER_REDIS_VERSION} is also accepted)` : '';
      // Scenario 4
      return nonCompliant(
        `${name} runs Redis OSS ${failing}, below the HIPAA-eligible minimum ${minimum}${also}. Upgrade the engine version. ${CITATION}`,
      );
    }
    if (versions.every((v) => compareVersions(v, minimum) < 0)) {
      // Scenario 5
      return compliant(`${name} runs Redis OSS ${versions.join(', ')}, HIPAA eligible as the AWS HIPAA whitepaper names it. ${CITATION}`);
    }
    // Scenarios 5, 6 (a group mid-upgrade may run 3.2.6 and a newer version)
    return compliant(`${name} runs Redis OSS ${versions.join(', ')} (minimum ${minimum}). ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(elastiCacheEngineHipaaEligible);
