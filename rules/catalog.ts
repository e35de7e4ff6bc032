import { firehoseDeliveryStreamEncrypted } from './firehose-delivery-stream-encrypted';
import { kinesisStreamEncrypted } from './kinesis-stream-encrypted';
import { kinesisVideoStreamCustomerKey } from './kinesis-video-stream-customer-key';
import type { Safeguard } from './runtime/safeguard';

/**
 * Every safeguard of the pack: the single source of truth for Lambda handlers, the conformance pack, the docs
 * and the CLI. Add a safeguard here and everything else follows.
 */
export const catalog: readonly Safeguard[] = [
  kinesisStreamEncrypted,
  firehoseDeliveryStreamEncrypted,
  kinesisVideoStreamCustomerKey,
];

export const safeguardNames = catalog.map((s) => s.name);

/** Looks a safeguard up by name, or throws naming the valid ones. */
export function findSafeguard(name: string): Safeguard {
  const found = catalog.find((s) => s.name === name);
  if (!found) throw new Error(`Unknown safeguard "${name}". Expected one of: ${safeguardNames.join(', ')}.`);
  return found;
}
