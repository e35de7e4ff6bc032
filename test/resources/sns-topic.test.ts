import { CreateTopicCommand, SNSClient, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { expect } from 'chai';
import { TopicConfiguration, type SnsTopic, snsTopicResource } from '../../rules/resources/sns-topic';
import { AwsClients } from '../../rules/runtime/clients';
import { parseConfigurationItem } from '../../rules/runtime/event';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import { type ListingNote, type Safeguard, UnreadableResource } from '../../rules/runtime/safeguard';
import { judgeProperties } from '../../rules/prevention/judge';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';
import { snsTopicEncrypted } from '../../rules/sns-topic-encrypted';
import { snsTopicTlsOnly } from '../../rules/sns-topic-tls-only';
import { SNS_TOPIC_POLICY_ACTIONS } from '../../rules/runtime/secure-transport';
import { loadReference } from '../helpers/fixtures';
import { useMoto } from '../helpers/moto';
import { configResourceSchema, leafPaths } from '../helpers/schema-paths';
import { taggingDenied } from '../helpers/tagging';

const NOW = new Date('2026-11-22T12:00:00Z');
const rules = [snsTopicEncrypted, snsTopicTlsOnly] as unknown as Safeguard<SnsTopic>[];
const tlsPolicy = (resource: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: [...SNS_TOPIC_POLICY_ACTIONS], Resource: resource, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] });
const fromItem = (item: unknown) => {
  const read = snsTopicResource.fromConfigurationItem;
  if (!read) throw new Error('SNS topics are recorded by Config');
  return read(parseConfigurationItem(item, 'fixture'));
};
async function collect(items: AsyncIterable<SnsTopic | UnreadableResource>): Promise<SnsTopic[]> {
  const out: SnsTopic[] = [];
  for await (const i of items) {
    if (i instanceof UnreadableResource) throw i.error;
    out.push(i);
  }
  return out;
}
const list = (clients: AwsClients, options?: { onNote?: (n: ListingNote) => void; concurrency?: number }) => {
  const [lister] = snsTopicResource.listers;
  if (!lister) throw new Error('no lister');
  return lister.list(clients, options);
};

describe('resources/sns-topic', () => {
  it('reads only configuration properties that AWS Config records for AWS::SNS::Topic', () => {
    const schema = configResourceSchema('AWS::SNS::Topic');
    for (const path of [...leafPaths(TopicConfiguration, 'configuration'), 'resourceId', 'arn']) expect(schema, `schema has ${path}`).to.have.property(path);
  });

  it('builds the view from the real captured item: the ARN is the ID and names the topic; the policy is read by the rule', () => {
    // The capture carries Policy, which the Config schema of AWS::SNS::Topic does not list: the view does not rely on it.
    const topic = fromItem(loadReference('C-config-items-and-events/rdk-example-ci/AWS_SNS_Topic.json'));
    expect(topic).to.deep.equal({
      id: 'arn:aws:sns:us-east-1:123456789012:topic',
      resourceType: 'AWS::SNS::Topic',
      name: 'topic',
      arn: 'arn:aws:sns:us-east-1:123456789012:topic',
      policy: { kind: 'not-recorded' },
      policyResourceNames: ['arn:aws:sns:us-east-1:123456789012:topic'],
      tags: {},
    });
  });

  describe('listing (moto)', () => {
    let clients: AwsClients;
    let sns: SNSClient;
    beforeEach(async function () {
      this.timeout(60_000);
      const moto = await useMoto();
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint });
      sns = clients.get(SNSClient);
    });

    it('lists every topic with its key, policy and bulk tags, all pages', async () => {
      // Arrange: more than one ListTopics page (100 a page)
      for (let i = 0; i < 102; i++) await sns.send(new CreateTopicCommand({ Name: `t${String(i).padStart(3, '0')}` }));
      await sns.send(new CreateTopicCommand({ Name: 'alerts', Attributes: { KmsMasterKeyId: 'alias/aws/sns' }, Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-2' }] }));
      const notes: ListingNote[] = [];
      // Act
      const topics = await collect(list(clients, { concurrency: 8, onNote: (n) => notes.push(n) }));
      // Assert
      expect(topics).to.have.lengthOf(103);
      const alerts = topics.find((t) => t.name === 'alerts');
      expect(alerts).to.deep.include({ kmsMasterKeyId: 'alias/aws/sns', tags: { 'hipaa-safeguards:exempt': 'CHG-2' } });
      expect(alerts?.policy.kind === 'read' && typeof alerts.policy.document === 'string').to.equal(true);
      expect(notes).to.deep.equal([{ resourceType: 'AWS::SNS::Topic', source: 'api', tags: 'bulk' }]);
    });

    it('reads tags per topic (ListTagsForResource) when tag:GetResources is refused', async () => {
      await sns.send(new CreateTopicCommand({ Name: 'alerts', Tags: [{ Key: 'owner', Value: 'phi-team' }] }));
      const tagging = taggingDenied();
      try {
        expect((await collect(list(clients))).map((t) => t.tags)).to.deep.equal([{ owner: 'phi-team' }]);
      } finally {
        tagging.restore();
      }
    });

    it('gives one verdict per rule across the API, a configuration item and the CloudFormation template', async () => {
      // Arrange: KMS with alias/aws/sns and a TLS-only policy, in all three sources
      const arn = (await sns.send(new CreateTopicCommand({ Name: 'alerts', Attributes: { KmsMasterKeyId: 'alias/aws/sns' } }))).TopicArn ?? '';
      await sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: tlsPolicy(arn) }));
      const [api] = await collect(list(clients));
      if (!api) throw new Error('no topic');
      const item = fromItem({
        ...loadReference<Record<string, unknown>>('C-config-items-and-events/rdk-example-ci/AWS_SNS_Topic.json'),
        resourceId: arn,
        arn,
        configuration: { TopicArn: arn, KmsMasterKeyId: 'alias/aws/sns' },
      });
      const cfn = await judgeProperties({
        resourceType: 'AWS::SNS::Topic',
        logicalId: 'Alerts',
        properties: { TopicName: 'alerts', KmsMasterKeyId: 'alias/aws/sns' },
        template: { P: { type: 'AWS::SNS::TopicPolicy', properties: { Topics: ['«!Ref Alerts»'], PolicyDocument: JSON.parse(tlsPolicy('«!Ref Alerts»')) as unknown } } },
      });
      const ctx = newJudgeContext(clients, NOW);
      for (const rule of rules) {
        const params = parseParameters(rule.schema, {});
        // Act
        const a = await judge(rule, api, params, ctx);
        const c = await judge(rule, item, params, ctx);
        // Assert
        expect(a.compliance, rule.name).to.equal('COMPLIANT');
        expect(c, rule.name).to.deep.equal(a);
        expect(cfn.find((v) => v.rule === rule.name), rule.name).to.deep.include({ compliance: a.compliance, annotation: a.annotation });
      }
    });
  });

  describe('CloudFormation and Terraform', () => {
    it('judges a topic without KmsMasterKeyId NON_COMPLIANT and a policy defined elsewhere UNKNOWN', async () => {
      const verdicts = await judgeProperties({ resourceType: 'AWS::SNS::Topic', logicalId: 'Alerts', properties: { TopicName: 'alerts' }, template: {} });
      expect(verdicts.map((v) => [v.rule, v.compliance])).to.deep.equal([
        ['sns-topic-encrypted', 'NON_COMPLIANT'],
        ['sns-topic-tls-only', 'UNKNOWN'],
      ]);
    });

    it('is UNKNOWN when two policies of the template name the topic (each replaces the other)', async () => {
      const policy = { type: 'AWS::SNS::TopicPolicy', properties: { Topics: ['«!Ref Alerts»'], PolicyDocument: JSON.parse(tlsPolicy('«!Ref Alerts»')) as unknown } };
      const verdicts = await judgeProperties({ resourceType: 'AWS::SNS::Topic', logicalId: 'Alerts', properties: { KmsMasterKeyId: 'alias/aws/sns' }, template: { A: policy, B: { type: 'AWS::SNS::TopicInlinePolicy', properties: { TopicArn: '«!Ref Alerts»', PolicyDocument: {} } } } });
      expect(verdicts.find((v) => v.rule === 'sns-topic-tls-only')?.annotation).to.contain('which topic policy of Alerts applies (A, B each replace the others)');
    });

    it('translates a Terraform topic with an inline policy and aws_sns_topic_policy', () => {
      expect(translateTerraform('aws_sns_topic', { name: 'alerts', kms_master_key_id: 'alias/aws/sns', policy: '{"Statement":[]}', tags_all: { a: 'b' } })).to.deep.equal({
        resourceType: 'AWS::SNS::Topic',
        properties: { TopicName: 'alerts', KmsMasterKeyId: 'alias/aws/sns', Tags: [{ Key: 'a', Value: 'b' }] },
        inlinePolicy: { resourceType: 'AWS::SNS::TopicInlinePolicy', targetProperty: 'TopicArn', document: '{"Statement":[]}' },
      });
      expect(translateTerraform('aws_sns_topic_policy', { arn: '«!GetAtt aws_sns_topic_alerts.arn»', policy: '{"Statement":[]}' })).to.deep.equal({
        resourceType: 'AWS::SNS::TopicPolicy',
        properties: { Topics: ['«!GetAtt aws_sns_topic_alerts.arn»'], PolicyDocument: '{"Statement":[]}' },
      });
    });
  });
});
