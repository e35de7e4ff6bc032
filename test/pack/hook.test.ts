import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog } from '../../rules/catalog';
import { hookTargetTypes } from '../../rules/hooks/handler';
import { PREVENTION_MODE_VARIABLE, UNKNOWN_POLICY_VARIABLE } from '../../rules/hooks/settings';
import { PACK_PATH } from '../../scripts/lib/conformance-pack';
import {
  HOOK,
  HOOK_CODE_NOT_UPLOADED,
  HOOK_FUNCTION_KEY,
  HOOK_HANDLER,
  SPOKE_HOOK_ALIAS,
  SPOKE_HOOK_CODE_RULE,
  SPOKE_HOOK_CONDITION,
  SPOKE_HOOK_LOG_GROUP,
  SpokeHookParameter,
  hookAlias,
  hookLookupActions,
  preventionOptions,
} from '../../scripts/lib/hook-resources';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { type PartsInput, buildFunctions, buildResources, serverlessLogicalIds } from '../../scripts/lib/serverless-resources';
import { SPOKE_PATH } from '../../scripts/lib/spoke-template';
import { REFERENCE_DIR, SINGLE_PACK_URI, type Template, cfnLint, describeMatches, resolveIntrinsics } from './cfn';
import { type Resource, type Statement, asList, policiesOf, policyViolations } from './policy-checks';

const base: PartsInput = {
  safeguards: catalog,
  documents: loadAllRemediationDocuments(),
  packText: readFileSync(PACK_PATH, 'utf8'),
  service: 'hipaa-safeguards',
  stage: 'prod',
  // The pack outgrew a TemplateBody (51,200 bytes): the stack points at it in S3, as `safeguards deploy` makes it do.
  packTemplateS3Uri: SINGLE_PACK_URI,
};
const single = (prevention = preventionOptions('FAIL', 'BLOCK')) => buildResources({ ...base, prevention }).Resources as Record<string, Resource>;
const spoke = parse(readFileSync(SPOKE_PATH, 'utf8')) as Template & { Resources: Record<string, Resource>; Rules: Record<string, unknown> };
const fn = serverlessLogicalIds(HOOK_FUNCTION_KEY);
const SPOKE_PARAMS = { HubAccountId: '999999999999', HubRolePath: '/hipaa-safeguards/prod/', HubStage: 'prod' };

/** The LambdaHook registry schema; its Alias pattern's (?i) lookahead, which JavaScript lacks, spelled out. */
function lambdaHookValidator() {
  const schema = JSON.parse(readFileSync(join(REFERENCE_DIR, 'B-cfn-resource-schemas', 'aws-cloudformation-lambdahook.json'), 'utf8')) as {
    properties: { Alias: { pattern: string } };
  };
  expect(schema.properties.Alias.pattern).to.equal('^(?!(?i)aws)[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$');
  schema.properties.Alias.pattern = '^(?![Aa][Ww][Ss])[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$';
  return new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }).compile(schema);
}

const statementsOf = (role: Resource): Statement[] =>
  (role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
const allowedActions = (role: Resource) =>
  statementsOf(role)
    .filter((s) => s.Effect === 'Allow' && s.Sid !== 'OwnLogGroupOnly')
    .flatMap((s) => asList(s.Action))
    .sort();

describe('prevention hook templates', () => {
  describe('single-account stack', () => {
    it('has a LambdaHook on resource and Cloud Control operations, CREATE and UPDATE at PRE_PROVISION, of the catalog\'s types only', () => {
      const hook = single()[HOOK.hook];
      expect(hook?.Type).to.equal('AWS::CloudFormation::LambdaHook');
      expect(hook?.Properties).to.deep.equal({
        Alias: 'HIPAA::Safeguards::PreventionProd',
        LambdaFunction: { 'Fn::GetAtt': [fn.function, 'Arn'] },
        ExecutionRole: { 'Fn::GetAtt': [HOOK.executionRole, 'Arn'] },
        FailureMode: 'FAIL',
        HookStatus: 'ENABLED',
        TargetOperations: ['RESOURCE', 'CLOUD_CONTROL'],
        TargetFilters: {
          TargetNames: [
            'AWS::Kinesis::Stream',
            'AWS::KinesisFirehose::DeliveryStream',
            'AWS::KinesisVideo::Stream',
            'AWS::ElastiCache::ReplicationGroup',
            'AWS::ElastiCache::CacheCluster',
            'AWS::ElastiCache::ServerlessCache',
            'AWS::MSK::Cluster',
            'AWS::MSK::ServerlessCluster',
            'AWS::OpenSearchService::Domain',
            'AWS::OpenSearchServerless::Collection',
            'AWS::MemoryDB::Cluster',
            'AWS::SQS::Queue',
            'AWS::SNS::Topic',
            'AWS::RDS::DBInstance',
            'AWS::RDS::DBCluster',
            // Built into AWS::RDS::DBCluster views (the adapter's cloudFormationTypes).
            'AWS::DocDB::DBCluster',
            'AWS::Neptune::DBCluster',
          ],
          Actions: ['CREATE', 'UPDATE'],
          InvocationPoints: ['PRE_PROVISION'],
        },
      });
      expect((hook?.Properties?.TargetFilters as { TargetNames: string[] }).TargetNames).to.deep.equal(hookTargetTypes(catalog));
      // The registry schema, with the two GetAtt values as the ARNs CloudFormation gives them.
      const arns = { LambdaFunction: 'arn:aws:lambda:us-east-1:123456789012:function:hipaa-safeguards-prod-cloudformation-hook', ExecutionRole: 'arn:aws:iam::123456789012:role/x' };
      expect(lambdaHookValidator()({ ...hook?.Properties, ...arns })).to.equal(true);
    });

    it('FailureMode follows preventionMode; OFF deploys no hook, no roles and no function', () => {
      expect(single(preventionOptions('warn', ''))[HOOK.hook]?.Properties?.FailureMode).to.equal('WARN');
      const off = single(preventionOptions('OFF', 'BLOCK'));
      expect(off).to.not.have.any.keys(HOOK.hook, HOOK.executionRole, HOOK.functionRole);
      expect(buildFunctions({ ...base, prevention: preventionOptions('OFF', 'BLOCK') })).to.not.have.key(HOOK_FUNCTION_KEY);
      expect(() => preventionOptions('BLOCK', 'BLOCK')).to.throw('--param="preventionMode=BLOCK" is not one of: FAIL, WARN, OFF.');
      expect(() => preventionOptions('FAIL', 'MAYBE')).to.throw('--param="preventionOnUnknown=MAYBE" is not one of: BLOCK, ALLOW.');
    });

    it('has the hook function, 25 s (under the hook\'s 30 s), with the mode and UNKNOWN policy in its environment; none in organization mode', () => {
      const functions = buildFunctions({ ...base, prevention: preventionOptions('WARN', 'ALLOW') });
      expect(functions[HOOK_FUNCTION_KEY]).to.deep.equal({
        handler: HOOK_HANDLER,
        name: 'hipaa-safeguards-prod-cloudformation-hook',
        description: 'CloudFormation Lambda Hook: judges catalog resources before they are created or updated (preventionMode).',
        role: HOOK.functionRole,
        timeout: 25,
        environment: { [PREVENTION_MODE_VARIABLE]: 'WARN', [UNKNOWN_POLICY_VARIABLE]: 'ALLOW' },
      });
      expect(buildFunctions({ ...base, mode: 'organization', organization: { evaluationRoleName: 'HIPAA-Safeguards-Evaluation' } })).to.not.have.key(HOOK_FUNCTION_KEY);
      expect(readFileSync(join(__dirname, '..', '..', `${HOOK_HANDLER.split('.')[0]}.ts`), 'utf8')).to.match(/export const handler = /);
    });

    it('execution role: trusted by CloudFormation Hooks of this account and region only, may invoke exactly the hook Lambda', () => {
      const role = single()[HOOK.executionRole] as Resource;
      expect((role.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement).to.deep.equal([
        {
          Effect: 'Allow',
          Principal: { Service: 'hooks.cloudformation.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: {
              'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':type/hook/*']] },
            },
          },
        },
      ]);
      expect(statementsOf(role)).to.deep.equal([
        { Sid: 'InvokeThePreventionHookOnly', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: { 'Fn::GetAtt': [fn.function, 'Arn'] } },
      ]);
    });

    it('hook Lambda role: its own log group and exactly the safeguards\' read-only lookups plus the prevention lookup, nothing else', () => {
      const role = single()[HOOK.functionRole] as Resource;
      expect(allowedActions(role)).to.deep.equal(hookLookupActions(catalog));
      expect(hookLookupActions(catalog)).to.deep.equal([
        // The default engine version of a cache declared without one (rules/prevention/facts.ts).
        'elasticache:DescribeCacheEngineVersions',
        'elasticache:DescribeUpdateActions',
        'elasticache:DescribeUserGroups',
        'elasticache:DescribeUsers',
        'firehose:DescribeDeliveryStream',
        'kinesis:DescribeStreamSummary',
        'kms:DescribeKey',
        // memorydb-auth-enabled: the users of the cluster's ACL (every ACL and user once per run).
        'memorydb:DescribeACLs',
        'memorydb:DescribeUsers',
        // rds-tls-enforced: a parameter or option group that is not declared in the template.
        'rds:DescribeDBClusterParameters',
        'rds:DescribeDBParameters',
        'rds:DescribeOptionGroups',
      ]);
      expect(statementsOf(role).find((s) => s.Sid === 'OwnLogGroupOnly')?.Resource).to.deep.equal({ 'Fn::GetAtt': [fn.logGroup, 'Arn'] });
      expect((role.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement[0]?.Principal).to.deep.equal({ Service: 'lambda.amazonaws.com' });
    });

    it('passes the security review (policy-checks) with the hook', () => {
      expect(policyViolations(policiesOf('single-account stack', single()))).to.deep.equal([]);
    });
  });

  describe('spoke StackSet', () => {
    const resolved = (id: string, params: Record<string, string> = {}) =>
      resolveIntrinsics(spoke, spoke.Resources[id]?.Properties, { ...SPOKE_PARAMS, ...params }) as Record<string, unknown>;

    it('puts the hook, its Lambda, log group and roles in every member account, all under PreventionMode (default OFF)', () => {
      for (const id of Object.values(HOOK)) expect(spoke.Resources[id]?.Condition, id).to.equal(SPOKE_HOOK_CONDITION);
      expect(spoke.Parameters?.[SpokeHookParameter.PreventionMode]?.Default).to.equal('OFF');
      const enabled = (mode: string) => resolveIntrinsics(spoke, { 'Fn::If': [SPOKE_HOOK_CONDITION, true, false] }, { ...SPOKE_PARAMS, PreventionMode: mode });
      expect([enabled('FAIL'), enabled('WARN'), enabled('OFF')]).to.deep.equal([true, true, false]);
    });

    it('has the same LambdaHook as the single account, with a fixed alias and FailureMode from PreventionMode', () => {
      const fail = resolved(HOOK.hook, { PreventionMode: 'FAIL' });
      expect(fail).to.deep.include({ Alias: SPOKE_HOOK_ALIAS, FailureMode: 'FAIL', HookStatus: 'ENABLED', TargetOperations: ['RESOURCE', 'CLOUD_CONTROL'] });
      expect(fail.TargetFilters).to.deep.equal({ TargetNames: hookTargetTypes(catalog), Actions: ['CREATE', 'UPDATE'], InvocationPoints: ['PRE_PROVISION'] });
      expect(resolved(HOOK.hook, { PreventionMode: 'WARN' }).FailureMode).to.equal('WARN');
      expect(lambdaHookValidator()({ ...fail, LambdaFunction: 'arn:aws:lambda:us-east-1:123456789012:function:hook', ExecutionRole: 'arn:aws:iam::123456789012:role/x' })).to.equal(true);
    });

    it('runs the hook Lambda from the region\'s artifact bucket, logging to its own retained group, with the mode in its environment', () => {
      const f = resolved(HOOK.function, { PreventionMode: 'WARN', PreventionOnUnknown: 'ALLOW', HookCodeBucketPrefix: 'awsconfigconforms-hipaa-safeguards-999999999999', HookCodeKey: 'prod/hook/h.zip' });
      expect(f).to.deep.include({ Handler: HOOK_HANDLER, Timeout: 25, Runtime: 'nodejs22.x', LoggingConfig: { LogGroup: SPOKE_HOOK_LOG_GROUP } });
      expect(f.Code).to.deep.equal({ S3Bucket: 'awsconfigconforms-hipaa-safeguards-999999999999-us-east-1', S3Key: 'prod/hook/h.zip' });
      expect(f.Environment).to.deep.equal({ Variables: { [PREVENTION_MODE_VARIABLE]: 'WARN', [UNKNOWN_POLICY_VARIABLE]: 'ALLOW' } });
      expect(spoke.Resources[HOOK.logGroup]).to.deep.include({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('refuses (template Rule) a PreventionMode other than OFF while the hook code is not given', () => {
      const rule = spoke.Rules[SPOKE_HOOK_CODE_RULE] as { RuleCondition: unknown; Assertions: { Assert: unknown }[] };
      const applies = (mode: string) => resolveIntrinsics(spoke, rule.RuleCondition, { ...SPOKE_PARAMS, PreventionMode: mode });
      const holds = (key: string) => resolveIntrinsics(spoke, rule.Assertions[0]?.Assert, { ...SPOKE_PARAMS, HookCodeKey: key });
      expect([applies('FAIL'), applies('WARN'), applies('OFF')]).to.deep.equal([true, true, false]);
      expect(holds(HOOK_CODE_NOT_UPLOADED.key)).to.equal(false);
      expect(holds('prod/hook/h.zip')).to.equal(true);
    });

    it('roles: the execution role invokes exactly the spoke\'s hook Lambda; the Lambda role reads only the safeguards\' lookups', () => {
      const exec = resolved(HOOK.executionRole) as { Policies: { PolicyDocument: { Statement: Statement[] } }[]; AssumeRolePolicyDocument: { Statement: Statement[] } };
      expect(exec.Policies.flatMap((p) => p.PolicyDocument.Statement)).to.deep.equal([
        { Sid: 'InvokeThePreventionHookOnly', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: `arn:aws:test:us-east-1:123456789012:${HOOK.function}/Arn` },
      ]);
      expect(exec.AssumeRolePolicyDocument.Statement[0]?.Condition).to.deep.equal({
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': 'arn:aws:cloudformation:us-east-1:123456789012:type/hook/*' },
      });
      expect(allowedActions(spoke.Resources[HOOK.functionRole] as Resource)).to.deep.equal(hookLookupActions(catalog));
    });

    it('stays cfn-lint clean', function () {
      this.timeout(60_000);
      const matches = cfnLint(SPOKE_PATH);
      expect(matches, describeMatches(matches)).to.deep.equal([]);
    });
  });

  it('names the single-account alias per stage, letters and digits only', () => {
    expect(hookAlias('dev')).to.equal('HIPAA::Safeguards::PreventionDev');
    expect(hookAlias('blue-green')).to.equal('HIPAA::Safeguards::PreventionBlueGreen');
  });
});
