import { DescribeKeyCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import type { AwsClients } from './clients';
import type { Lookup } from './lookup';
import { type Verdict, compliant, nonCompliant } from './compliance';

/** What the pack knows about the KMS key a resource is encrypted with. */
export type KeyFacts =
  | { readonly kind: 'resolved'; readonly keyId: string; readonly arn: string; readonly manager: 'AWS' | 'CUSTOMER'; readonly state: string }
  /** `alias/aws/<service>` names an AWS managed key: known without a call (emulators may not have it). */
  | { readonly kind: 'awsManagedAlias'; readonly keyId: string }
  /** DescribeKey refused or found nothing: the key cannot be verified, so it never passes a key check. */
  | { readonly kind: 'unresolved'; readonly keyId: string; readonly reason: string };

const AWS_MANAGED_ALIAS = /^(?:arn:[\w-]+:kms:[a-z0-9-]+:\d{12}:)?alias\/aws\//;

export function isAwsManagedAlias(keyId: string): boolean {
  return AWS_MANAGED_ALIAS.test(keyId);
}

// Errors that describe the key (absent, not ours to read) rather than a passing fault.
const KEY_FACT_ERRORS = new Set(['NotFoundException', 'AccessDeniedException', 'InvalidArnException', 'KMSInvalidStateException', 'DisabledException']);

/**
 * Resolves a key ID, key ARN, alias name or alias ARN to its metadata.
 * Throttling and network faults propagate (after the SDK's retries): they are no fact about the key.
 */
export async function describeKmsKey(kms: KMSClient, keyId: string): Promise<KeyFacts> {
  if (isAwsManagedAlias(keyId)) return { kind: 'awsManagedAlias', keyId };
  try {
    const { KeyMetadata: meta } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    if (!meta?.Arn || !meta.KeyManager || !meta.KeyState) {
      return { kind: 'unresolved', keyId, reason: 'DescribeKey returned no Arn, KeyManager or KeyState' };
    }
    return { kind: 'resolved', keyId, arn: meta.Arn, manager: meta.KeyManager, state: meta.KeyState };
  } catch (error) {
    if (error instanceof KMSServiceException && (KEY_FACT_ERRORS.has(error.name) || error.$metadata.httpStatusCode === 403)) {
      return { kind: 'unresolved', keyId, reason: `DescribeKey failed: ${error.name}` };
    }
    throw error;
  }
}

/** The run-cache key of a key's facts: PreventionLookup answers these from the template first. */
export const KMS_KEY_CACHE_PREFIX = 'kms:';

/** A key's entry in the run's cache: its cache key and the read that fills it (kms:DescribeKey). */
export function kmsKeyEntry(clients: AwsClients, keyId: string): readonly [string, () => Promise<KeyFacts>] {
  return [`${KMS_KEY_CACHE_PREFIX}${keyId}`, () => describeKmsKey(clients.get(KMSClient), keyId)];
}

/** kms:DescribeKey through the run's cache (`alias/aws/...` names are AWS managed by definition and cost no call). */
export function kmsKeyFacts(lookup: Lookup, keyId: string): Promise<KeyFacts> {
  return lookup.cached(...kmsKeyEntry(lookup.clients, keyId));
}

/** Verdict-ready reasons a key fails the key parameters, or undefined when it passes. */
export function keyProblem(
  facts: KeyFacts,
  params: { readonly requireCustomerManagedKey: boolean; readonly allowedKmsKeyArns: readonly string[] },
): string | undefined {
  if (facts.kind === 'unresolved') return `KMS key ${facts.keyId} cannot be verified (${facts.reason})`;
  if (params.requireCustomerManagedKey) {
    if (facts.kind === 'awsManagedAlias' || facts.manager !== 'CUSTOMER') {
      return `KMS key ${facts.keyId} is AWS managed; requireCustomerManagedKey needs a customer managed key`;
    }
    if (facts.state !== 'Enabled') return `customer managed key ${facts.keyId} is ${facts.state}, not Enabled`;
  }
  if (params.allowedKmsKeyArns.length > 0) {
    const arn = facts.kind === 'resolved' ? facts.arn : facts.keyId;
    if (!params.allowedKmsKeyArns.includes(arn)) return `KMS key ${arn} is not in allowedKmsKeyArns`;
  }
  return undefined;
}

/** Whether the key parameters need the key looked up at all (the defaults do not). */
export function keyCheckNeeded(params: { readonly requireCustomerManagedKey: boolean; readonly allowedKmsKeyArns: readonly string[] }): boolean {
  return params.requireCustomerManagedKey || params.allowedKmsKeyArns.length > 0;
}

/**
 * The verdict on the key of a resource whose key cannot change after creation (a Kinesis video stream, an MSK
 * cluster): an empty key field means the service's AWS managed key, and an AWS managed key gets the fix (recreate).
 * `key` undefined: no key check was needed (the parameters ask for none), so the encryption itself passes.
 */
export function fixedKeyVerdict(input: {
  /** `Video stream ward-cam`, `MSK cluster claims`. */
  readonly name: string;
  /** The key the resource names, undefined when its field is empty. */
  readonly keyId: string | undefined;
  /** The AWS managed key an empty field means: `alias/aws/kinesisvideo`. */
  readonly defaultKey: string;
  /** The empty field, as the annotation names it: `KmsKeyId`. */
  readonly field: string;
  /** What to do: `The key cannot be changed: recreate the stream with a customer managed key.` */
  readonly fix: string;
  readonly citation: string;
  readonly key: KeyFacts | undefined;
  readonly params: { readonly requireCustomerManagedKey: boolean; readonly allowedKmsKeyArns: readonly string[] };
}): Verdict {
  const { name, fix, citation, key } = input;
  const keyId = input.keyId ?? input.defaultKey;
  const problem = key ? keyProblem(key, input.params) : undefined;
  if (key && problem) {
    if (!input.keyId) return nonCompliant(`${name} uses the AWS managed key ${input.defaultKey.replace(/^alias\//, '')} (${input.field} empty). ${fix} ${citation}`);
    const awsManaged = isAwsManagedAlias(keyId) || (key.kind === 'resolved' && key.manager === 'AWS');
    return nonCompliant([`${name} is encrypted, but ${problem}.`, ...(awsManaged ? [fix] : []), citation].join(' '));
  }
  return compliant(`${name} is encrypted at rest with KMS key ${keyId}. ${citation}`);
}
