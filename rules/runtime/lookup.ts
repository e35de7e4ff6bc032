import { NonAwsResponseError, isUnsupportedOperation } from './aws-errors';
import type { AwsClients } from './clients';

/**
 * Cached reads a safeguard may make while gathering facts for `evaluate`. One instance per run, shared by every rule
 * of the run (a scan's rules judge with one JudgeContext): many resources and rules share a key, a source stream, an
 * RBAC user or the account's update actions, and each is read once. Concurrent asks of one key share one call.
 * Safeguards declare the IAM actions of what they call. Each read is a function next to its facts (kms.ts
 * `kmsKeyFacts`, resources/*), so a bundle holds only the clients of the reads its rule makes.
 */
export class Lookup {
  private readonly cache = new Map<string, Promise<unknown>>();

  /**
   * `nonAwsResponseIsUnsupported`: the endpoint answers operations it lacks with an HTML page (moto), so such an
   * answer is remembered like an unsupported operation (JudgeAllOptions.nonAwsResponseIsUnsupported).
   */
  constructor(
    readonly clients: AwsClients,
    private readonly options: { readonly nonAwsResponseIsUnsupported?: boolean } = {},
  ) {}

  /**
   * Memoizes `load` under `key` for the rest of the run. A failed load is forgotten, so a passing fault
   * (a throttled page) costs one resource its verdict, not every later resource that shares the lookup; an operation
   * the endpoint does not offer is remembered, since asking again in the same run cannot succeed.
   */
  cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    let pending = this.cache.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      this.cache.set(key, pending);
      pending.catch((error: unknown) => {
        const unsupported = isUnsupportedOperation(error) || (this.options.nonAwsResponseIsUnsupported === true && error instanceof NonAwsResponseError);
        if (!unsupported) this.cache.delete(key);
      });
    }
    return pending;
  }
}
