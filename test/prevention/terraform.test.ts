import { join } from 'node:path';
import { expect } from 'chai';
import { checkTemplates, type TemplateResult } from '../../scripts/lib/check-template';
import { readTemplate } from '../../scripts/lib/template/read';
import { logicalIdOf } from '../../scripts/lib/template/terraform';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';

const PLAN = join(__dirname, '..', 'fixtures', 'terraform', 'phi-plan.json');
const [C, N, A, U] = ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'UNKNOWN'] as const;
const EC_RULES = [
  'elasticache-encrypted-at-rest',
  'elasticache-encrypted-in-transit',
  'elasticache-auth-enabled',
  'elasticache-engine-hipaa-eligible',
  'elasticache-security-updates-applied',
  'elasticache-current-generation-nodes',
];
const ec = (address: string, values: readonly string[]) => Object.fromEntries(EC_RULES.map((rule, i) => [`${address} ${rule}`, values[i] ?? '']));
const verdicts = (results: readonly TemplateResult[]) => Object.fromEntries(results.map((r) => [`${r.logicalId} ${r.rule}`, r.compliance]));

describe('check-template: Terraform plans (terraform show -json)', () => {
  it('reads a plan as resources named by address, values unknown until apply as markers', () => {
    // Act
    const file = readTemplate(PLAN);
    const resources = file.template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    // Assert
    expect(file.flavor).to.equal('terraform-plan');
    expect(file.names?.[logicalIdOf('module.media.aws_kinesis_video_stream.camera')]).to.equal('module.media.aws_kinesis_video_stream.camera');
    // kms_key_id is unknown until apply and refers to aws_kms_key.phi: its facts come from that resource
    expect(resources.aws_kinesis_stream_events?.Properties.StreamEncryption).to.deep.equal({ EncryptionType: 'KMS', KeyId: '«!GetAtt aws_kms_key_phi.arn»' });
    // unknown until apply, from a variable: unknown
    expect(resources.aws_elasticache_replication_group_pinned_by_var?.Properties.EngineVersion).to.equal('«known after apply»');
    // computed by the provider, not configured: the service default (absent)
    expect(resources.module_media_aws_kinesis_video_stream_camera?.Properties).to.not.have.property('KmsKeyId');
    // tags_all (with default_tags) is what AWS gets
    expect(resources.aws_kinesis_stream_events?.Properties.Tags).to.deep.equal([{ Key: 'team', Value: 'ingest' }, { Key: 'owner', Value: 'platform' }]);
  });

  it('judges every catalog resource of the plan with the same safeguards', async () => {
    // Act
    const { results, templates } = await checkTemplates({ paths: [PLAN], parameters: { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } } });
    // Assert
    expect(templates).to.deep.equal([{ file: 'test/fixtures/terraform/phi-plan.json', flavor: 'terraform-plan' }]);
    expect(verdicts(results)).to.deep.equal({
      'aws_kinesis_stream.events kinesis-stream-encrypted': C,
      'aws_kinesis_stream.raw kinesis-stream-encrypted': N,
      'aws_kinesis_stream.exempt kinesis-stream-encrypted': A,
      'aws_kinesis_firehose_delivery_stream.audit firehose-delivery-stream-encrypted': N,
      'module.media.aws_kinesis_video_stream.camera kinesis-video-stream-customer-key': N,
      ...ec('aws_elasticache_replication_group.sessions', [C, C, N, C, C, C]),
      ...ec('aws_elasticache_replication_group.pinned_by_var', [U, U, U, U, U, U]),
      ...ec('aws_elasticache_cluster.legacy', [N, N, A, N, C, N]),
      ...ec('aws_elasticache_serverless_cache.open', [C, C, N, C, A, A]),
    });
    const line = results.find((r) => r.logicalId === 'aws_kinesis_stream.raw')?.line ?? 0;
    expect(line).to.be.greaterThan(0);
    expect(results.find((r) => r.logicalId === 'aws_elasticache_replication_group.pinned_by_var')?.annotation).to.contain('EngineVersion (known after apply) is not known');
  });

  it('translates provider attribute names and defaults (encryption_type NONE, DirectPut, member clusters skipped)', () => {
    expect(translateTerraform('aws_kinesis_stream', { name: 's' })?.properties).to.deep.equal({ Name: 's', Tags: [] });
    expect(translateTerraform('aws_kinesis_firehose_delivery_stream', { name: 'f', server_side_encryption: [{ enabled: true, key_type: 'CUSTOMER_MANAGED_CMK', key_arn: 'arn:k' }] })?.properties).to.deep.include({
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: 'arn:k' },
    });
    expect(translateTerraform('aws_elasticache_cluster', { cluster_id: 'm', replication_group_id: 'g' })).to.equal(undefined);
    expect(translateTerraform('aws_s3_bucket', {})).to.equal(undefined);
  });
});
