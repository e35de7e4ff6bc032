import { firehoseDeliveryStreamEncrypted } from './firehose-delivery-stream-encrypted';
import { kinesisStreamEncrypted } from './kinesis-stream-encrypted';
import { kinesisVideoStreamCustomerKey } from './kinesis-video-stream-customer-key';
import { elastiCacheAuthEnabled } from './elasticache-auth-enabled';
import { elastiCacheCurrentGenerationNodes } from './elasticache-current-generation-nodes';
import { elastiCacheEncryptedAtRest } from './elasticache-encrypted-at-rest';
import { elastiCacheEncryptedInTransit } from './elasticache-encrypted-in-transit';
import { elastiCacheEngineHipaaEligible } from './elasticache-engine-hipaa-eligible';
import { elastiCacheSecurityUpdatesApplied } from './elasticache-security-updates-applied';
import { mskEncryptedAtRest } from './msk-encrypted-at-rest';
import { mskEncryptedInTransit } from './msk-encrypted-in-transit';
import { openSearchEncryptedAtRest } from './opensearch-encrypted-at-rest';
import { openSearchEncryptedInTransit } from './opensearch-encrypted-in-transit';
import { memoryDbAuthEnabled } from './memorydb-auth-enabled';
import { memoryDbEncryptedAtRest } from './memorydb-encrypted-at-rest';
import { memoryDbEncryptedInTransit } from './memorydb-encrypted-in-transit';
import { snsTopicEncrypted } from './sns-topic-encrypted';
import { snsTopicTlsOnly } from './sns-topic-tls-only';
import { sqsQueueEncrypted } from './sqs-queue-encrypted';
import { sqsQueueTlsOnly } from './sqs-queue-tls-only';
import { rdsEncryptedAtRest } from './rds-encrypted-at-rest';
import { rdsTlsEnforced } from './rds-tls-enforced';
import type { Safeguard } from './runtime/safeguard';
import { CHANGE_SOURCES, type ChangeSource } from './triggers/change-sources';

/**
 * Every safeguard of the pack: the single source of truth for Lambda handlers, the conformance pack, the docs
 * and the CLI. Add a safeguard here and everything else follows.
 */
export const catalog: readonly Safeguard[] = [
  kinesisStreamEncrypted,
  firehoseDeliveryStreamEncrypted,
  kinesisVideoStreamCustomerKey,
  elastiCacheEncryptedAtRest,
  elastiCacheEncryptedInTransit,
  elastiCacheAuthEnabled,
  elastiCacheEngineHipaaEligible,
  elastiCacheSecurityUpdatesApplied,
  elastiCacheCurrentGenerationNodes,
  mskEncryptedInTransit,
  mskEncryptedAtRest,
  openSearchEncryptedAtRest,
  openSearchEncryptedInTransit,
  memoryDbEncryptedInTransit,
  memoryDbAuthEnabled,
  memoryDbEncryptedAtRest,
  sqsQueueEncrypted,
  sqsQueueTlsOnly,
  snsTopicEncrypted,
  snsTopicTlsOnly,
  rdsEncryptedAtRest,
  rdsTlsEnforced,
];

export const safeguardNames = catalog.map((s) => s.name);

/** Looks a safeguard up by name, or throws naming the valid ones. */
export function findSafeguard(name: string): Safeguard {
  const found = catalog.find((s) => s.name === name);
  if (!found) throw new Error(`Unknown safeguard "${name}". Expected one of: ${safeguardNames.join(', ')}.`);
  return found;
}

/** Safeguards that judge ElastiCache resources: the Config rules the CloudTrail trigger starts early. */
export const elastiCacheRuleNames: readonly string[] = catalog
  .filter((s) => s.resource.resourceTypes.some((t) => t.startsWith('AWS::ElastiCache::')))
  .map((s) => s.name);

/**
 * The safeguards (Config rule names) an event of `source` re-evaluates: every one of `safeguards` that judges one of
 * its resourceTypes, narrowed to its `safeguards` when the entry names them. What the CloudTrail re-evaluation
 * trigger (rules/triggers/reevaluate-on-change.ts) starts; empty when the catalog has no safeguard for the source.
 */
export function changeSourceRuleNames(source: ChangeSource, safeguards: readonly Safeguard[] = catalog): string[] {
  return safeguards
    .filter((s) => s.resource.resourceTypes.some((t) => source.resourceTypes.includes(t)))
    .filter((s) => !source.safeguards || source.safeguards.includes(s.name))
    .map((s) => s.name);
}

/**
 * The change sources a deployment of `safeguards` serves (those with at least one safeguard), in CHANGE_SOURCES
 * order: each gets an EventBridge rule, a spoke forwarding rule and its rule names in the trigger's environment.
 */
export function deployedChangeSources(safeguards: readonly Safeguard[] = catalog, sources: readonly ChangeSource[] = CHANGE_SOURCES): { source: ChangeSource; ruleNames: string[] }[] {
  return sources.map((source) => ({ source, ruleNames: changeSourceRuleNames(source, safeguards) })).filter((d) => d.ruleNames.length > 0);
}
