import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog } from '../../rules/catalog';
import { BatchImportFindingsCommand, BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { QUEUE_CONSUMER_ACTIONS, REEVALUATE_ACTIONS, RUNTIME_ACTIONS, SECURITY_HUB_WORKFLOW_STATUSES } from '../../rules/runtime/actions';
import { importFindings, toFinding } from '../../rules/runtime/securityhub';
import { bucketPolicy } from '../../scripts/lib/deploy/artifacts';
import { PACK_PATH, packNames } from '../../scripts/lib/conformance-pack';
import {
  EXEMPT_TAG,
  OTHER_UPDATABLE_FINDING_FIELDS,
  documentActions,
  evaluationRoleActions,
  hubReevaluateActions,
  hubRuleActions,
  remediationRoleLogicalId,
  remediationRoleStatements,
  ruleActions,
} from '../../scripts/lib/iam';
import { ACTION_RESOURCES } from '../../scripts/lib/iam-resources';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import {
  NOTIFICATION_TOPIC_LOGICAL_ID,
  NOTIFICATION_TOPIC_POLICY_LOGICAL_ID,
  REEVALUATE,
  type PartsInput,
  buildResources,
  hubRolePath,
  ruleLogicalIds,
} from '../../scripts/lib/serverless-resources';
import { EVALUATION_ROLE_LOGICAL_ID, EVALUATION_SECURITY_HUB_POLICY_LOGICAL_ID, FORWARD, SECURITY_HUB_CONDITION, SPOKE_PATH, SpokeParameter, hubFunctionKeys } from '../../scripts/lib/spoke-template';
import { SINGLE_PACK_URI, type Template, resolveIntrinsics } from './cfn';
import { type Policy, type Resource, type Statement, asList, policiesOf, policyViolations } from './policy-checks';

const documents = loadAllRemediationDocuments();
/** IAM quota: the inline policies of one role hold at most 10,240 characters together (IAM and STS quotas). */
const MAX_INLINE_POLICY_CHARS = 10_240;
const ORG = 'o-abcdefghij';
const HUB = '999999999999';
const base: PartsInput = {
  safeguards: catalog,
  documents,
  packText: readFileSync(PACK_PATH, 'utf8'),
  service: 'hipaa-safeguards',
  stage: 'prod',
  // The pack outgrew a TemplateBody (51,200 bytes): the stack points at it in S3, as `safeguards deploy` makes it do.
  packTemplateS3Uri: SINGLE_PACK_URI,
};
const single = buildResources(base).Resources as Record<string, Resource>;
const singleWithHub = buildResources({ ...base, importSecurityHubFindings: true }).Resources as Record<string, Resource>;
const hubInput: PartsInput = {
  ...base,
  packTemplateS3Uri: 's3://awsconfigconforms-hipaa-safeguards-999999999999-us-east-1/prod/conformance-packs/p.yaml',
  organization: { memberAccounts: ['111111111111'], excludedAccounts: [], evaluationRoleName: 'HIPAA-Safeguards-Evaluation', organizationId: ORG },
};
const hub = buildResources(hubInput).Resources as Record<string, Resource>;
const spokeTemplate = parse(readFileSync(SPOKE_PATH, 'utf8')) as Template & { Resources: Record<string, Resource> };
const spoke = spokeTemplate.Resources;
const pack = parse(readFileSync(PACK_PATH, 'utf8')) as Template & { Resources: Record<string, Resource> };

const spokeValues = {
  [SpokeParameter.HubAccountId]: HUB,
  [SpokeParameter.HubRolePath]: hubRolePath('hipaa-safeguards', 'prod'),
  [SpokeParameter.HubStage]: 'prod',
};
const resolveIn = (t: Template, value: unknown, params: Record<string, string> = {}) => resolveIntrinsics(t, value, params);
const asTemplate = (Resources: Record<string, Resource>): Template => ({ Resources });

/**
 * The statements of a role's permission policies, its own and those of AWS::IAM::Policy resources attached to it
 * whose condition holds (spoke: the Security Hub policy, as ImportSecurityHubFindings decides).
 */
function statements(resources: Record<string, Resource>, id: string, params: Record<string, string> = {}): Statement[] {
  const role = resources[id];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${id} is not a role.`);
  const t = resources === spoke ? spokeTemplate : asTemplate(resources);
  const values = { ...spokeValues, ...params };
  const p = resolveIn(t, role.Properties, values) as { Policies: { PolicyDocument: { Statement: Statement[] } }[] };
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: id }]))
    .filter((r) => !r.Condition || resolveIn(t, { 'Fn::If': [r.Condition, true, false] }, values) === true)
    .map((r) => resolveIn(t, { ...r.Properties, Roles: [] }, values) as { PolicyDocument: { Statement: Statement[] } });
  return [...p.Policies, ...attached].flatMap((x) => x.PolicyDocument.Statement);
}

/** The actions a role's permission policies allow, logs of its own log group aside. */
function allowed(resources: Record<string, Resource>, id: string, params: Record<string, string> = {}): string[] {
  return statements(resources, id, params)
    .filter((s) => s.Effect === 'Allow' && s.Sid !== 'OwnLogGroupOnly')
    .flatMap((s) => asList(s.Action))
    .sort();
}

describe('IAM across every template the project deploys', () => {
  const everywhere: Policy[] = [
    ...policiesOf('single-account stack', single),
    ...policiesOf('single-account stack (Security Hub import)', singleWithHub),
    ...policiesOf('hub stack', hub),
    ...policiesOf('spoke StackSet', spoke),
    ...policiesOf('conformance pack', pack.Resources),
    { where: 'artifact bucket policy (organization)', kind: 'resource', statements: (JSON.parse(bucketPolicy('b', 'us-east-1', ORG)) as { Statement: Statement[] }).Statement },
    {
      where: 'artifact bucket policy (organization, hook code shared: --prevention-mode)',
      kind: 'resource',
      statements: (JSON.parse(bucketPolicy('b', 'us-east-1', ORG, true)) as { Statement: Statement[] }).Statement,
    },
    { where: 'artifact bucket policy (single account)', kind: 'resource', statements: (JSON.parse(bucketPolicy('b', 'us-east-1')) as { Statement: Statement[] }).Statement },
  ];

  it('passes the security review: no wildcard action, no "*" resource for an action that has resource types, no trust without a confused-deputy guard, no public principal outside the organization', () => {
    expect(everywhere.filter((p) => p.kind === 'identity').length).to.be.above(catalog.length * 3);
    expect(everywhere.filter((p) => p.kind === 'trust').length).to.be.above(catalog.length * 3);
    expect(everywhere.filter((p) => p.kind === 'resource').length).to.be.at.least(6);
    expect(policyViolations(everywhere)).to.deep.equal([]);
  });

  describe('the review fails on each thing it looks for', () => {
    const one = (kind: Policy['kind'], st: Statement) => policyViolations([{ where: 't', kind, statements: [st] }]);
    const cases: { name: string; kind: Policy['kind']; st: Statement; finding: RegExp }[] = [
      { name: '*', kind: 'identity', st: { Effect: 'Allow', Action: '*', Resource: '*' }, finding: /wildcard action \*/ },
      { name: 'service:*', kind: 'identity', st: { Effect: 'Allow', Action: 'kinesis:*', Resource: 'arn:aws:kinesis:us-east-1:1:stream/x' }, finding: /wildcard action kinesis:\*/ },
      { name: 'Describe* pattern', kind: 'identity', st: { Effect: 'Allow', Action: 'kinesis:Describe*', Resource: '*' }, finding: /wildcard/ },
      {
        name: 'an action with resource types on "*"',
        kind: 'identity',
        st: { Effect: 'Allow', Action: ['kinesis:ListStreams', 'kinesis:DescribeStreamSummary'], Resource: '*' },
        finding: /kinesis:DescribeStreamSummary on Resource "\*"/,
      },
      { name: 'an action missing from the table', kind: 'identity', st: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }, finding: /not in scripts\/lib\/iam-resources.ts/ },
      {
        name: 'a service trust without source keys',
        kind: 'trust',
        st: { Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' },
        finding: /confused-deputy/,
      },
      {
        name: 'an account trust without a principal condition',
        kind: 'trust',
        st: { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' },
        finding: /confused-deputy/,
      },
      { name: 'a public principal', kind: 'resource', st: { Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: 'q' }, finding: /Principal "\*" without an organization/ },
      {
        name: 'a public principal with an unrelated condition',
        kind: 'resource',
        st: { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'events:PutEvents', Resource: 'b', Condition: { StringEquals: { 'events:source': 'x' } } },
        finding: /Principal "\*" without an organization/,
      },
      { name: 'NotAction', kind: 'identity', st: { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }, finding: /NotAction/ },
      {
        name: 'a service granted by a resource policy without a source condition',
        kind: 'resource',
        st: { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: 'q' },
        finding: /service principal without aws:SourceAccount or aws:SourceArn/,
      },
      {
        name: 'a read of any account\'s streams (only CROSS_ACCOUNT_ACTIONS may leave the account field open)',
        kind: 'identity',
        st: { Effect: 'Allow', Action: 'kinesis:DescribeStreamSummary', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kinesis:', { Ref: 'AWS::Region' }, ':*:stream/*']] } },
        finding: /kinesis:DescribeStreamSummary on resources of any account/,
      },
      {
        name: 'an action of any account next to kms:DescribeKey in one statement',
        kind: 'identity',
        st: { Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:Decrypt'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:*:key/*' } },
        finding: /kms:Decrypt on resources of any account/,
      },
    ];
    for (const c of cases) {
      it(`flags ${c.name}`, () => {
        expect(one(c.kind, c.st).join('\n')).to.match(c.finding);
      });
    }
    it('flags a statement ID used twice in one policy', () => {
      const st: Statement = { Sid: 'Same', Effect: 'Deny', Action: 's3:GetObject', Resource: '*' };
      expect(policyViolations([{ where: 't', kind: 'identity', statements: [st, st] }])).to.deep.equal(['t: statement ID Same is used twice']);
    });

    it('flags a Lambda permission for a service without SourceAccount, and reads one with it as guarded', () => {
      const permission = (extra: Record<string, unknown>): Record<string, Resource> => ({
        P: { Type: 'AWS::Lambda::Permission', Properties: { Principal: 'config.amazonaws.com', Action: 'lambda:InvokeFunction', FunctionName: 'f', ...extra } },
      });
      expect(policyViolations(policiesOf('t', permission({}))).join('\n')).to.match(/service principal without aws:SourceAccount/);
      expect(policyViolations(policiesOf('t', permission({ SourceAccount: '111111111111' })))).to.deep.equal([]);
    });
    it('lets a Lambda trust and an exact role principal pass, and a Deny use wildcards', () => {
      expect(one('trust', { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' })).to.deep.equal([]);
      expect(one('trust', { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:role/x' }, Action: 'sts:AssumeRole' })).to.deep.equal([]);
      expect(one('resource', { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' })).to.deep.equal([]);
    });
    it('accepts kms:DescribeKey on keys of any account, and any account inside the organization (aws:ResourceOrgID)', () => {
      const anyKey = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', { Ref: 'AWS::Region' }, ':*:key/*']] };
      expect(one('identity', { Effect: 'Allow', Action: 'kms:DescribeKey', Resource: anyKey })).to.deep.equal([]);
      const anyRole = 'arn:aws:iam::*:role/HIPAA-Safeguards-Evaluation-us-east-1';
      expect(one('identity', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: anyRole, Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-x' } } })).to.deep.equal([]);
      expect(one('identity', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: anyRole }).join('\n')).to.match(/sts:AssumeRole on resources of any account/);
    });
  });

  describe('scripts/lib/iam-resources.ts against the Service Authorization Reference', () => {
    // cfn-lint ships the SAR's actions and resource types (cfnlint/data/AdditionalSpecs/Policies.json).
    type Sar = Record<string, { Actions: Record<string, { Resources?: string[] }>; Resources?: Record<string, { ARNFormats: string[] }> }>;
    let sar: Sar;
    before(function () {
      this.timeout(30_000);
      const run = spawnSync('python3', ['-c', 'import cfnlint, os; print(os.path.dirname(cfnlint.__file__))'], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`cfnlint is not importable: ${run.stderr}`);
      sar = JSON.parse(readFileSync(join(run.stdout.trim(), 'data', 'AdditionalSpecs', 'Policies.json'), 'utf8')) as Sar;
    });

    it('says "no resource types" exactly where the SAR lists none, and every pattern is an ARN format of a resource type the SAR lists for the action', () => {
      const wrong: string[] = [];
      for (const [action, scope] of Object.entries(ACTION_RESOURCES)) {
        const [service = '', name = ''] = action.split(':');
        const entry = sar[service]?.Actions[name.toLowerCase()];
        if (!entry) {
          wrong.push(`${action}: not in the SAR`);
          continue;
        }
        const types = entry.Resources ?? [];
        if ((scope.resources === 'none') !== (types.length === 0)) wrong.push(`${action}: table says ${JSON.stringify(scope.resources)}, SAR lists ${JSON.stringify(types)}`);
        if (scope.resources === 'none') continue;
        for (const pattern of scope.resources) {
          // An account field left open (CROSS_ACCOUNT_ACTIONS) is still an ARN of the type: read it as one account.
          const arn = pattern
            .replace(/^(arn:[^:]+:[^:]+:[^:]*:)\*:/, '$1{account}:')
            .replace('{partition}', 'aws').replaceAll('{region}', 'us-east-1').replaceAll('{account}', '123456789012').replaceAll('*', 'x');
          const formats = types.flatMap((t) => sar[service]?.Resources?.[t]?.ARNFormats ?? sar[service]?.Resources?.[t.toLowerCase()]?.ARNFormats ?? []);
          const matches = formats.some((f) =>
            new RegExp(`^${f.replace(/\$\{Partition\}/g, 'aws').replace(/\$\{Region\}/g, 'us-east-1').replace(/\$\{Account\}/g, '123456789012').replace(/\$\{[A-Za-z]+\}/g, '[^:]+')}$`).test(arn),
          );
          // The SAR data names some types without an ARN format (config's ConfigRule, secretsmanager's Secret, kinesis's kmsKey).
          if (!matches && formats.length > 0) wrong.push(`${action}: ${pattern} matches none of ${formats.join(', ')}`);
        }
      }
      expect(wrong).to.deep.equal([]);
    });

    it('cites the SAR page of the action\'s service', () => {
      for (const [action, scope] of Object.entries(ACTION_RESOURCES)) {
        expect(scope.sar, action).to.match(/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_[a-z0-9]+\.html$/);
      }
    });
  });

  describe('every role holds exactly what its code or documents call', () => {
    for (const s of catalog) {
      it(`${s.name}: single-account role = ruleActions (Security Hub only with the deploy-time option); hub role = sts:AssumeRole + the account guard`, () => {
        expect(allowed(single, ruleLogicalIds(s).role)).to.deep.equal(ruleActions(s));
        expect(allowed(single, ruleLogicalIds(s).role)).to.not.include.members([...RUNTIME_ACTIONS.securityHub]);
        expect(allowed(singleWithHub, ruleLogicalIds(s).role)).to.deep.equal(ruleActions(s, { securityHub: true }));
        expect(allowed(hub, ruleLogicalIds(s).role)).to.deep.equal(hubRuleActions());
      });
    }

    for (const d of documents) {
      it(`${d.name}: its own role, in the stack and in the spoke, holds exactly the document's # IAM actions`, () => {
        const id = remediationRoleLogicalId(d.name);
        expect(allowed(single, id)).to.deep.equal(documentActions(d));
        expect(allowed(spoke, id)).to.deep.equal(documentActions(d));
      });
    }

    it('spoke evaluation role = every rule\'s actions and the trigger\'s; Security Hub only when ImportSecurityHubFindings is true', () => {
      expect(allowed(spoke, EVALUATION_ROLE_LOGICAL_ID)).to.deep.equal(evaluationRoleActions(catalog));
      expect(evaluationRoleActions(catalog)).to.include.members([...REEVALUATE_ACTIONS]);
      expect(allowed(spoke, EVALUATION_ROLE_LOGICAL_ID, { [SpokeParameter.ImportSecurityHubFindings]: 'true' })).to.deep.equal(
        [...evaluationRoleActions(catalog), ...RUNTIME_ACTIONS.securityHub].sort(),
      );
      expect(spokeTemplate.Conditions?.[SECURITY_HUB_CONDITION]).to.deep.equal({ 'Fn::Equals': [{ Ref: SpokeParameter.ImportSecurityHubFindings }, 'true'] });
      expect(spoke[EVALUATION_SECURITY_HUB_POLICY_LOGICAL_ID]?.Condition).to.equal(SECURITY_HUB_CONDITION);
    });

    it('CloudTrail re-evaluation trigger: single-account role = its calls + its queue; hub role = sts:AssumeRole + its queue; the spoke forwarding role = events:PutEvents', () => {
      expect(allowed(single, REEVALUATE.role)).to.deep.equal([...REEVALUATE_ACTIONS, ...QUEUE_CONSUMER_ACTIONS].sort());
      expect(allowed(hub, REEVALUATE.role)).to.deep.equal(hubReevaluateActions());
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

  it(`keeps every role's inline policies within IAM's ${MAX_INLINE_POLICY_CHARS} characters, in the longest partition and region`, () => {
    const sizes: [string, number][] = [];
    for (const [where, resources, params] of [
      ['single', singleWithHub, {}],
      ['hub', hub, {}],
      ['spoke', spoke, { [SpokeParameter.ImportSecurityHubFindings]: 'true' }],
    ] as const) {
      for (const id of Object.keys(resources).filter((k) => resources[k]?.Type === 'AWS::IAM::Role')) {
        // IAM counts the characters of every inline policy of the role, whitespace aside.
        const text = JSON.stringify(statements(resources, id, params)).replaceAll('arn:aws:', 'arn:aws-us-gov:').replaceAll('us-east-1', 'eusc-de-east-1');
        sizes.push([`${where} ${id}`, text.length + 200]);
      }
    }
    expect(sizes.length).to.be.above(catalog.length * 2 + documents.length * 2);
    expect(sizes.filter(([, n]) => n > MAX_INLINE_POLICY_CHARS)).to.deep.equal([]);
  });

  describe('scoping', () => {
    const arnsOf = (sts: Statement[], action: string) => sts.filter((s) => s.Effect === 'Allow' && asList(s.Action).includes(action)).flatMap((s) => asList(s.Resource as string[]));

    it('scopes every read that accepts an ARN to this account and region (Kinesis, Firehose, Kinesis Video, ElastiCache)', () => {
      const sts = catalog.flatMap((s) => statements(single, ruleLogicalIds(s).role));
      for (const a of ['kinesis:DescribeStreamSummary', 'firehose:DescribeDeliveryStream', 'kinesisvideo:ListTagsForStream', 'elasticache:DescribeReplicationGroups']) {
        const arns = arnsOf(sts, a);
        expect(arns.length, a).to.be.above(0);
        for (const arn of arns) expect(arn, a).to.match(/^arn:aws:[a-z]+:us-east-1:123456789012:/);
      }
    });

    /** Whether an IAM resource pattern (`*` any run of characters, `?` one) matches an ARN. */
    const iamMatches = (pattern: string, arn: string) =>
      new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`).test(arn);

    it('kms:DescribeKey reaches a key in a central key account of this region, and nothing but keys of this partition and region', () => {
      const centralKey = 'arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const roles: [string, Statement[]][] = [
        ...catalog.filter((s) => s.lookupActions?.includes('kms:DescribeKey')).map((s): [string, Statement[]] => [s.name, statements(single, ruleLogicalIds(s).role)]),
        ['spoke evaluation role', statements(spoke, EVALUATION_ROLE_LOGICAL_ID)],
      ];
      expect(roles.length).to.be.above(2);
      for (const [who, sts] of roles) {
        const patterns = arnsOf(sts, 'kms:DescribeKey');
        expect(patterns, who).to.deep.equal(['arn:aws:kms:us-east-1:*:key/*']);
        expect(patterns.some((p) => iamMatches(p, centralKey)), who).to.equal(true);
        expect(patterns.some((p) => iamMatches(p, 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab')), who).to.equal(true);
        for (const outside of ['arn:aws:kms:eu-west-1:210987654321:key/k', 'arn:aws:kms:us-east-1:210987654321:alias/k', 'arn:aws-us-gov:kms:us-east-1:210987654321:key/k']) {
          expect(patterns.some((p) => iamMatches(p, outside)), `${who}: ${outside}`).to.equal(false);
        }
      }
    });

    it('kinesis:StartStreamEncryption may encrypt with a central key account\'s key, but only streams of this account and region', () => {
      const sts = statements(single, remediationRoleLogicalId('HIPAA-EnableKinesisStreamEncryption'));
      const patterns = arnsOf(sts, 'kinesis:StartStreamEncryption');
      const allows = (arn: string) => patterns.some((p) => iamMatches(p, arn));
      expect(allows('arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab')).to.equal(true);
      expect(allows('arn:aws:kinesis:us-east-1:123456789012:stream/vitals')).to.equal(true);
      for (const outside of ['arn:aws:kinesis:us-east-1:210987654321:stream/vitals', 'arn:aws:kms:eu-west-1:210987654321:key/k', 'arn:aws:kms:us-east-1:210987654321:alias/k']) {
        expect(allows(outside), outside).to.equal(false);
      }
    });

    it('lets the notify document publish only to the pack\'s topic, and write secrets only under hipaa-safeguards/', () => {
      for (const d of documents) {
        const sts = statements(single, remediationRoleLogicalId(d.name));
        for (const arn of arnsOf(sts, 'sns:Publish')) expect(arn, d.name).to.equal('arn:aws:sns:us-east-1:123456789012:HIPAA-Safeguards-Notifications');
        for (const a of ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:DescribeSecret']) {
          for (const arn of arnsOf(sts, a)) expect(arn, `${d.name} ${a}`).to.equal('arn:aws:secretsmanager:us-east-1:123456789012:secret:hipaa-safeguards/*');
        }
      }
      expect(documents.some((d) => d.iamActions.includes('sns:Publish'))).to.equal(true);
    });

    it('puts a guardrail on every role that can modify or delete ElastiCache (no TLS or AUTH off, no delete of an exempt resource) or modify RDS parameter groups (never a default group)', () => {
      let guarded = 0;
      for (const d of documents) {
        const sts = statements(single, remediationRoleLogicalId(d.name));
        const denies = sts.filter((s) => s.Effect === 'Deny');
        if (d.iamActions.includes('elasticache:ModifyReplicationGroup')) {
          guarded++;
          expect(denies.map((s) => s.Condition), d.name).to.deep.include.members([
            { Bool: { 'elasticache:TransitEncryptionEnabled': 'false' } },
            { Bool: { 'elasticache:AuthTokenEnabled': 'false' } },
          ]);
        }
        const deletes = d.iamActions.filter((a) => /^elasticache:Delete/.test(a));
        if (deletes.length > 0) {
          guarded++;
          const exempt = denies.find((s) => JSON.stringify(s.Condition) === JSON.stringify({ Null: { [`aws:ResourceTag/${EXEMPT_TAG}`]: 'false' } }));
          expect(asList(exempt?.Action).sort(), d.name).to.deep.equal(deletes.sort());
        }
        if (d.iamActions.includes('elasticache:AddTagsToResource')) {
          expect(denies.map((s) => s.Condition), d.name).to.deep.include({ 'ForAnyValue:StringLike': { 'aws:TagKeys': [`${EXEMPT_TAG}*`] } });
        }
        const rdsGroupWrites = d.iamActions.filter((a) => /^rds:Modify\w*ParameterGroup$/.test(a));
        if (rdsGroupWrites.length > 0) {
          const guard = denies.find((s) => s.Sid === 'NeverModifyDefaultParameterGroups');
          expect(asList(guard?.Action).sort(), d.name).to.deep.equal(rdsGroupWrites.sort());
          expect(asList(guard?.Resource).sort(), d.name).to.deep.equal(['arn:aws:rds:us-east-1:123456789012:cluster-pg:default.*', 'arn:aws:rds:us-east-1:123456789012:pg:default.*']);
        }
        if (!d.iamActions.some((a) => /^elasticache:(Modify|Delete|AddTags)|^rds:Modify\w*ParameterGroup$/.test(a))) expect(denies, d.name).to.deep.equal([]);
      }
      expect(guarded).to.be.at.least(2);
    });

    it('Security Hub: imports only to the account\'s own product, updates only Workflow.Status to RESOLVED, and denies every other field', () => {
      const sts = statements(singleWithHub, ruleLogicalIds(catalog[0]!).role);
      expect(arnsOf(sts, 'securityhub:BatchImportFindings')).to.deep.equal(['arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default']);
      const update = sts.find((s) => s.Effect === 'Allow' && asList(s.Action).includes('securityhub:BatchUpdateFindings'));
      expect(update?.Condition).to.deep.equal({ StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': ['RESOLVED'] } });
      const deniedFields = sts
        .filter((s) => s.Effect === 'Deny' && asList(s.Action).includes('securityhub:BatchUpdateFindings'))
        .flatMap((s) => Object.keys(s.Condition?.Null ?? {}));
      expect(deniedFields).to.deep.equal(OTHER_UPDATABLE_FINDING_FIELDS.map((f) => `securityhub:ASFFSyntaxPath/${f}`));
    });
  });

  it('guards a role that may tag ElastiCache: snapshots only, and never an exemption tag', () => {
    // Arrange: a document as the snapshot-tagging work declares it
    const doc = { ...documents[0]!, name: 'HIPAA-Example', iamActions: ['elasticache:AddTagsToResource', 'elasticache:DeleteReplicationGroup'] };
    // Act
    const sts = resolveIn(asTemplate({}), remediationRoleStatements(doc, { topicName: 'HIPAA-Safeguards-Notifications' })) as Statement[];
    // Assert
    const tag = sts.find((s) => s.Effect === 'Allow' && asList(s.Action).includes('elasticache:AddTagsToResource'));
    expect(tag?.Resource).to.equal('arn:aws:elasticache:us-east-1:123456789012:snapshot:*');
    expect(sts.filter((s) => s.Effect === 'Deny').map((s) => s.Sid)).to.deep.equal(['NeverWriteExemptionTags', 'NeverDeleteExempt']);
  });

  describe('what the Security Hub code sends stays inside what the policy allows', () => {
    let hub: AwsClientStub<SecurityHubClient>;
    beforeEach(() => {
      hub = mockClient(SecurityHubClient);
    });
    afterEach(() => hub.restore());

    it('imports findings of its own product only, and updates no finding field but Workflow.Status, to an allowed status', async () => {
      // Arrange
      hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 2, FailedFindings: [] });
      hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
      const ctx = { accountId: '123456789012', region: 'us-east-1', partition: 'aws', now: new Date('2026-11-22T10:00:00Z') };
      const s = catalog[0]!;
      const evaluation = (id: string, ComplianceType: 'COMPLIANT' | 'NON_COMPLIANT') => ({
        ComplianceResourceType: s.resource.resourceTypes[0]!,
        ComplianceResourceId: id,
        ComplianceType,
        Annotation: 'x',
        OrderingTimestamp: ctx.now,
      });
      // Act
      await importFindings(new SecurityHubClient({ region: 'us-east-1' }), [toFinding(s, evaluation('a', 'COMPLIANT'), ctx), toFinding(s, evaluation('b', 'NON_COMPLIANT'), ctx)]);
      // Assert: against the role's statements
      const sts = statements(singleWithHub, ruleLogicalIds(s).role);
      const importArns = sts.filter((st) => asList(st.Action).includes('securityhub:BatchImportFindings')).flatMap((st) => asList(st.Resource as string[]));
      for (const f of hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings ?? [])) expect(importArns).to.include(f.ProductArn);
      const updates = hub.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input);
      expect(updates).to.have.length(1);
      for (const u of updates) {
        const { FindingIdentifiers, Workflow, ...others } = u;
        expect(others).to.deep.equal({});
        expect(Object.keys(Workflow ?? {})).to.deep.equal(['Status']);
        expect([...SECURITY_HUB_WORKFLOW_STATUSES]).to.include(Workflow?.Status);
        for (const id of FindingIdentifiers ?? []) expect(importArns).to.include(id.ProductArn);
      }
    });
  });

  describe('trust', () => {
    it('the pack runs each remediation as its own document\'s role, which the stack and the spoke create under the same name', () => {
      let linked = 0;
      for (const s of catalog) {
        const r = s.remediation;
        if (!r) continue;
        linked++;
        const config = pack.Resources[packNames(s).remediation]?.Properties as { Parameters: { AutomationAssumeRole: { StaticValue: { Values: unknown[] } } } };
        const roleArn = resolveIn(pack, config.Parameters.AutomationAssumeRole.StaticValue.Values[0]);
        const id = remediationRoleLogicalId(r.document);
        for (const [where, t] of [['single', asTemplate(single)], ['spoke', spokeTemplate]] as const) {
          const name = (resolveIn(t, t.Resources[id]?.Properties, spokeValues) as { RoleName: string }).RoleName;
          expect(roleArn, `${s.name} (${where})`).to.equal(`arn:aws:iam::123456789012:role/${name}`);
        }
        expect(roleArn, s.name).to.equal(`arn:aws:iam::123456789012:role/${r.document}-us-east-1`);
      }
      expect(linked).to.be.above(3);
    });

    it('the spoke evaluation role trusts exactly the hub Lambda roles, by the names the hub gives them', () => {
      const trust = (resolveIn(spokeTemplate, spoke[EVALUATION_ROLE_LOGICAL_ID]?.Properties, spokeValues) as { AssumeRolePolicyDocument: { Statement: Statement[] } })
        .AssumeRolePolicyDocument.Statement;
      const hubTemplate = asTemplate(hub);
      const hubRoleArns = Object.entries(hub)
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .map(([, r]) => resolveIn(hubTemplate, r.Properties) as { RoleName: string; Path: string })
        .map((p) => `arn:aws:iam::${HUB}:role${p.Path}${p.RoleName}`)
        .sort();
      expect(hubRoleArns).to.have.length(hubFunctionKeys(catalog).length);
      expect(trust).to.have.length(1);
      expect(trust[0]?.Principal).to.deep.equal({ AWS: `arn:aws:iam::${HUB}:root` });
      const trusted = (trust[0]?.Condition?.ArnEquals?.['aws:PrincipalArn'] ?? []) as string[];
      expect([...trusted].sort()).to.deep.equal(hubRoleArns);
      expect(Object.keys(trust[0]?.Condition ?? {})).to.deep.equal(['ArnEquals']);
      expect(JSON.stringify(trust)).to.not.include('*');
    });

    it('the hub assumes spoke roles only in accounts of its organization (aws:ResourceOrgID)', () => {
      const assumes = Object.keys(hub)
        .filter((id) => hub[id]?.Type === 'AWS::IAM::Role')
        .flatMap((id) => statements(hub, id))
        .filter((s) => asList(s.Action).includes('sts:AssumeRole'));
      expect(assumes).to.have.length(hubFunctionKeys(catalog).length);
      for (const s of assumes) expect(s.Condition).to.deep.equal({ StringEquals: { 'aws:ResourceOrgID': ORG } });
    });

    it('only the remediation roles that publish may publish to the topic, and only over TLS', () => {
      for (const [where, t] of [['single', asTemplate(single)], ['spoke', spokeTemplate]] as const) {
        // Ref of the topic resolves to its ARN in CloudFormation; any stand-in does for these conditions.
        const p = resolveIn(t, t.Resources[NOTIFICATION_TOPIC_POLICY_LOGICAL_ID]?.Properties, { ...spokeValues, [NOTIFICATION_TOPIC_LOGICAL_ID]: 'topic' }) as { PolicyDocument: { Statement: Statement[] } };
        const publishers = documents.filter((d) => d.iamActions.includes('sns:Publish')).map((d) => `arn:aws:iam::123456789012:role/${d.name}-us-east-1`);
        const bySid = Object.fromEntries(p.PolicyDocument.Statement.map((s) => [s.Sid, s]));
        expect(bySid.RemediationRolesPublish?.Condition, where).to.deep.equal({ ArnEquals: { 'aws:PrincipalArn': publishers } });
        expect(bySid.NoOtherPublisher?.Condition, where).to.deep.equal({ ArnNotEquals: { 'aws:PrincipalArn': publishers } });
        expect(bySid.TlsOnly?.Condition, where).to.deep.equal({ Bool: { 'aws:SecureTransport': 'false' } });
      }
    });
  });
});
