import {
  ConfigServiceClient,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { AddTagsToStreamCommand, CreateStreamCommand, KinesisClient, StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { CreateStreamCommand as CreateVideoStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import sinon from 'sinon';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { kinesisVideoStreamCustomerKey } from '../../rules/kinesis-video-stream-customer-key';
import { AwsClients } from '../../rules/runtime/clients';
import { ITEMS_PER_PAGE, recordingOf, selectExpression } from '../../rules/runtime/config-source';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import { type ListingNote, type NormalizedResource, type Safeguard, UnreadableResource, describeListingNote } from '../../rules/runtime/safeguard';
import { scan } from '../../scripts/lib/scan';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy';
import { ACCOUNT, REGION } from '../helpers/fixtures';
import { interceptClient } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';

const EXEMPT = 'hipaa-safeguards:exempt';
const NOW = new Date('2026-12-01T12:00:00Z');
const clientConfig = (endpoint: string) => ({ region: REGION, endpoint, maxAttempts: 1, requestHandler: new NodeHttpHandler() });

async function listAll<R extends NormalizedResource>(safeguard: Safeguard<R>, clients: AwsClients, notes: ListingNote[]): Promise<R[]> {
  const out: R[] = [];
  for (const lister of safeguard.resource.listers) {
    for await (const r of lister.list(clients, { preferConfig: true, onNote: (n) => notes.push(n) })) {
      if (r instanceof UnreadableResource) throw r.error;
      out.push(r);
    }
  }
  return out;
}

describe('runtime/config-source (periodic runs from what AWS Config recorded)', () => {
  afterEach(() => sinon.restore());

  describe('recordingOf: decided from the recorder, not assumed (mocked: moto keeps no recording strategy or mode)', () => {
    const clients = new AwsClients({ region: REGION });
    let config: ReturnType<typeof mockClient>;
    beforeEach(() => {
      config = mockClient(ConfigServiceClient);
      config.on(DescribeConfigurationRecorderStatusCommand).resolves({ ConfigurationRecordersStatus: [{ name: 'default', recording: true }] });
    });
    afterEach(() => config.restore());

    // Shapes from botocore's config/2014-11-12 model (ConfigurationRecorder, RecordingGroup, RecordingMode).
    const cases: { name: string; recorder: Record<string, unknown>; recording?: boolean; expected: unknown }[] = [
      { name: 'all supported types', recorder: { recordingGroup: { allSupported: true } }, expected: { recorded: true, recorder: 'default' } },
      { name: 'no recording group (the default: all supported)', recorder: {}, expected: { recorded: true, recorder: 'default' } },
      { name: 'the type listed', recorder: { recordingGroup: { allSupported: false, resourceTypes: ['AWS::Kinesis::Stream'] } }, expected: { recorded: true, recorder: 'default' } },
      {
        name: 'other types listed',
        recorder: { recordingGroup: { allSupported: false, resourceTypes: ['AWS::S3::Bucket'] } },
        expected: { recorded: false, reason: 'recorder default does not record AWS::Kinesis::Stream' },
      },
      {
        name: 'the type excluded',
        recorder: { recordingGroup: { allSupported: false, exclusionByResourceTypes: { resourceTypes: ['AWS::Kinesis::Stream'] }, recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' } } },
        expected: { recorded: false, reason: 'recorder default does not record AWS::Kinesis::Stream' },
      },
      {
        name: 'recorded daily for this type',
        recorder: { recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [{ resourceTypes: ['AWS::Kinesis::Stream'], recordingFrequency: 'DAILY' }] } },
        expected: { recorded: false, reason: 'recorder default records AWS::Kinesis::Stream daily, so its items may be out of date' },
      },
      { name: 'a stopped recorder', recorder: {}, recording: false, expected: { recorded: false, reason: 'recorder default is not recording' } },
    ];
    for (const c of cases) {
      it(`${c.name}: ${JSON.stringify(c.expected)}`, async () => {
        config.on(DescribeConfigurationRecordersCommand).resolves({ ConfigurationRecorders: [{ name: 'default', ...c.recorder }] });
        if (c.recording === false) config.on(DescribeConfigurationRecorderStatusCommand).resolves({ ConfigurationRecordersStatus: [{ name: 'default', recording: false }] });
        expect(await recordingOf(clients, 'AWS::Kinesis::Stream')).to.deep.equal(c.expected);
      });
    }

    it('uses the API when the recorder cannot be read (AccessDenied), saying why', async () => {
      config.on(DescribeConfigurationRecordersCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
      const r = await recordingOf(clients, 'AWS::Kinesis::Stream');
      expect(r).to.deep.equal({ recorded: false, reason: 'reading the configuration recorder refused (AccessDeniedException: not authorized)' });
    });

    it('queries one type with SELECT *, which returns the configuration and the tags', () => {
      expect(selectExpression('AWS::Kinesis::Stream')).to.equal("SELECT * WHERE resourceType = 'AWS::Kinesis::Stream'");
      expect(() => selectExpression("AWS::Kinesis::Stream' OR 1=1")).to.throw('is not a resource type');
    });
  });

  describe('on moto (recorder: moto; SelectResourceConfig: faked, as moto answers it only with results set in-process)', function () {
    this.timeout(60_000);
    let endpoint: string;
    let proxy: CountingProxy;
    let clients: AwsClients;
    beforeEach(async () => {
      endpoint = (await useMoto()).endpoint;
      proxy = await startCountingProxy(endpoint);
      clients = new AwsClients({ region: REGION, endpoint: proxy.endpoint, maxAttempts: 1 });
    });
    afterEach(() => proxy.close());

    async function startRecorder(): Promise<void> {
      const config = new ConfigServiceClient(clientConfig(endpoint));
      await config.send(new PutConfigurationRecorderCommand({ ConfigurationRecorder: { name: 'default', roleARN: `arn:aws:iam::${ACCOUNT}:role/config`, recordingGroup: { allSupported: true } } }));
      await config.send(new PutDeliveryChannelCommand({ DeliveryChannel: { name: 'default', s3BucketName: 'config-bucket' } }));
      await config.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    }

    /** Seeds three streams in moto, and returns the advanced-query rows AWS Config would hold for them. */
    async function seedStreams(): Promise<string[]> {
      const kinesis = new KinesisClient(clientConfig(endpoint));
      const key = (await new KMSClient(clientConfig(endpoint)).send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? '';
      const rows: string[] = [];
      const streams: { name: string; encryption?: string; tags: Record<string, string> }[] = [
        { name: 'plain', tags: {} },
        { name: 'encrypted', encryption: key, tags: { team: 'ward' } },
        { name: 'exempt', tags: { [EXEMPT]: 'CHG-3' } },
      ];
      for (const s of streams) {
        await kinesis.send(new CreateStreamCommand({ StreamName: s.name, ShardCount: 1 }));
        if (s.encryption) await kinesis.send(new StartStreamEncryptionCommand({ StreamName: s.name, EncryptionType: 'KMS', KeyId: s.encryption }));
        if (Object.keys(s.tags).length > 0) await kinesis.send(new AddTagsToStreamCommand({ StreamName: s.name, Tags: s.tags }));
        const arn = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${s.name}`;
        rows.push(
          JSON.stringify({
            resourceId: s.name,
            resourceName: s.name,
            resourceType: 'AWS::Kinesis::Stream',
            arn,
            accountId: ACCOUNT,
            awsRegion: REGION,
            configurationItemStatus: 'OK',
            configurationItemCaptureTime: '2026-12-01T11:00:00.000Z',
            configuration: { Name: s.name, Arn: arn, ...(s.encryption ? { StreamEncryption: { EncryptionType: 'KMS', KeyId: s.encryption } } : {}) },
            tags: Object.entries(s.tags).map(([key, value]) => ({ key, value })),
          }),
        );
      }
      // A deleted stream's item: gone, not judged.
      rows.push(JSON.stringify({ resourceId: 'deleted', resourceType: 'AWS::Kinesis::Stream', accountId: ACCOUNT, awsRegion: REGION, configurationItemStatus: 'ResourceDeleted', configurationItemCaptureTime: '2026-12-01T10:00:00.000Z', tags: [] }));
      return rows;
    }

    it('reads a recorded type from AWS Config, all pages, with no Kinesis call, and says so', async () => {
      // Arrange
      await startRecorder();
      const rows = await seedStreams();
      const pages: unknown[] = [];
      interceptClient(ConfigServiceClient, {
        SelectResourceConfig: (input) => {
          pages.push({ ...input });
          return input.NextToken === 'p2' ? { Results: rows.slice(2) } : { Results: rows.slice(0, 2), NextToken: 'p2' };
        },
      });
      proxy.resetCounts();
      const notes: ListingNote[] = [];
      // Act
      const streams = await listAll(kinesisStreamEncrypted, clients, notes);
      // Assert
      expect(streams.map((s) => [s.id, s.encryptionType, s.tags])).to.deep.equal([
        ['plain', 'NONE', {}],
        ['encrypted', 'KMS', { team: 'ward' }],
        ['exempt', 'NONE', { [EXEMPT]: 'CHG-3' }],
      ]);
      expect(Object.keys(proxy.stats().calls).filter((op) => !op.startsWith('config:'))).to.deep.equal([]);
      expect(pages).to.deep.equal([
        { Expression: "SELECT * WHERE resourceType = 'AWS::Kinesis::Stream'", Limit: ITEMS_PER_PAGE, NextToken: undefined },
        { Expression: "SELECT * WHERE resourceType = 'AWS::Kinesis::Stream'", Limit: ITEMS_PER_PAGE, NextToken: 'p2' },
      ]);
      expect(notes).to.deep.equal([{ resourceType: 'AWS::Kinesis::Stream', source: 'config', tags: 'config', reason: 'recorded continuously by configuration recorder default' }]);
      expect(notes.map(describeListingNote)).to.deep.equal([
        'AWS::Kinesis::Stream: configuration from AWS Config, tags with the configuration items (recorded continuously by configuration recorder default)',
      ]);
    });

    it('falls back to the Kinesis API where no recorder records the type, and says why', async () => {
      await seedStreams();
      const select = interceptClient(ConfigServiceClient, {});
      proxy.resetCounts();
      const notes: ListingNote[] = [];
      const streams = await listAll(kinesisStreamEncrypted, clients, notes);
      expect(streams.map((s) => s.id).sort()).to.deep.equal(['encrypted', 'exempt', 'plain']);
      expect(select.of('SelectResourceConfig')).to.deep.equal([]);
      expect(proxy.stats().calls['kinesis:ListStreams']).to.equal(1);
      expect(notes).to.deep.equal([
        { resourceType: 'AWS::Kinesis::Stream', source: 'api', tags: 'bulk', reason: 'not read from AWS Config: no configuration recorder in this account and region' },
      ]);
      expect(notes.map(describeListingNote)).to.deep.equal([
        'AWS::Kinesis::Stream: configuration from the service API, tags in bulk (tag:GetResources) (not read from AWS Config: no configuration recorder in this account and region)',
      ]);
    });

    it('gives the same verdicts, exemptions included, from AWS Config as from the Kinesis API (table over the seeded streams)', async () => {
      // Arrange
      await startRecorder();
      const rows = await seedStreams();
      const params = parseParameters(kinesisStreamEncrypted.schema, {});
      const fromApi = await scan({ safeguards: [kinesisStreamEncrypted], region: REGION, endpoint, now: NOW, maxAttempts: 1 });
      interceptClient(ConfigServiceClient, { SelectResourceConfig: () => ({ Results: rows }) });
      // Act
      const ctx = newJudgeContext(clients, NOW);
      const fromConfig = await Promise.all((await listAll(kinesisStreamEncrypted, clients, [])).map(async (s) => [s.id, (await judge(kinesisStreamEncrypted, s, params, ctx)).compliance]));
      // Assert
      const api = Object.fromEntries(fromApi.results.map((r) => [r.resourceId, r.compliance]));
      expect(Object.fromEntries(fromConfig)).to.deep.equal(api);
      expect(api).to.deep.equal({ plain: 'NON_COMPLIANT', encrypted: 'COMPLIANT', exempt: 'NOT_APPLICABLE' });
    });

    it('reads Kinesis video streams from AWS Config too, exemptions honoured', async () => {
      await startRecorder();
      await new KinesisVideoClient(clientConfig(endpoint)).send(new CreateVideoStreamCommand({ StreamName: 'cam' }));
      const row = (name: string, tags: { key: string; value: string }[]) =>
        JSON.stringify({
          resourceId: name,
          resourceType: 'AWS::KinesisVideo::Stream',
          arn: `arn:aws:kinesisvideo:${REGION}:${ACCOUNT}:stream/${name}/1`,
          accountId: ACCOUNT,
          awsRegion: REGION,
          configurationItemStatus: 'ResourceDiscovered',
          configurationItemCaptureTime: '2026-12-01T11:00:00.000Z',
          configuration: { Name: name },
          tags,
        });
      interceptClient(ConfigServiceClient, { SelectResourceConfig: () => ({ Results: [row('cam', []), row('research-cam', [{ key: EXEMPT, value: 'IRB-22' }])] }) });
      proxy.resetCounts();
      const params = parseParameters(kinesisVideoStreamCustomerKey.schema, {});
      const ctx = newJudgeContext(clients, NOW);
      const verdicts = await Promise.all((await listAll(kinesisVideoStreamCustomerKey, clients, [])).map(async (s) => [s.id, (await judge(kinesisVideoStreamCustomerKey, s, params, ctx)).compliance]));
      expect(Object.fromEntries(verdicts)).to.deep.equal({ cam: 'NON_COMPLIANT', 'research-cam': 'NOT_APPLICABLE' });
      expect(Object.keys(proxy.stats().calls).filter((op) => op.startsWith('kinesisvideo:'))).to.deep.equal([]);
    });
  });
});
