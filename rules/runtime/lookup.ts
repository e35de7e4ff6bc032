import { KMSClient } from '@aws-sdk/client-kms';
import type { AwsClients } from './clients';
import { type KeyFacts, describeKmsKey } from './kms';

/**
 * Cached reads a safeguard may make while gathering facts for `evaluate`. One instance per run: many resources
 * share a key or a source, and each is read once. Safeguards declare the IAM actions of what they call.
 */
export class Lookup {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(readonly clients: AwsClients) {}

  /**
   * Memoizes `load` under `key` for the rest of the run. A failed load is forgotten, so a passing fault
   * (a throttled page) costs one resource its verdict, not every later resource that shares the lookup.
   */
  cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    let pending = this.cache.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      this.cache.set(key, pending);
      pending.catch(() => this.cache.delete(key));
    }
    return pending;
  }

  /** kms:DescribeKey, except for `alias/aws/...` names, which are AWS managed by definition. */
  kmsKey(keyId: string): Promise<KeyFacts> {
    return this.cached(`kms:${keyId}`, () => describeKmsKey(this.clients.get(KMSClient), keyId));
  }
}
