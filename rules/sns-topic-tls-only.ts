import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { tlsOnlyVerdict } from './runtime/secure-transport';
import { snsTopicResource, topicPolicy } from './resources/sns-topic';

// Transmission security, encryption (addressable): the same citation as elasticache-encrypted-in-transit.
const CITATION = '45 CFR 164.312(e)(2)(ii)';
const FIX = 'Deny every SNS action to Principal * on the topic when aws:SecureTransport is false, with no other condition.';

/**
 * SNS topics refuse every request that does not use TLS: the topic policy denies every principal every SNS action on
 * the topic (`sns:*`, `*`, or every action a topic policy accepts) when `aws:SecureTransport` is false
 * (rules/runtime/secure-transport.ts says which forms count). The AWS Config resource schema of AWS::SNS::Topic lists
 * no Policy: the rule reads it (GetTopicAttributes) when the view comes from an item; the API listing has it already.
 * A topic always has a policy (SNS gives it a default one), so scenario 1 is for an answer without one.
 *
 * Scenario 1: Given no topic policy, Then NON_COMPLIANT.
 * Scenario 2: Given a policy with no Deny on aws:SecureTransport, Then NON_COMPLIANT.
 * Scenario 3: Given a Deny on aws:SecureTransport narrowed to some principals, some actions, another resource, or
 *             with extra conditions, Then NON_COMPLIANT naming the statement and why it does not count.
 * Scenario 4: Given a policy that is not a JSON policy document, Then NON_COMPLIANT.
 * Scenario 5: Given a Deny of every SNS action to every principal on the topic with only Bool/BoolIfExists
 *             aws:SecureTransport false, Then COMPLIANT naming the statement.
 * Exemptions, deleted and out-of-scope resources are the runtime's: NOT_APPLICABLE before evaluate runs.
 */
export const snsTopicTlsOnly = defineSafeguard({
  name: 'sns-topic-tls-only',
  title: 'SNS topics refuse requests without TLS',
  description: 'Checks that every SNS topic policy denies all SNS actions to every principal when aws:SecureTransport is false.',
  resource: snsTopicResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {},
  remediation: {
    document: 'HIPAA-SNSEnforceTlsOnly',
    // Adding a Deny on plain HTTP changes no access over TLS; the document keeps every other statement as it is.
    automatic: true,
    resourceIdParameter: 'TopicArn',
    maximumAutomaticAttempts: 3,
    retryAttemptSeconds: 60,
  },
  // gather reads the policy with sns:GetTopicAttributes, which the adapter's listActions already grant (no lookupActions: the
  // CloudFormation hook, which only judges templates, never reads a topic).
  async gather(topic, _params, lookup) {
    return { policy: await topicPolicy(topic, lookup) };
  },

  evaluate(topic, _params, ctx) {
    // Scenarios 1-5: one policy model for queues and topics (rules/runtime/secure-transport.ts tlsOnlyVerdict).
    return tlsOnlyVerdict({ name: `Topic ${topic.name}`, kind: 'topic', service: 'sns', policy: ctx.facts.policy, resourceNames: topic.policyResourceNames, fix: FIX, citation: CITATION });
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(snsTopicTlsOnly);
