import { createServer } from 'node:http';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand, ListTagsForStreamCommand } from '@aws-sdk/client-kinesis';
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { KinesisVideoClient, ListStreamsCommand as ListVideoStreamsCommand } from '@aws-sdk/client-kinesis-video';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { type CountingProxy, documentedRates, startCountingProxy } from './counting-proxy';
import { REGION } from './fixtures';
import { useMoto } from './moto';

const clientConfig = (endpoint: string) => ({ region: REGION, endpoint, maxAttempts: 1, requestHandler: new NodeHttpHandler() });

describe('counting proxy', () => {
  describe('in front of moto', () => {
    let proxy: CountingProxy;
    let clock = 0;
    before(async () => {
      const moto = await useMoto();
      proxy = await startCountingProxy(moto.endpoint, {
        now: () => clock,
        rates: { 'kinesis:ListStreams': { perSecond: 2 }, 'elasticache:DescribeReplicationGroups': { perSecond: 1 } },
      });
    });
    after(() => proxy.close());
    beforeEach(() => proxy.resetCounts());

    it('counts each operation by service, whatever its protocol (JSON, query, REST-JSON)', async () => {
      const kinesis = new KinesisClient(clientConfig(proxy.endpoint));
      await kinesis.send(new CreateStreamCommand({ StreamName: 'a', ShardCount: 1 }));
      await kinesis.send(new CreateStreamCommand({ StreamName: 'b', ShardCount: 1 }));
      await new ElastiCacheClient(clientConfig(proxy.endpoint)).send(new DescribeReplicationGroupsCommand({}));
      await new KinesisVideoClient(clientConfig(proxy.endpoint)).send(new ListVideoStreamsCommand({}));
      const stats = proxy.stats();
      expect(stats.calls).to.deep.equal({
        'kinesis:CreateStream': 2,
        'elasticache:DescribeReplicationGroups': 1,
        'kinesisvideo:ListStreams': 1,
      });
      expect(stats.total).to.equal(4);
      expect(stats.throttled).to.deep.equal({});
      expect(stats.failed).to.deep.equal({});
      expect(stats.peakInFlight).to.equal(1);
    });

    it('answers past the rate as AWS does: ThrottlingException for JSON, Throttling for query, until the rate allows again', async () => {
      clock = 10_000;
      const kinesis = new KinesisClient(clientConfig(proxy.endpoint));
      const elasticache = new ElastiCacheClient(clientConfig(proxy.endpoint));
      await kinesis.send(new ListStreamsCommand({}));
      await kinesis.send(new ListStreamsCommand({}));
      const jsonError = await kinesis.send(new ListStreamsCommand({})).then(() => undefined, (e: unknown) => e);
      expect(jsonError).to.have.property('name', 'ThrottlingException');
      expect(jsonError).to.have.nested.property('$metadata.httpStatusCode', 400);

      await elasticache.send(new DescribeReplicationGroupsCommand({}));
      const queryError = await elasticache.send(new DescribeReplicationGroupsCommand({})).then(() => undefined, (e: unknown) => e);
      expect(queryError).to.have.property('name', 'Throttling');
      expect(queryError).to.have.nested.property('$metadata.httpStatusCode', 400);

      clock += 500;
      await kinesis.send(new ListStreamsCommand({}));
      expect(proxy.stats().throttled).to.deep.equal({ 'kinesis:ListStreams': 1, 'elasticache:DescribeReplicationGroups': 1 });
      expect(proxy.stats().calls['kinesis:ListStreams']).to.equal(4);
    });

    it('counts the requests the upstream answered with an error, per operation', async () => {
      const kinesis = new KinesisClient(clientConfig(proxy.endpoint));
      const error = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'no-such-stream' })).then(() => undefined, (e: unknown) => e);
      expect(error).to.have.property('name', 'ResourceNotFoundException');
      expect(proxy.stats().failed).to.deep.equal({ 'kinesis:DescribeStreamSummary': 1 });
      expect(proxy.stats().throttled).to.deep.equal({});
    });
  });

  it('records the peak of requests in flight at once', async () => {
    // An upstream that holds every request until released, so the peak does not depend on timing.
    const held: (() => void)[] = [];
    let arrived = 0;
    const waiters: (() => void)[] = [];
    const upstream = createServer((req, res) => {
      req.resume();
      arrived++;
      waiters.splice(0).forEach((w) => w());
      held.push(() => res.end('{}'));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const address = upstream.address();
    if (!address || typeof address !== 'object') throw new Error('no port');
    const proxy = await startCountingProxy(`http://127.0.0.1:${address.port}`);
    try {
      const post = () => fetch(proxy.endpoint, { method: 'POST', headers: { 'x-amz-target': 'Kinesis_20131202.ListStreams' }, body: '{}' });
      const responses = [post(), post(), post()];
      while (arrived < 3) await new Promise<void>((resolve) => waiters.push(resolve));
      expect(proxy.stats()).to.include({ inFlight: 3, peakInFlight: 3 });
      held.forEach((release) => release());
      await Promise.all(responses.map(async (r) => (await r).text()));
      await new Promise((resolve) => setImmediate(resolve));
      expect(proxy.stats()).to.include({ inFlight: 0, peakInFlight: 3, total: 3 });
      expect(proxy.stats().calls).to.deep.equal({ 'unknown:ListStreams': 3 });
    } finally {
      await proxy.close();
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });

  it('can enforce the documented rates: the sixth ListTagsForStream in one instant is throttled', async () => {
    const moto = await useMoto();
    const proxy = await startCountingProxy(moto.endpoint, { rates: documentedRates(), now: () => 0 });
    try {
      const kinesis = new KinesisClient(clientConfig(proxy.endpoint));
      await kinesis.send(new CreateStreamCommand({ StreamName: 'tagged', ShardCount: 1 }));
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'tagged' })).then(() => 'ok', (e: unknown) => (e as Error).name));
      expect(answers).to.deep.equal(['ok', 'ok', 'ok', 'ok', 'ok', 'ThrottlingException']);
      expect(documentedRates()['tagging:GetResources']).to.deep.equal({ perSecond: 5 });
    } finally {
      await proxy.close();
    }
  });

  it('forwards to loopback only', async () => {
    const error = await startCountingProxy('http://example.com:80').then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(Error).with.property('message').that.matches(/loopback only/);
  });
});
