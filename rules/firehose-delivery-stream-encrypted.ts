import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, type KeyFacts, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { type FirehoseEncryption, firehoseDeliveryStreamResource, liveEncryption } from './resources/firehose-delivery-stream';
import { type SourceStreamFacts, sourceStreamFacts } from './resources/kinesis-stream';

const CITATION = '45 CFR 164.312(a)(2)(iv)';

interface Facts {
  /** DirectPut: the encryption in force ('gone' when the stream vanished since its configuration item). */
  readonly encryption?: FirehoseEncryption | 'gone';
  readonly key?: KeyFacts;
  /** KinesisStreamAsSource: what the source stream says. */
  readonly source?: SourceStreamFacts;
}

/**
 * Firehose delivery streams keep PHI encrypted at rest, judged by where their data comes from.
 *
 * Scenario 1: Given a DirectPut stream without server-side encryption, Then NON_COMPLIANT.
 * Scenario 2: Given DirectPut with encryption whose status is not ENABLED (or unreadable), Then NON_COMPLIANT.
 * Scenario 3: Given DirectPut with an AWS owned key and a key parameter (requireCustomerManagedKey or
 *             allowedKmsKeyArns), Then NON_COMPLIANT.
 * Scenario 4: Given DirectPut with a customer key that fails the key parameters, Then NON_COMPLIANT.
 * Scenario 5: Given KinesisStreamAsSource and a source stream that cannot be read, Then NON_COMPLIANT (never COMPLIANT).
 * Scenario 6: Given KinesisStreamAsSource and a source stream not encrypted with KMS, Then NON_COMPLIANT.
 * Scenario 7: Given KinesisStreamAsSource and a source key that fails the key parameters, Then NON_COMPLIANT.
 * Scenario 8: Given MSKAsSource, Then COMPLIANT (MSK encrypts at rest; Firehose keeps no data at rest).
 * Scenario 9: Given requireEncryptedS3Destination and an S3 destination or backup with NoEncryption, Then NON_COMPLIANT.
 * Scenario 10: Given an encrypted DirectPut stream, or an encrypted source stream, and encrypted S3 targets, Then COMPLIANT.
 * Firehose refuses server-side encryption on Kinesis-sourced streams: their verdict follows the source stream,
 * so no one gets a failure they cannot fix.
 */
export const firehoseDeliveryStreamEncrypted = defineSafeguard({
  name: 'firehose-delivery-stream-encrypted',
  title: 'Firehose delivery streams keep data encrypted at rest, by their own key or their source stream',
  description:
    'Checks Firehose server-side encryption for DirectPut streams, the source stream encryption for Kinesis-sourced streams, and that S3 destinations are written with encryption.',
  resource: firehoseDeliveryStreamResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    requireCustomerManagedKey: requireCustomerManagedKeyParameter,
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
    requireEncryptedS3Destination: {
      type: 'boolean',
      default: true,
      description: 'true: an S3 destination (or its backup) whose EncryptionConfiguration is NoEncryption fails.',
    },
  },
  // Automatic for DirectPut streams; the document refuses Kinesis-sourced ones (their fix is the source stream's),
  // so attempts stay low.
  remediation: {
    document: 'HIPAA-EnableFirehoseEncryption',
    automatic: true,
    resourceIdParameter: 'DeliveryStreamName',
    maximumAutomaticAttempts: 2,
    retryAttemptSeconds: 300,
    parameters: {
      KeyType: {
        default: 'AWS_OWNED_CMK',
        description: 'Key type the remediation starts Firehose encryption with: AWS_OWNED_CMK or CUSTOMER_MANAGED_CMK (then set KeyARN).',
      },
      KeyARN: {
        default: '',
        description: 'Customer managed KMS key ARN for CUSTOMER_MANAGED_CMK; required when requireCustomerManagedKey is true.',
      },
    },
  },
  lookupActions: ['firehose:DescribeDeliveryStream', 'kinesis:DescribeStreamSummary', 'kms:DescribeKey'],

  async gather(stream, params, lookup): Promise<Facts> {
    if (stream.sourceType === 'MSKAsSource') return {};
    if (stream.sourceType === 'KinesisStreamAsSource') {
      if (!stream.sourceStreamArn) return {};
      const source = await sourceStreamFacts(lookup, stream.sourceStreamArn);
      const key = source.kind === 'read' && source.keyId && keyCheckNeeded(params) ? await kmsKeyFacts(lookup, source.keyId) : undefined;
      return { source, ...(key ? { key } : {}) };
    }
    // Config records the key type but not whether encryption took effect: read the status live.
    const encryption = stream.encryption && !stream.encryptionStatusKnown ? await liveEncryption(lookup, stream.name) : stream.encryption;
    const keyArn = encryption && encryption !== 'gone' && encryption.keyType === 'CUSTOMER_MANAGED_CMK' ? encryption.keyArn : undefined;
    const key = keyArn && keyCheckNeeded(params) ? await kmsKeyFacts(lookup, keyArn) : undefined;
    return { ...(encryption ? { encryption } : {}), ...(key ? { key } : {}) };
  },

  evaluate(stream, params, { facts }) {
    const name = `Delivery stream ${stream.name}`;
    let protectedBy: string;
    if (stream.sourceType === 'MSKAsSource') {
      // Scenario 8 (unless an S3 target fails below)
      protectedBy = 'reads from Amazon MSK, which encrypts at rest; Firehose keeps no data at rest';
    } else if (stream.sourceType === 'KinesisStreamAsSource') {
      const source = facts.source;
      if (!source) {
        // Scenario 5
        return nonCompliant(`${name} reads from a Kinesis stream that its configuration does not name; protection at rest cannot be verified. ${CITATION}`);
      }
      if (source.kind === 'unreadable') {
        // Scenario 5
        return nonCompliant(`${name} reads from Kinesis stream ${source.arn}, which cannot be read (${source.reason}); protection at rest cannot be verified. ${CITATION}`);
      }
      if (source.encryptionType !== 'KMS') {
        // Scenario 6
        return nonCompliant(
          `${name} reads from Kinesis stream ${source.arn}, which is not encrypted at rest (EncryptionType ${source.encryptionType}). Encrypt the source stream (HIPAA-EnableKinesisStreamEncryption). ${CITATION}`,
        );
      }
      const problem = keyCheckNeeded(params) ? (facts.key ? keyProblem(facts.key, params) : 'the source stream reports no KeyId') : undefined;
      // Scenario 7
      if (problem) return nonCompliant(`${name} reads from Kinesis stream ${source.arn}, but ${problem}. ${CITATION}`);
      protectedBy = `reads from Kinesis stream ${source.arn}, encrypted with KMS key ${source.keyId ?? '(unknown)'}: data at rest is protected by the source stream`;
    } else {
      const enc = facts.encryption;
      if (!enc) {
        // Scenario 1
        return nonCompliant(`${name} is not encrypted at rest (DeliveryStreamEncryptionConfiguration absent). Start server-side encryption. ${CITATION}`);
      }
      if (enc === 'gone') {
        // Scenario 2
        return nonCompliant(`${name} could not be read (DescribeDeliveryStream: not found); encryption cannot be verified. ${CITATION}`);
      }
      if (enc.status !== 'ENABLED') {
        // Scenario 2
        return nonCompliant(`${name} has server-side encryption in status ${enc.status ?? 'unknown'}, not ENABLED. Restart server-side encryption. ${CITATION}`);
      }
      if (keyCheckNeeded(params)) {
        if (enc.keyType !== 'CUSTOMER_MANAGED_CMK' || !enc.keyArn) {
          // Scenario 3
          return nonCompliant(`${name} is encrypted with an AWS owned key; the key parameters need CUSTOMER_MANAGED_CMK. ${CITATION}`);
        }
        const problem = facts.key ? keyProblem(facts.key, params) : `KMS key ${enc.keyArn} was not looked up`;
        // Scenario 4
        if (problem) return nonCompliant(`${name} is encrypted, but ${problem}. ${CITATION}`);
      }
      protectedBy = `is encrypted at rest with ${enc.keyType === 'CUSTOMER_MANAGED_CMK' ? `customer managed key ${enc.keyArn ?? ''}` : 'an AWS owned key'}`;
    }
    if (params.requireEncryptedS3Destination) {
      const open = stream.s3Targets.find((t) => t.noEncryption);
      if (open) {
        // Scenario 9
        return nonCompliant(`${name} writes to S3 without encryption (${open.field}.EncryptionConfiguration.NoEncryptionConfig). Configure KMS encryption for the destination. ${CITATION}`);
      }
    }
    // Scenarios 8, 10
    return compliant(`${name} ${protectedBy}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(firehoseDeliveryStreamEncrypted);
