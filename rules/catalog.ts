import { firehoseDeliveryStreamEncrypted } from './firehose-delivery-stream-encrypted';
import { kinesisStreamEncrypted } from './kinesis-stream-encrypted';
import { kinesisVideoStreamCustomerKey } from './kinesis-video-stream-customer-key';
import { elastiCacheAuthEnabled } from './elasticache-auth-enabled';
import { elastiCacheCurrentGenerationNodes } from './elasticache-current-generation-nodes';
import { elastiCacheEncryptedAtRest } from './elasticache-encrypted-at-rest';
import { elastiCacheEncryptedInTransit } from './elasticache-encrypted-in-transit';
import { elastiCacheEngineHipaaEligible } from './elasticache-engine-hipaa-eligible';
import { elastiCacheSecurityUpdatesApplied } from './elasticache-security-updates-applied';
import { rdsEncryptedAtRest } from './rds-encrypted-at-rest';
import { rdsTlsEnforced } from './rds-tls-enforced';
import type { Safeguard } from './runtime/safeguard';

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
