import {
  ConfigServiceClient,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import sinon from 'sinon';
import { main } from '../../scripts/cli';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy';
import { ACCOUNT, REGION } from '../helpers/fixtures';
import { interceptClient } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';

/**
 * `scan --source auto|api|config` (issue 11: periodic evaluation from what AWS Config recorded, now for the CLI).
 * On moto, behind the counting proxy. The recorder calls (DescribeConfigurationRecorders and its status) are moto's.
 * SelectResourceConfig is FAKED in-process: moto answers it over HTTP with `Results: []` even with a recorder
 * recording every type and a stream in the account (checked when this was written), as the Lambda benchmark found.
 * The fake returns rows in the SDK model's shape (config/2014-11-12 SelectResourceConfigResponse: Results, a list
 * of JSON strings; each row the configuration item's fields with `tags` as key/value pairs), as
 * test/runtime/config-source.test.ts does.
 */
describe('safeguards scan --source', function () {
  this.timeout(60_000);
  let endpoint: string;
  let proxy: CountingProxy;
  const clientConfig = () => ({ region: REGION, endpoint, maxAttempts: 1, requestHandler: new NodeHttpHandler() });

  beforeEach(async () => {
    endpoint = (await useMoto()).endpoint;
    await new KinesisClient(clientConfig()).send(new CreateStreamCommand({ StreamName: 'plain', ShardCount: 1 }));
    proxy = await startCountingProxy(endpoint);
  });
  afterEach(async () => {
    sinon.restore();
    await proxy.close();
  });

  async function startRecorder(): Promise<void> {
    const config = new ConfigServiceClient(clientConfig());
    await config.send(new PutConfigurationRecorderCommand({ ConfigurationRecorder: { name: 'default', roleARN: `arn:aws:iam::${ACCOUNT}:role/config`, recordingGroup: { allSupported: true } } }));
    await config.send(new PutDeliveryChannelCommand({ DeliveryChannel: { name: 'default', s3BucketName: 'config-bucket' } }));
    await config.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
  }

  /** The advanced-query row AWS Config would hold for a stream, unencrypted unless `key` is given. */
  function row(name: string, key?: string): string {
    const arn = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`;
    return JSON.stringify({
      resourceId: name,
      resourceName: name,
      resourceType: 'AWS::Kinesis::Stream',
      arn,
      accountId: ACCOUNT,
      awsRegion: REGION,
      configurationItemStatus: 'OK',
      configurationItemCaptureTime: '2026-12-01T11:00:00.000Z',
      configuration: { Name: name, Arn: arn, ...(key ? { StreamEncryption: { EncryptionType: 'KMS', KeyId: key } } : {}) },
      tags: [],
    });
  }

  async function scan(...extra: string[]) {
    let out = '';
    let err = '';
    const code = await main(['scan', '--region', REGION, '--endpoint-url', proxy.endpoint, '--max-attempts', '1', '--format', 'json', '--verbose', ...extra], {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    const listing = err.split('\n').filter((l) => l.startsWith('Listing '));
    return { code, out, err, listing, json: out ? (JSON.parse(out) as { results: { resourceId: string; compliance: string }[] }) : undefined };
  }

  const calls = (prefix: string) => Object.keys(proxy.stats().calls).filter((op) => op.startsWith(prefix));

  it('api (the default): reads the service API only, asks AWS Config nothing, and says so under --verbose', async () => {
    await startRecorder();
    proxy.resetCounts();
    const { code, json, listing } = await scan('--rules', 'kinesis-stream-encrypted');
    expect(code).to.equal(1);
    expect(json?.results.map((r) => [r.resourceId, r.compliance])).to.deep.equal([['plain', 'NON_COMPLIANT']]);
    expect(calls('config:')).to.deep.equal([]);
    expect(listing).to.deep.equal(['Listing AWS::Kinesis::Stream: configuration from the service API, tags in bulk (tag:GetResources)']);
  });

  it('auto: no recorder in the account, so the Kinesis API, with the reason', async () => {
    const select = interceptClient(ConfigServiceClient, {});
    const { code, json, listing } = await scan('--rules', 'kinesis-stream-encrypted', '--source', 'auto');
    expect(code).to.equal(1);
    expect(json?.results.map((r) => r.resourceId)).to.deep.equal(['plain']);
    expect(select.of('SelectResourceConfig')).to.deep.equal([]);
    expect(calls('config:').sort()).to.deep.equal(['config:DescribeConfigurationRecorderStatus', 'config:DescribeConfigurationRecorders']);
    expect(listing).to.deep.equal([
      'Listing AWS::Kinesis::Stream: configuration from the service API, tags in bulk (tag:GetResources) (not read from AWS Config: no configuration recorder in this account and region)',
    ]);
  });

  it('auto: a recorder recording the type continuously, so AWS Config (SelectResourceConfig faked) and no Kinesis call', async () => {
    await startRecorder();
    interceptClient(ConfigServiceClient, { SelectResourceConfig: () => ({ Results: [row('plain'), row('from-config', 'arn:aws:kms:us-east-1:111122223333:key/k')] }) });
    proxy.resetCounts();
    const { code, json, listing } = await scan('--rules', 'kinesis-stream-encrypted', '--source', 'auto');
    expect(code).to.equal(1);
    expect(json?.results.map((r) => [r.resourceId, r.compliance])).to.deep.equal([
      ['plain', 'NON_COMPLIANT'],
      ['from-config', 'COMPLIANT'],
    ]);
    expect(calls('kinesis:')).to.deep.equal([]);
    expect(listing).to.deep.equal(['Listing AWS::Kinesis::Stream: configuration from AWS Config, tags with the configuration items (recorded continuously by configuration recorder default)']);
  });

  it('config: no recorder, so the kind fails (exit 2) naming why, and the Kinesis API is not read instead', async () => {
    const { code, json, err } = await scan('--rules', 'kinesis-stream-encrypted', '--source', 'config');
    expect(code).to.equal(2);
    expect(json?.results).to.deep.equal([]);
    expect(err).to.include(
      'ERROR kinesis-stream-encrypted (AWS::Kinesis::Stream): ConfigSourceRequiredError: AWS Config was required as the source of AWS::Kinesis::Stream and cannot be: no configuration recorder in this account and region.',
    );
    expect(calls('kinesis:')).to.deep.equal([]);
  });

  it('config: a recorder recording the type continuously, so AWS Config is read', async () => {
    await startRecorder();
    interceptClient(ConfigServiceClient, { SelectResourceConfig: () => ({ Results: [row('plain')] }) });
    proxy.resetCounts();
    const { code, json } = await scan('--rules', 'kinesis-stream-encrypted', '--source', 'config');
    expect(code).to.equal(1);
    expect(json?.results.map((r) => [r.resourceId, r.compliance])).to.deep.equal([['plain', 'NON_COMPLIANT']]);
    expect(calls('kinesis:')).to.deep.equal([]);
  });

  it('config: a type the pack reads from the service API only (ElastiCache) fails, naming why, without an ElastiCache call', async () => {
    await startRecorder();
    proxy.resetCounts();
    const { code, err } = await scan('--rules', 'elasticache-encrypted-at-rest', '--source', 'config');
    expect(code).to.equal(2);
    expect(err).to.include(
      'ERROR elasticache-encrypted-at-rest (AWS::ElastiCache::ReplicationGroup): ConfigSourceRequiredError: AWS Config was required as the source of AWS::ElastiCache::ReplicationGroup and cannot be: this pack reads it from the service API only (no AWS Config source for this type).',
    );
    expect(calls('elasticache:')).to.deep.equal([]);
  });

  it('rejects a source it does not know before any call', async () => {
    proxy.resetCounts();
    const { code, err } = await scan('--rules', 'kinesis-stream-encrypted', '--source', 'cache');
    expect(code).to.not.equal(0);
    expect(err).to.match(/--source.*cache/s);
    expect(proxy.stats().total).to.equal(0);
  });
});
