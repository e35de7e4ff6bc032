import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { tlsOnlyVerdict } from './runtime/secure-transport';
import { queuePolicy, sqsQueueResource } from './resources/sqs-queue';

// Transmission security, encryption (addressable): the same citation as elasticache-encrypted-in-transit.
const CITATION = '45 CFR 164.312(e)(2)(ii)';
const FIX = 'Deny sqs:* to Principal * on the queue when aws:SecureTransport is false, with no other condition.';

/**
 * SQS queues refuse every request that does not use TLS: the queue policy denies every principal every SQS action on
 * the queue when `aws:SecureTransport` is false (rules/runtime/secure-transport.ts says which forms count).
 * AWS Config's configuration item carries no queue policy: the rule reads it (GetQueueAttributes Policy) when the
 * view comes from an item; the periodic API listing has it already.
 *
 * Scenario 1: Given no queue policy, Then NON_COMPLIANT.
 * Scenario 2: Given a policy with no Deny on aws:SecureTransport, Then NON_COMPLIANT.
 * Scenario 3: Given a Deny on aws:SecureTransport narrowed to some principals, some actions, another resource, or
 *             with extra conditions, Then NON_COMPLIANT naming the statement and why it does not count.
 * Scenario 4: Given a policy that is not a JSON policy document, Then NON_COMPLIANT.
 * Scenario 5: Given a Deny of sqs:* (or *) to every principal on the queue with only Bool/BoolIfExists
 *             aws:SecureTransport false, Then COMPLIANT naming the statement.
 * Exemptions, deleted and out-of-scope resources are the runtime's: NOT_APPLICABLE before evaluate runs.
 */
export const sqsQueueTlsOnly = defineSafeguard({
  name: 'sqs-queue-tls-only',
  title: 'SQS queues refuse requests without TLS',
  description: 'Checks that every SQS queue policy denies all SQS actions to every principal when aws:SecureTransport is false.',
  resource: sqsQueueResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {},
  remediation: {
    document: 'HIPAA-SQSEnforceTlsOnly',
    // Adding a Deny on plain HTTP changes no access over TLS; the document keeps every other statement as it is.
    automatic: true,
    resourceIdParameter: 'QueueUrl',
    maximumAutomaticAttempts: 3,
    retryAttemptSeconds: 60,
  },
  // gather reads the policy with sqs:GetQueueAttributes, which the adapter's listActions already grant (no lookupActions: the
  // CloudFormation hook, which only judges templates, never reads a queue).
  async gather(queue, _params, lookup) {
    return { policy: await queuePolicy(queue, lookup) };
  },

  evaluate(queue, _params, ctx) {
    // Scenarios 1-5: one policy model for queues and topics (rules/runtime/secure-transport.ts tlsOnlyVerdict).
    return tlsOnlyVerdict({ name: `Queue ${queue.name}`, kind: 'queue', service: 'sqs', policy: ctx.facts.policy, resourceNames: queue.policyResourceNames, fix: FIX, citation: CITATION });
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(sqsQueueTlsOnly);
