import { CreateTopicCommand, DeleteTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { type CallOverride, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';
import { DEFAULT_NOTIFICATION_TOPIC_NAME } from '../../scripts/lib/conformance-pack';

// SNS Publish goes to moto, and the test reads what moto's topic received (moto-api/data.json). moto has neither
// config:GetComplianceDetailsByResource nor config:GetComplianceDetailsByConfigRule: the override hook answers them, and
// config:DescribeConfigRules too (so that a test decides the deployed rule names and the pages), in the shapes of the
// botocore model (shared/reference/F-botocore-service-models/config-2014-11-12.service-2.json). The calls of
// ResolveResourceType's Python script come back through the same hook (fromScript).
const DOCUMENT = 'HIPAA-NotifyNonCompliantResource';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const RULE = 'kinesis-video-stream-customer-key';
const TYPE = 'AWS::KinesisVideo::Stream';
const STREAM = 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/ward-7-cam/1700000000000';
const ANNOTATION = 'Video stream ward-7-cam is encrypted with the AWS managed key aws/kinesisvideo, not a customer managed key. 45 CFR 164.312(a)(2)(iv)';

function evaluation(rule: string, annotation?: string, resourceType = TYPE, resourceId = STREAM) {
  return {
    EvaluationResultIdentifier: {
      EvaluationResultQualifier: { ConfigRuleName: rule, ResourceType: resourceType, ResourceId: resourceId, EvaluationMode: 'DETECTIVE' },
      OrderingTimestamp: '2026-01-05T10:00:00.000Z',
    },
    ComplianceType: 'NON_COMPLIANT',
    ResultRecordedTime: '2026-01-05T10:00:02.000Z',
    ConfigRuleInvokedTime: '2026-01-05T10:00:01.000Z',
    ...(annotation !== undefined ? { Annotation: annotation } : {}),
  };
}

type Evaluation = ReturnType<typeof evaluation>;

// elasticache-current-generation-nodes covers three resource types; a conformance pack's remediation passes only the ID.
const GENERATION_RULE = 'elasticache-current-generation-nodes';
const GROUP = 'AWS::ElastiCache::ReplicationGroup';
const CLUSTER = 'AWS::ElastiCache::CacheCluster';
const CACHE = 'ward-7-sessions';
const CLUSTER_ANNOTATION = `Cache cluster ${CACHE} uses previous-generation node type cache.m3.medium (family m3 is not in currentGenerationFamilies). Scale to a current-generation node type. 45 CFR 164.308(a)(1)(ii)(B)`;
const GROUP_ANNOTATION = `Replication group ${CACHE} uses previous-generation node type cache.r3.large (family r3 is not in currentGenerationFamilies). Scale to a current-generation node type. 45 CFR 164.308(a)(1)(ii)(B)`;

/**
 * A small AWS Config for the override hook: the deployed rules and their NON_COMPLIANT evaluations. It answers
 * DescribeConfigRules (pageSize rules a page), GetComplianceDetailsByConfigRule (the rule's results of the asked
 * ComplianceTypes, min(Limit, pageSize) a page) and GetComplianceDetailsByResource (the resource's results, one page);
 * NextToken is the offset of the next page. Everything else (SNS) goes to moto.
 */
function fakeConfig(rules: readonly { name: string; state?: string }[], results: readonly Evaluation[], pageSize = 100): CallOverride {
  const qualifier = (r: Evaluation) => r.EvaluationResultIdentifier.EvaluationResultQualifier;
  const page = <T>(items: readonly T[], token: unknown, size: number) => {
    const start = token === undefined ? 0 : Number(token);
    return { items: items.slice(start, start + size), ...(start + size < items.length ? { NextToken: String(start + size) } : {}) };
  };
  return ({ api, params }) => {
    if (api === 'DescribeConfigRules') {
      const { items, ...next } = page(rules, params.NextToken, pageSize);
      const ConfigRules = items.map((r) => ({
        ConfigRuleName: r.name,
        ConfigRuleArn: `arn:aws:config:us-east-1:123456789012:config-rule/config-rule-${r.name.length}abc`,
        ConfigRuleId: `config-rule-${r.name.length}abc`,
        Scope: { ComplianceResourceTypes: [GROUP, CLUSTER, 'AWS::ElastiCache::ServerlessCache'] },
        Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: `arn:aws:lambda:us-east-1:123456789012:function:${r.name}` },
        ConfigRuleState: r.state ?? 'ACTIVE',
      }));
      return { ConfigRules, ...next };
    }
    if (api === 'GetComplianceDetailsByConfigRule') {
      if (!rules.some((r) => r.name === params.ConfigRuleName)) {
        throw Object.assign(new Error(`The ConfigRule '${String(params.ConfigRuleName)}' provided in the request is invalid.`), { name: 'NoSuchConfigRuleException' });
      }
      const types = (params.ComplianceTypes as string[] | undefined) ?? ['COMPLIANT', 'NON_COMPLIANT'];
      const mine = results.filter((r) => qualifier(r).ConfigRuleName === params.ConfigRuleName && types.includes(r.ComplianceType));
      const limit = Number(params.Limit ?? 10) || 10;
      const { items, ...next } = page(mine, params.NextToken, Math.min(limit, pageSize));
      return { EvaluationResults: items, ...next };
    }
    if (api === 'GetComplianceDetailsByResource') {
      return { EvaluationResults: results.filter((r) => qualifier(r).ResourceType === params.ResourceType && qualifier(r).ResourceId === params.ResourceId) };
    }
    return undefined;
  };
}

/** Answers GetComplianceDetailsByResource with these NON_COMPLIANT evaluations; everything else goes to moto. */
const evaluations =
  (...results: unknown[]): CallOverride =>
  (c) =>
    c.api === 'GetComplianceDetailsByResource' ? { EvaluationResults: results } : undefined;

describe('remediations/HIPAA-NotifyNonCompliantResource', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let endpoint: string;
  let topicArn: string;

  beforeEach(async () => {
    const moto = await useMoto();
    endpoint = moto.endpoint;
    const sns = new SNSClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() });
    topicArn = (await sns.send(new CreateTopicCommand({ Name: DEFAULT_NOTIFICATION_TOPIC_NAME }))).TopicArn ?? '';
  });

  /** What moto's topic received: [messageId, message, subject] per publish. */
  const published = async (): Promise<{ id: string; message: string; subject: string }[]> => {
    const data = (await (await fetch(`${endpoint}/moto-api/data.json`)).json()) as { sns: { Topic: { arn: string; sent_notifications: [string, string, string][] }[] } };
    const topic = data.sns.Topic.find((t) => t.arn === topicArn);
    return (topic?.sent_notifications ?? []).map(([id, message, subject]) => ({ id, message, subject }));
  };
  /** A parameter given as undefined is left out, so that its default applies. */
  const run = (override: CallOverride, parameters: Record<string, unknown> = {}) =>
    simulateDocument(doc, {
      parameters: Object.fromEntries(
        Object.entries({ AutomationAssumeRole: ROLE, ResourceId: STREAM, ResourceType: TYPE, ConfigRuleName: RULE, TopicArn: topicArn, ...parameters }).filter(
          ([, v]) => v !== undefined,
        ),
      ),
      override,
    });
  /** Auto through the default: the parameters a conformance pack's remediation of the generation rule passes. */
  const runAuto = (override: CallOverride, parameters: Record<string, unknown> = {}) =>
    run(override, { ResourceType: undefined, ResourceId: CACHE, ConfigRuleName: GENERATION_RULE, ...parameters });
  const configCalls = (r: SimulationResult) => r.calls.filter((c) => c.service === 'config').map((c) => ({ api: c.api, params: c.params, fromScript: c.fromScript === true }));
  const executionId = (r: SimulationResult) => /execution ([0-9a-f-]{36})/.exec(String(r.calls.find((c) => c.api === 'Publish')?.params.Message))?.[1];

  it('declares exactly the IAM actions its steps call', () => {
    expect([...doc.iamActions].sort()).to.deep.equal([
      'config:DescribeConfigRules',
      'config:GetComplianceDetailsByConfigRule',
      'config:GetComplianceDetailsByResource',
      'sns:Publish',
    ]);
  });

  it('publishes the rule, resource type, resource ID, annotation and HIPAA reason, picking its rule among others', async () => {
    // Act
    const result = await run(evaluations(evaluation('elasticache-engine-hipaa-eligible', 'Another rule.'), evaluation(RULE, ANNOTATION)));
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([
      'CheckTopicIsThePacks',
      'ResolveResourceType',
      'BranchOnResourceTypeFound',
      'ReadNonCompliantEvaluations',
      'SelectRuleEvaluation',
      'BranchOnStillNonCompliant',
      'PublishNotification',
    ]);
    // An explicit type is used as given: no rule is listed or read, the first call is the one it always was.
    expect(result.calls.map((c) => c.api)).to.deep.equal(['GetComplianceDetailsByResource', 'Publish']);
    expect(result.calls[0]).to.deep.include({ api: 'GetComplianceDetailsByResource', answeredBy: 'override' });
    expect(result.calls[0]?.params).to.deep.equal({ ResourceType: TYPE, ResourceId: STREAM, ComplianceTypes: ['NON_COMPLIANT'] });
    const sent = await published();
    expect(sent).to.have.lengthOf(1);
    expect(sent[0]?.subject).to.equal(`HIPAA safeguards: ${RULE} needs a person`);
    expect(sent[0]?.message).to.equal(
      [
        `AWS Config rule ${RULE} judges a resource NON_COMPLIANT, and the HIPAA safeguards pack cannot fix it in place: a person must act.`,
        '',
        `Resource type: ${TYPE}`,
        `Resource ID: ${STREAM}`,
        'Account and Region: 123456789012 us-east-1',
        `Annotation: ${ANNOTATION}`,
        '',
        'Why it matters: the resource may hold protected health information (PHI), and the HIPAA Security Rule (45 CFR Part 164, Subpart C) requires the safeguard the annotation cites. Fix the resource as the annotation says, or record a documented exception with the tag hipaa-safeguards:exempt (reason or ticket) and, if it is temporary, hipaa-safeguards:exempt-until (ISO 8601 date).',
        '',
        `Sent by SSM Automation execution ${executionId(result) ?? '?'} of HIPAA-NotifyNonCompliantResource.`,
      ].join('\n'),
    );
    expect(result.documentOutputs).to.deep.equal({
      'ResolveResourceType.ResourceType': TYPE,
      'SelectRuleEvaluation.NonCompliant': true,
      'SelectRuleEvaluation.Annotation': ANNOTATION,
      'PublishNotification.MessageId': sent[0]?.id,
    });
  });

  it('matches the name AWS Config gives a rule deployed by a conformance pack, and says that name', async () => {
    const deployed = `${RULE}-conformance-pack-a1b2c3d4`;
    const result = await run(evaluations(evaluation(deployed, ANNOTATION)));
    expect(result.outputs['SelectRuleEvaluation.RuleName']).to.equal(deployed);
    expect((await published())[0]?.message).to.match(new RegExp(`^AWS Config rule ${deployed} judges`));
  });

  it('does not take a rule whose name only starts like the wanted one', async () => {
    const result = await run(evaluations(evaluation(`${RULE}-legacy`, 'Not ours.')));
    expect(result.outputs['SelectRuleEvaluation.NonCompliant']).to.equal(false);
    expect(await published()).to.deep.equal([]);
  });

  it('sends nothing when the rule no longer judges the resource NON_COMPLIANT (no evaluations)', async () => {
    // Act
    const result = await run(evaluations());
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([
      'CheckTopicIsThePacks',
      'ResolveResourceType',
      'BranchOnResourceTypeFound',
      'ReadNonCompliantEvaluations',
      'SelectRuleEvaluation',
      'BranchOnStillNonCompliant',
    ]);
    expect(result.calls.map((c) => c.api)).to.deep.equal(['GetComplianceDetailsByResource']);
    expect(result.documentOutputs).to.deep.equal({
      'ResolveResourceType.ResourceType': TYPE,
      'SelectRuleEvaluation.NonCompliant': false,
      'SelectRuleEvaluation.Annotation': '',
    });
    expect(await published()).to.deep.equal([]);
  });

  it('sends nothing when only other rules judge the resource NON_COMPLIANT', async () => {
    const result = await run(evaluations(evaluation('elasticache-engine-hipaa-eligible', 'Another rule.')));
    expect(result.stepPath.at(-1)).to.equal('BranchOnStillNonCompliant');
    expect(await published()).to.deep.equal([]);
  });

  it('says so when the rule gave no annotation', async () => {
    await run(evaluations(evaluation(RULE)));
    expect((await published())[0]?.message).to.contain('Annotation: (the rule gave no annotation)');
  });

  it('fails at PublishNotification, naming the SNS error, when the pack topic does not exist in this Region', async () => {
    // Arrange: the deployment has not (or no longer) created the topic here
    await new SNSClient({ region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() }).send(new DeleteTopicCommand({ TopicArn: topicArn }));
    // Act
    const result = await run(evaluations(evaluation(RULE, ANNOTATION)));
    // Assert
    expect(result.status).to.equal('Failed');
    expect(result.failure?.step).to.equal('PublishNotification');
    expect(result.failure?.message).to.match(/^sns:Publish failed: NotFound(Exception)?: /);
  });

  describe('only the pack topic of this account and Region', () => {
    it('is the topic the deployment creates (its allowedPattern names DEFAULT_NOTIFICATION_TOPIC_NAME)', () => {
      const pattern = (doc.content as { parameters: { TopicArn: { allowedPattern: string } } }).parameters.TopicArn.allowedPattern;
      expect(pattern.endsWith(`:${DEFAULT_NOTIFICATION_TOPIC_NAME}$`)).to.equal(true);
      expect(new RegExp(pattern).test(topicArn)).to.equal(true);
    });

    const refused: [string, string][] = [
      ['a FIFO topic (it would need a MessageGroupId)', 'arn:aws:sns:us-east-1:123456789012:hipaa.fifo'],
      ['another topic of the account', 'arn:aws:sns:us-east-1:123456789012:ops-alerts'],
      ['a topic whose name only starts with the pack topic name', `arn:aws:sns:us-east-1:123456789012:${DEFAULT_NOTIFICATION_TOPIC_NAME}-copy`],
    ];
    for (const [what, arn] of refused) {
      it(`refuses ${what} before any step runs`, async () => {
        let caught: unknown;
        await run(evaluations(), { TopicArn: arn }).catch((e: unknown) => (caught = e));
        expect(caught).to.be.instanceOf(SimulationError);
        expect((caught as Error).message).to.contain('Parameter TopicArn value');
      });
    }

    for (const [what, arn] of [
      ['of another account', `arn:aws:sns:us-east-1:210987654321:${DEFAULT_NOTIFICATION_TOPIC_NAME}`],
      ['in another Region', `arn:aws:sns:eu-west-1:123456789012:${DEFAULT_NOTIFICATION_TOPIC_NAME}`],
      ['in another partition', `arn:aws-us-gov:sns:us-east-1:123456789012:${DEFAULT_NOTIFICATION_TOPIC_NAME}`],
    ]) {
      it(`stops before any read or send when the pack topic is ${what}`, async () => {
        // Act
        const result = await run(evaluations(evaluation(RULE, ANNOTATION)), { TopicArn: arn });
        // Assert
        expect(result.status).to.equal('Failed');
        expect(result.stepPath).to.deep.equal(['CheckTopicIsThePacks', 'StopTopicNotThePacks']);
        expect(result.calls).to.deep.equal([]);
        expect(result.failure?.message).to.equal(
          `RemediationStopped: TopicArn ${arn} is not the pack's topic HIPAA-Safeguards-Notifications in this account and Region (123456789012, us-east-1): this document sends only there. Nothing was sent.`,
        );
      });
    }
  });

  describe('ResourceType Auto (the default)', () => {
    it('finds the CacheCluster the rule judges NON_COMPLIANT under the ID and names that type in the message', async () => {
      // Arrange: the rule also fails a replication group of another ID; another rule fails this cluster too.
      const config = fakeConfig(
        [{ name: RULE }, { name: GENERATION_RULE }, { name: 'elasticache-engine-hipaa-eligible' }],
        [
          evaluation(GENERATION_RULE, 'Replication group billing-cache uses ...', GROUP, 'billing-cache'),
          evaluation(GENERATION_RULE, CLUSTER_ANNOTATION, CLUSTER, CACHE),
          evaluation('elasticache-engine-hipaa-eligible', 'Another rule.', CLUSTER, CACHE),
          evaluation(RULE, ANNOTATION),
        ],
      );
      // Act
      const result = await runAuto(config);
      // Assert
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal([
        'CheckTopicIsThePacks',
        'ResolveResourceType',
        'BranchOnResourceTypeFound',
        'ReadNonCompliantEvaluations',
        'SelectRuleEvaluation',
        'BranchOnStillNonCompliant',
        'PublishNotification',
      ]);
      expect(configCalls(result)).to.deep.equal([
        { api: 'DescribeConfigRules', params: {}, fromScript: true },
        { api: 'GetComplianceDetailsByConfigRule', params: { ConfigRuleName: GENERATION_RULE, ComplianceTypes: ['NON_COMPLIANT'], Limit: 100 }, fromScript: true },
        { api: 'GetComplianceDetailsByResource', params: { ResourceType: CLUSTER, ResourceId: CACHE, ComplianceTypes: ['NON_COMPLIANT'] }, fromScript: false },
      ]);
      const sent = await published();
      expect(sent).to.have.lengthOf(1);
      expect(sent[0]?.subject).to.equal(`HIPAA safeguards: ${GENERATION_RULE} needs a person`);
      const lines = (sent[0]?.message ?? '').split('\n');
      expect(lines.slice(0, 6)).to.deep.equal([
        `AWS Config rule ${GENERATION_RULE} judges a resource NON_COMPLIANT, and the HIPAA safeguards pack cannot fix it in place: a person must act.`,
        '',
        `Resource type: ${CLUSTER}`,
        `Resource ID: ${CACHE}`,
        'Account and Region: 123456789012 us-east-1',
        `Annotation: ${CLUSTER_ANNOTATION}`,
      ]);
      expect(result.documentOutputs).to.deep.equal({
        'ResolveResourceType.ResourceType': CLUSTER,
        'SelectRuleEvaluation.NonCompliant': true,
        'SelectRuleEvaluation.Annotation': CLUSTER_ANNOTATION,
        'PublishNotification.MessageId': sent[0]?.id,
      });
    });

    it('finds the rule a conformance pack deployed as <ConfigRuleName>-conformance-pack-<suffix>, and says that name', async () => {
      // Arrange: a rule whose name only starts like the wanted one fails a replication group of the same ID: not ours.
      const deployed = `${GENERATION_RULE}-conformance-pack-x7k2m9qa`;
      const config = fakeConfig(
        [{ name: `${GENERATION_RULE}-legacy` }, { name: deployed }],
        [evaluation(`${GENERATION_RULE}-legacy`, 'Not ours.', GROUP, CACHE), evaluation(deployed, CLUSTER_ANNOTATION, CLUSTER, CACHE)],
      );
      // Act: Auto given explicitly works as the default does.
      const result = await runAuto(config, { ResourceType: 'Auto' });
      // Assert
      expect(configCalls(result).filter((c) => c.api === 'GetComplianceDetailsByConfigRule').map((c) => c.params.ConfigRuleName)).to.deep.equal([deployed]);
      expect(result.outputs['ResolveResourceType.ResourceType']).to.equal(CLUSTER);
      expect(result.outputs['SelectRuleEvaluation.RuleName']).to.equal(deployed);
      const message = (await published())[0]?.message ?? '';
      expect(message).to.match(new RegExp(`^AWS Config rule ${deployed} judges`));
      expect(message).to.contain(`\nResource type: ${CLUSTER}\nResource ID: ${CACHE}\n`);
    });

    it('reads every page of the rule list and of the rule\'s NON_COMPLIANT evaluations', async () => {
      // Arrange: two items a page; the rule is on the second page of rules, the match on the third page of evaluations.
      const others = ['a-rule', 'b-rule', 'c-rule'].map((name) => ({ name }));
      const elsewhere = ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => evaluation(GENERATION_RULE, `Cache cluster ${id} ...`, CLUSTER, id));
      const config = fakeConfig([...others, { name: GENERATION_RULE }], [...elsewhere, evaluation(GENERATION_RULE, CLUSTER_ANNOTATION, CLUSTER, CACHE)], 2);
      // Act
      const result = await runAuto(config);
      // Assert
      const calls = configCalls(result);
      expect(calls.filter((c) => c.api === 'DescribeConfigRules').map((c) => c.params)).to.deep.equal([{}, { NextToken: '2' }]);
      expect(calls.filter((c) => c.api === 'GetComplianceDetailsByConfigRule').map((c) => c.params.NextToken)).to.deep.equal([undefined, '2', '4']);
      expect(result.outputs['ResolveResourceType.ResourceType']).to.equal(CLUSTER);
      const sent = await published();
      expect(sent).to.have.lengthOf(1);
      expect(sent[0]?.message).to.contain(`\nResource type: ${CLUSTER}\n`);
    });

    it('sends nothing when the rule judges no resource with that ID NON_COMPLIANT', async () => {
      // Arrange: the rule fails another cache; another rule fails this one.
      const config = fakeConfig(
        [{ name: GENERATION_RULE }, { name: 'elasticache-engine-hipaa-eligible' }],
        [evaluation(GENERATION_RULE, 'Cache cluster c9 ...', CLUSTER, 'c9'), evaluation('elasticache-engine-hipaa-eligible', 'Another rule.', CLUSTER, CACHE)],
      );
      // Act
      const result = await runAuto(config);
      // Assert
      expect(result.status).to.equal('Success');
      expect(result.stepPath).to.deep.equal(['CheckTopicIsThePacks', 'ResolveResourceType', 'BranchOnResourceTypeFound']);
      expect(result.calls.map((c) => c.api)).to.deep.equal(['DescribeConfigRules', 'GetComplianceDetailsByConfigRule']);
      expect(result.documentOutputs).to.deep.equal({ 'ResolveResourceType.ResourceType': '' });
      expect(await published()).to.deep.equal([]);
    });

    it('sends nothing when the rule is not deployed, or is being deleted', async () => {
      for (const rules of [[{ name: 'kinesis-stream-encrypted' }], [{ name: GENERATION_RULE, state: 'DELETING' }]]) {
        const result = await runAuto(fakeConfig(rules, [evaluation(GENERATION_RULE, CLUSTER_ANNOTATION, CLUSTER, CACHE)]));
        expect(result.status).to.equal('Success');
        expect(result.calls.map((c) => c.api)).to.deep.equal(['DescribeConfigRules']);
        expect(result.stepPath.at(-1)).to.equal('BranchOnResourceTypeFound');
      }
      expect(await published()).to.deep.equal([]);
    });

    it('names every type the rule judges NON_COMPLIANT under a shared ID, with the first one\'s annotation', async () => {
      // Arrange: a replication group and a standalone cache cluster may have the same ID; each starts its own remediation.
      const config = fakeConfig(
        [{ name: GENERATION_RULE }],
        [evaluation(GENERATION_RULE, GROUP_ANNOTATION, GROUP, CACHE), evaluation(GENERATION_RULE, CLUSTER_ANNOTATION, CLUSTER, CACHE)],
      );
      // Act
      const result = await runAuto(config);
      // Assert
      expect(result.calls.find((c) => c.api === 'GetComplianceDetailsByResource')?.params.ResourceType).to.equal(GROUP);
      expect(result.documentOutputs['ResolveResourceType.ResourceType']).to.equal(GROUP);
      const message = (await published())[0]?.message ?? '';
      expect(message).to.contain(`\nResource type: ${GROUP} (also NON_COMPLIANT under this ID: ${CLUSTER}; its annotation is in AWS Config)\nResource ID: ${CACHE}\n`);
      expect(message).to.contain(`\nAnnotation: ${GROUP_ANNOTATION}\n`);
    });

    it('fails at ResolveResourceType, naming the error, when the rules cannot be listed (never a silent no-op)', async () => {
      const denied: CallOverride = (c) => {
        if (c.api === 'DescribeConfigRules') throw Object.assign(new Error('User is not authorized to perform: config:DescribeConfigRules'), { name: 'AccessDeniedException' });
        return undefined;
      };
      const result = await runAuto(denied);
      expect(result.status).to.equal('Failed');
      expect(result.failure?.step).to.equal('ResolveResourceType');
      expect(result.failure?.message).to.contain('(AccessDeniedException) when calling the DescribeConfigRules operation');
      expect(await published()).to.deep.equal([]);
    });
  });
});
