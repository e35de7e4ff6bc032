import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog } from '../../rules/catalog';
import { REEVALUATE_ACTIONS } from '../../rules/runtime/actions';
import { elastiCacheChangeEventPattern } from '../../rules/triggers/elasticache-reevaluate';
import { evaluationRoleActions, remediationActions, ruleActions } from '../../scripts/lib/iam';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { documentLogicalId, hubRolePath, NOTIFICATION_TOPIC_LOGICAL_ID } from '../../scripts/lib/serverless-resources';
import {
  DEFAULT_EVALUATION_ROLE_NAME,
  EVALUATION_ROLE_LOGICAL_ID,
  FORWARD,
  MAX_ROLE_BASE_NAME,
  SPOKE_PATH,
  SPOKE_REMEDIATION_ROLE_LOGICAL_ID,
  SpokeParameter,
  buildSpoke,
  renderSpoke,
} from '../../scripts/lib/spoke-template';
import { type Template, cfnLint, describeMatches, propertiesValidator, resolveIntrinsics } from './cfn';

const committed = readFileSync(SPOKE_PATH, 'utf8');
const spoke = parse(committed) as Template & { Outputs?: Record<string, unknown>; Resources: Record<string, { Condition?: string }> };
const documents = loadAllRemediationDocuments();
const HUB = '999999999999';
const values = { [SpokeParameter.HubAccountId]: HUB, [SpokeParameter.HubRolePath]: hubRolePath('hipaa-safeguards', 'prod') };

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown };
const asList = (a: string | string[]) => (Array.isArray(a) ? a : [a]);

function resolved(logicalId: string, overrides: Record<string, string> = {}): Record<string, unknown> {
  const r = spoke.Resources[logicalId];
  if (!r) throw new Error(`The spoke has no resource ${logicalId}.`);
  return resolveIntrinsics(spoke, r.Properties, { ...values, ...overrides }) as Record<string, unknown>;
}

function statementsOf(logicalId: string): Statement[] {
  const p = resolved(logicalId);
  return (p.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((x) => x.PolicyDocument.Statement);
}

describe('conformance-packs/hipaa-safeguards-spoke.yaml (StackSet template)', () => {
  it('is exactly what npm run build:pack generates from the catalog and remediations/ (drift check)', () => {
    expect(committed, 'run npm run build:pack and commit the result').to.equal(renderSpoke(catalog, documents));
  });

  it('passes cfn-lint with no error or warning', function () {
    this.timeout(60_000);
    const matches = cfnLint(SPOKE_PATH);
    expect(matches, describeMatches(matches)).to.deep.equal([]);
  });

  it('holds the two roles, the notification topic, every remediation document and the ElastiCache forwarding, nothing else', () => {
    expect(Object.keys(spoke.Resources).sort()).to.deep.equal(
      [
        EVALUATION_ROLE_LOGICAL_ID,
        SPOKE_REMEDIATION_ROLE_LOGICAL_ID,
        NOTIFICATION_TOPIC_LOGICAL_ID,
        FORWARD.rule,
        FORWARD.role,
        ...documents.map((d) => documentLogicalId(d.name)),
      ].sort(),
    );
  });

  it('leaves the forwarding out of a catalog without ElastiCache rules', () => {
    const template = buildSpoke(
      catalog.filter((s) => !s.resource.resourceTypes.some((t) => t.startsWith('AWS::ElastiCache::'))),
      documents,
    );
    expect(template.Resources).to.not.have.any.keys(FORWARD.rule, FORWARD.role);
    expect(template).to.not.have.property('Conditions');
  });

  describe('ElastiCache change forwarding to the hub', () => {
    it('sends the ElastiCache CloudTrail pattern to the hub account\'s default bus of the same region, as its own role', () => {
      expect(resolved(FORWARD.rule)).to.deep.equal({
        Description: 'ElastiCache changes (CloudTrail) of this account, forwarded to the HIPAA Safeguards hub to be judged within minutes.',
        EventPattern: elastiCacheChangeEventPattern,
        State: 'ENABLED',
        Targets: [
          { Id: 'hipaa-safeguards-hub', Arn: `arn:aws:events:us-east-1:${HUB}:event-bus/default`, RoleArn: `arn:aws:test:us-east-1:123456789012:${FORWARD.role}/Arn` },
        ],
      });
    });

    it('has a role EventBridge of this account only may assume, allowed exactly events:PutEvents on that bus', () => {
      expect(resolved(FORWARD.role).AssumeRolePolicyDocument).to.deep.equal({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ],
      });
      expect(statementsOf(FORWARD.role)).to.deep.equal([
        { Sid: 'HubDefaultBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: `arn:aws:events:us-east-1:${HUB}:event-bus/default` },
      ]);
    });

    it('is left out of the hub account itself (its events reach the hub rule directly)', () => {
      for (const id of [FORWARD.rule, FORWARD.role]) expect(spoke.Resources[id]?.Condition, id).to.equal(FORWARD.condition);
      const condition = { 'Fn::If': [FORWARD.condition, true, false] };
      expect(resolveIntrinsics(spoke, condition, values)).to.equal(true);
      expect(resolveIntrinsics(spoke, condition, { ...values, [SpokeParameter.HubAccountId]: '123456789012' })).to.equal(false);
    });
  });

  describe('evaluation role', () => {
    it('is named <EvaluationRoleName>-<region>: one per StackSet instance, so regions never collide on the global role', () => {
      expect(resolved(EVALUATION_ROLE_LOGICAL_ID).RoleName).to.equal(`${DEFAULT_EVALUATION_ROLE_NAME}-us-east-1`);
      expect(resolved(EVALUATION_ROLE_LOGICAL_ID, { [SpokeParameter.EvaluationRoleName]: 'Custom' }).RoleName).to.equal('Custom-us-east-1');
    });

    it('trusts only roles under the hub role path of the hub account', () => {
      expect(resolved(EVALUATION_ROLE_LOGICAL_ID).AssumeRolePolicyDocument).to.deep.equal({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${HUB}:root` },
            Action: 'sts:AssumeRole',
            Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${HUB}:role/hipaa-safeguards/prod/*` } },
          },
        ],
      });
    });

    it('holds exactly the actions the rules and the ElastiCache trigger call: ruleActions and REEVALUATE_ACTIONS (scripts/lib/iam.ts)', () => {
      const actions = statementsOf(EVALUATION_ROLE_LOGICAL_ID).flatMap((st) => asList(st.Action));
      const union = [...new Set([...catalog.flatMap(ruleActions), ...REEVALUATE_ACTIONS])].sort();
      expect([...actions].sort()).to.deep.equal(union);
      expect(evaluationRoleActions(catalog)).to.deep.equal(union);
      expect(new Set(actions).size, 'an action is granted twice').to.equal(actions.length);
    });

    it('scopes GetComplianceDetailsByConfigRule and StartConfigRulesEvaluation to the Config rules of its own account and region', () => {
      const scoped = statementsOf(EVALUATION_ROLE_LOGICAL_ID).find((st) => st.Sid === 'ConfigRuleReads');
      expect(scoped?.Action).to.deep.equal(['config:GetComplianceDetailsByConfigRule', 'config:StartConfigRulesEvaluation']);
      expect(scoped?.Resource).to.equal('arn:aws:config:us-east-1:123456789012:config-rule/*');
    });
  });

  describe('remediation role', () => {
    it('is named <RemediationRoleName>-<region> and trusted by SSM Automation of this account only', () => {
      const p = resolved(SPOKE_REMEDIATION_ROLE_LOGICAL_ID);
      expect(p.RoleName).to.equal('HIPAA-Safeguards-Remediation-us-east-1');
      expect(p.AssumeRolePolicyDocument).to.deep.equal({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'ssm.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ],
      });
    });

    it('holds exactly the actions the documents declare', () => {
      const actions = statementsOf(SPOKE_REMEDIATION_ROLE_LOGICAL_ID).flatMap((st) => asList(st.Action));
      expect([...actions].sort()).to.deep.equal(remediationActions(documents));
    });
  });

  it('deploys every document under its fixed name, updated as a new version', () => {
    for (const d of documents) {
      const { Content, ...rest } = resolved(documentLogicalId(d.name));
      expect(rest, d.name).to.deep.equal({ Name: d.name, DocumentType: 'Automation', DocumentFormat: 'YAML', UpdateMethod: 'NewVersion' });
      expect(Content, d.name).to.deep.equal(d.content);
    }
  });

  it('keeps every role name within IAM\'s 64 characters in the region with the longest name', () => {
    const longestRegion = 'eusc-de-east-1';
    for (const id of [EVALUATION_ROLE_LOGICAL_ID, SPOKE_REMEDIATION_ROLE_LOGICAL_ID]) {
      const base = 'x'.repeat(MAX_ROLE_BASE_NAME);
      const name = String(resolved(id, { [SpokeParameter.EvaluationRoleName]: base, [SpokeParameter.RemediationRoleName]: base }).RoleName);
      expect(name.replace('us-east-1', longestRegion).length, id).to.be.at.most(64);
    }
  });

  it('matches the AWS::IAM::Role and AWS::SSM::Document registry schemas (ajv)', () => {
    for (const [id, r] of Object.entries(spoke.Resources)) {
      const validate = propertiesValidator(r.Type);
      expect(validate(resolved(id)), `${id}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    }
  });

  it('refuses a catalog whose remediation document is missing', () => {
    expect(() => buildSpoke(catalog, [])).to.throw(/remediations\/.*\.yaml is missing/);
  });
});
