// The security review of a template, as code: every policy statement of every resource, judged against the rules of
// issue 9 §4 (wildcards, `Resource: "*"`, confused deputies, public principals). Used by iam.test.ts on the built
// templates and by the packaging tests on what serverless actually writes.
import { isWildcardAction } from '../../scripts/lib/iam';
import { ACTION_RESOURCES, CROSS_ACCOUNT_ACTIONS } from '../../scripts/lib/iam-resources';

export type Statement = {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
export type Resource = { Type: string; Properties?: Record<string, unknown>; Condition?: string };

export const asList = <T>(a: T | T[] | undefined): T[] => (a === undefined ? [] : Array.isArray(a) ? a : [a]);

/** Condition keys that tie a trust to one account, organization, resource or principal (confused-deputy guards). */
export const CONFUSED_DEPUTY_KEYS = ['aws:SourceAccount', 'aws:SourceArn', 'aws:SourceOrgID', 'aws:PrincipalOrgID', 'aws:ResourceOrgID', 'aws:PrincipalArn'];
/** Condition keys that tie a grant to an AWS service to one account or resource of ours. */
export const SOURCE_KEYS = ['aws:SourceAccount', 'aws:SourceArn', 'aws:SourceOrgID'];
/** Condition keys that keep a `Principal: "*"` inside the organization. */
export const ORGANIZATION_KEYS = ['aws:PrincipalOrgID', 'aws:SourceOrgID', 'aws:ResourceOrgID'];
/**
 * Service principals whose trust needs no condition: only principals of the role's own account can pass a role to
 * Lambda (iam:PassRole does not cross accounts), and Lambda documents no source keys for the execution role.
 */
export const TRUSTS_WITHOUT_SOURCE_KEYS = ['lambda.amazonaws.com'];

export interface Policy {
  readonly where: string;
  readonly kind: 'identity' | 'trust' | 'resource';
  readonly statements: Statement[];
}

/** Every policy of every resource of a template. */
export function policiesOf(name: string, resources: Record<string, Resource>): Policy[] {
  const out: Policy[] = [];
  const docOf = (d: unknown): Statement[] => asList((d as { Statement?: Statement | Statement[] } | undefined)?.Statement);
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      for (const x of asList(p.Policies as unknown[] | undefined)) {
        // Fn::If around a policy (the spoke's Security Hub policy): both branches are judged.
        const branches = (x as { 'Fn::If'?: unknown[] })['Fn::If'] ? ((x as { 'Fn::If': unknown[] })['Fn::If'].slice(1) as unknown[]) : [x];
        for (const b of branches) {
          const policy = b as { PolicyName?: string; PolicyDocument?: unknown };
          if (policy.PolicyDocument) out.push({ where: `${name} ${id} ${policy.PolicyName ?? ''}`, kind: 'identity', statements: docOf(policy.PolicyDocument) });
        }
      }
      if (p.PolicyDocument) out.push({ where: `${name} ${id}`, kind: 'identity', statements: docOf(p.PolicyDocument) });
      if (p.AssumeRolePolicyDocument) out.push({ where: `${name} ${id} trust`, kind: 'trust', statements: docOf(p.AssumeRolePolicyDocument) });
    } else if (p.PolicyDocument) {
      out.push({ where: `${name} ${id}`, kind: 'resource', statements: docOf(p.PolicyDocument) });
    } else if (r.Type === 'AWS::Events::EventBusPolicy' && p.Statement) {
      out.push({ where: `${name} ${id}`, kind: 'resource', statements: asList(p.Statement as Statement) });
    } else if (r.Type === 'AWS::Lambda::Permission') {
      // A function policy statement, written the way Lambda stores it.
      const principal = String(p.Principal);
      const keys: Record<string, unknown> = {
        ...(p.SourceAccount !== undefined ? { 'aws:SourceAccount': p.SourceAccount } : {}),
        ...(p.SourceArn !== undefined ? { 'aws:SourceArn': p.SourceArn } : {}),
        ...(p.PrincipalOrgID !== undefined ? { 'aws:PrincipalOrgID': p.PrincipalOrgID } : {}),
      };
      out.push({
        where: `${name} ${id}`,
        kind: 'resource',
        statements: [
          {
            Effect: 'Allow',
            Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
            Action: String(p.Action),
            ...(Object.keys(keys).length > 0 ? { Condition: { StringEquals: keys } } : {}),
          },
        ],
      });
    }
  }
  return out;
}

const conditionKeys = (st: Statement): string[] => Object.values(st.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
const hasAnyKey = (st: Statement, keys: readonly string[]) => conditionKeys(st).some((k) => keys.some((x) => x.toLowerCase() === k.toLowerCase()));

/** `*` or `{ AWS: "*" }`. */
function isPublic(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') return asList((principal as { AWS?: unknown }).AWS as unknown[]).includes('*');
  return false;
}

/** A principal that names exact roles (not an account root or a service): a trust without further condition. */
function namesExactRoles(principal: unknown): boolean {
  if (!principal || typeof principal !== 'object') return false;
  const aws = asList((principal as { AWS?: unknown }).AWS as unknown[]);
  return aws.length > 0 && aws.every((a) => typeof a === 'string' && /^arn:[^:]+:iam::\d{12}:role\//.test(a));
}

const isStar = (resource: unknown): boolean => asList(resource as unknown[]).includes('*');

/**
 * A Resource value as text, whatever intrinsic writes it (Fn::Join of Refs, Fn::Sub, a plain string), with each
 * reference as `{Name}` so that the ARN's fields still split on `:` (`${AWS::Partition}` holds colons).
 */
export function resourceText(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{([^}]+)\}/g, (_m, name: string) => `{${name.replaceAll(':', '')}}`);
  if (value && typeof value === 'object') {
    const v = value as { Ref?: unknown; 'Fn::Join'?: [string, unknown[]]; 'Fn::Sub'?: unknown };
    if (typeof v.Ref === 'string') return `{${v.Ref.replaceAll(':', '')}}`;
    if (Array.isArray(v['Fn::Join'])) return v['Fn::Join'][1].map(resourceText).join(v['Fn::Join'][0]);
    if (v['Fn::Sub'] !== undefined) return resourceText(Array.isArray(v['Fn::Sub']) ? v['Fn::Sub'][0] : v['Fn::Sub']);
  }
  return JSON.stringify(value);
}

/** The account field of an ARN written as text, or undefined for anything that is not an ARN (`*`, a Ref). */
export function arnAccount(arn: string): string | undefined {
  const fields = arn.split(':');
  return fields[0] === 'arn' && fields.length >= 6 ? fields[4] : undefined;
}

/**
 * What is wrong with the policies, one line per finding: an Allow of a wildcard action, NotAction, NotResource or
 * NotPrincipal in an Allow; an Allow on `Resource: "*"` of an action that has resource types in the Service
 * Authorization Reference (or is missing from scripts/lib/iam-resources.ts); a trust without a confused-deputy
 * condition; an Allow to `Principal: "*"` without an organization condition; a resource policy (queue, topic, bus,
 * function) granting an AWS service without a source condition. Denies may use wildcards: they take
 * rights away (TLS-only, guardrails), they grant none.
 */
export function policyViolations(policies: readonly Policy[]): string[] {
  const found: string[] = [];
  for (const { where, kind, statements } of policies) {
    // IAM refuses a policy whose statement IDs repeat.
    const sids = statements.flatMap((st) => (st.Sid ? [st.Sid] : []));
    for (const d of sids.filter((x, i) => sids.indexOf(x) !== i)) found.push(`${where}: statement ID ${d} is used twice`);
    for (const st of statements) {
      const label = `${where}${st.Sid ? ` ${st.Sid}` : ''}`;
      if (st.Effect !== 'Allow') continue;
      for (const k of ['NotAction', 'NotResource', 'NotPrincipal'] as const) if (st[k] !== undefined) found.push(`${label}: Allow with ${k}`);
      const actions = asList(st.Action);
      for (const a of actions.filter(isWildcardAction)) found.push(`${label}: wildcard action ${a}`);
      if (kind === 'identity') {
        for (const a of actions.filter((x) => !isWildcardAction(x))) {
          const scope = ACTION_RESOURCES[a];
          if (!scope) found.push(`${label}: ${a} is not in scripts/lib/iam-resources.ts`);
          else if (isStar(st.Resource) && scope.resources !== 'none') found.push(`${label}: ${a} on Resource "*", but it supports resource-level permissions`);
        }
        // Resources of any account: only inside the organization (a condition says so), or for an action
        // iam-resources.ts lists by name in CROSS_ACCOUNT_ACTIONS with its reason.
        const anyAccount = asList(st.Resource as unknown[])
          .map(resourceText)
          .filter((r) => /[*?]/.test(arnAccount(r) ?? ''));
        if (anyAccount.length > 0 && !hasAnyKey(st, ORGANIZATION_KEYS)) {
          for (const a of actions.filter((x) => !CROSS_ACCOUNT_ACTIONS[x])) found.push(`${label}: ${a} on resources of any account (${anyAccount.join(', ')})`);
        }
      }
      if (kind === 'trust') {
        const services = asList((st.Principal as { Service?: string | string[] } | undefined)?.Service);
        const exempt = services.length > 0 && services.every((s) => TRUSTS_WITHOUT_SOURCE_KEYS.includes(s));
        if (!exempt && !hasAnyKey(st, CONFUSED_DEPUTY_KEYS) && !namesExactRoles(st.Principal)) found.push(`${label}: trust without a confused-deputy condition`);
      }
      if (isPublic(st.Principal) && !hasAnyKey(st, ORGANIZATION_KEYS)) found.push(`${label}: Principal "*" without an organization condition`);
      if (kind === 'resource' && asList((st.Principal as { Service?: string | string[] } | undefined)?.Service).length > 0 && !hasAnyKey(st, SOURCE_KEYS)) {
        found.push(`${label}: a service principal without aws:SourceAccount or aws:SourceArn`);
      }
    }
  }
  return found;
}
