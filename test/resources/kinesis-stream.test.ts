import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { StreamConfiguration, kinesisStreamResource } from '../../rules/resources/kinesis-stream';
import { AwsClients } from '../../rules/runtime/clients';
import { UnreadableResource } from '../../rules/runtime/safeguard';
import { parseConfigurationItem } from '../../rules/runtime/event';
import { kinesisItemApiStyle } from '../helpers/fixtures';
import { configResourceSchema, leafPaths } from '../helpers/schema-paths';
import { type TaggingMock, taggingDenied } from '../helpers/tagging';

const newMock = () => mockClient(KinesisClient);
const fromItem = (item: unknown) => {
  const read = kinesisStreamResource.fromConfigurationItem;
  if (!read) throw new Error('Kinesis streams are recorded by Config');
  return read(parseConfigurationItem(item, 'fixture'));
};
const listStreams = (clients: AwsClients, options?: Parameters<(typeof kinesisStreamResource.listers)[number]['list']>[1]) => {
  const [lister] = kinesisStreamResource.listers;
  if (!lister) throw new Error('no lister');
  return lister.list(clients, options);
};
/** Every view a lister yields; an unreadable resource fails the test with its error (see collectAll). */
async function collect<T>(items: AsyncIterable<T | UnreadableResource>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) {
    if (i instanceof UnreadableResource) throw i.error;
    out.push(i);
  }
  return out;
}

describe('resources/kinesis-stream', () => {
  it('reads only configuration properties that AWS Config records for AWS::Kinesis::Stream', () => {
    // Arrange
    const schema = configResourceSchema('AWS::Kinesis::Stream');
    // Act
    const read = leafPaths(StreamConfiguration, 'configuration');
    // Assert
    expect(read).to.include('configuration.StreamEncryption.EncryptionType');
    for (const path of [...read, 'resourceId', 'resourceName', 'arn', 'accountId', 'awsRegion', 'configurationItemCaptureTime', 'configurationItemStatus']) {
      expect(schema, `schema has ${path}`).to.have.property(path);
    }
  });

  it('builds the normalized stream from the real captured item', () => {
    const stream = fromItem(kinesisItemApiStyle());
    expect(stream).to.deep.equal({
      id: 'stream-encrypted',
      resourceType: 'AWS::Kinesis::Stream',
      name: 'stream-encrypted',
      arn: 'arn:aws:kinesis:us-east-1:644160558196:stream/stream-encrypted',
      encryptionType: 'KMS',
      keyId: 'alias/aws/kinesis',
      encryptionField: 'StreamEncryption.EncryptionType',
      tags: { App: 'Magic' },
    });
  });

  it('tells a StreamEncryption of type NONE from an absent one', () => {
    const item = kinesisItemApiStyle();
    const configuration = JSON.parse(item.configuration as string) as Record<string, unknown>;
    configuration.StreamEncryption = { EncryptionType: 'NONE' };
    const present = fromItem({ ...item, configuration: JSON.stringify(configuration) });
    delete configuration.StreamEncryption;
    const absent = fromItem({ ...item, configuration: JSON.stringify(configuration) });
    expect([present.encryptionType, present.encryptionField]).to.deep.equal(['NONE', 'StreamEncryption.EncryptionType']);
    expect([absent.encryptionType, absent.encryptionField]).to.deep.equal(['NONE', 'StreamEncryption']);
  });

  it('reads a stream without StreamEncryption as NONE', () => {
    const item = kinesisItemApiStyle();
    item.configuration = JSON.stringify({ Name: 'plain' });
    expect(fromItem(item).encryptionType).to.equal('NONE');
  });

  describe('list (API)', () => {
    let kinesis: ReturnType<typeof newMock>;
    let tagging: TaggingMock;
    const clients = new AwsClients({ region: 'us-east-1' });
    beforeEach(() => {
      kinesis = newMock();
      // The tests below the bulk ones read tags per resource: the caller may not call tag:GetResources.
      tagging = taggingDenied();
    });
    afterEach(() => {
      kinesis.restore();
      tagging.restore();
    });

    describe('tags in bulk (tag:GetResources)', () => {
      const arn = (n: string) => `arn:aws:kinesis:us-east-1:123456789012:stream/${n}`;
      beforeEach(() => {
        kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['tagged', 'untagged', 'was-tagged'], HasMoreStreams: false });
        kinesis.on(DescribeStreamSummaryCommand).callsFake((input: { StreamName: string }) => ({
          StreamDescriptionSummary: { StreamName: input.StreamName, StreamARN: arn(input.StreamName), EncryptionType: 'NONE' },
        }));
      });

      it('reads every stream\'s tags from GetResources pages (100 a page, filtered to kinesis:stream) and calls no ListTagsForStream', async () => {
        // Arrange: two pages; an untagged stream is absent, a once-tagged one comes with Tags []
        tagging.reset();
        const inputs: unknown[] = [];
        tagging.on(GetResourcesCommand).callsFake((input: { PaginationToken?: string }) => {
          // The paginator reuses its input object: copy what each call sent.
          inputs.push({ ...input });
          return input.PaginationToken === 'p2'
            ? { ResourceTagMappingList: [{ ResourceARN: arn('was-tagged'), Tags: [] }], PaginationToken: '' }
            : { ResourceTagMappingList: [{ ResourceARN: arn('tagged'), Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-7' }] }], PaginationToken: 'p2' };
        });
        const notes: unknown[] = [];
        // Act
        const streams = await collect(listStreams(clients, { onNote: (n) => notes.push(n) }));
        // Assert
        expect(streams.map((s) => [s.name, s.tags])).to.deep.equal([
          ['tagged', { 'hipaa-safeguards:exempt': 'CHG-7' }],
          ['untagged', {}],
          ['was-tagged', {}],
        ]);
        expect(kinesis.commandCalls(ListTagsForStreamCommand)).to.have.length(0);
        expect(inputs).to.deep.equal([
          { ResourceTypeFilters: ['kinesis:stream'], ResourcesPerPage: 100, PaginationToken: undefined },
          { ResourceTypeFilters: ['kinesis:stream'], ResourcesPerPage: 100, PaginationToken: 'p2' },
        ]);
        expect(notes).to.deep.equal([{ resourceType: 'AWS::Kinesis::Stream', source: 'api', tags: 'bulk' }]);
      });

      it('falls back to ListTagsForStream per stream when tag:GetResources is refused, and says so once', async () => {
        // Arrange (GetResources rejects AccessDeniedException, as set above)
        kinesis.on(ListTagsForStreamCommand).callsFake((input: { StreamName: string }) => ({
          Tags: input.StreamName === 'tagged' ? [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-7' }] : [],
          HasMoreTags: false,
        }));
        const notes: { tags: string; reason?: string }[] = [];
        // Act
        const streams = await collect(listStreams(clients, { onNote: (n) => notes.push(n) }));
        // Assert
        expect(streams.find((s) => s.name === 'tagged')?.tags).to.deep.equal({ 'hipaa-safeguards:exempt': 'CHG-7' });
        expect(kinesis.commandCalls(ListTagsForStreamCommand)).to.have.length(3);
        expect(tagging.commandCalls(GetResourcesCommand)).to.have.length(1);
        expect(notes).to.deep.equal([
          { resourceType: 'AWS::Kinesis::Stream', source: 'api', tags: 'per-resource', reason: 'tag:GetResources was refused (AccessDeniedException): tags are read per resource' },
        ]);
      });

      it('fails the listing when GetResources fails for another reason (throttled past retries), rather than judge without tags', async () => {
        tagging.reset();
        tagging.on(GetResourcesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException', $metadata: { httpStatusCode: 400 } }));
        const yielded: unknown[] = [];
        const err = await (async () => {
          for await (const s of listStreams(clients)) yielded.push(s);
        })().catch((e: unknown) => e);
        expect((err as Error).name).to.equal('ThrottledException');
        expect(yielded).to.deep.equal([]);
        expect(kinesis.commandCalls(ListTagsForStreamCommand)).to.have.length(0);
      });

      it('fails with a message naming the field when a GetResources mapping has no ResourceARN', async () => {
        tagging.reset();
        tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ Tags: [] }] });
        const err = await collect(listStreams(clients)).catch((e: unknown) => e);
        expect((err as Error).message).to.match(/^GetResources returned an incomplete ResourceTagMapping: ResourceTagMapping\.ResourceARN: Invalid input/);
      });
    });

    it('fails only the stream whose DescribeStreamSummary answer is incomplete, and still lists the others', async () => {
      // Arrange
      kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['hollow', 'whole'], HasMoreStreams: false });
      kinesis.on(DescribeStreamSummaryCommand, { StreamName: 'hollow' }).resolves({});
      kinesis.on(DescribeStreamSummaryCommand, { StreamName: 'whole' }).resolves({ StreamDescriptionSummary: { StreamName: 'whole', EncryptionType: 'NONE' } as never });
      kinesis.on(ListTagsForStreamCommand).resolves({ Tags: [], HasMoreTags: false });
      // Act
      const items: unknown[] = [];
      for await (const i of listStreams(clients)) items.push(i);
      // Assert
      expect(items).to.have.length(2);
      expect(items[0]).to.be.instanceOf(UnreadableResource);
      expect((items[0] as UnreadableResource).error.message).to.equal('DescribeStreamSummary for stream hollow returned no StreamDescriptionSummary.');
      expect(items[1]).to.deep.include({ id: 'whole', encryptionType: 'NONE' });
    });

    it('follows NextToken across every ListStreams page', async () => {
      // Arrange: three pages as real Kinesis returns them
      const page = (names: string[], next?: string) => ({ StreamNames: names, StreamSummaries: names.map((n) => ({ StreamName: n, StreamARN: `arn:aws:kinesis:us-east-1:1:stream/${n}`, StreamStatus: 'ACTIVE' as const, StreamCreationTimestamp: new Date() })), HasMoreStreams: !!next, ...(next ? { NextToken: next } : {}) });
      const tokens: (string | undefined)[] = [];
      kinesis.on(ListStreamsCommand).callsFake((input: { NextToken?: string }) => {
        tokens.push(input.NextToken);
        return input.NextToken === 't2' ? page(['c']) : input.NextToken === 't1' ? page(['b'], 't2') : page(['a'], 't1');
      });
      kinesis.on(DescribeStreamSummaryCommand).callsFake((input: { StreamName: string }) => ({
        StreamDescriptionSummary: { StreamName: input.StreamName, EncryptionType: 'NONE' },
      }));
      kinesis.on(ListTagsForStreamCommand).resolves({ Tags: [], HasMoreTags: false });
      // Act
      const names: string[] = [];
      for (const s of await collect(listStreams(clients))) names.push(s.name);
      // Assert
      expect(names).to.deep.equal(['a', 'b', 'c']);
      expect(tokens).to.deep.equal([undefined, 't1', 't2']);
    });

    it('skips a stream deleted between ListStreams and DescribeStreamSummary', async () => {
      kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['gone', 'here'], HasMoreStreams: false });
      kinesis.on(DescribeStreamSummaryCommand, { StreamName: 'gone' }).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
      kinesis.on(DescribeStreamSummaryCommand, { StreamName: 'here' }).resolves({ StreamDescriptionSummary: { StreamName: 'here', EncryptionType: 'KMS', KeyId: 'k' } as never });
      kinesis.on(ListTagsForStreamCommand).resolves({ Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-1' }], HasMoreTags: false });
      const out = [];
      for await (const s of listStreams(clients)) out.push(s);
      expect(out).to.deep.equal([{ id: 'here', resourceType: 'AWS::Kinesis::Stream', name: 'here', encryptionType: 'KMS', keyId: 'k', encryptionField: 'EncryptionType', tags: { 'hipaa-safeguards:exempt': 'CHG-1' } }]);
    });

    it('reads every page of tags', async () => {
      kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['s'], HasMoreStreams: false });
      kinesis.on(DescribeStreamSummaryCommand).resolves({ StreamDescriptionSummary: { StreamName: 's', EncryptionType: 'NONE' } as never });
      kinesis
        .on(ListTagsForStreamCommand)
        .resolvesOnce({ Tags: [{ Key: 'a', Value: '1' }], HasMoreTags: true })
        .resolves({ Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'late page' }], HasMoreTags: false });
      const [stream] = await collect(listStreams(clients));
      expect(stream?.tags).to.deep.equal({ a: '1', 'hipaa-safeguards:exempt': 'late page' });
      expect(kinesis.commandCalls(ListTagsForStreamCommand)[1]?.args[0].input.ExclusiveStartTagKey).to.equal('a');
    });

    it('fails with a message naming the field when DescribeStreamSummary returns nothing', async () => {
      kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['s'], HasMoreStreams: false });
      kinesis.on(DescribeStreamSummaryCommand).resolves({});
      const err = await collect(listStreams(clients)).catch((e: unknown) => e);
      expect((err as Error).message).to.equal('DescribeStreamSummary for stream s returned no StreamDescriptionSummary.');
    });
  });
});
