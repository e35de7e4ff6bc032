import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { snsTopicResource } from './resources/sns-topic';

const CITATION = '45 CFR 164.312(a)(2)(iv)';

/**
 * SNS topics that carry PHI are encrypted at rest with KMS (SNS has no service-owned key option: unencrypted or KMS).
 *
 * Scenario 1: Given no KmsMasterKeyId, Then NON_COMPLIANT.
 * Scenario 2: Given a KmsMasterKeyId and default parameters, Then COMPLIANT (alias/aws/sns included).
 * Scenario 3: Given a KmsMasterKeyId that fails a key parameter (AWS managed, not Enabled, unreadable, not listed),
 *             Then NON_COMPLIANT naming why.
 * Scenario 4: Given a KmsMasterKeyId that passes the key parameters, Then COMPLIANT.
 * Exemptions, deleted and out-of-scope resources are the runtime's: NOT_APPLICABLE before evaluate runs.
 */
export const snsTopicEncrypted = defineSafeguard({
  name: 'sns-topic-encrypted',
  title: 'SNS topics are encrypted at rest with KMS',
  description: 'Checks that every SNS topic uses server-side encryption with an AWS KMS key (KmsMasterKeyId), optionally a customer managed key from an allow list.',
  resource: snsTopicResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    requireCustomerManagedKey: requireCustomerManagedKeyParameter,
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  remediation: {
    document: 'HIPAA-SNSEnableEncryption',
    // Manual: the key is the engineer's choice (KmsKeyId); without it the document stops before any change.
    automatic: false,
    resourceIdParameter: 'TopicArn',
    maximumAutomaticAttempts: 3,
    retryAttemptSeconds: 60,
    parameters: {
      KmsKeyId: {
        default: '',
        description: 'Customer managed KMS key (ID, ARN or alias) the SNS remediation encrypts topics with. Empty: the remediation stops and asks for one.',
      },
    },
  },
  lookupActions: ['kms:DescribeKey'],
  async gather(topic, params, lookup) {
    return { key: topic.kmsMasterKeyId && keyCheckNeeded(params) ? await kmsKeyFacts(lookup, topic.kmsMasterKeyId) : undefined };
  },

  evaluate(topic, params, ctx) {
    const name = `Topic ${topic.name}`;
    if (!topic.kmsMasterKeyId) {
      // Scenario 1
      return nonCompliant(`${name} is not encrypted at rest (no KmsMasterKeyId). Set KmsMasterKeyId to a KMS key. ${CITATION}`);
    }
    if (ctx.facts.key) {
      const problem = keyProblem(ctx.facts.key, params);
      // Scenario 3
      if (problem) return nonCompliant(`${name} is encrypted, but ${problem}. ${CITATION}`);
    }
    // Scenarios 2, 4
    return compliant(`${name} is encrypted at rest with KMS key ${topic.kmsMasterKeyId}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(snsTopicEncrypted);
