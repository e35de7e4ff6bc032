import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { sqsQueueResource } from './resources/sqs-queue';

const CITATION = '45 CFR 164.312(a)(2)(iv)';

/**
 * SQS queues that carry PHI are encrypted at rest with KMS (SSE-KMS); SQS-owned keys (SSE-SQS) only when allowed.
 *
 * Scenario 1: Given no KmsMasterKeyId and SqsManagedSseEnabled false, Then NON_COMPLIANT.
 * Scenario 2: Given SSE-SQS and allowServiceManagedKeys false (the default), Then NON_COMPLIANT.
 * Scenario 3: Given SSE-SQS, allowServiceManagedKeys true and a key parameter (requireCustomerManagedKey or
 *             allowedKmsKeyArns), Then NON_COMPLIANT (SQS-owned keys are neither customer managed nor listed).
 * Scenario 4: Given SSE-SQS, allowServiceManagedKeys true and no key parameter, Then COMPLIANT.
 * Scenario 5: Given a KmsMasterKeyId and default parameters, Then COMPLIANT (alias/aws/sqs included).
 * Scenario 6: Given a KmsMasterKeyId that fails a key parameter (AWS managed, not Enabled, unreadable, not listed),
 *             Then NON_COMPLIANT naming why.
 * Scenario 7: Given a KmsMasterKeyId that passes the key parameters, Then COMPLIANT.
 * Exemptions, deleted and out-of-scope resources are the runtime's: NOT_APPLICABLE before evaluate runs.
 */
export const sqsQueueEncrypted = defineSafeguard({
  name: 'sqs-queue-encrypted',
  title: 'SQS queues are encrypted at rest with KMS',
  description:
    'Checks that every SQS queue uses server-side encryption with an AWS KMS key (KmsMasterKeyId), optionally a customer managed key from an allow list; SQS-owned keys (SSE-SQS) only with allowServiceManagedKeys.',
  resource: sqsQueueResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    allowServiceManagedKeys: {
      type: 'boolean',
      default: false,
      description: 'true: SSE-SQS (SQS-owned keys, SqsManagedSseEnabled) also passes. Default false: a KMS key (KmsMasterKeyId) is required.',
    },
    requireCustomerManagedKey: requireCustomerManagedKeyParameter,
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  remediation: {
    document: 'HIPAA-SQSEnableEncryption',
    // Manual: the key is the engineer's choice (KmsKeyId); without it the document stops before any change.
    automatic: false,
    resourceIdParameter: 'QueueUrl',
    maximumAutomaticAttempts: 3,
    retryAttemptSeconds: 60,
    parameters: {
      KmsKeyId: {
        default: '',
        description: 'Customer managed KMS key (ID, ARN or alias) the SQS remediation encrypts queues with. Empty: the remediation stops and asks for one.',
      },
    },
  },
  lookupActions: ['kms:DescribeKey'],
  async gather(queue, params, lookup) {
    return { key: queue.kmsMasterKeyId && keyCheckNeeded(params) ? await kmsKeyFacts(lookup, queue.kmsMasterKeyId) : undefined };
  },

  evaluate(queue, params, ctx) {
    const name = `Queue ${queue.name}`;
    if (!queue.kmsMasterKeyId) {
      if (!queue.sqsManagedSseEnabled) {
        // Scenario 1
        return nonCompliant(`${name} is not encrypted at rest (no KmsMasterKeyId, SqsManagedSseEnabled false). Set KmsMasterKeyId to a KMS key. ${CITATION}`);
      }
      if (!params.allowServiceManagedKeys) {
        // Scenario 2
        return nonCompliant(`${name} uses SQS-owned keys (SSE-SQS), which allowServiceManagedKeys does not allow. Set KmsMasterKeyId to a KMS key. ${CITATION}`);
      }
      if (keyCheckNeeded(params)) {
        // Scenario 3
        return nonCompliant(`${name} uses SQS-owned keys (SSE-SQS), but requireCustomerManagedKey or allowedKmsKeyArns needs a KMS key. Set KmsMasterKeyId. ${CITATION}`);
      }
      // Scenario 4
      return compliant(`${name} is encrypted at rest with SQS-owned keys (SSE-SQS; allowServiceManagedKeys is true). ${CITATION}`);
    }
    if (ctx.facts.key) {
      const problem = keyProblem(ctx.facts.key, params);
      // Scenario 6
      if (problem) return nonCompliant(`${name} is encrypted, but ${problem}. ${CITATION}`);
    }
    // Scenarios 5, 7
    return compliant(`${name} is encrypted at rest with KMS key ${queue.kmsMasterKeyId}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(sqsQueueEncrypted);
