import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { kinesisStreamResource } from './resources/kinesis-stream';

const CITATION = '45 CFR 164.312(a)(2)(iv)';

/**
 * Kinesis data streams that carry PHI are encrypted at rest with KMS.
 *
 * Scenario 1: Given no StreamEncryption, or EncryptionType NONE, Then NON_COMPLIANT (the annotation says which).
 * Scenario 2: Given EncryptionType KMS and default parameters, Then COMPLIANT.
 * Scenario 3: Given KMS and requireCustomerManagedKey, and the key is AWS managed (alias/aws/... or KeyManager AWS),
 *             Then NON_COMPLIANT.
 * Scenario 4: Given KMS and requireCustomerManagedKey, and the customer key is not Enabled, Then NON_COMPLIANT.
 * Scenario 5: Given KMS and a key parameter, and DescribeKey cannot resolve the key, Then NON_COMPLIANT.
 * Scenario 6: Given KMS and allowedKmsKeyArns, and the resolved key ARN is not listed, Then NON_COMPLIANT.
 * Scenario 7: Given KMS and a customer managed, Enabled, allowed key, Then COMPLIANT.
 * Scenario 8: Given EncryptionType KMS with no KeyId, Then NON_COMPLIANT (the key cannot be known).
 * Exemptions, deleted and out-of-scope resources are the runtime's: NOT_APPLICABLE before evaluate runs.
 */
export const kinesisStreamEncrypted = defineSafeguard({
  name: 'kinesis-stream-encrypted',
  title: 'Kinesis data streams are encrypted at rest with KMS',
  description:
    'Checks that every Kinesis data stream uses server-side encryption with AWS KMS, optionally with a customer managed key from an allow list.',
  resource: kinesisStreamResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    requireCustomerManagedKey: requireCustomerManagedKeyParameter,
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  remediation: {
    document: 'HIPAA-EnableKinesisStreamEncryption',
    automatic: true,
    resourceIdParameter: 'StreamName',
    maximumAutomaticAttempts: 5,
    retryAttemptSeconds: 60,
    parameters: {
      KmsKeyId: {
        default: 'alias/aws/kinesis',
        description: 'KMS key (ID, ARN or alias) the remediation encrypts streams with. Use a customer managed key when requireCustomerManagedKey is true.',
      },
    },
  },
  lookupActions: ['kms:DescribeKey'],
  async gather(stream, params, lookup) {
    return { key: stream.keyId && keyCheckNeeded(params) ? await kmsKeyFacts(lookup, stream.keyId) : undefined };
  },

  evaluate(stream, params, ctx) {
    const name = `Stream ${stream.name}`;
    if (stream.encryptionType !== 'KMS') {
      const detail = stream.encryptionField === 'StreamEncryption' ? 'StreamEncryption absent' : `${stream.encryptionField} ${stream.encryptionType}`;
      // Scenario 1
      return nonCompliant(`${name} is not encrypted at rest (${detail}). Enable KMS server-side encryption. ${CITATION}`);
    }
    if (!stream.keyId) {
      // Scenario 8
      return nonCompliant(`${name} reports KMS encryption without a KeyId. Re-apply KMS encryption with a known key. ${CITATION}`);
    }
    if (ctx.facts.key) {
      const problem = keyProblem(ctx.facts.key, params);
      // Scenarios 3, 4, 5, 6
      if (problem) return nonCompliant(`${name} is encrypted, but ${problem}. ${CITATION}`);
    }
    // Scenarios 2, 7
    return compliant(`${name} is encrypted at rest with KMS key ${stream.keyId}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(kinesisStreamEncrypted);
