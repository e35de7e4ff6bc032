import { CreateQueueCommand, GetQueueAttributesCommand, ListQueueTagsCommand, ListQueuesCommand, QueueDoesNotExist, SQSClient, SetQueueAttributesCommand, TagQueueCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { QueueConfiguration, type SqsQueue, sqsQueueResource } from '../../rules/resources/sqs-queue';
import { AwsClients } from '../../rules/runtime/clients';
import { parseConfigurationItem } from '../../rules/runtime/event';
import { type ListingNote, type Safeguard, UnreadableResource } from '../../rules/runtime/safeguard';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import { sqsQueueEncrypted } from '../../rules/sqs-queue-encrypted';
import { sqsQueueTlsOnly } from '../../rules/sqs-queue-tls-only';
import { judgeProperties } from '../../rules/prevention/judge';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';
import { planAsTemplate } from '../../scripts/lib/template/terraform';
import { configResourceSchema, leafPaths } from '../helpers/schema-paths';
import { useMoto } from '../helpers/moto';
import { taggingDenied } from '../helpers/tagging';

const NOW = new Date('2026-11-22T12:00:00Z');
const ACCOUNT = '123456789012';
const URL = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/intake`;
const ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:intake`;
const TLS_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'DenyHttp', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: ARN, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
});

/** A configuration item as Config delivers it in a change notification (event style). */
const item = (configuration: Record<string, unknown>, tags: Record<string, string> = {}) =>
  parseConfigurationItem(
    {
      configurationItemVersion: '1.3',
      configurationItemCaptureTime: '2026-11-22T11:00:00.000Z',
      configurationItemStatus: 'OK',
      configurationStateId: '1',
      awsAccountId: ACCOUNT,
      awsRegion: 'us-east-1',
      resourceType: 'AWS::SQS::Queue',
      resourceId: URL,
      resourceName: 'intake',
      ARN,
      configuration: { QueueName: 'intake', QueueUrl: URL, QueueArn: ARN, ...configuration },
      tags,
    },
    'fixture',
  );
const fromItem = (configuration: Record<string, unknown>, tags?: Record<string, string>) => {
  const read = sqsQueueResource.fromConfigurationItem;
  if (!read) throw new Error('SQS queues are recorded by Config');
  return read(item(configuration, tags));
};
const list = (clients: AwsClients, options?: { concurrency?: number; onNote?: (n: ListingNote) => void }) => {
  const [lister] = sqsQueueResource.listers;
  if (!lister) throw new Error('no lister');
  return lister.list(clients, options);
};
async function collect(items: AsyncIterable<SqsQueue | UnreadableResource>): Promise<SqsQueue[]> {
  const out: SqsQueue[] = [];
  for await (const i of items) {
    if (i instanceof UnreadableResource) throw i.error;
    out.push(i);
  }
  return out;
}

describe('resources/sqs-queue', () => {
  it('reads only configuration properties that AWS Config records for AWS::SQS::Queue', () => {
    const schema = configResourceSchema('AWS::SQS::Queue');
    const read = leafPaths(QueueConfiguration, 'configuration');
    expect(read).to.include.members(['configuration.KmsMasterKeyId', 'configuration.SqsManagedSseEnabled']);
    for (const path of [...read, 'resourceId', 'resourceName', 'arn', 'tags.key']) expect(schema, `schema has ${path}`).to.have.property(path);
    // The Config schema has no Policy: the TLS rule reads it itself.
    expect(schema).to.not.have.property('configuration.Policy');
  });

  it('builds the view from a configuration item: the queue URL is the ID, the policy is not recorded', () => {
    expect(fromItem({ KmsMasterKeyId: 'alias/phi', SqsManagedSseEnabled: 'false' }, { team: 'a' })).to.deep.equal({
      id: URL,
      resourceType: 'AWS::SQS::Queue',
      name: 'intake',
      url: URL,
      arn: ARN,
      kmsMasterKeyId: 'alias/phi',
      sqsManagedSseEnabled: false,
      policy: { kind: 'not-recorded' },
      policyResourceNames: [ARN],
      tags: { team: 'a' },
    });
  });

  it('fails on a malformed item naming the field', () => {
    expect(() => fromItem({ KmsMasterKeyId: 7 })).to.throw(/Malformed AWS::SQS::Queue configuration item .*configuration\.KmsMasterKeyId/);
  });

  describe('listing (moto)', () => {
    let clients: AwsClients;
    let sqs: SQSClient;
    beforeEach(async function () {
      this.timeout(60_000);
      const moto = await useMoto();
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint });
      sqs = clients.get(SQSClient);
    });

    const create = async (name: string, attributes: Record<string, string> = {}, tags: Record<string, string> = {}) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, ...(Object.keys(tags).length ? { tags } : {}) }));
      if (!QueueUrl) throw new Error('moto returned no QueueUrl');
      return QueueUrl;
    };

    it('lists every queue with its encryption, policy and bulk tags', async () => {
      // Arrange
      const kms = await create('kms', { KmsMasterKeyId: 'alias/aws/sqs' }, { 'hipaa-safeguards:exempt': 'CHG-1' });
      const plain = await create('plain', { SqsManagedSseEnabled: 'false' });
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: plain, Attributes: { Policy: TLS_POLICY } }));
      const notes: ListingNote[] = [];
      // Act
      const queues = await collect(list(clients, { concurrency: 4, onNote: (n) => notes.push(n) }));
      // Assert
      const byName = new Map(queues.map((q) => [q.name, q]));
      expect([...byName.keys()].sort()).to.deep.equal(['kms', 'plain']);
      expect(byName.get('kms')).to.deep.include({ id: kms, url: kms, kmsMasterKeyId: 'alias/aws/sqs', tags: { 'hipaa-safeguards:exempt': 'CHG-1' }, policy: { kind: 'read' } });
      expect(byName.get('kms')?.arn).to.match(/^arn:aws:sqs:us-east-1:\d{12}:kms$/);
      // moto writes the policy back re-serialized (Python json.dumps): the same document.
      expect(byName.get('plain')).to.deep.include({ sqsManagedSseEnabled: false, tags: {} });
      const policy = byName.get('plain')?.policy;
      expect(policy?.kind === 'read' && policy.document ? JSON.parse(policy.document) : undefined).to.deep.equal(JSON.parse(TLS_POLICY));
      expect(notes).to.deep.equal([{ resourceType: 'AWS::SQS::Queue', source: 'api', tags: 'bulk' }]);
    });

    it('reads tags per queue (ListQueueTags) when tag:GetResources is refused', async () => {
      await create('tagged', {}, { owner: 'phi-team' });
      const tagging = taggingDenied();
      try {
        const notes: ListingNote[] = [];
        const queues = await collect(list(clients, { onNote: (n) => notes.push(n) }));
        expect(queues.map((q) => q.tags)).to.deep.equal([{ owner: 'phi-team' }]);
        expect(notes[0]).to.deep.include({ tags: 'per-resource' });
      } finally {
        tagging.restore();
      }
    });

    it('gives one verdict per rule across the configuration item and the API', async () => {
      // Arrange: the same queue state as the API reads it and as Config records it
      const url = await create('same', { KmsMasterKeyId: 'alias/aws/sqs' });
      await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { team: 'a' } }));
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: TLS_POLICY.replace(ARN, '*') } }));
      const [api] = await collect(list(clients));
      if (!api) throw new Error('no queue');
      const fromConfig = { ...fromItem({ QueueName: 'same', QueueUrl: url, QueueArn: api.arn, KmsMasterKeyId: 'alias/aws/sqs', SqsManagedSseEnabled: 'false' }, { team: 'a' }), id: url, name: 'same' };
      const ctx = newJudgeContext(clients, NOW);
      for (const rule of [sqsQueueEncrypted, sqsQueueTlsOnly] as unknown as Safeguard<SqsQueue>[]) {
        const params = parseParameters(rule.schema, {});
        // Act
        const a = await judge(rule, api, params, ctx);
        const c = await judge(rule, fromConfig, params, ctx);
        // Assert
        expect(c, rule.name).to.deep.equal(a);
        expect(a.compliance, rule.name).to.equal('COMPLIANT');
      }
    });

    it('judges the TLS rule from a configuration item by reading the policy (GetQueueAttributes)', async () => {
      const url = await create('nopolicy');
      const view = { ...fromItem({ QueueName: 'nopolicy', QueueUrl: url }), id: url, url, name: 'nopolicy' };
      const v = await judge(sqsQueueTlsOnly, view, parseParameters(sqsQueueTlsOnly.schema, {}), newJudgeContext(clients, NOW));
      expect(v.annotation).to.equal('Queue nopolicy has no queue policy, so it accepts requests without TLS. Deny sqs:* to Principal * on the queue when aws:SecureTransport is false, with no other condition. 45 CFR 164.312(e)(2)(ii)');
    });
  });

  describe('API answers (mocked)', () => {
    afterEach(() => undefined);
    it('skips a queue deleted between ListQueues and GetQueueAttributes, and fails only a queue with no QueueArn', async () => {
      // Arrange: shapes from the botocore model sqs-2012-11-05 (GetQueueAttributesResult.Attributes is a map of strings)
      const mock = mockClient(SQSClient);
      const tagging = taggingDenied();
      try {
        mock.on(ListQueuesCommand).resolves({ QueueUrls: [`${URL}-gone`, `${URL}-odd`, URL] });
        mock.on(GetQueueAttributesCommand, { QueueUrl: `${URL}-gone` }).rejects(new QueueDoesNotExist({ message: 'gone', $metadata: {} }));
        mock.on(GetQueueAttributesCommand, { QueueUrl: `${URL}-odd` }).resolves({ Attributes: { KmsMasterKeyId: 'alias/phi' } });
        mock.on(GetQueueAttributesCommand, { QueueUrl: URL }).resolves({ Attributes: { QueueArn: ARN, SqsManagedSseEnabled: 'true' } });
        mock.on(ListQueueTagsCommand).resolves({ Tags: { a: 'b' } });
        const out: (SqsQueue | UnreadableResource)[] = [];
        // Act
        for await (const q of list(new AwsClients({ region: 'us-east-1' }))) out.push(q);
        // Assert
        expect(out).to.have.lengthOf(2);
        expect(out[0]).to.be.instanceOf(UnreadableResource);
        expect((out[0] as UnreadableResource).error.message).to.contain('Attributes.QueueArn');
        expect(out[1]).to.deep.include({ id: URL, name: 'intake', sqsManagedSseEnabled: true, tags: { a: 'b' }, policy: { kind: 'read' } });
      } finally {
        mock.restore();
        tagging.restore();
      }
    });
  });

  describe('CloudFormation and Terraform', () => {
    const judgeQueue = async (properties: Record<string, unknown>, template: Record<string, { type: string; properties: unknown }> = {}) =>
      judgeProperties({ resourceType: 'AWS::SQS::Queue', logicalId: 'Intake', properties, template: { Intake: { type: 'AWS::SQS::Queue', properties }, ...template } });
    const verdictOf = (verdicts: { rule: string; compliance: string; annotation: string }[], rule: string) => verdicts.find((v) => v.rule === rule);

    it('judges a queue without encryption settings as SSE-SQS (the service default) and its template policy', async () => {
      const verdicts = await judgeQueue(
        { QueueName: 'intake' },
        {
          IntakePolicy: {
            type: 'AWS::SQS::QueuePolicy',
            properties: { Queues: ['«!Ref Intake»'], PolicyDocument: { Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['sqs:*'], Resource: '«!GetAtt Intake.Arn»', Condition: { BoolIfExists: { 'aws:SecureTransport': ['false'] } } }] } },
          },
        },
      );
      expect(verdictOf(verdicts, 'sqs-queue-encrypted')?.annotation).to.equal('Queue intake uses SQS-owned keys (SSE-SQS), which allowServiceManagedKeys does not allow. Set KmsMasterKeyId to a KMS key. 45 CFR 164.312(a)(2)(iv)');
      expect(verdictOf(verdicts, 'sqs-queue-tls-only')).to.deep.include({ compliance: 'COMPLIANT', annotation: 'Queue intake denies every request without TLS (policy statement #1). 45 CFR 164.312(e)(2)(ii)' });
    });

    it('is UNKNOWN for the TLS rule when no policy in the template names the queue (defined elsewhere)', async () => {
      const verdicts = await judgeQueue({ QueueName: 'intake', KmsMasterKeyId: 'alias/aws/sqs' });
      expect(verdictOf(verdicts, 'sqs-queue-encrypted')?.compliance).to.equal('COMPLIANT');
      expect(verdictOf(verdicts, 'sqs-queue-tls-only')).to.deep.include({
        compliance: 'UNKNOWN',
        annotation:
          'Queue intake cannot be judged before deployment: the policy of queue Intake (no QueuePolicy or QueueInlinePolicy here names it: it is defined elsewhere) is not known. Set it in the template or check with account credentials. 45 CFR 164.312(e)(2)(ii)',
      });
    });

    it('judges an inline policy narrowed to some actions as NON_COMPLIANT, saying why', async () => {
      const verdicts = await judgeQueue(
        { QueueName: 'intake', KmsMasterKeyId: 'alias/aws/sqs' },
        { Inline: { type: 'AWS::SQS::QueueInlinePolicy', properties: { Queue: '«!Ref Intake»', PolicyDocument: { Statement: [{ Sid: 'OnlySend', Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false } } }] } } } },
      );
      expect(verdictOf(verdicts, 'sqs-queue-tls-only')?.annotation).to.equal(
        'Queue intake policy statement OnlySend does not deny every request without TLS: it denies some actions only, not sqs:*. Deny sqs:* to Principal * on the queue when aws:SecureTransport is false, with no other condition. 45 CFR 164.312(e)(2)(ii)',
      );
    });

    it('translates a Terraform queue, its inline policy and aws_sqs_queue_policy into the CloudFormation shape', () => {
      expect(translateTerraform('aws_sqs_queue', { name: 'intake', kms_master_key_id: 'alias/phi', sqs_managed_sse_enabled: false, policy: TLS_POLICY, tags: { a: 'b' } })).to.deep.equal({
        resourceType: 'AWS::SQS::Queue',
        properties: { QueueName: 'intake', KmsMasterKeyId: 'alias/phi', SqsManagedSseEnabled: false, Tags: [{ Key: 'a', Value: 'b' }] },
        inlinePolicy: { resourceType: 'AWS::SQS::QueueInlinePolicy', targetProperty: 'Queue', document: TLS_POLICY },
      });
      expect(translateTerraform('aws_sqs_queue_policy', { queue_url: '«!GetAtt aws_sqs_queue_intake.id»', policy: TLS_POLICY })).to.deep.equal({
        resourceType: 'AWS::SQS::QueuePolicy',
        properties: { Queues: ['«!GetAtt aws_sqs_queue_intake.id»'], PolicyDocument: TLS_POLICY },
      });
    });

    it('judges a Terraform plan: the inline policy becomes the queue\'s policy resource, a policy known only after apply is UNKNOWN', async () => {
      // Arrange: two queues of a `terraform show -json` plan; one policy is known, the other references the queue's ARN
      const plan = {
        format_version: '1.2',
        planned_values: {
          root_module: {
            resources: [
              { address: 'aws_sqs_queue.intake', mode: 'managed', type: 'aws_sqs_queue', values: { name: 'intake', kms_master_key_id: 'alias/aws/sqs', policy: TLS_POLICY.replace(`"${ARN}"`, '"*"') } },
              { address: 'aws_sqs_queue.outbox', mode: 'managed', type: 'aws_sqs_queue', values: { name: 'outbox', kms_master_key_id: 'alias/aws/sqs' } },
              { address: 'aws_sqs_queue_policy.outbox', mode: 'managed', type: 'aws_sqs_queue_policy', values: {} },
            ],
          },
        },
        resource_changes: [{ address: 'aws_sqs_queue_policy.outbox', change: { after_unknown: { queue_url: true, policy: true } } }],
        configuration: { root_module: { resources: [{ address: 'aws_sqs_queue_policy.outbox', expressions: { queue_url: { references: ['aws_sqs_queue.outbox.id', 'aws_sqs_queue.outbox'] }, policy: { references: ['aws_sqs_queue.outbox.arn', 'aws_sqs_queue.outbox'] } } }] } },
      };
      const { template } = planAsTemplate(plan);
      const resources = template.Resources as Record<string, { Type: string; Properties: unknown }>;
      const all = Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, { type: r.Type, properties: r.Properties }]));
      const tls = async (id: string) =>
        (await judgeProperties({ resourceType: 'AWS::SQS::Queue', logicalId: id, properties: resources[id]?.Properties, template: all, rules: ['sqs-queue-tls-only'] }))[0];
      // Act and Assert
      expect(Object.keys(resources).sort()).to.deep.equal(['aws_sqs_queue_intake', 'aws_sqs_queue_intake__policy', 'aws_sqs_queue_outbox', 'aws_sqs_queue_policy_outbox']);
      expect((await tls('aws_sqs_queue_intake'))?.compliance).to.equal('COMPLIANT');
      expect(await tls('aws_sqs_queue_outbox')).to.deep.include({ compliance: 'UNKNOWN', unresolved: ['the PolicyDocument of aws_sqs_queue_policy_outbox'] });
    });

    it('gives the same verdicts for the same queue from CloudFormation, a configuration item and the API view', async () => {
      // Arrange: KMS with alias/aws/sqs, a TLS-only policy naming the queue
      const cfn = await judgeQueue(
        { QueueName: 'intake', KmsMasterKeyId: 'alias/aws/sqs', SqsManagedSseEnabled: false },
        { P: { type: 'AWS::SQS::QueuePolicy', properties: { Queues: ['«!Ref Intake»'], PolicyDocument: TLS_POLICY.replace(`"${ARN}"`, '"«!GetAtt Intake.Arn»"') } } },
      );
      const api: SqsQueue = { ...fromItem({ KmsMasterKeyId: 'alias/aws/sqs', SqsManagedSseEnabled: 'false' }), policy: { kind: 'read', document: TLS_POLICY } };
      const ctx = newJudgeContext(new AwsClients({ region: 'us-east-1' }), NOW);
      for (const rule of [sqsQueueEncrypted, sqsQueueTlsOnly] as unknown as Safeguard<SqsQueue>[]) {
        const detect = await judge(rule, api, parseParameters(rule.schema, {}), ctx);
        expect(verdictOf(cfn, rule.name), rule.name).to.deep.include({ compliance: detect.compliance, annotation: detect.annotation });
      }
    });
  });
});
