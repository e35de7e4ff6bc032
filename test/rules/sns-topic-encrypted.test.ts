import { expect } from 'chai';
import { snsTopicEncrypted as rule } from '../../rules/sns-topic-encrypted';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import type { SnsTopic } from '../../rules/resources/sns-topic';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';
const CMK_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const topic = (o: Partial<SnsTopic> = {}): SnsTopic => ({ id: ARN, resourceType: 'AWS::SNS::Topic', name: 'alerts', arn: ARN, policy: { kind: 'not-recorded' }, policyResourceNames: [ARN], tags: {}, ...o });
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const ctx = (key?: KeyFacts) => ({ now: NOW, facts: { key } });

describe('sns-topic-encrypted', () => {
  it('returns NON_COMPLIANT for a topic without KmsMasterKeyId (scenario 1)', () => {
    expect(rule.evaluate(topic(), params(), ctx())).to.deep.equal({
      compliance: 'NON_COMPLIANT',
      annotation: `Topic alerts is not encrypted at rest (no KmsMasterKeyId). Set KmsMasterKeyId to a KMS key. ${CITE}`,
    });
  });

  it('returns COMPLIANT for alias/aws/sns with default parameters (scenario 2)', () => {
    expect(rule.evaluate(topic({ kmsMasterKeyId: 'alias/aws/sns' }), params(), ctx())).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Topic alerts is encrypted at rest with KMS key alias/aws/sns. ${CITE}` });
  });

  it('returns NON_COMPLIANT for a disabled customer key when one is required (scenario 3)', () => {
    const key: KeyFacts = { kind: 'resolved', keyId: 'alias/phi', arn: CMK_ARN, manager: 'CUSTOMER', state: 'Disabled' };
    expect(rule.evaluate(topic({ kmsMasterKeyId: 'alias/phi' }), params({ requireCustomerManagedKey: 'true' }), ctx(key))).to.deep.equal({
      compliance: 'NON_COMPLIANT',
      annotation: `Topic alerts is encrypted, but customer managed key alias/phi is Disabled, not Enabled. ${CITE}`,
    });
  });

  it('returns NON_COMPLIANT for a key that cannot be verified (scenario 3)', () => {
    const v = rule.evaluate(topic({ kmsMasterKeyId: 'alias/gone' }), params({ requireCustomerManagedKey: 'true' }), ctx({ kind: 'unresolved', keyId: 'alias/gone', reason: 'DescribeKey failed: NotFoundException' }));
    expect(v.annotation).to.equal(`Topic alerts is encrypted, but KMS key alias/gone cannot be verified (DescribeKey failed: NotFoundException). ${CITE}`);
  });

  it('returns COMPLIANT for an enabled customer key (scenario 4)', () => {
    const key: KeyFacts = { kind: 'resolved', keyId: 'alias/phi', arn: CMK_ARN, manager: 'CUSTOMER', state: 'Enabled' };
    expect(rule.evaluate(topic({ kmsMasterKeyId: 'alias/phi' }), params({ requireCustomerManagedKey: 'true' }), ctx(key)).compliance).to.equal('COMPLIANT');
  });
});
