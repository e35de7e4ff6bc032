import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { fixedKeyVerdict, keyCheckNeeded, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter } from './runtime/parameters';
import { notifyPersonRemediation } from './runtime/remediation-links';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { DEFAULT_MSK_KEY, mskClusterResource } from './resources/msk';

const CITATION = '45 CFR 164.312(a)(2)(iv)';

/**
 * Amazon MSK clusters that hold PHI are encrypted at rest with a KMS key the customer controls.
 *
 * MSK always encrypts at rest: an empty DataVolumeKMSKeyId means the AWS managed key aws/kafka ("If you don't specify
 * a KMS key, Amazon MSK creates an AWS managed key for you", https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html).
 * So the only thing left to judge is the key, and requireCustomerManagedKey defaults to true (as for Kinesis video
 * streams): with false and no allow list every cluster would pass, which tells an auditor nothing; a customer managed
 * key lets the hospital revoke access, set the key policy and audit each use in CloudTrail.
 *
 * Serverless clusters are encrypted with keys MSK manages; they offer no key choice (no EncryptionInfo in the
 * `Serverless` API shape of botocore's kafka/2018-11-14 model, nor in the AWS::MSK::ServerlessCluster registry schema;
 * the MSK Developer Guide's serverless page, https://docs.aws.amazon.com/msk/latest/developerguide/serverless.html,
 * says it encrypts data at rest with service-managed keys: that page was not in the reference library, the model and
 * schema were).
 * Under requireCustomerManagedKey (or an allow list) they are NON_COMPLIANT: use a provisioned cluster with a customer
 * managed key, or record the accepted risk with the exemption tag.
 *
 * Scenario 1: Given a serverless cluster and requireCustomerManagedKey or allowedKmsKeyArns, Then NON_COMPLIANT.
 * Scenario 2: Given a serverless cluster, requireCustomerManagedKey false and no allow list, Then COMPLIANT.
 * Scenario 3: Given no DataVolumeKMSKeyId (aws/kafka) and requireCustomerManagedKey (the default), Then NON_COMPLIANT.
 * Scenario 4: Given a key that is AWS managed, not Enabled, unreadable or not in allowedKmsKeyArns, Then NON_COMPLIANT.
 * Scenario 5: Given requireCustomerManagedKey false and no allow list, Then COMPLIANT (encrypted with whichever key).
 * Scenario 6: Given an Enabled customer managed key that passes the allow list, Then COMPLIANT.
 * The key cannot change after creation, so the fix is a new cluster: the remediation notifies a person.
 */
export const mskEncryptedAtRest = defineSafeguard({
  name: 'msk-encrypted-at-rest',
  title: 'MSK clusters are encrypted at rest with a customer managed KMS key',
  description:
    'Checks that every Amazon MSK cluster encrypts its data at rest with an enabled customer managed KMS key, optionally from an allow list; serverless clusters use AWS managed keys only.',
  resource: mskClusterResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.Medium,
  parameters: {
    requireCustomerManagedKey: {
      type: 'boolean',
      default: true,
      description:
        'true (default): the key must be a customer managed key (KeyManager CUSTOMER) in state Enabled; the AWS managed aws/kafka key and serverless clusters (AWS managed keys only) fail.',
    },
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  // The key cannot be changed after creation (EncryptionAtRest is create-only): a person must recreate the cluster.
  remediation: notifyPersonRemediation('msk-encrypted-at-rest'),
  lookupActions: ['kms:DescribeKey'],

  async gather(cluster, params, lookup) {
    const needed = cluster.kind === 'provisioned' && keyCheckNeeded(params);
    return { key: needed ? await kmsKeyFacts(lookup, cluster.dataVolumeKmsKeyId ?? DEFAULT_MSK_KEY) : undefined };
  },

  evaluate(cluster, params, { facts }) {
    if (cluster.kind === 'serverless') {
      const name = `MSK serverless cluster ${cluster.name}`;
      if (keyCheckNeeded(params)) {
        const why = params.requireCustomerManagedKey ? 'requireCustomerManagedKey needs a customer managed key' : 'allowedKmsKeyArns names the keys allowed';
        // Scenario 1
        return nonCompliant(`${name} is encrypted with AWS managed keys only; ${why}. Use a provisioned cluster with a customer managed key. ${CITATION}`);
      }
      // Scenario 2
      return compliant(`${name} is encrypted at rest with AWS managed keys. ${CITATION}`);
    }
    // Scenarios 3-4 (a key problem) and 5-6 (passes): rules/runtime/kms.ts fixedKeyVerdict.
    return fixedKeyVerdict({
      name: `MSK cluster ${cluster.name}`,
      keyId: cluster.dataVolumeKmsKeyId,
      defaultKey: DEFAULT_MSK_KEY,
      field: 'DataVolumeKMSKeyId',
      fix: 'The key cannot be changed: recreate the cluster with a customer managed key.',
      citation: CITATION,
      key: facts.key,
      params,
    });
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(mskEncryptedAtRest);
