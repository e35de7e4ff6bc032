import { expect } from 'chai';
import { sqsQueueTlsOnly as rule } from '../../rules/sqs-queue-tls-only';
import { parseParameters } from '../../rules/runtime/parameters';
import type { SqsQueue } from '../../rules/resources/sqs-queue';

const CITE = '45 CFR 164.312(e)(2)(ii)';
const FIX = 'Deny sqs:* to Principal * on the queue when aws:SecureTransport is false, with no other condition.';
const NOW = new Date('2026-11-22T12:00:00Z');
const ARN = 'arn:aws:sqs:us-east-1:123456789012:intake';
const queue: SqsQueue = { id: 'u', resourceType: 'AWS::SQS::Queue', name: 'intake', url: 'u', arn: ARN, sqsManagedSseEnabled: false, policy: { kind: 'read' }, policyResourceNames: [ARN], tags: {} };
const deny = (o: Record<string, unknown> = {}) => ({ Sid: 'DenyHttp', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: ARN, Condition: { Bool: { 'aws:SecureTransport': 'false' } }, ...o });
const judge = (policy: unknown) => rule.evaluate(queue, parseParameters(rule.schema, {}), { now: NOW, facts: { policy: policy === undefined ? undefined : JSON.stringify(policy) } });
const withStatements = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

describe('sqs-queue-tls-only', () => {
  it('returns NON_COMPLIANT for a queue without a policy (scenario 1)', () => {
    expect(judge(undefined)).to.deep.equal({ compliance: 'NON_COMPLIANT', annotation: `Queue intake has no queue policy, so it accepts requests without TLS. ${FIX} ${CITE}` });
  });

  it('returns NON_COMPLIANT for a policy without a Deny on aws:SecureTransport (scenario 2)', () => {
    const allow = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sqs:SendMessage', Resource: ARN };
    expect(judge(withStatements(allow))).to.deep.equal({ compliance: 'NON_COMPLIANT', annotation: `Queue intake has a queue policy that does not deny requests without TLS. ${FIX} ${CITE}` });
  });

  const partial: [string, Record<string, unknown>, string][] = [
    ['some principals', { Principal: { AWS: 'arn:aws:iam::123456789012:root' } }, 'applies to some principals only'],
    ['some actions', { Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'] }, 'denies some actions only, not sqs:*'],
    ['another resource', { Resource: 'arn:aws:sqs:us-east-1:123456789012:other' }, 'does not name the queue as its Resource'],
    ['an extra condition', { Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringEquals: { 'aws:PrincipalAccount': '111122223333' } } }, 'adds conditions beyond Bool aws:SecureTransport false'],
    ['NotPrincipal', { Principal: undefined, NotPrincipal: { AWS: 'arn:aws:iam::123456789012:root' } }, 'applies to some principals only'],
  ];
  for (const [what, change, reason] of partial) {
    it(`returns NON_COMPLIANT for a TLS Deny narrowed to ${what}, saying why (scenario 3)`, () => {
      expect(judge(withStatements(deny(change)))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Queue intake policy statement DenyHttp does not deny every request without TLS: it ${reason}. ${FIX} ${CITE}`,
      });
    });
  }

  it('returns NON_COMPLIANT for a policy that is not JSON (scenario 4)', () => {
    const v = rule.evaluate(queue, parseParameters(rule.schema, {}), { now: NOW, facts: { policy: '{not json' } });
    expect(v).to.deep.equal({ compliance: 'NON_COMPLIANT', annotation: `Queue intake policy cannot be read (the policy is not JSON). ${FIX} ${CITE}` });
  });

  const equivalent: [string, Record<string, unknown>][] = [
    ['the documented form', {}],
    ['BoolIfExists', { Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } } }],
    ['a JSON boolean false', { Condition: { Bool: { 'aws:SecureTransport': false } } }],
    ['a list ["false"]', { Condition: { Bool: { 'aws:SecureTransport': ['false'] } } }],
    ['Principal {"AWS":"*"}', { Principal: { AWS: '*' } }],
    ['Action * and Resource *', { Action: '*', Resource: '*' }],
  ];
  for (const [what, change] of equivalent) {
    it(`returns COMPLIANT for ${what} (scenario 5)`, () => {
      expect(judge(withStatements({ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: ARN }, deny(change)))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Queue intake denies every request without TLS (policy statement DenyHttp). ${CITE}`,
      });
    });
  }
});
