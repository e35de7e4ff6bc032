import { expect } from 'chai';
import { snsTopicTlsOnly as rule } from '../../rules/sns-topic-tls-only';
import { parseParameters } from '../../rules/runtime/parameters';
import { SNS_TOPIC_POLICY_ACTIONS } from '../../rules/runtime/secure-transport';
import type { SnsTopic } from '../../rules/resources/sns-topic';

const CITE = '45 CFR 164.312(e)(2)(ii)';
const FIX = 'Deny every SNS action to Principal * on the topic when aws:SecureTransport is false, with no other condition.';
const NOW = new Date('2026-11-22T12:00:00Z');
const ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';
const topic: SnsTopic = { id: ARN, resourceType: 'AWS::SNS::Topic', name: 'alerts', arn: ARN, policy: { kind: 'read' }, policyResourceNames: [ARN], tags: {} };
const deny = (o: Record<string, unknown> = {}) => ({ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 'sns:*', Resource: ARN, Condition: { Bool: { 'aws:SecureTransport': 'false' } }, ...o });
const judge = (policy: string | undefined) => rule.evaluate(topic, parseParameters(rule.schema, {}), { now: NOW, facts: { policy } });
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });

describe('sns-topic-tls-only', () => {
  it('returns NON_COMPLIANT for an answer without a topic policy (scenario 1)', () => {
    expect(judge(undefined)).to.deep.equal({ compliance: 'NON_COMPLIANT', annotation: `Topic alerts has no topic policy, so it accepts requests without TLS. ${FIX} ${CITE}` });
  });

  it('returns NON_COMPLIANT for the default topic policy (scenario 2)', () => {
    const defaults = { Sid: '__default_statement_ID', Effect: 'Allow', Principal: { AWS: '*' }, Action: ['SNS:Publish', 'SNS:Subscribe'], Resource: ARN, Condition: { StringEquals: { 'AWS:SourceOwner': '123456789012' } } };
    expect(judge(doc(defaults))).to.deep.equal({ compliance: 'NON_COMPLIANT', annotation: `Topic alerts has a topic policy that does not deny requests without TLS. ${FIX} ${CITE}` });
  });

  it('returns NON_COMPLIANT for a TLS Deny of Publish and Subscribe only, saying why (scenario 3)', () => {
    expect(judge(doc(deny({ Action: ['sns:Publish', 'sns:Subscribe'] })))).to.deep.equal({
      compliance: 'NON_COMPLIANT',
      annotation: `Topic alerts policy statement TlsOnly does not deny every request without TLS: it denies some actions only, not sns:*. ${FIX} ${CITE}`,
    });
  });

  it('returns NON_COMPLIANT for a policy that is not JSON (scenario 4)', () => {
    expect(judge('[]').annotation).to.equal(`Topic alerts policy cannot be read (the policy is not a JSON object). ${FIX} ${CITE}`);
  });

  for (const [what, action] of [['SNS:* (any case)', 'SNS:*'], ['every action a topic policy accepts', [...SNS_TOPIC_POLICY_ACTIONS]]] as const) {
    it(`returns COMPLIANT for a Deny of ${what} (scenario 5)`, () => {
      expect(judge(doc(deny({ Action: action })))).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Topic alerts denies every request without TLS (policy statement TlsOnly). ${CITE}` });
    });
  }
});
