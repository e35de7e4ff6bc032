import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter } from './runtime/parameters';
import { notifyPersonRemediation } from './runtime/remediation-links';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { memoryDbLabel, memoryDbResource } from './resources/memorydb';

const CITATION = '45 CFR 164.312(a)(2)(iv)';
/** The key is chosen at creation (KmsKeyId is create-only) and cannot be changed afterwards. */
const KEY_FIX = 'The key is fixed at creation: restore a snapshot into a new cluster with an allowed key.';

/**
 * MemoryDB clusters that hold PHI are encrypted at rest with a KMS key the customer controls. MemoryDB always
 * encrypts at rest; an empty KmsKeyId means MemoryDB's default key (AWS owned/managed), which the customer can neither
 * audit nor revoke. So this rule judges the key only, and `requireCustomerManagedKey` defaults to true (as
 * kinesis-video-stream-customer-key): with it false and no allow list, every cluster passes and the rule could never fail.
 *
 * Scenario 1: Given no KmsKeyId and requireCustomerManagedKey (the default), Then NON_COMPLIANT.
 * Scenario 2: Given no KmsKeyId, requireCustomerManagedKey false and allowedKmsKeyArns, Then NON_COMPLIANT.
 * Scenario 3: Given no KmsKeyId, requireCustomerManagedKey false and no allow list, Then COMPLIANT (default key).
 * Scenario 4: Given a KmsKeyId that is AWS managed, not Enabled, cannot be resolved by kms:DescribeKey, or is not in
 *             allowedKmsKeyArns, Then NON_COMPLIANT.
 * Scenario 5: Given a KmsKeyId that passes the key parameters, Then COMPLIANT.
 * The key cannot change: the remediation notifies a person.
 */
export const memoryDbEncryptedAtRest = defineSafeguard({
  name: 'memorydb-encrypted-at-rest',
  title: 'MemoryDB clusters are encrypted at rest with a customer managed KMS key',
  description:
    'Checks that every MemoryDB cluster (always encrypted at rest) uses an enabled customer managed KMS key, optionally from an allow list, rather than the MemoryDB default key.',
  resource: memoryDbResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.Medium,
  parameters: {
    requireCustomerManagedKey: {
      type: 'boolean',
      default: true,
      description:
        'true (default): the key must be a customer managed key (KeyManager CUSTOMER) in state Enabled; the MemoryDB default key (no KmsKeyId) fails. false: any key passes unless allowedKmsKeyArns is set.',
    },
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  // The key cannot change after creation: a person must recreate the cluster, so the pack tells them.
  remediation: notifyPersonRemediation('memorydb-encrypted-at-rest'),
  lookupActions: ['kms:DescribeKey'],

  async gather(cluster, params, lookup) {
    return { key: cluster.kmsKeyId && keyCheckNeeded(params) ? await kmsKeyFacts(lookup, cluster.kmsKeyId) : undefined };
  },

  evaluate(cluster, params, { facts }) {
    const name = memoryDbLabel(cluster);
    if (!cluster.kmsKeyId) {
      if (params.requireCustomerManagedKey) {
        // Scenario 1
        return nonCompliant(`${name} is encrypted at rest with the MemoryDB default key (no KmsKeyId); a customer managed key is required. ${KEY_FIX} ${CITATION}`);
      }
      if (params.allowedKmsKeyArns.length > 0) {
        // Scenario 2
        return nonCompliant(`${name} is encrypted at rest with the MemoryDB default key (no KmsKeyId), which is not in allowedKmsKeyArns. ${KEY_FIX} ${CITATION}`);
      }
      // Scenario 3
      return compliant(`${name} is encrypted at rest with the MemoryDB default key. ${CITATION}`);
    }
    if (facts.key) {
      const problem = keyProblem(facts.key, params);
      // Scenario 4
      if (problem) return nonCompliant(`${name} is encrypted at rest, but ${problem}. ${KEY_FIX} ${CITATION}`);
    }
    // Scenario 5
    return compliant(`${name} is encrypted at rest with KMS key ${cluster.kmsKeyId}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(memoryDbEncryptedAtRest);
