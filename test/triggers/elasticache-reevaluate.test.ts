import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConfigRule,
  type ConfigRuleState,
  ConfigServiceClient,
  DescribeConfigRulesCommand,
  LimitExceededException,
  NoSuchConfigRuleException,
  StartConfigRulesEvaluationCommand,
} from '@aws-sdk/client-config-service';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import sinon from 'sinon';
import { catalog, elastiCacheRuleNames } from '../../rules/catalog';
import { AwsClients, type ClientTarget } from '../../rules/runtime/clients';
import { MalformedEventError } from '../../rules/runtime/errors';
import {
  ELASTICACHE_CHANGE_EVENT_NAMES,
  type ReevaluateOptions,
  createReevaluateHandler,
  elastiCacheChangeEventPattern,
  ElastiCacheApiCallEventSchema,
  elastiCacheChangeInputTransformer,
  handler as exportedHandler,
  resolveRuleNames,
} from '../../rules/triggers/elasticache-reevaluate';
import { REFERENCE_DIR } from '../helpers/fixtures';

const RULES = ['elasticache-encrypted-at-rest', 'elasticache-auth-enabled'];
const SERVED_ACCOUNTS = ['123456789012', '111111111111', '222222222222'];
const PACKED = ['elasticache-auth-enabled-conformance-pack-ab12cd34', 'elasticache-encrypted-at-rest-conformance-pack-ab12cd34'];

/** An EventBridge event for a CloudTrail-recorded ElastiCache call, as EventBridge delivers it to SQS. */
function apiCall(o: { eventName?: string; account?: string; region?: string; time?: string; errorCode?: string } = {}) {
  const region = o.region ?? 'us-east-1';
  return {
    version: '0',
    id: '6f1a1b8e-3c2d-4e5f-8a9b-0c1d2e3f4a5b',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.elasticache',
    account: o.account ?? '123456789012',
    time: o.time ?? '2026-11-22T11:59:00Z',
    region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      eventTime: o.time ?? '2026-11-22T11:59:00Z',
      eventSource: 'elasticache.amazonaws.com',
      eventName: o.eventName ?? 'CreateReplicationGroup',
      awsRegion: region,
      requestParameters: { replicationGroupId: 'phi-sessions', engine: 'redis' },
      ...(o.errorCode ? { errorCode: o.errorCode, errorMessage: 'denied' } : {}),
    },
  };
}

let seq = 0;
/** An SQS event (Lambda event source mapping) whose message bodies are the given events. */
function sqsEvent(bodies: unknown[]) {
  return {
    Records: bodies.map((b) => ({
      messageId: `msg-${++seq}`,
      receiptHandle: 'AQEB...',
      body: typeof b === 'string' ? b : JSON.stringify(b),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1795348740000' },
      messageAttributes: {},
      md5OfBody: '0',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:hipaa-safeguards-elasticache-changes',
      awsRegion: 'us-east-1',
    })),
  };
}

const rule = (ConfigRuleName: string, state: ConfigRuleState = 'ACTIVE'): ConfigRule => ({
  ConfigRuleName,
  ConfigRuleState: state,
  Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: 'arn:aws:lambda:us-east-1:123456789012:function:hipaa-safeguards-rule' },
});

describe('triggers/elasticache-reevaluate', () => {
  let config: ReturnType<typeof mockClient>;
  let logger: Logger;
  let targets: ClientTarget[];
  let now: Date;
  const make = (o: Partial<ReevaluateOptions> = {}) =>
    createReevaluateHandler({
      ruleNames: RULES,
      servedAccounts: SERVED_ACCOUNTS,
      servedRegions: ['us-east-1', 'eu-west-1'],
      logger,
      clock: () => now,
      clients: (t) => {
        targets.push(t);
        return new AwsClients(t);
      },
      ...o,
    });
  const startedNames = () => config.commandCalls(StartConfigRulesEvaluationCommand).map((c) => c.args[0].input.ConfigRuleNames);

  beforeEach(() => {
    config = mockClient(ConfigServiceClient);
    config.on(DescribeConfigRulesCommand).resolves({ ConfigRules: [rule(PACKED[1] ?? ''), rule(PACKED[0] ?? ''), rule('s3-bucket-versioning-enabled')] });
    config.on(StartConfigRulesEvaluationCommand).resolves({});
    logger = new Logger({ logLevel: 'SILENT' });
    targets = [];
    now = new Date('2026-11-22T12:00:00Z');
  });
  afterEach(() => {
    config.restore();
    sinon.restore();
  });

  describe('event pattern', () => {
    it('matches successful ElastiCache CloudTrail calls that change a verdict, by name', () => {
      expect(elastiCacheChangeEventPattern).to.deep.equal({
        source: ['aws.elasticache'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['elasticache.amazonaws.com'],
          eventName: [...ELASTICACHE_CHANGE_EVENT_NAMES],
          errorCode: [{ exists: false }],
        },
      });
      expect(ELASTICACHE_CHANGE_EVENT_NAMES).to.include.members(['CreateReplicationGroup', 'CreateCacheCluster', 'CreateServerlessCache', 'ModifyReplicationGroup', 'ModifyCacheCluster']);
    });

    it('names only operations of the ElastiCache API model', () => {
      const model = JSON.parse(readFileSync(join(REFERENCE_DIR, 'F-botocore-service-models', 'elasticache-2015-02-02.service-2.json'), 'utf8')) as { operations: Record<string, unknown> };
      for (const name of ELASTICACHE_CHANGE_EVENT_NAMES) expect(model.operations, name).to.have.property(name);
    });

    it('re-evaluates the ElastiCache safeguards of the catalog, and exports the Lambda handler', () => {
      const expected = catalog.filter((s) => s.resource.resourceTypes.some((t) => t.startsWith('AWS::ElastiCache::'))).map((s) => s.name);
      expect(elastiCacheRuleNames).to.deep.equal(expected);
      expect(expected).to.have.length(6);
      expect(exportedHandler).to.be.a('function');
    });

    it('refuses to run without rule names, keeping the messages for redelivery', async () => {
      const err = await createReevaluateHandler({ ruleNames: [] })({ Records: [] }).catch((e: unknown) => e);
      expect((err as Error).message).to.equal('No ElastiCache rule names to start: set ELASTICACHE_RULE_NAMES (comma-separated), as the deployment does.');
    });

    it('refuses to run without the accounts and regions it serves, keeping the messages for redelivery', async () => {
      for (const o of [{}, { servedAccounts: ['123456789012'] }, { servedRegions: ['us-east-1'] }]) {
        const err = await createReevaluateHandler({ ruleNames: RULES, ...o })({ Records: [] }).catch((e: unknown) => e);
        expect((err as Error).message, JSON.stringify(o)).to.equal('No served accounts or regions: set SERVED_ACCOUNTS and SERVED_REGIONS, as the deployment does.');
      }
    });
  });

  describe('rule names', () => {
    it('finds the deployed names: as given, renamed by a conformance pack, with a prefix; only active rules', async () => {
      // Arrange
      config.on(DescribeConfigRulesCommand).resolvesOnce({
        ConfigRules: [rule('elasticache-auth-enabled'), rule('elasticache-encrypted-at-rest-conformance-pack-x1y2z3w4'), rule('elasticache-auth-enabled-extra')],
        NextToken: 'p2',
      }).resolves({ ConfigRules: [rule('org-elasticache-auth-enabled'), rule('elasticache-encrypted-at-rest', 'DELETING')] });
      const client = new ConfigServiceClient({ region: 'us-east-1' });
      // Act
      const plain = await resolveRuleNames(client, RULES);
      const prefixed = await resolveRuleNames(client, RULES, 'org-');
      // Assert
      expect(plain).to.deep.equal(['elasticache-auth-enabled', 'elasticache-encrypted-at-rest-conformance-pack-x1y2z3w4']);
      expect(prefixed).to.deep.equal(['org-elasticache-auth-enabled']);
    });
  });

  describe('handler', () => {
    it('coalesces a burst of changes into one StartConfigRulesEvaluation per account and region', async () => {
      // Arrange
      const event = sqsEvent([apiCall(), apiCall({ eventName: 'ModifyReplicationGroup' }), apiCall({ eventName: 'CreateCacheCluster' }), apiCall({ eventName: 'CreateServerlessCache' })]);
      // Act
      const out = await make()(event);
      // Assert
      expect(out).to.deep.equal({ batchItemFailures: [] });
      expect(startedNames()).to.deep.equal([PACKED]);
      expect(config.commandCalls(DescribeConfigRulesCommand)).to.have.length(1);
    });

    it('starts the rules in each account and region, assuming the execution role in the account of the event', async () => {
      const event = sqsEvent([apiCall({ account: '111111111111' }), apiCall({ account: '222222222222', region: 'eu-west-1' }), apiCall({ account: '111111111111' })]);
      const out = await make({ executionRoleName: 'HIPAA-Safeguards-Evaluation' })(event);
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(startedNames()).to.have.length(2);
      expect(targets).to.deep.equal([
        { region: 'us-east-1', partition: 'aws', accountId: '111111111111', roleName: 'HIPAA-Safeguards-Evaluation' },
        { region: 'eu-west-1', partition: 'aws', accountId: '222222222222', roleName: 'HIPAA-Safeguards-Evaluation' },
      ]);
    });

    it('starts the rules one by one when Config refuses a call naming several, so one busy rule does not hold the others', async () => {
      // Arrange: Config refuses only the first call (both rules of account 1)
      const busy = new LimitExceededException({ message: 'An evaluation is already in progress.', $metadata: {} });
      let calls = 0;
      config.on(StartConfigRulesEvaluationCommand).callsFake(() => {
        calls++;
        if (calls === 1) throw busy;
        return {};
      });
      const event = sqsEvent([apiCall({ account: '111111111111' }), apiCall({ account: '222222222222' })]);
      // Act
      const out = await make()(event);
      // Assert
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(startedNames()).to.deep.equal([PACKED, [PACKED[0]], [PACKED[1]], PACKED]);
    });

    it('returns the messages of a busy account as batch item failures, and starts only the busy rule when SQS delivers them again', async () => {
      // Arrange: the auth rule is evaluating; the other rule is free
      config.on(StartConfigRulesEvaluationCommand).callsFake((input: { ConfigRuleNames: string[] }) => {
        if (input.ConfigRuleNames.includes(PACKED[0] ?? '')) throw new LimitExceededException({ message: 'busy', $metadata: {} });
        return {};
      });
      const handler = make();
      const first = sqsEvent([apiCall({ account: '111111111111' }), apiCall({ account: '222222222222' })]);
      const busyMessage = first.Records[0]?.messageId ?? '';
      // Act 1
      const out1 = await handler(first);
      // Assert 1
      expect(out1.batchItemFailures).to.deep.equal([{ itemIdentifier: busyMessage }, { itemIdentifier: first.Records[1]?.messageId }]);
      // Act 2: the evaluation finished; SQS delivers both messages again a minute later
      config.on(StartConfigRulesEvaluationCommand).resolves({});
      config.resetHistory();
      now = new Date('2026-11-22T12:02:00Z');
      const out2 = await handler({ Records: first.Records });
      // Assert 2: rules started after the change are not started again
      expect(out2.batchItemFailures).to.deep.equal([]);
      expect(startedNames()).to.deep.equal([[PACKED[0]], [PACKED[0]]]);
    });

    it('keeps the message when the evaluation cannot start for another reason (throttled past retries)', async () => {
      config.on(StartConfigRulesEvaluationCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      const event = sqsEvent([apiCall()]);
      const out = await make()(event);
      expect(out.batchItemFailures).to.deep.equal([{ itemIdentifier: event.Records[0]?.messageId }]);
    });

    it('resolves the rule names again after Config says a rule no longer exists', async () => {
      config.on(StartConfigRulesEvaluationCommand).rejectsOnce(new NoSuchConfigRuleException({ message: 'gone', $metadata: {} })).resolves({});
      const handler = make();
      const event = sqsEvent([apiCall()]);
      expect((await handler(event)).batchItemFailures).to.have.length(1);
      expect((await handler(event)).batchItemFailures).to.have.length(0);
      expect(config.commandCalls(DescribeConfigRulesCommand)).to.have.length(2);
    });

    it('reads the deployed rule names once per account and region while they are fresh', async () => {
      const handler = make();
      await handler(sqsEvent([apiCall({ time: '2026-11-22T11:59:00Z' })]));
      now = new Date('2026-11-22T12:03:00Z');
      await handler(sqsEvent([apiCall({ time: '2026-11-22T12:02:30Z' })]));
      now = new Date('2026-11-22T12:10:00Z');
      await handler(sqsEvent([apiCall({ time: '2026-11-22T12:09:30Z' })]));
      expect(config.commandCalls(DescribeConfigRulesCommand)).to.have.length(2);
      expect(startedNames()).to.have.length(3);
    });

    it('acknowledges the messages, with a warning, when no ElastiCache rule is deployed there', async () => {
      config.on(DescribeConfigRulesCommand).resolves({ ConfigRules: [rule('s3-bucket-versioning-enabled')] });
      const warn = sinon.spy(logger, 'warn');
      const out = await make()(sqsEvent([apiCall()]));
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(startedNames()).to.deep.equal([]);
      expect(warn.firstCall.args[0]).to.equal('No ElastiCache rule is deployed in this account and region; nothing to evaluate');
    });

    it('ignores failed calls and events it does not know, without calling Config', async () => {
      const out = await make()(sqsEvent([apiCall({ errorCode: 'AccessDenied' }), apiCall({ eventName: 'DescribeCacheClusters' })]));
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(config.calls()).to.have.length(0);
    });

    it('fails a message that is not an ElastiCache CloudTrail event, naming the field, and processes the rest', async () => {
      // Arrange
      const error = sinon.spy(logger, 'error');
      const event = sqsEvent(['not json', { ...apiCall(), source: 'aws.s3' }, apiCall()]);
      // Act
      const out = await make()(event);
      // Assert
      expect(out.batchItemFailures.map((f) => f.itemIdentifier)).to.deep.equal([event.Records[0]?.messageId, event.Records[1]?.messageId]);
      const messages = error.getCalls().map((c) => (c.args[1] as Error).message);
      expect(messages).to.deep.equal([
        `Malformed ElastiCache change message ${event.Records[0]?.messageId}: Records[0].body: expected a JSON string.`,
        `Malformed ElastiCache change message ${event.Records[1]?.messageId}: Records[1].body.source: Invalid input: expected "aws.elasticache".`,
      ]);
      expect(startedNames()).to.deep.equal([PACKED]);
    });

    it('rejects, without calling Config, events of an account or a region the deployment does not serve, and serves the rest', async () => {
      // Arrange
      const error = sinon.spy(logger, 'error');
      const event = sqsEvent([apiCall({ account: '333333333333' }), apiCall({ region: 'ap-southeast-2' }), apiCall({ account: '111111111111' })]);
      // Act
      const out = await make()(event);
      // Assert: acknowledged (nothing to retry), logged, and only the served account started
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(error.getCalls().map((c) => [c.args[0], (c.args[1] as { account: string; region: string }).account, (c.args[1] as { region: string }).region])).to.deep.equal([
        ['Event rejected: account or region not served by this deployment', '333333333333', 'us-east-1'],
        ['Event rejected: account or region not served by this deployment', '123456789012', 'ap-southeast-2'],
      ]);
      expect(targets.map((t) => [t.accountId, t.region])).to.deep.equal([['111111111111', 'us-east-1']]);
      expect(startedNames()).to.deep.equal([PACKED]);
    });

    it('keeps the parser and the input transformer in step: every field the schema reads is sent, nothing else', () => {
      const sent = JSON.parse(elastiCacheChangeInputTransformer.InputTemplate.replace(/<[A-Za-z]+>/g, '"x"')) as { detail: object };
      const { detail: detailSchema, ...top } = ElastiCacheApiCallEventSchema.shape;
      const { detail, ...sentTop } = sent;
      expect(Object.keys(sentTop).sort()).to.deep.equal(Object.keys(top).sort());
      // errorCode is optional in the schema: the rule's pattern already keeps only calls without one.
      expect(Object.keys(detail).sort()).to.deep.equal(Object.keys(detailSchema.shape).filter((k) => k !== 'errorCode').sort());
    });

    it('reads exactly what the rule\'s input transformer sends: the transformed event parses, and holds no request detail', async () => {
      // Arrange: EventBridge's transformation, as documented: each <variable> becomes the JSON value at its path.
      const original = apiCall({ account: '222222222222', region: 'eu-west-1', eventName: 'ModifyReplicationGroup' });
      const at = (path: string): unknown => path.slice(2).split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], original);
      const body = elastiCacheChangeInputTransformer.InputTemplate.replace(/<([A-Za-z]+)>/g, (_m, name: string) =>
        JSON.stringify(at((elastiCacheChangeInputTransformer.InputPathsMap as Record<string, string>)[name] ?? '')),
      );
      // Act
      const out = await make()(sqsEvent([body]));
      // Assert
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(targets.map((t) => [t.accountId, t.region])).to.deep.equal([['222222222222', 'eu-west-1']]);
      expect(JSON.parse(body)).to.deep.equal({
        id: original.id,
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.elasticache',
        account: '222222222222',
        time: original.time,
        region: 'eu-west-1',
        detail: { eventSource: 'elasticache.amazonaws.com', eventName: 'ModifyReplicationGroup' },
      });
    });

    it('throws a clear error for an event that is not an SQS batch', async () => {
      const err = await make()({ detail: apiCall().detail }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(MalformedEventError);
      expect((err as Error).message).to.equal('Malformed SQS event: event.Records: Invalid input: expected array, received undefined.');
    });
  });
});
