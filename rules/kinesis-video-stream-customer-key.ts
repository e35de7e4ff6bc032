import { createRuleHandler } from './runtime/handler';
import { notifyPersonRemediation } from './runtime/remediation-links';
import { fixedKeyVerdict, keyCheckNeeded, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter } from './runtime/parameters';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { DEFAULT_VIDEO_KEY, kinesisVideoStreamResource } from './resources/kinesis-video-stream';

const CITATION = '45 CFR 164.312(a)(2)(iv)';

/**
 * Kinesis video streams that hold PHI are encrypted with a KMS key the customer specifies.
 * Kinesis Video always encrypts at rest; an empty KmsKeyId means the AWS managed `aws/kinesisvideo` key.
 *
 * Scenario 1: Given no KmsKeyId and requireCustomerManagedKey (the default), Then NON_COMPLIANT.
 * Scenario 2: Given a KmsKeyId that is an AWS managed key (alias/aws/... or KeyManager AWS), Then NON_COMPLIANT.
 * Scenario 3: Given a customer key that is not Enabled, Then NON_COMPLIANT.
 * Scenario 4: Given a key that DescribeKey cannot resolve, Then NON_COMPLIANT.
 * Scenario 5: Given allowedKmsKeyArns and a key not in it, Then NON_COMPLIANT.
 * Scenario 6: Given requireCustomerManagedKey false and no allow list, Then COMPLIANT (encrypted with whichever key).
 * Scenario 7: Given an Enabled customer managed key that passes the allow list, Then COMPLIANT.
 * The key cannot be changed after creation, so the fix is a new stream: the remediation notifies a person.
 */
export const kinesisVideoStreamCustomerKey = defineSafeguard({
  name: 'kinesis-video-stream-customer-key',
  title: 'Kinesis video streams are encrypted with a customer managed KMS key',
  description: 'Checks that every Kinesis video stream is encrypted with an enabled customer managed KMS key, optionally from an allow list.',
  resource: kinesisVideoStreamResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.Medium,
  parameters: {
    requireCustomerManagedKey: {
      type: 'boolean',
      default: true,
      description: 'true (default): the key must be a customer managed key (KeyManager CUSTOMER) in state Enabled; the AWS managed aws/kinesisvideo key fails.',
    },
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  // The key cannot change after creation: a person must recreate the stream, so the pack tells them.
  remediation: notifyPersonRemediation('kinesis-video-stream-customer-key'),
  lookupActions: ['kms:DescribeKey'],

  async gather(stream, params, lookup) {
    return { key: keyCheckNeeded(params) ? await kmsKeyFacts(lookup, stream.kmsKeyId ?? DEFAULT_VIDEO_KEY) : undefined };
  },

  evaluate(stream, params, { facts }) {
    // Scenarios 1-5 (a key problem) and 6-7 (passes): rules/runtime/kms.ts fixedKeyVerdict.
    return fixedKeyVerdict({
      name: `Video stream ${stream.name}`,
      keyId: stream.kmsKeyId,
      defaultKey: DEFAULT_VIDEO_KEY,
      field: 'KmsKeyId',
      fix: 'The key cannot be changed: recreate the stream with a customer managed key.',
      citation: CITATION,
      key: facts.key,
      params,
    });
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(kinesisVideoStreamCustomerKey);
