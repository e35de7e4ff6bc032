import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog } from '../../rules/catalog';
import { bucketPolicy } from '../../scripts/lib/deploy/artifacts';
import { PACK_PATH } from '../../scripts/lib/conformance-pack';
import { QUEUE_CONSUMER_ACTIONS, REEVALUATE_ACTIONS } from '../../rules/runtime/actions';
import { evaluationRoleActions, hubReevaluateActions, hubRuleActions, isWildcardAction, remediationActions, ruleActions } from '../../scripts/lib/iam';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { REEVALUATE, REMEDIATION_ROLE_LOGICAL_ID, buildResources, ruleLogicalIds } from '../../scripts/lib/serverless-resources';
import { EVALUATION_ROLE_LOGICAL_ID, FORWARD, SPOKE_PATH, SPOKE_REMEDIATION_ROLE_LOGICAL_ID } from '../../scripts/lib/spoke-template';

type Statement = { Sid?: string; Effect: string; Action?: string | string[]; NotAction?: unknown; NotResource?: unknown; Principal?: unknown };
type Resource = { Type: string; Properties?: Record<string, unknown> };
const asList = (a: string | string[] | undefined) => (a === undefined ? [] : Array.isArray(a) ? a : [a]);

const documents = loadAllRemediationDocuments();
const base = {
  safeguards: catalog,
  documents,
  packText: readFileSync(PACK_PATH, 'utf8'),
  service: 'hipaa-safeguards',
  stage: 'prod',
  remediationRoleName: 'HIPAA-Safeguards-Remediation',
};
const single = buildResources(base).Resources as Record<string, Resource>;
const hub = buildResources({
  ...base,
  packTemplateS3Uri: 's3://awsconfigconforms-hipaa-safeguards-999999999999-us-east-1/prod/conformance-packs/p.yaml',
  organization: { memberAccounts: ['111111111111'], excludedAccounts: [], evaluationRoleName: 'HIPAA-Safeguards-Evaluation', organizationId: 'o-abcdefghij' },
}).Resources as Record<string, Resource>;
const spoke = (parse(readFileSync(SPOKE_PATH, 'utf8')) as { Resources: Record<string, Resource> }).Resources;

/** Every policy document of every IAM resource of a template: [where, statements]. */
function policiesOf(name: string, resources: Record<string, Resource>): [string, Statement[]][] {
  return Object.entries(resources).flatMap(([id, r]) => {
    if (!r.Type.startsWith('AWS::IAM::')) return [];
    const p = r.Properties ?? {};
    const docs: [string, Statement[]][] = ((p.Policies ?? []) as { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[]).map((x) => [
      `${name} ${id} ${x.PolicyName}`,
      x.PolicyDocument.Statement,
    ]);
    if (p.PolicyDocument) docs.push([`${name} ${id}`, (p.PolicyDocument as { Statement: Statement[] }).Statement]);
    if (p.AssumeRolePolicyDocument) docs.push([`${name} ${id} trust`, (p.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement]);
    return docs;
  });
}

/** The actions a role's permission policies allow, logs of its own log group aside. */
function allowed(resources: Record<string, Resource>, id: string): string[] {
  const role = resources[id];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${id} is not a role.`);
  return ((role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
    .flatMap((p) => p.PolicyDocument.Statement)
    .filter((s) => s.Effect === 'Allow' && s.Sid !== 'OwnLogGroupOnly')
    .flatMap((s) => asList(s.Action))
    .sort();
}

describe('IAM across every template the project deploys', () => {
  const everywhere: [string, Statement[]][] = [
    ...policiesOf('single-account stack', single),
    ...policiesOf('hub stack', hub),
    ...policiesOf('spoke StackSet', spoke),
    ['artifact bucket policy (organization)', (JSON.parse(bucketPolicy('b', 'us-east-1', 'o-abcdefghij')) as { Statement: Statement[] }).Statement],
    ['artifact bucket policy (single account)', (JSON.parse(bucketPolicy('b', 'us-east-1')) as { Statement: Statement[] }).Statement],
  ];

  it('never allows a wildcard action (*, service:*), NotAction or NotResource', () => {
    expect(everywhere.length).to.be.above(catalog.length * 2);
    for (const [where, statements] of everywhere) {
      for (const st of statements.filter((s) => s.Effect === 'Allow')) {
        expect(st, where).to.not.have.any.keys('NotAction', 'NotResource');
        for (const a of asList(st.Action)) expect(isWildcardAction(a), `${where}: ${a}`).to.equal(false);
      }
    }
  });

  it('uses a wildcard action only to deny (the artifact bucket refuses every call without TLS)', () => {
    const wild = everywhere.flatMap(([where, sts]) => sts.filter((s) => asList(s.Action).some(isWildcardAction)).map((s) => [where, s.Effect, s.Sid]));
    expect(wild).to.deep.equal([
      ['artifact bucket policy (organization)', 'Deny', 'DenyInsecureTransport'],
      ['artifact bucket policy (single account)', 'Deny', 'DenyInsecureTransport'],
    ]);
  });

  it('gives every trust policy sts:AssumeRole only', () => {
    for (const [where, statements] of everywhere.filter(([w]) => w.endsWith('trust'))) {
      expect(statements.flatMap((s) => asList(s.Action)), where).to.deep.equal(statements.map(() => 'sts:AssumeRole'));
    }
  });

  describe('every role holds exactly what its code or documents call', () => {
    for (const s of catalog) {
      it(`${s.name}: single-account role = ruleActions; hub role = sts:AssumeRole + the account guard`, () => {
        expect(allowed(single, ruleLogicalIds(s).role)).to.deep.equal(ruleActions(s));
        expect(allowed(hub, ruleLogicalIds(s).role)).to.deep.equal(hubRuleActions());
      });
    }

    it('spoke evaluation role = every rule\'s actions; remediation roles = what the documents declare', () => {
      expect(allowed(spoke, EVALUATION_ROLE_LOGICAL_ID)).to.deep.equal(evaluationRoleActions(catalog));
      expect(allowed(spoke, SPOKE_REMEDIATION_ROLE_LOGICAL_ID)).to.deep.equal(remediationActions(documents));
      expect(allowed(single, REMEDIATION_ROLE_LOGICAL_ID)).to.deep.equal(remediationActions(documents));
    });

    it('ElastiCache trigger: single-account role = its calls + its queue; hub role = sts:AssumeRole + its queue; the spoke evaluation role holds its calls', () => {
      expect(allowed(single, REEVALUATE.role)).to.deep.equal([...REEVALUATE_ACTIONS, ...QUEUE_CONSUMER_ACTIONS].sort());
      expect(allowed(hub, REEVALUATE.role)).to.deep.equal(hubReevaluateActions());
      expect(hubReevaluateActions()).to.deep.equal(['sts:AssumeRole', ...QUEUE_CONSUMER_ACTIONS].sort());
      expect(evaluationRoleActions(catalog)).to.include.members([...REEVALUATE_ACTIONS]);
      expect(allowed(spoke, FORWARD.role)).to.deep.equal(['events:PutEvents']);
    });

    it('leaves the hub without any role that reads member resources itself', () => {
      const reads = Object.keys(hub)
        .filter((id) => hub[id]?.Type === 'AWS::IAM::Role' && id !== REEVALUATE.role)
        .flatMap((id) => allowed(hub, id))
        .filter((a) => !hubRuleActions().includes(a));
      expect(reads).to.deep.equal([]);
    });
  });
});
