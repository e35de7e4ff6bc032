import { expect } from 'chai';
import { sqsQueueEncrypted as rule } from '../../rules/sqs-queue-encrypted';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import type { SqsQueue } from '../../rules/resources/sqs-queue';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const CMK_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const queue = (o: Partial<SqsQueue> = {}): SqsQueue => ({
  id: 'https://sqs.us-east-1.amazonaws.com/123456789012/intake',
  resourceType: 'AWS::SQS::Queue',
  name: 'intake',
  url: 'https://sqs.us-east-1.amazonaws.com/123456789012/intake',
  sqsManagedSseEnabled: false,
  policy: { kind: 'not-recorded' },
  policyResourceNames: [],
  tags: {},
  ...o,
});
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const ctx = (key?: KeyFacts) => ({ now: NOW, facts: { key } });

describe('sqs-queue-encrypted', () => {
  it('returns NON_COMPLIANT for a queue without any encryption (scenario 1)', () => {
    expect(rule.evaluate(queue(), params(), ctx())).to.deep.equal({
      compliance: 'NON_COMPLIANT',
      annotation: `Queue intake is not encrypted at rest (no KmsMasterKeyId, SqsManagedSseEnabled false). Set KmsMasterKeyId to a KMS key. ${CITE}`,
    });
  });

  it('returns NON_COMPLIANT for SSE-SQS with the default parameters (scenario 2)', () => {
    expect(rule.evaluate(queue({ sqsManagedSseEnabled: true }), params(), ctx())).to.deep.equal({
      compliance: 'NON_COMPLIANT',
      annotation: `Queue intake uses SQS-owned keys (SSE-SQS), which allowServiceManagedKeys does not allow. Set KmsMasterKeyId to a KMS key. ${CITE}`,
    });
  });

  it('returns NON_COMPLIANT for SSE-SQS allowed but a key parameter set (scenario 3)', () => {
    expect(rule.evaluate(queue({ sqsManagedSseEnabled: true }), params({ allowServiceManagedKeys: 'true', requireCustomerManagedKey: 'true' }), ctx())).to.deep.equal({
      compliance: 'NON_COMPLIANT',
      annotation: `Queue intake uses SQS-owned keys (SSE-SQS), but requireCustomerManagedKey or allowedKmsKeyArns needs a KMS key. Set KmsMasterKeyId. ${CITE}`,
    });
  });

  it('returns COMPLIANT for SSE-SQS when allowServiceManagedKeys is true (scenario 4)', () => {
    expect(rule.evaluate(queue({ sqsManagedSseEnabled: true }), params({ allowServiceManagedKeys: 'true' }), ctx())).to.deep.equal({
      compliance: 'COMPLIANT',
      annotation: `Queue intake is encrypted at rest with SQS-owned keys (SSE-SQS; allowServiceManagedKeys is true). ${CITE}`,
    });
  });

  it('returns COMPLIANT for the AWS managed key alias/aws/sqs with default parameters (scenario 5)', () => {
    expect(rule.evaluate(queue({ kmsMasterKeyId: 'alias/aws/sqs' }), params(), ctx())).to.deep.equal({
      compliance: 'COMPLIANT',
      annotation: `Queue intake is encrypted at rest with KMS key alias/aws/sqs. ${CITE}`,
    });
  });

  it('returns NON_COMPLIANT for alias/aws/sqs when a customer managed key is required (scenario 6)', () => {
    const v = rule.evaluate(queue({ kmsMasterKeyId: 'alias/aws/sqs' }), params({ requireCustomerManagedKey: 'true' }), ctx({ kind: 'awsManagedAlias', keyId: 'alias/aws/sqs' }));
    expect(v).to.deep.equal({
      compliance: 'NON_COMPLIANT',
      annotation: `Queue intake is encrypted, but KMS key alias/aws/sqs is AWS managed; requireCustomerManagedKey needs a customer managed key. ${CITE}`,
    });
  });

  it('returns NON_COMPLIANT for a key outside allowedKmsKeyArns (scenario 6)', () => {
    const key: KeyFacts = { kind: 'resolved', keyId: 'alias/phi', arn: CMK_ARN, manager: 'CUSTOMER', state: 'Enabled' };
    const v = rule.evaluate(queue({ kmsMasterKeyId: 'alias/phi' }), params({ allowedKmsKeyArns: CMK_ARN.replace('1234abcd', '9999abcd') }), ctx(key));
    expect(v.annotation).to.equal(`Queue intake is encrypted, but KMS key ${CMK_ARN} is not in allowedKmsKeyArns. ${CITE}`);
  });

  it('returns COMPLIANT for an enabled, allowed customer managed key (scenario 7)', () => {
    const key: KeyFacts = { kind: 'resolved', keyId: 'alias/phi', arn: CMK_ARN, manager: 'CUSTOMER', state: 'Enabled' };
    const v = rule.evaluate(queue({ kmsMasterKeyId: 'alias/phi' }), params({ requireCustomerManagedKey: 'true', allowedKmsKeyArns: CMK_ARN }), ctx(key));
    expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Queue intake is encrypted at rest with KMS key alias/phi. ${CITE}` });
  });
});
