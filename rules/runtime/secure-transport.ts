/**
 * Whether a resource policy (an SQS queue policy, an SNS topic policy) refuses every request that does not use TLS:
 * a statement that denies every principal every action of the service on the resource when `aws:SecureTransport` is
 * false, and nothing narrower. The queue and topic rules judge their policy with it; pure, no AWS call.
 *
 * The statement AWS documents for both services:
 * `{ "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": <queue ARN>,
 *    "Condition": { "Bool": { "aws:SecureTransport": "false" } } }`
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit
 *
 * Equivalent forms count: `BoolIfExists` (the key is always present on these requests), the value as `false`,
 * `"false"` or `["false"]`, `Principal` as `"*"`, `{"AWS":"*"}` or `{"AWS":["*"]}`, the action as the service
 * wildcard or `*`. A Deny that names some principals or some actions only, or adds any other condition, lets some
 * plain-HTTP request through, so it does not count, and the verdict says which statement and why.
 */

import { type Verdict, compliant, nonCompliant } from './compliance';

export type PolicyService = 'sqs' | 'sns';

/**
 * The actions an SNS topic policy accepts ("Valid Amazon SNS policy actions", Amazon SNS developer guide, API
 * permissions reference: any other action is refused with "Policy statement action out of service scope").
 * A topic policy that lists them all covers every action of the service, as `sns:*` does; the remediation writes
 * this list rather than `sns:*`, which that page does not name as accepted.
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
 */
export const SNS_TOPIC_POLICY_ACTIONS = [
  'sns:AddPermission',
  'sns:DeleteTopic',
  'sns:GetDataProtectionPolicy',
  'sns:GetTopicAttributes',
  'sns:ListSubscriptionsByTopic',
  'sns:ListTagsForResource',
  'sns:Publish',
  'sns:PutDataProtectionPolicy',
  'sns:RemovePermission',
  'sns:SetTopicAttributes',
  'sns:Subscribe',
] as const;

/** The Sid the remediation documents give the statement they add. */
export const TLS_ONLY_SID = 'HipaaSafeguardsDenyInsecureTransport';

export type SecureTransportFinding =
  /** A statement denies every request without TLS. */
  | { readonly kind: 'enforced'; readonly sid: string }
  /** No statement denies on aws:SecureTransport at all (or the policy has no statements). */
  | { readonly kind: 'absent' }
  /** Some Deny on aws:SecureTransport exists, but narrower than every request: the first such statement and why. */
  | { readonly kind: 'partial'; readonly sid: string; readonly reason: string }
  /** The policy text is not a JSON policy document. */
  | { readonly kind: 'unreadable'; readonly reason: string };

type Json = unknown;

const list = (v: Json): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function everyPrincipal(principal: Json): boolean {
  if (principal === '*') return true;
  if (!isRecord(principal)) return false;
  const keys = Object.keys(principal);
  return keys.length === 1 && keys[0] === 'AWS' && list(principal.AWS).length > 0 && list(principal.AWS).every((p) => p === '*');
}

function everyAction(action: Json, service: PolicyService): boolean {
  const actions = list(action).filter((a): a is string => typeof a === 'string').map((a) => a.toLowerCase());
  if (actions.includes('*') || actions.includes(`${service}:*`)) return true;
  // SNS: the complete list of the actions a topic policy accepts is every action.
  return service === 'sns' && SNS_TOPIC_POLICY_ACTIONS.every((a) => actions.includes(a.toLowerCase()));
}

function coversResource(resource: Json, names: readonly string[]): boolean {
  return list(resource).some((r) => r === '*' || (typeof r === 'string' && names.includes(r)));
}

const FALSE_VALUES = (v: Json) => list(v).length === 1 && list(v).every((x) => x === false || (typeof x === 'string' && x.trim().toLowerCase() === 'false'));

/**
 * What the statement's condition is: `exact` (only Bool/BoolIfExists aws:SecureTransport false), `extra` (that plus
 * anything else, or aws:SecureTransport with another operator or value), `other` (nothing about aws:SecureTransport).
 */
function conditionKind(condition: Json): 'exact' | 'extra' | 'other' {
  if (!isRecord(condition)) return 'other';
  let noTls = false;
  let mentionsTls = false;
  let extra = false;
  for (const [operator, block] of Object.entries(condition)) {
    if (!isRecord(block)) {
      extra = true;
      continue;
    }
    for (const [key, value] of Object.entries(block)) {
      const tlsKey = key.toLowerCase() === 'aws:securetransport';
      mentionsTls ||= tlsKey;
      if (tlsKey && (operator === 'Bool' || operator === 'BoolIfExists') && FALSE_VALUES(value)) noTls = true;
      else extra = true;
    }
  }
  if (!mentionsTls) return 'other';
  return noTls && !extra ? 'exact' : 'extra';
}

/**
 * Judges one policy document (as text, the way SQS and SNS return it) for `service` on a resource that any of
 * `resourceNames` names (its ARN; before deployment, the template's reference to it).
 * @example secureTransportFinding(policyText, 'sqs', ['arn:aws:sqs:us-east-1:123456789012:intake']) // { kind: 'enforced', sid: 'DenyHttp' }
 */
export function secureTransportFinding(policy: string | Record<string, unknown>, service: PolicyService, resourceNames: readonly string[]): SecureTransportFinding {
  let doc: Json = policy;
  if (typeof policy === 'string') {
    try {
      doc = JSON.parse(policy) as Json;
    } catch {
      return { kind: 'unreadable', reason: 'the policy is not JSON' };
    }
  }
  if (!isRecord(doc)) return { kind: 'unreadable', reason: 'the policy is not a JSON object' };
  let enforced: SecureTransportFinding | undefined;
  let partial: SecureTransportFinding | undefined;
  list(doc.Statement).forEach((raw, index) => {
    if (!isRecord(raw) || raw.Effect !== 'Deny') return;
    const condition = conditionKind(raw.Condition);
    if (condition === 'other') return;
    const sid = typeof raw.Sid === 'string' && raw.Sid !== '' ? raw.Sid : `#${index + 1}`;
    const reason =
      raw.NotPrincipal !== undefined || !everyPrincipal(raw.Principal)
        ? 'applies to some principals only'
        : raw.NotAction !== undefined || !everyAction(raw.Action, service)
          ? `denies some actions only, not ${service}:*`
          : raw.NotResource !== undefined || !coversResource(raw.Resource, resourceNames)
            ? `does not name the ${service === 'sqs' ? 'queue' : 'topic'} as its Resource`
            : condition === 'extra'
              ? 'adds conditions beyond Bool aws:SecureTransport false'
              : undefined;
    if (reason === undefined) enforced ??= { kind: 'enforced', sid };
    else partial ??= { kind: 'partial', sid, reason };
  });
  return enforced ?? partial ?? { kind: 'absent' };
}

/** The statement the remediation documents add, for the resource ARN given (the same text the documents write). */
export function tlsOnlyStatement(service: PolicyService, resourceArn: string): Record<string, unknown> {
  return {
    Sid: TLS_ONLY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: service === 'sqs' ? 'sqs:*' : [...SNS_TOPIC_POLICY_ACTIONS],
    Resource: resourceArn,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/**
 * The verdict of a TLS-only rule (sqs-queue-tls-only, sns-topic-tls-only: one policy model, so one set of scenarios).
 * `policy` undefined: the resource has no policy at all.
 */
export function tlsOnlyVerdict(input: {
  /** `Queue intake`, `Topic alerts`. */
  readonly name: string;
  /** `queue`, `topic`: the policy's kind, as the annotation names it. */
  readonly kind: string;
  readonly service: PolicyService;
  readonly policy: string | Record<string, unknown> | undefined;
  readonly resourceNames: readonly string[];
  readonly fix: string;
  readonly citation: string;
}): Verdict {
  const { name, kind, fix, citation } = input;
  if (input.policy === undefined) {
    // Scenario 1
    return nonCompliant(`${name} has no ${kind} policy, so it accepts requests without TLS. ${fix} ${citation}`);
  }
  const finding = secureTransportFinding(input.policy, input.service, input.resourceNames);
  switch (finding.kind) {
    case 'absent':
      // Scenario 2
      return nonCompliant(`${name} has a ${kind} policy that does not deny requests without TLS. ${fix} ${citation}`);
    case 'partial':
      // Scenario 3
      return nonCompliant(`${name} policy statement ${finding.sid} does not deny every request without TLS: it ${finding.reason}. ${fix} ${citation}`);
    case 'unreadable':
      // Scenario 4
      return nonCompliant(`${name} policy cannot be read (${finding.reason}). ${fix} ${citation}`);
    case 'enforced':
      // Scenario 5
      return compliant(`${name} denies every request without TLS (policy statement ${finding.sid}). ${citation}`);
  }
}
