import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog } from '../../rules/catalog';
import { evaluationRoleActions, remediationActions, ruleActions } from '../../scripts/lib/iam';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { documentLogicalId, hubRolePath, NOTIFICATION_TOPIC_LOGICAL_ID } from '../../scripts/lib/serverless-resources';
import {
  DEFAULT_EVALUATION_ROLE_NAME,
  EVALUATION_ROLE_LOGICAL_ID,
  MAX_ROLE_BASE_NAME,
  SPOKE_PATH,
  SPOKE_REMEDIATION_ROLE_LOGICAL_ID,
  SpokeParameter,
  buildSpoke,
  renderSpoke,
} from '../../scripts/lib/spoke-template';
import { type Template, cfnLint, describeMatches, propertiesValidator, resolveIntrinsics } from './cfn';

const committed = readFileSync(SPOKE_PATH, 'utf8');
const spoke = parse(committed) as Template & { Outputs?: Record<string, unknown> };
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

  it('holds the two roles, the notification topic and every remediation document, nothing else', () => {
    expect(Object.keys(spoke.Resources).sort()).to.deep.equal(
      [EVALUATION_ROLE_LOGICAL_ID, SPOKE_REMEDIATION_ROLE_LOGICAL_ID, NOTIFICATION_TOPIC_LOGICAL_ID, ...documents.map((d) => documentLogicalId(d.name))].sort(),
    );
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

    it('holds exactly the actions the rules call, the union of ruleActions (scripts/lib/iam.ts)', () => {
      const actions = statementsOf(EVALUATION_ROLE_LOGICAL_ID).flatMap((st) => asList(st.Action));
      const union = [...new Set(catalog.flatMap(ruleActions))].sort();
      expect([...actions].sort()).to.deep.equal(union);
      expect(evaluationRoleActions(catalog)).to.deep.equal(union);
      expect(new Set(actions).size, 'an action is granted twice').to.equal(actions.length);
    });

    it('scopes GetComplianceDetailsByConfigRule to the Config rules of its own account and region', () => {
      const scoped = statementsOf(EVALUATION_ROLE_LOGICAL_ID).find((st) => st.Sid === 'ConfigRuleReads');
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
