import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { expect } from 'chai';
import sinon from 'sinon';
import { kinesisVideoStreamCustomerKey as rule } from '../../rules/kinesis-video-stream-customer-key';
import { AwsClients } from '../../rules/runtime/clients';
import { createRuleHandler } from '../../rules/runtime/handler';
import type { KeyFacts } from '../../rules/runtime/kms';
import { parseParameters } from '../../rules/runtime/parameters';
import { type KinesisVideoStream, VideoStreamConfiguration } from '../../rules/resources/kinesis-video-stream';
import { scan } from '../../scripts/lib/scan';
import { ACCOUNT, changeEvent, eventStyleItem } from '../helpers/fixtures';
import { interceptClient, interceptConfig } from '../helpers/intercept';
import { useMoto } from '../helpers/moto';
import { configResourceSchema, leafPaths } from '../helpers/schema-paths';
import { accessDenied } from '../helpers/tagging';

const CITE = '45 CFR 164.312(a)(2)(iv)';
const NOW = new Date('2026-11-22T12:00:00Z');
const TYPE = 'AWS::KinesisVideo::Stream';
const CMK = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const FIX = 'The key cannot be changed: recreate the stream with a customer managed key.';

const stream = (o: Partial<KinesisVideoStream> = {}): KinesisVideoStream => ({ id: 'or-camera-1', resourceType: TYPE, name: 'or-camera-1', kmsKeyId: CMK, tags: {}, ...o });
const params = (raw: Record<string, string> = {}) => parseParameters(rule.schema, raw);
const evaluate = (s: KinesisVideoStream, key: KeyFacts | undefined, p = params()) => rule.evaluate(s, p, { now: NOW, facts: { key } });
const cmk = (state = 'Enabled'): KeyFacts => ({ kind: 'resolved', keyId: CMK, arn: CMK, manager: 'CUSTOMER', state });

describe('kinesis-video-stream-customer-key', () => {
  describe('evaluate', () => {
    it('requires a customer managed key by default', () => {
      expect(params().requireCustomerManagedKey).to.equal(true);
    });

    it('returns NON_COMPLIANT for the default AWS managed key (scenario 1)', () => {
      const v = evaluate(stream({ kmsKeyId: undefined }), { kind: 'awsManagedAlias', keyId: 'alias/aws/kinesisvideo' });
      expect(v).to.deep.equal({ compliance: 'NON_COMPLIANT', annotation: `Video stream or-camera-1 uses the AWS managed key aws/kinesisvideo (KmsKeyId empty). ${FIX} ${CITE}` });
    });

    it('returns NON_COMPLIANT for an AWS managed key named by its alias ARN (scenario 2)', () => {
      const alias = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/kinesisvideo`;
      const v = evaluate(stream({ kmsKeyId: alias }), { kind: 'awsManagedAlias', keyId: alias });
      expect(v.annotation).to.equal(`Video stream or-camera-1 is encrypted, but KMS key ${alias} is AWS managed; requireCustomerManagedKey needs a customer managed key. ${FIX} ${CITE}`);
    });

    it('returns NON_COMPLIANT for a disabled customer key (scenario 3)', () => {
      expect(evaluate(stream(), cmk('PendingDeletion')).annotation).to.equal(
        `Video stream or-camera-1 is encrypted, but customer managed key ${CMK} is PendingDeletion, not Enabled. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for a key that cannot be resolved (scenario 4)', () => {
      const v = evaluate(stream(), { kind: 'unresolved', keyId: CMK, reason: 'DescribeKey failed: AccessDeniedException' });
      expect(v.annotation).to.equal(`Video stream or-camera-1 is encrypted, but KMS key ${CMK} cannot be verified (DescribeKey failed: AccessDeniedException). ${CITE}`);
    });

    it('returns NON_COMPLIANT for a key outside allowedKmsKeyArns (scenario 5)', () => {
      const other = `arn:aws:kms:us-east-1:${ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab`;
      expect(evaluate(stream(), cmk(), params({ allowedKmsKeyArns: other })).compliance).to.equal('NON_COMPLIANT');
    });

    it('returns COMPLIANT for the default key when customer keys are not required (scenario 6)', () => {
      const v = evaluate(stream({ kmsKeyId: undefined }), undefined, params({ requireCustomerManagedKey: 'false' }));
      expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `Video stream or-camera-1 is encrypted at rest with KMS key alias/aws/kinesisvideo. ${CITE}` });
    });

    it('returns COMPLIANT for an enabled, allowed customer key (scenario 7)', () => {
      expect(evaluate(stream(), cmk(), params({ allowedKmsKeyArns: CMK })).compliance).to.equal('COMPLIANT');
    });
  });

  it('reads only configuration properties AWS Config records for the type', () => {
    const schema = configResourceSchema(TYPE);
    for (const path of leafPaths(VideoStreamConfiguration, 'configuration')) expect(schema, path).to.have.property(path);
  });

  describe('on moto', function () {
    this.timeout(60_000);
    let endpoint: string;
    let clients: AwsClients;
    beforeEach(async () => {
      endpoint = (await useMoto()).endpoint;
      clients = new AwsClients({ region: 'us-east-1', endpoint });
    });
    afterEach(() => sinon.restore());

    it('scan gives the right verdict with and without a KmsKeyId, exemption tags read in bulk (tag:GetResources)', async () => {
      // Arrange: the tags come from moto's GetResources (scripts/lib/moto_server.py adds Kinesis video streams to it)
      const good = await clients.get(KMSClient).send(new CreateKeyCommand({}));
      const disabled = await clients.get(KMSClient).send(new CreateKeyCommand({}));
      await clients.get(KMSClient).send(new DisableKeyCommand({ KeyId: disabled.KeyMetadata?.KeyId }));
      const video = clients.get(KinesisVideoClient);
      await video.send(new CreateStreamCommand({ StreamName: 'default-key' }));
      await video.send(new CreateStreamCommand({ StreamName: 'customer-key', KmsKeyId: good.KeyMetadata?.Arn }));
      await video.send(new CreateStreamCommand({ StreamName: 'disabled-key', KmsKeyId: disabled.KeyMetadata?.Arn }));
      await video.send(new CreateStreamCommand({ StreamName: 'research-cam', Tags: { 'hipaa-safeguards:exempt': 'IRB-22 no PHI' } }));
      const calls = interceptClient(KinesisVideoClient, {});
      // Act
      const { results, failures } = await scan({ safeguards: [rule], region: 'us-east-1', endpoint });
      // Assert
      expect(failures).to.deep.equal([]);
      expect(Object.fromEntries(results.map((r) => [r.resourceId, r.compliance]))).to.deep.equal({
        'default-key': 'NON_COMPLIANT',
        'customer-key': 'COMPLIANT',
        'disabled-key': 'NON_COMPLIANT',
        'research-cam': 'NOT_APPLICABLE',
      });
      expect(calls.of('ListTagsForStream')).to.deep.equal([]);
    });

    it('with tag:GetResources refused, reports the emulator gap (no ListTagsForStream on moto) for this kind instead of guessing tags', async () => {
      await clients.get(KinesisVideoClient).send(new CreateStreamCommand({ StreamName: 'cam' }));
      interceptClient(ResourceGroupsTaggingAPIClient, {
        GetResources: () => {
          throw accessDenied();
        },
      });
      const { results, failures } = await scan({ safeguards: [rule], region: 'us-east-1', endpoint, maxAttempts: 1 });
      expect(results).to.deep.equal([]);
      expect(failures.map((f) => [f.rule, f.resourceType])).to.deep.equal([['kinesis-video-stream-customer-key', TYPE]]);
    });

    it('judges a change event from the configuration item', async () => {
      const item = eventStyleItem({ resourceType: TYPE, name: 'ward-cam', arn: `arn:aws:kinesisvideo:us-east-1:${ACCOUNT}:stream/ward-cam/1`, configuration: { Name: 'ward-cam', KmsKeyId: '' } });
      interceptConfig({});
      const { evaluations } = await createRuleHandler(rule, { endpoint })(changeEvent(item));
      expect(evaluations[0]).to.deep.include({ ComplianceResourceType: TYPE, ComplianceResourceId: 'ward-cam', ComplianceType: 'NON_COMPLIANT' });
    });
  });
});
