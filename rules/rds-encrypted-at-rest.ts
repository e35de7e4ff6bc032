import { compliant, nonCompliant, notApplicable } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { notifyPersonRemediation } from './runtime/remediation-links';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { rdsLabel, rdsResource } from './resources/rds';

const CITATION = '45 CFR 164.312(a)(2)(iv)';
const NAME = 'rds-encrypted-at-rest';

/**
 * RDS, Aurora, DocumentDB and Neptune databases store their data encrypted with KMS (`StorageEncrypted`).
 *
 * Instances in a cluster: Aurora, DocumentDB, Neptune and Multi-AZ DB cluster instances keep their data in the
 * cluster's storage volume, whose encryption is set on the cluster (CreateDBInstance: "Not applicable. The encryption
 * for DB instances is managed by the DB cluster", RDS API reference, StorageEncrypted/KmsKeyId). They are
 * NOT_APPLICABLE with the cluster named, so one fact gives one verdict (on the cluster) and a person fixes it once.
 *
 * Encryption cannot be switched on in place: an unencrypted database is copied into an encrypted one (snapshot, copy
 * the snapshot with a KMS key, restore, switch clients). The remediation therefore notifies a person.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html ("Limitations of Amazon RDS
 * encrypted DB instances": you can't turn encryption on for an existing unencrypted DB instance)
 *
 * Scenario 1: Given a DB instance that belongs to a DB cluster, Then NOT_APPLICABLE naming the cluster.
 * Scenario 2: Given StorageEncrypted false, Then NON_COMPLIANT (copy into an encrypted database).
 * Scenario 3: Given StorageEncrypted true and default parameters, Then COMPLIANT.
 * Scenario 4: Given StorageEncrypted true and requireCustomerManagedKey, and the key is AWS managed (alias/aws/rds or
 *             KeyManager AWS), Then NON_COMPLIANT.
 * Scenario 5: Given StorageEncrypted true and requireCustomerManagedKey, and the customer key is not Enabled, Then NON_COMPLIANT.
 * Scenario 6: Given StorageEncrypted true and a key parameter, and DescribeKey cannot resolve the key, Then NON_COMPLIANT.
 * Scenario 7: Given StorageEncrypted true and allowedKmsKeyArns, and the resolved key ARN is not listed, Then NON_COMPLIANT.
 * Scenario 8: Given StorageEncrypted true, a key parameter and no KmsKeyId, Then NON_COMPLIANT (the key cannot be known).
 * Exemptions, deleted and out-of-scope resources are the runtime's: NOT_APPLICABLE before evaluate runs.
 */
export const rdsEncryptedAtRest = defineSafeguard({
  name: NAME,
  title: 'RDS, Aurora, DocumentDB and Neptune databases are encrypted at rest with KMS',
  description:
    'Checks that every RDS DB instance and DB cluster (RDS, Aurora, DocumentDB, Neptune) has StorageEncrypted, optionally with a customer managed KMS key from an allow list. Cluster members are judged through their cluster.',
  resource: rdsResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    requireCustomerManagedKey: requireCustomerManagedKeyParameter,
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  // Encryption at rest cannot be turned on in place: a person copies the database into an encrypted one.
  remediation: notifyPersonRemediation(NAME),
  lookupActions: ['kms:DescribeKey'],
  async gather(db, params, lookup) {
    if (db.clusterId || !db.storageEncrypted || !db.kmsKeyId || !keyCheckNeeded(params)) return { key: undefined };
    return { key: await kmsKeyFacts(lookup, db.kmsKeyId) };
  },

  evaluate(db, params, ctx) {
    const name = rdsLabel(db);
    if (db.clusterId) {
      // Scenario 1
      return notApplicable(`${name} belongs to DB cluster ${db.clusterId}, whose storage encryption is judged on the cluster. ${CITATION}`);
    }
    if (!db.storageEncrypted) {
      // Scenario 2
      return nonCompliant(
        `${name} is not encrypted at rest (StorageEncrypted false). It cannot be encrypted in place: restore an encrypted copy of a snapshot and move clients to it. ${CITATION}`,
      );
    }
    if (!db.kmsKeyId) {
      if (keyCheckNeeded(params)) {
        // Scenario 8
        return nonCompliant(`${name} reports StorageEncrypted without a KmsKeyId, so the key parameters cannot be checked. ${CITATION}`);
      }
      // Scenario 3
      return compliant(`${name} is encrypted at rest (StorageEncrypted true). ${CITATION}`);
    }
    if (ctx.facts.key) {
      const problem = keyProblem(ctx.facts.key, params);
      // Scenarios 4, 5, 6, 7
      if (problem) return nonCompliant(`${name} is encrypted, but ${problem}. The key cannot change in place: restore a copy with an allowed key. ${CITATION}`);
    }
    // Scenario 3
    return compliant(`${name} is encrypted at rest with KMS key ${db.kmsKeyId}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(rdsEncryptedAtRest);
