import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog, changeSourceRuleNames, deployedChangeSources } from '../../rules/catalog';
import { REEVALUATE_ACTIONS } from '../../rules/runtime/actions';
import { changeEventPattern } from '../../rules/triggers/reevaluate-on-change';
import { CHANGE_SOURCES } from '../../rules/triggers/change-sources';
import { TEST_CHANGE_SOURCES, TEST_KINESIS, TEST_WIDGETS } from '../helpers/change-sources';
import { documentActions, evaluationRoleActions, remediationRoleLogicalId, ruleActions } from '../../scripts/lib/iam';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { MAX_STACK_RESOURCES, REEVALUATE, documentLogicalId, hubRolePath, NOTIFICATION_TOPIC_LOGICAL_ID, NOTIFICATION_TOPIC_POLICY_LOGICAL_ID } from '../../scripts/lib/serverless-resources';
import {
  DEFAULT_EVALUATION_ROLE_NAME,
  EVALUATION_ROLE_LOGICAL_ID,
  EVALUATION_SECURITY_HUB_POLICY_LOGICAL_ID,
  FORWARD,
  MAX_ROLE_BASE_NAME,
  SECURITY_HUB_CONDITION,
  SPOKE_PATH,
  SpokeParameter,
  buildSpoke,
  forwardRuleLogicalId,
  renderSpoke,
} from '../../scripts/lib/spoke-template';
import { MAX_TEMPLATE_URL_BYTES } from '../../scripts/lib/conformance-pack';
import { HOOK, SPOKE_HOOK_CONDITION, SPOKE_HOOK_WARNS_CONDITION } from '../../scripts/lib/hook-resources';
import { type Template, cfnLint, describeMatches, propertiesValidator, resolveIntrinsics } from './cfn';

const committed = readFileSync(SPOKE_PATH, 'utf8');
const spoke = parse(committed) as Template & { Outputs?: Record<string, unknown>; Resources: Record<string, { Condition?: string }> };
const documents = loadAllRemediationDocuments();
const HUB = '999999999999';
const values = { [SpokeParameter.HubAccountId]: HUB, [SpokeParameter.HubRolePath]: hubRolePath('hipaa-safeguards', 'prod'), [SpokeParameter.HubStage]: 'prod',
  // Ref of a resource: the resolver takes its value like a parameter's.
  [NOTIFICATION_TOPIC_LOGICAL_ID]: 'arn:aws:sns:us-east-1:123456789012:HIPAA-Safeguards-Notifications',
};
const HUB_BUS = `arn:aws:events:us-east-1:${HUB}:event-bus/hipaa-safeguards-changes-prod`;
/** The change sources the catalog has safeguards of: each gets a forwarding rule. */
const forwarded = deployedChangeSources(catalog).map((d) => d.source);
const CHANGE_SOURCE_TYPES = CHANGE_SOURCES.flatMap((c) => c.resourceTypes);

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

  it(`fits a StackSet TemplateURL (${MAX_TEMPLATE_URL_BYTES} bytes) and a stack (${MAX_STACK_RESOURCES} resources), with room for the next safeguards`, () => {
    // Each safeguard adds its documents and roles here: fail while there is still a release to split it in.
    expect(Buffer.byteLength(committed)).to.be.below(MAX_TEMPLATE_URL_BYTES * 0.8);
    expect(Object.keys(spoke.Resources).length).to.be.below(MAX_STACK_RESOURCES * 0.8);
  });

  it('passes cfn-lint with no error, warning or informational finding worth acting on', function () {
    this.timeout(60_000);
    const matches = cfnLint(SPOKE_PATH);
    expect(matches, describeMatches(matches)).to.deep.equal([]);
  });

  it('holds the evaluation role, one remediation role per document, the notification topic and its policy, every document, the change forwarding and the prevention hook, nothing else', () => {
    expect(Object.keys(spoke.Resources).sort()).to.deep.equal(
      [
        EVALUATION_ROLE_LOGICAL_ID,
        EVALUATION_SECURITY_HUB_POLICY_LOGICAL_ID,
        ...documents.map((d) => remediationRoleLogicalId(d.name)),
        NOTIFICATION_TOPIC_LOGICAL_ID,
        NOTIFICATION_TOPIC_POLICY_LOGICAL_ID,
        ...forwarded.map(forwardRuleLogicalId),
        FORWARD.role,
        ...documents.map((d) => documentLogicalId(d.name)),
        ...Object.values(HOOK),
      ].sort(),
    );
  });

  it('leaves the forwarding out of a catalog without safeguards of a change source', () => {
    const template = buildSpoke(
      catalog.filter((s) => !CHANGE_SOURCE_TYPES.some((t) => s.resource.resourceTypes.includes(t))),
      documents,
    );
    expect(template.Resources).to.not.have.any.keys(FORWARD.role, ...forwarded.map(forwardRuleLogicalId));
    expect(Object.values(template.Resources).map((r) => (r as { Type: string }).Type)).to.not.include('AWS::Events::Rule');
    expect(Object.keys(template.Conditions ?? {})).to.deep.equal([SECURITY_HUB_CONDITION, SPOKE_HOOK_CONDITION, SPOKE_HOOK_WARNS_CONDITION]);
  });

  it('forwards every change source the catalog has safeguards of, by its own rule, and only those (a test-only second source)', () => {
    const template = buildSpoke(catalog, documents, TEST_CHANGE_SOURCES);
    const rules = Object.entries(template.Resources).filter(([, r]) => (r as { Type: string }).Type === 'AWS::Events::Rule');
    const served = deployedChangeSources(catalog, TEST_CHANGE_SOURCES).map((d) => d.source);
    expect(served).to.include(TEST_KINESIS);
    expect(served).to.not.include(TEST_WIDGETS);
    expect(rules.map(([id]) => id).sort()).to.deep.equal(served.map(forwardRuleLogicalId).sort());
    for (const c of served) {
      expect((template.Resources[forwardRuleLogicalId(c)] as { Properties: { EventPattern: unknown } }).Properties.EventPattern, c.id).to.deep.equal(changeEventPattern(c));
    }
    // The trigger's actions on the evaluation role, and the trigger among the hub roles it trusts, follow the sources too.
    const onlyTestSource = catalog.filter((g) => deployedChangeSources([g]).length === 0 && changeSourceRuleNames(TEST_KINESIS, [g]).length > 0);
    expect(onlyTestSource.length, 'a Kinesis safeguard outside every real change source').to.be.above(0);
    expect(JSON.stringify(buildSpoke(onlyTestSource, documents, TEST_CHANGE_SOURCES).Resources)).to.include(REEVALUATE.functionKey);
    expect(JSON.stringify(buildSpoke(onlyTestSource, documents).Resources)).to.not.include(REEVALUATE.functionKey);
  });

  describe('change forwarding to the hub', () => {
    it('sends each change source\'s CloudTrail pattern to the pack\'s bus in the hub account, same region, as its own role', () => {
      expect(forwarded.map((c) => c.id)).to.include('elasticache');
      for (const c of forwarded) {
        expect(resolved(forwardRuleLogicalId(c)), c.id).to.deep.equal({
          Description: `${c.id} changes (CloudTrail ${c.eventSource}) of this account, forwarded to the HIPAA Safeguards hub to be judged within minutes.`,
          EventPattern: changeEventPattern(c),
          State: 'ENABLED',
          Targets: [
            { Id: 'hipaa-safeguards-hub', Arn: HUB_BUS, RoleArn: `arn:aws:test:us-east-1:123456789012:${FORWARD.role}/Arn` },
          ],
        });
      }
    });

    it('has a fixed-name role (the hub bus accepts exactly it) EventBridge of this account only may assume, allowed exactly events:PutEvents on that bus', () => {
      expect(resolved(FORWARD.role).RoleName).to.equal('HIPAA-Safeguards-Forward-us-east-1');
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
        { Sid: 'HubPackBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: HUB_BUS },
      ]);
    });

    it('forwards from the hub account too: its default bus is not the pack\'s bus', () => {
      for (const id of [...forwarded.map(forwardRuleLogicalId), FORWARD.role]) expect(spoke.Resources[id]?.Condition, id).to.equal(undefined);
    });
  });

  describe('evaluation role', () => {
    it('is named <EvaluationRoleName>-<region>: one per StackSet instance, so regions never collide on the global role', () => {
      expect(resolved(EVALUATION_ROLE_LOGICAL_ID).RoleName).to.equal(`${DEFAULT_EVALUATION_ROLE_NAME}-us-east-1`);
      expect(resolved(EVALUATION_ROLE_LOGICAL_ID, { [SpokeParameter.EvaluationRoleName]: 'Custom' }).RoleName).to.equal('Custom-us-east-1');
    });

    it('trusts exactly the hub Lambda roles by ARN (fixed names under the hub path), through the hub account principal', () => {
      const trust = resolved(EVALUATION_ROLE_LOGICAL_ID).AssumeRolePolicyDocument as { Statement: { Principal: unknown; Condition: { ArnEquals: Record<string, string[]> } }[] };
      expect(trust.Statement).to.have.length(1);
      expect(trust.Statement[0]?.Principal).to.deep.equal({ AWS: `arn:aws:iam::${HUB}:root` });
      const functions = [...catalog.map((s) => s.name), 'reevaluate-on-change'];
      expect(trust.Statement[0]?.Condition).to.deep.equal({
        ArnEquals: { 'aws:PrincipalArn': functions.map((f) => `arn:aws:iam::${HUB}:role/hipaa-safeguards/prod/prod-${f}-us-east-1`) },
      });
    });

    it('holds exactly the actions the rules and the CloudTrail re-evaluation trigger call: ruleActions and REEVALUATE_ACTIONS (scripts/lib/iam.ts)', () => {
      const actions = statementsOf(EVALUATION_ROLE_LOGICAL_ID).flatMap((st) => asList(st.Action));
      const union = [...new Set([...catalog.flatMap((s) => ruleActions(s)), ...REEVALUATE_ACTIONS])].sort();
      expect([...actions].sort()).to.deep.equal(union);
      expect(evaluationRoleActions(catalog)).to.deep.equal(union);
      expect(new Set(actions).size, 'an action is granted twice').to.equal(actions.length);
    });

    it('scopes GetComplianceDetailsByConfigRule and StartConfigRulesEvaluation to the Config rules of its own account and region', () => {
      // Config statements are numbered by resource (ConfigInThisAccount, ConfigInThisAccount2): find the rules' one.
      const scoped = statementsOf(EVALUATION_ROLE_LOGICAL_ID).find((st) => asList(st.Action).includes('config:GetComplianceDetailsByConfigRule'));
      expect(scoped?.Action).to.deep.equal(['config:GetComplianceDetailsByConfigRule', 'config:StartConfigRulesEvaluation']);
      expect(scoped?.Resource).to.equal('arn:aws:config:us-east-1:123456789012:config-rule/*');
    });
  });

  describe('remediation roles', () => {
    it('one per document, named <document>-<region>, trusted by SSM Automation of this account only, holding exactly its document\'s actions', () => {
      for (const d of documents) {
        const id = remediationRoleLogicalId(d.name);
        const p = resolved(id);
        expect(p.RoleName, d.name).to.equal(`${d.name}-us-east-1`);
        expect(p.AssumeRolePolicyDocument, d.name).to.deep.equal({
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
        const actions = statementsOf(id).filter((st) => st.Effect === 'Allow').flatMap((st) => asList(st.Action));
        expect([...actions].sort(), d.name).to.deep.equal(documentActions(d));
      }
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
    const base = 'x'.repeat(MAX_ROLE_BASE_NAME);
    const name = String(resolved(EVALUATION_ROLE_LOGICAL_ID, { [SpokeParameter.EvaluationRoleName]: base }).RoleName);
    expect(name.replace('us-east-1', longestRegion).length).to.be.at.most(64);
    for (const d of documents) {
      expect(String(resolved(remediationRoleLogicalId(d.name)).RoleName).replace('us-east-1', longestRegion).length, d.name).to.be.at.most(64);
    }
  });

  it('matches the registry schemas of its resource types (ajv)', () => {
    // The reference set has no AWS::IAM::Policy or AWS::Logs::LogGroup schema; cfn-lint checks those (E3xxx) above.
    // The LambdaHook schema's Alias pattern uses (?i), which JavaScript regexes lack: test/pack/hook.test.ts checks it.
    const unschemed = ['AWS::IAM::Policy', 'AWS::Logs::LogGroup', 'AWS::CloudFormation::LambdaHook'];
    const withSchema = Object.entries(spoke.Resources).filter(([, r]) => !unschemed.includes(r.Type));
    expect(withSchema.length).to.equal(Object.keys(spoke.Resources).length - 3);
    for (const [id, r] of withSchema) {
      const validate = propertiesValidator(r.Type);
      const properties = resolved(id);
      // resolveIntrinsics makes every Fn::GetAtt a placeholder; the function's Role pattern needs a role ARN.
      if (r.Type === 'AWS::Lambda::Function') properties.Role = `arn:aws:iam::123456789012:role/${String(properties.Role).split(':').pop()}`;
      expect(validate(properties), `${id}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    }
  });

  it('refuses a catalog whose remediation document is missing', () => {
    expect(() => buildSpoke(catalog, [])).to.throw(/remediations\/.*\.yaml is missing/);
  });
});
