import { readFileSync, readdirSync } from 'node:fs';
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
import { catalog, changeSourceRuleNames, deployedChangeSources, elastiCacheRuleNames } from '../../rules/catalog';
import { AwsClients, type ClientTarget } from '../../rules/runtime/clients';
import { ConfigurationError, MalformedEventError } from '../../rules/runtime/errors';
import { CHANGE_SOURCES, type ChangeSource } from '../../rules/triggers/change-sources';
import {
  ELASTICACHE_CHANGE_EVENT_NAMES,
  RULE_NAMES_VARIABLE,
  type ReevaluateOptions,
  changeEventPattern,
  changeEventSchema,
  changeInputTransformer,
  createReevaluateHandler,
  handler as exportedHandler,
  matchRuleNames,
  parseRuleNames,
  resolveRuleNames,
} from '../../rules/triggers/reevaluate-on-change';
import { REFERENCE_DIR } from '../helpers/fixtures';

const RULES = ['elasticache-encrypted-at-rest', 'elasticache-auth-enabled'];
const SERVED_ACCOUNTS = ['123456789012', '111111111111', '222222222222'];
const PACKED = ['elasticache-auth-enabled-conformance-pack-ab12cd34', 'elasticache-encrypted-at-rest-conformance-pack-ab12cd34'];
const ELASTICACHE = CHANGE_SOURCES.find((s) => s.id === 'elasticache');
if (!ELASTICACHE) throw new Error('CHANGE_SOURCES has no elasticache entry.');

/**
 * A second change source for tests only, so a mix of sources is exercised whatever CHANGE_SOURCES holds. It shares
 * an event name (ModifyUser) with ElastiCache: the source, not the name, decides which rules start.
 */
const WIDGETS: ChangeSource = {
  id: 'widgets',
  source: 'aws.widgets',
  eventSource: 'widgets.amazonaws.com',
  eventNames: ['CreateWidget', 'ModifyUser'],
  resourceTypes: ['AWS::Widgets::Widget'],
};
const SOURCES: readonly ChangeSource[] = [...CHANGE_SOURCES, WIDGETS];
const WIDGET_RULES = ['widget-encrypted', 'widget-auth-enabled'];
const WIDGET_PACKED = ['widget-auth-enabled-conformance-pack-ab12cd34', 'widget-encrypted-conformance-pack-ab12cd34'];

/** An EventBridge event for a CloudTrail-recorded call, as EventBridge delivers it to SQS (ElastiCache by default). */
function apiCall(o: { eventName?: string; account?: string; region?: string; time?: string; errorCode?: string; source?: ChangeSource; eventSource?: string } = {}) {
  const region = o.region ?? 'us-east-1';
  const source = o.source ?? ELASTICACHE;
  return {
    version: '0',
    id: '6f1a1b8e-3c2d-4e5f-8a9b-0c1d2e3f4a5b',
    'detail-type': 'AWS API Call via CloudTrail',
    source: source?.source,
    account: o.account ?? '123456789012',
    time: o.time ?? '2026-11-22T11:59:00Z',
    region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      eventTime: o.time ?? '2026-11-22T11:59:00Z',
      eventSource: o.eventSource ?? source?.eventSource,
      eventName: o.eventName ?? source?.eventNames[0],
      awsRegion: region,
      requestParameters: { replicationGroupId: 'phi-sessions', engine: 'redis' },
      ...(o.errorCode ? { errorCode: o.errorCode, errorMessage: 'denied' } : {}),
    },
  };
}

/** EventBridge's input transformation, as documented: each <variable> becomes the JSON value at its path. */
function transformed(original: ReturnType<typeof apiCall>): string {
  const at = (path: string): unknown => path.slice(2).split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], original);
  return changeInputTransformer.InputTemplate.replace(/<([A-Za-z]+)>/g, (_m, name: string) =>
    JSON.stringify(at((changeInputTransformer.InputPathsMap as Record<string, string>)[name] ?? '')),
  );
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
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:hipaa-safeguards-changes',
      awsRegion: 'us-east-1',
    })),
  };
}

const rule = (ConfigRuleName: string, state: ConfigRuleState = 'ACTIVE'): ConfigRule => ({
  ConfigRuleName,
  ConfigRuleState: state,
  Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: 'arn:aws:lambda:us-east-1:123456789012:function:hipaa-safeguards-rule' },
});

describe('triggers/reevaluate-on-change', () => {
  let config: ReturnType<typeof mockClient>;
  let logger: Logger;
  let targets: ClientTarget[];
  let now: Date;
  const make = (o: Partial<ReevaluateOptions> = {}) =>
    createReevaluateHandler({
      ruleNames: { elasticache: RULES },
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

  describe('change sources', () => {
    it('names each source, EventBridge source and CloudTrail eventSource once, and each event name once per source', () => {
      for (const key of ['id', 'source', 'eventSource'] as const) {
        const values = CHANGE_SOURCES.map((s) => s[key]);
        expect(new Set(values).size, key).to.equal(values.length);
      }
      for (const s of CHANGE_SOURCES) {
        expect(s.eventNames.length, s.id).to.be.above(0);
        expect(new Set(s.eventNames).size, s.id).to.equal(s.eventNames.length);
        expect(s.source, s.id).to.match(/^aws\.[a-z0-9-]+$/);
        expect(s.eventSource, s.id).to.match(/^[a-z0-9-]+\.amazonaws\.com$/);
        expect(s.resourceTypes.length, s.id).to.be.above(0);
      }
    });

    it('names only operations of each source\'s API model (botocore, by the eventSource\'s service name)', () => {
      const dir = join(REFERENCE_DIR, 'F-botocore-service-models');
      for (const s of CHANGE_SOURCES) {
        const service = s.eventSource.split('.')[0] ?? '';
        const file = readdirSync(dir).find((f) => f.startsWith(`${service}-`) && f.endsWith('.service-2.json'));
        if (!file) throw new Error(`No botocore model for ${s.id} (${service}-*.service-2.json) in ${dir}.`);
        const model = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { operations: Record<string, unknown> };
        for (const name of s.eventNames) expect(model.operations, `${s.id} ${name}`).to.have.property(name);
      }
    });

    it('narrows to safeguards of the catalog that judge one of the source\'s types', () => {
      for (const s of CHANGE_SOURCES) {
        for (const name of s.safeguards ?? []) {
          const found = catalog.find((g) => g.name === name);
          expect(found, `${s.id} names ${name}`).to.not.equal(undefined);
          expect(found?.resource.resourceTypes.some((t) => s.resourceTypes.includes(t)), `${s.id} names ${name}, which judges none of its types`).to.equal(true);
        }
      }
    });

    it('re-evaluates, per source, the catalog\'s safeguards of its types, narrowed to its safeguards when given', () => {
      expect(ELASTICACHE && changeSourceRuleNames(ELASTICACHE)).to.deep.equal([...elastiCacheRuleNames]);
      expect(elastiCacheRuleNames).to.have.length(6);
      const narrowed = { ...WIDGETS, resourceTypes: ELASTICACHE?.resourceTypes ?? [], safeguards: ['elasticache-auth-enabled'] };
      expect(changeSourceRuleNames(narrowed)).to.deep.equal(['elasticache-auth-enabled']);
      expect(changeSourceRuleNames(WIDGETS)).to.deep.equal([]);
      // A source without safeguards in the catalog is not deployed at all.
      expect(deployedChangeSources(catalog, SOURCES).map((d) => d.source.id)).to.not.include('widgets');
      expect(deployedChangeSources(catalog, SOURCES).map((d) => d.source.id)).to.include('elasticache');
      expect(exportedHandler).to.be.a('function');
    });
  });

  describe('event pattern', () => {
    it('matches, per source, its successful CloudTrail calls that change a verdict, by name', () => {
      for (const s of SOURCES) {
        expect(changeEventPattern(s), s.id).to.deep.equal({
          source: [s.source],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: { eventSource: [s.eventSource], eventName: [...s.eventNames], errorCode: [{ exists: false }] },
        });
      }
      expect(ELASTICACHE?.eventNames).to.deep.equal(ELASTICACHE_CHANGE_EVENT_NAMES);
      expect(ELASTICACHE_CHANGE_EVENT_NAMES).to.include.members(['CreateReplicationGroup', 'CreateCacheCluster', 'CreateServerlessCache', 'ModifyReplicationGroup', 'ModifyCacheCluster']);
    });
  });

  describe('rule names from the deployment', () => {
    it('reads the JSON object the deployment sets, by change source id', () => {
      const text = JSON.stringify({ elasticache: RULES, widgets: WIDGET_RULES });
      expect(parseRuleNames(text, SOURCES)).to.deep.equal({ elasticache: RULES, widgets: WIDGET_RULES });
    });

    it('refuses to run without rule names, or with a bad value, naming the variable and the field, keeping the messages', async () => {
      const expected = `Expected a JSON object of change source id (${SOURCES.map((s) => s.id).join(', ')}) to Config rule names, as the deployment sets it.`;
      const cases: { value: string | undefined; message: string }[] = [
        { value: undefined, message: `No rule names to start: set ${RULE_NAMES_VARIABLE} to a JSON object of change source id (${SOURCES.map((s) => s.id).join(', ')}) to Config rule names, as the deployment sets it.` },
        { value: '', message: `No rule names to start: set ${RULE_NAMES_VARIABLE} to a JSON object of change source id (${SOURCES.map((s) => s.id).join(', ')}) to Config rule names, as the deployment sets it.` },
        { value: 'elasticache-auth-enabled,elasticache-encrypted-at-rest', message: `Invalid ${RULE_NAMES_VARIABLE}: ${RULE_NAMES_VARIABLE}: expected a JSON string. ${expected}` },
        { value: '{}', message: `Invalid ${RULE_NAMES_VARIABLE}: ${RULE_NAMES_VARIABLE}: expected at least one change source. ${expected}` },
        { value: '{"elasticache":[]}', message: `Invalid ${RULE_NAMES_VARIABLE}: ${RULE_NAMES_VARIABLE}.elasticache: expected at least one rule name. ${expected}` },
        { value: '{"s3":["x"]}', message: `Invalid ${RULE_NAMES_VARIABLE}: ${RULE_NAMES_VARIABLE}.s3: unknown change source; expected one of ${SOURCES.map((s) => `"${s.id}"`).join(', ')}. ${expected}` },
      ];
      for (const c of cases) {
        const err = await createReevaluateHandler({ sources: SOURCES, ...(c.value !== undefined ? { ruleNames: c.value } : {}), servedAccounts: SERVED_ACCOUNTS, servedRegions: ['us-east-1'] })({ Records: [] }).catch((e: unknown) => e);
        expect(err, String(c.value)).to.be.instanceOf(ConfigurationError);
        expect((err as Error).message, String(c.value)).to.equal(c.message);
      }
    });

    it('refuses to run without the accounts and regions it serves, keeping the messages for redelivery', async () => {
      for (const o of [{}, { servedAccounts: ['123456789012'] }, { servedRegions: ['us-east-1'] }]) {
        const err = await createReevaluateHandler({ ruleNames: { elasticache: RULES }, ...o })({ Records: [] }).catch((e: unknown) => e);
        expect((err as Error).message, JSON.stringify(o)).to.equal('No served accounts or regions: set SERVED_ACCOUNTS and SERVED_REGIONS, as the deployment does.');
      }
    });

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
      expect(matchRuleNames([...plain, ...WIDGET_PACKED], ['elasticache-auth-enabled'])).to.deep.equal(['elasticache-auth-enabled']);
    });
  });

  describe('handler, across change sources', () => {
    // Every entry with its own rules: the catalog's for the real entries, made-up ones for the test-only source.
    const ruleNamesOf = (s: ChangeSource) => (s.id === WIDGETS.id ? WIDGET_RULES : changeSourceRuleNames(s));
    const allRuleNames = () => Object.fromEntries(SOURCES.filter((s) => ruleNamesOf(s).length > 0).map((s) => [s.id, ruleNamesOf(s)]));
    const packed = (names: readonly string[]) => names.map((n) => `${n}-conformance-pack-ab12cd34`).sort();
    const makeAll = (o: Partial<ReevaluateOptions> = {}) => make({ sources: SOURCES, ruleNames: allRuleNames(), ...o });
    beforeEach(() => {
      config.on(DescribeConfigRulesCommand).resolves({ ConfigRules: [...packed(SOURCES.flatMap(ruleNamesOf)).map((n) => rule(n)), rule('s3-bucket-versioning-enabled')] });
    });

    for (const source of SOURCES) {
      for (const eventName of source.eventNames) {
        it(`starts exactly the ${source.id} rules after ${eventName}, from what the input transformer sends`, async () => {
          // Arrange
          const body = transformed(apiCall({ source, eventName, account: '222222222222', region: 'eu-west-1' }));
          // Act
          const out = await makeAll()(sqsEvent([body]));
          // Assert
          expect(out.batchItemFailures).to.deep.equal([]);
          const expected = packed([...new Set(ruleNamesOf(source))]);
          expect(startedNames()).to.deep.equal(expected.length > 0 ? [expected] : []);
          expect(targets.map((t) => [t.accountId, t.region])).to.deep.equal([['222222222222', 'eu-west-1']]);
        });
      }
    }

    it('fails, naming the field, an event whose eventSource belongs to another source than its source', async () => {
      // Arrange: every ordered pair of distinct sources
      const error = sinon.spy(logger, 'error');
      const pairs = SOURCES.flatMap((a) => SOURCES.filter((b) => b !== a).map((b) => [a, b] as const));
      const event = sqsEvent(pairs.map(([a, b]) => apiCall({ source: a, eventSource: b.eventSource })));
      // Act
      const out = await makeAll()(event);
      // Assert
      expect(out.batchItemFailures.map((f) => f.itemIdentifier)).to.deep.equal(event.Records.map((r) => r.messageId));
      expect(error.getCalls().map((c) => (c.args[1] as Error).message)).to.deep.equal(
        pairs.map(
          ([a, b], i) =>
            `Malformed change message ${event.Records[i]?.messageId}: Records[${i}].body.detail.eventSource: expected "${a.eventSource}" (the eventSource of ${a.source}), got "${b.eventSource}".`,
        ),
      );
      expect(config.calls()).to.have.length(0);
    });

    it('fails, naming the field, an event whose name its source does not list, even when another source lists it', async () => {
      const error = sinon.spy(logger, 'error');
      const event = sqsEvent([apiCall({ source: WIDGETS, eventName: 'CreateReplicationGroup' }), apiCall({ eventName: 'DescribeCacheClusters' })]);
      const out = await makeAll()(event);
      expect(out.batchItemFailures.map((f) => f.itemIdentifier)).to.deep.equal(event.Records.map((r) => r.messageId));
      expect((error.firstCall.args[1] as Error).message).to.equal(
        `Malformed change message ${event.Records[0]?.messageId}: Records[0].body.detail.eventName: expected one of the widgets change events (CreateWidget, ModifyUser), got "CreateReplicationGroup".`,
      );
      expect((error.secondCall.args[1] as Error).message).to.match(/Records\[1\]\.body\.detail\.eventName: expected one of the elasticache change events \(CreateReplicationGroup, .*\), got "DescribeCacheClusters"\.$/);
      expect(config.calls()).to.have.length(0);
    });

    it('starts, for a batch mixing two sources in one account and region, the union of their rules once; elsewhere only the source seen there', async () => {
      // Arrange: ElastiCache and widgets in account 1; widgets only (the shared ModifyUser name) in account 2
      const event = sqsEvent([
        apiCall({ account: '111111111111' }),
        apiCall({ account: '111111111111', source: WIDGETS, eventName: 'CreateWidget' }),
        apiCall({ account: '111111111111', eventName: 'ModifyUser' }),
        apiCall({ account: '222222222222', source: WIDGETS, eventName: 'ModifyUser' }),
      ]);
      // Act
      const out = await makeAll()(event);
      // Assert
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(targets.map((t) => t.accountId)).to.deep.equal(['111111111111', '222222222222']);
      expect(startedNames()).to.deep.equal([packed([...elastiCacheRuleNames, ...WIDGET_RULES]), WIDGET_PACKED]);
    });

    it('acknowledges, with a warning, an event of a source the deployment has no rules for', async () => {
      const warn = sinon.spy(logger, 'warn');
      const out = await make({ sources: SOURCES })(sqsEvent([apiCall({ source: WIDGETS })]));
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(config.calls()).to.have.length(0);
      expect(warn.firstCall.args[0]).to.equal('Event of a change source this deployment has no rules for; ignored');
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

    it('acknowledges the messages, with a warning, when no rule of the change source is deployed there', async () => {
      config.on(DescribeConfigRulesCommand).resolves({ ConfigRules: [rule('s3-bucket-versioning-enabled')] });
      const warn = sinon.spy(logger, 'warn');
      const out = await make()(sqsEvent([apiCall()]));
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(startedNames()).to.deep.equal([]);
      expect(warn.firstCall.args[0]).to.equal('No rule of these change sources is deployed in this account and region; nothing to evaluate');
      expect(warn.firstCall.args[1]).to.deep.include({ sources: ['elasticache'], expected: RULES });
    });

    it('ignores failed calls, without calling Config', async () => {
      const out = await make()(sqsEvent([apiCall({ errorCode: 'AccessDenied' }), apiCall({ eventName: 'ModifyReplicationGroup', errorCode: 'InvalidParameterCombination' })]));
      expect(out.batchItemFailures).to.deep.equal([]);
      expect(config.calls()).to.have.length(0);
    });

    it('fails a message that is not a CloudTrail event of a change source, naming the field, and processes the rest', async () => {
      // Arrange
      const error = sinon.spy(logger, 'error');
      const event = sqsEvent(['not json', { ...apiCall(), source: 'aws.s3' }, apiCall()]);
      // Act
      const out = await make()(event);
      // Assert
      expect(out.batchItemFailures.map((f) => f.itemIdentifier)).to.deep.equal([event.Records[0]?.messageId, event.Records[1]?.messageId]);
      const messages = error.getCalls().map((c) => (c.args[1] as Error).message);
      expect(messages).to.deep.equal([
        `Malformed change message ${event.Records[0]?.messageId}: Records[0].body: expected a JSON string.`,
        `Malformed change message ${event.Records[1]?.messageId}: Records[1].body.source: expected one of ${CHANGE_SOURCES.map((c) => `"${c.source}"`).join(', ')}, got "aws.s3".`,
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
      const sent = JSON.parse(changeInputTransformer.InputTemplate.replace(/<[A-Za-z]+>/g, '"x"')) as { detail: object };
      const { detail: detailSchema, ...top } = changeEventSchema().shape;
      const { detail, ...sentTop } = sent;
      expect(Object.keys(sentTop).sort()).to.deep.equal(Object.keys(top).sort());
      // errorCode is optional in the schema: the rule's pattern already keeps only calls without one.
      expect(Object.keys(detail).sort()).to.deep.equal(Object.keys(detailSchema.shape).filter((k) => k !== 'errorCode').sort());
    });

    it('reads exactly what the rule\'s input transformer sends: the transformed event parses, and holds no request detail', async () => {
      // Arrange
      const original = apiCall({ account: '222222222222', region: 'eu-west-1', eventName: 'ModifyReplicationGroup' });
      const body = transformed(original);
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
