import { AddTagsToStreamCommand, CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateDeliveryStreamCommand, FirehoseClient, TagDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { firehoseDeliveryStreamEncrypted } from '../../rules/firehose-delivery-stream-encrypted';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { NonAwsResponseError } from '../../rules/runtime/aws-errors';
import { AwsClients } from '../../rules/runtime/clients';
import { RESOURCES_PER_PAGE, TAGGING_TYPES, TagReader, isAccessDenied } from '../../rules/runtime/tagging';
import { scan } from '../../scripts/lib/scan';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy';
import { REGION } from '../helpers/fixtures';
import { useMoto } from '../helpers/moto';
import { type TaggingMock, accessDenied, taggingDenied } from '../helpers/tagging';

const EXEMPT = 'hipaa-safeguards:exempt';
const clientConfig = (endpoint: string) => ({ region: REGION, endpoint, maxAttempts: 1, requestHandler: new NodeHttpHandler() });

describe('runtime/tagging (tags in bulk)', () => {
  describe('TagReader', () => {
    let tagging: TaggingMock;
    const clients = new AwsClients({ region: REGION });
    beforeEach(() => {
      tagging = taggingDenied();
    });
    afterEach(() => tagging.restore());

    it('reads a type the Tagging API does not cover per resource, without calling GetResources, and says why once', async () => {
      // Arrange
      const choices: unknown[] = [];
      const reader = new TagReader(clients, 'AWS::Example::Uncovered', (c) => choices.push(c));
      // Act
      const a = await reader.tagsOf('arn:a', () => Promise.resolve({ own: 'call' }));
      const b = await reader.tagsOf('arn:b', () => Promise.resolve({}));
      // Assert
      expect([a, b]).to.deep.equal([{ own: 'call' }, {}]);
      expect(tagging.commandCalls(GetResourcesCommand)).to.have.length(0);
      expect(choices).to.deep.equal([{ mode: 'per-resource', reason: 'the Resource Groups Tagging API type of AWS::Example::Uncovered is not known: tags are read per resource' }]);
    });

    it('reads the index once for the whole listing, however many resources ask', async () => {
      tagging.reset();
      tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: 'arn:1', Tags: [{ Key: EXEMPT, Value: 'CHG-1' }] }] });
      const reader = new TagReader(clients, 'AWS::Kinesis::Stream');
      const tags = await Promise.all(['arn:1', 'arn:2', 'arn:1'].map((arn) => reader.tagsOf(arn, () => Promise.reject(new Error('not per resource')))));
      expect(tags).to.deep.equal([{ [EXEMPT]: 'CHG-1' }, {}, { [EXEMPT]: 'CHG-1' }]);
      expect(tagging.commandCalls(GetResourcesCommand)).to.have.length(1);
    });

    it('takes a 403, an AccessDenied code, and moto\'s HTML 403 as a refusal; a throttle or a 500 is not', () => {
      expect(isAccessDenied(accessDenied())).to.equal(true);
      expect(isAccessDenied(Object.assign(new Error('x'), { name: 'AccessDeniedException', $metadata: {} }))).to.equal(true);
      expect(isAccessDenied(new NonAwsResponseError('ResourceGroupsTaggingAPI.GetResources', 403, 'text/html', {}))).to.equal(true);
      expect(isAccessDenied(new NonAwsResponseError('ResourceGroupsTaggingAPI.GetResources', 500, 'text/html', {}))).to.equal(false);
      expect(isAccessDenied(Object.assign(new Error('x'), { name: 'ThrottledException', $metadata: { httpStatusCode: 400 } }))).to.equal(false);
    });

    it('names a Tagging API type for every type the pack lists, as its ARN spells it', () => {
      expect(TAGGING_TYPES).to.deep.equal({
        'AWS::Kinesis::Stream': 'kinesis:stream',
        'AWS::KinesisFirehose::DeliveryStream': 'firehose:deliverystream',
        'AWS::KinesisVideo::Stream': 'kinesisvideo:stream',
        'AWS::ElastiCache::ReplicationGroup': 'elasticache:replicationgroup',
        'AWS::ElastiCache::CacheCluster': 'elasticache:cluster',
        'AWS::ElastiCache::ServerlessCache': 'elasticache:serverlesscache',
        'AWS::OpenSearch::Domain': 'es:domain',
        'AWS::OpenSearchServerless::Collection': 'aoss:collection',
        // arn:aws:memorydb:<region>:<account>:cluster/<name>
        'AWS::MemoryDB::Cluster': 'memorydb:cluster',
        // arn:aws:sqs:<region>:<account>:<queue>, arn:aws:sns:<region>:<account>:<topic>: the service alone.
        'AWS::SQS::Queue': 'sqs',
        'AWS::SNS::Topic': 'sns',
      });
    });
  });

  describe('on moto behind a counting proxy', function () {
    this.timeout(120_000);
    let proxy: CountingProxy;
    let endpoint: string;
    beforeEach(async () => {
      endpoint = (await useMoto()).endpoint;
      proxy = await startCountingProxy(endpoint);
    });
    afterEach(() => proxy.close());

    it('scans N Kinesis streams with ceil(N/100) GetResources calls and no ListTagsForStream, exemptions honoured', async () => {
      // Arrange: N tagged streams (one tag each), every tenth exempt. moto's page also stops at 100 tags, so one tag
      // per stream fills 99 a page: N = 150 still takes two pages there, as ceil(150/100) does on AWS.
      const n = 150;
      const kinesis = new KinesisClient(clientConfig(endpoint));
      for (let i = 0; i < n; i++) {
        const name = `s-${String(i).padStart(3, '0')}`;
        await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
        await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: i % 10 === 0 ? { [EXEMPT]: `CHG-${i}` } : { team: 'ward' } }));
      }
      proxy.resetCounts();
      // Act
      const { results, failures } = await scan({ safeguards: [kinesisStreamEncrypted], region: REGION, endpoint: proxy.endpoint, maxAttempts: 1 });
      // Assert
      expect(failures).to.deep.equal([]);
      const calls = proxy.stats().calls;
      expect(calls['tagging:GetResources']).to.equal(Math.ceil(n / RESOURCES_PER_PAGE));
      expect(calls['kinesis:ListTagsForStream']).to.equal(undefined);
      expect(calls['kinesis:DescribeStreamSummary']).to.equal(n);
      const exempt = results.filter((r) => r.compliance === 'NOT_APPLICABLE').map((r) => r.resourceId);
      expect(exempt).to.deep.equal(Array.from({ length: n / 10 }, (_, k) => `s-${String(k * 10).padStart(3, '0')}`));
      expect(results.find((r) => r.resourceId === 's-010')?.annotation).to.equal('Stream s-010 is exempt by tag hipaa-safeguards:exempt (CHG-10). 45 CFR 164.312(a)(2)(iv)');
      expect(results.filter((r) => r.compliance === 'NON_COMPLIANT')).to.have.length(n - n / 10);
    });

    it('reads Firehose tags in bulk too, and an untagged delivery stream (absent from GetResources) has none', async () => {
      const firehose = new FirehoseClient(clientConfig(endpoint));
      const s3 = { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::phi-archive' };
      await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'exempt', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
      await firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'exempt', Tags: [{ Key: EXEMPT, Value: 'no PHI' }] }));
      await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'plain', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: s3 }));
      proxy.resetCounts();
      const { results, failures } = await scan({ safeguards: [firehoseDeliveryStreamEncrypted], region: REGION, endpoint: proxy.endpoint, maxAttempts: 1 });
      expect(failures).to.deep.equal([]);
      expect(Object.fromEntries(results.map((r) => [r.resourceId, r.compliance]))).to.deep.equal({ exempt: 'NOT_APPLICABLE', plain: 'NON_COMPLIANT' });
      expect(proxy.stats().calls['tagging:GetResources']).to.equal(1);
      expect(proxy.stats().calls['firehose:ListTagsForDeliveryStream']).to.equal(undefined);
    });
  });
});
