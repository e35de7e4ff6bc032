import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { judgeProperties } from '../../rules/prevention/judge';
import { rdsEncryptedAtRest } from '../../rules/rds-encrypted-at-rest';
import { rdsTlsEnforced } from '../../rules/rds-tls-enforced';
import { parseConfigurationItem } from '../../rules/runtime/event';
import { parseParameters } from '../../rules/runtime/parameters';
import { translateTerraform } from '../../rules/resources/terraform/plan-resources';
import { DBClusterSchema, DBInstanceSchema, type RdsDatabase, rdsClusterFromApi, rdsFromConfigurationItem, rdsInstanceFromApi, rdsResource } from '../../rules/resources/rds';
import { rdsFromCloudFormation } from '../../rules/resources/cloudformation/rds';
import { checkTemplates } from '../../scripts/lib/check-template';

const REFERENCE = join(__dirname, '..', '..', '..', 'shared', 'reference');
const NOW = new Date('2026-11-22T12:00:00Z');
const FIXTURES = join(__dirname, '..', 'fixtures');

/** The real captured AWS::RDS::DBInstance configuration item (cloud-custodian), as the Lambda receives it. */
function capturedInstanceItem() {
  const event = JSON.parse(readFileSync(join(REFERENCE, 'C-config-items-and-events', 'cloud-custodian-real-captures', 'rds-from-rule.json'), 'utf8')) as { invokingEvent: string };
  const item = (JSON.parse(event.invokingEvent) as { configurationItem: unknown }).configurationItem;
  return parseConfigurationItem(item, 'invokingEvent.configurationItem');
}

/** A cluster item in the field names of the AWS::RDS::DBCluster Config schema (no real capture in the reference set). */
function clusterItem(configuration: Record<string, unknown>) {
  return parseConfigurationItem(
    {
      configurationItemVersion: '1.3',
      configurationItemCaptureTime: '2026-11-22T11:00:00.000Z',
      configurationItemStatus: 'OK',
      configurationStateId: '1',
      awsAccountId: '123456789012',
      awsRegion: 'us-east-1',
      resourceType: 'AWS::RDS::DBCluster',
      resourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      resourceName: 'docs',
      ARN: 'arn:aws:rds:us-east-1:123456789012:cluster:docs',
      configuration,
      tags: { team: 'records' },
      relationships: [],
    },
    'configurationItem',
  );
}

describe('resources/rds', () => {
  it('reads only configuration properties AWS Config records for AWS::RDS::DBInstance and AWS::RDS::DBCluster', () => {
    const read = {
      'AWS-RDS-DBInstance': ['dBInstanceIdentifier', 'dBInstanceArn', 'engine', 'engineVersion', 'storageEncrypted', 'kmsKeyId', 'dBClusterIdentifier', 'dBParameterGroups.dBParameterGroupName', 'dBParameterGroups.parameterApplyStatus', 'optionGroupMemberships.optionGroupName'],
      'AWS-RDS-DBCluster': ['dbclusterIdentifier', 'dbclusterArn', 'engine', 'engineVersion', 'storageEncrypted', 'kmsKeyId', 'dbclusterParameterGroup', 'dbclusterMembers.dbclusterParameterGroupStatus'],
    };
    for (const [type, fields] of Object.entries(read)) {
      const schema = JSON.parse(readFileSync(join(REFERENCE, 'A-config-resource-schema', `${type}.properties.json`), 'utf8')) as Record<string, string>;
      for (const f of fields) expect(schema, `${type} configuration.${f}`).to.have.property(`configuration.${f}`);
    }
  });

  it('builds the view of the real captured DB instance item, ID = its dbiResourceId', () => {
    const view = rdsFromConfigurationItem(capturedInstanceItem());
    expect(view).to.deep.equal({
      kind: 'instance',
      id: 'db-KOCU7UR74VM3AC4R3H2UXX7PE4',
      resourceType: 'AWS::RDS::DBInstance',
      name: 'c7n-data-index',
      arn: 'arn:aws:rds:us-east-1:644160558196:db:c7n-data-index',
      engine: 'postgres',
      engineVersion: '9.6.3',
      storageEncrypted: false,
      parameterGroup: { name: 'default.postgres9.6', status: 'in-sync' },
      optionGroups: ['default:postgres-9-6'],
      tags: { 'workload-type': 'other' },
    });
  });

  it('builds a cluster view from an item, its group status the first member that is not in sync', () => {
    const view = rdsFromConfigurationItem(
      clusterItem({
        dbclusterIdentifier: 'docs',
        engine: 'docdb',
        engineVersion: '5.0.0',
        storageEncrypted: true,
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
        dbclusterParameterGroup: 'docs-tls',
        dbclusterMembers: [{ dbinstanceIdentifier: 'docs-1', dbclusterParameterGroupStatus: 'in-sync' }, { dbinstanceIdentifier: 'docs-2', dbclusterParameterGroupStatus: 'pending-reboot' }],
      }),
    );
    expect(view).to.include({ kind: 'cluster', id: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', name: 'docs', engine: 'docdb', storageEncrypted: true });
    expect(view.parameterGroup).to.deep.equal({ name: 'docs-tls', status: 'pending-reboot' });
  });

  it('fails with a message naming the field when an item lacks its engine', () => {
    expect(() => rdsFromConfigurationItem(clusterItem({ dbclusterIdentifier: 'docs' }))).to.throw(/Malformed AWS::RDS::DBCluster configuration item cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ: .*engine/);
  });

  it('gives one verdict per rule whichever source describes the same database (item, API, template, Terraform plan)', async () => {
    // Arrange: one unencrypted PostgreSQL 14 instance on the default group, four ways
    const fromItem = rdsFromConfigurationItem(capturedInstanceItem());
    const api = DBInstanceSchema.parse({
      DBInstanceIdentifier: 'c7n-data-index',
      DbiResourceId: 'db-KOCU7UR74VM3AC4R3H2UXX7PE4',
      Engine: 'postgres',
      EngineVersion: '9.6.3',
      StorageEncrypted: false,
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres9.6', ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-9-6' }],
      TagList: [{ Key: 'workload-type', Value: 'other' }],
    });
    const fromApi = rdsInstanceFromApi(api);
    const template = { resourceType: 'AWS::RDS::DBInstance', logicalId: 'Index', properties: { DBInstanceIdentifier: 'c7n-data-index', Engine: 'postgres', EngineVersion: '9.6.3' } };
    const fromTemplate = rdsFromCloudFormation(template);
    const tf = translateTerraform('aws_db_instance', { identifier: 'c7n-data-index', engine: 'postgres', engine_version: '9.6.3', storage_encrypted: false });
    const fromTerraform = rdsFromCloudFormation({ resourceType: tf?.resourceType ?? '', logicalId: 'aws_db_instance.index', properties: tf?.properties });
    // Act
    const verdicts = (db: RdsDatabase) =>
      [rdsEncryptedAtRest, rdsTlsEnforced].map((rule) => rule.evaluate(db, parseParameters(rule.schema, {}) as never, { now: NOW, facts: { key: undefined, kind: 'none' } as never }).compliance);
    // Assert
    for (const view of [fromItem, fromApi, fromTemplate, fromTerraform]) expect(verdicts(view), view.id).to.deep.equal(['NON_COMPLIANT', 'NON_COMPLIANT']);
    const judged = await judgeProperties({ ...template, now: NOW });
    expect(judged.map((v) => v.compliance)).to.deep.equal(['NON_COMPLIANT', 'NON_COMPLIANT']);
  });

  it('builds a cluster view from DescribeDBClusters with its inline TagList and members\' group status', () => {
    const c = DBClusterSchema.parse({
      DBClusterIdentifier: 'aurora',
      DbClusterResourceId: 'cluster-XYZ',
      DBClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:aurora',
      Status: 'available',
      Engine: 'aurora-mysql',
      EngineVersion: '8.0.mysql_aurora.3.07.1',
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
      DBClusterParameterGroup: 'aurora-tls',
      DBClusterMembers: [{ DBInstanceIdentifier: 'aurora-1', IsClusterWriter: true, DBClusterParameterGroupStatus: 'applying', PromotionTier: 1 }],
      TagList: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-1' }],
    });
    expect(rdsClusterFromApi(c)).to.deep.include({ id: 'cluster-XYZ', parameterGroup: { name: 'aurora-tls', status: 'applying' }, tags: { 'hipaa-safeguards:exempt': 'CHG-1' } });
  });

  it('names every property path it reads from CloudFormation, each in the registry schema of its type', () => {
    const files: Record<string, string> = {
      'AWS::RDS::DBInstance': 'aws-rds-dbinstance',
      'AWS::RDS::DBCluster': 'aws-rds-dbcluster',
      'AWS::DocDB::DBCluster': 'aws-docdb-dbcluster',
      'AWS::Neptune::DBCluster': 'aws-neptune-dbcluster',
      'AWS::RDS::DBParameterGroup': 'aws-rds-dbparametergroup',
      'AWS::RDS::DBClusterParameterGroup': 'aws-rds-dbclusterparametergroup',
      'AWS::DocDB::DBClusterParameterGroup': 'aws-docdb-dbclusterparametergroup',
      'AWS::Neptune::DBClusterParameterGroup': 'aws-neptune-dbclusterparametergroup',
      'AWS::RDS::OptionGroup': 'aws-rds-optiongroup',
    };
    for (const [type, reads] of Object.entries(rdsResource.cloudFormationReads ?? {})) {
      const schema = JSON.parse(readFileSync(join(REFERENCE, 'B-cfn-resource-schemas', `${files[type] ?? ''}.json`), 'utf8')) as { properties: Record<string, unknown> };
      for (const path of Object.keys(reads)) expect(schema.properties, `${type} ${path}`).to.have.property(path.split('.')[0] ?? '');
    }
  });

  it('judges a template and a Terraform plan: groups declared beside the database, a group defined elsewhere UNKNOWN', async () => {
    // Act
    const { results, failures } = await checkTemplates({ paths: [join(FIXTURES, 'templates', 'rds-stack.yaml'), join(FIXTURES, 'terraform', 'rds-plan.json')] });
    // Assert
    expect(failures).to.deep.equal([]);
    const v = Object.fromEntries(results.map((r) => [`${r.logicalId} ${r.rule}`, r.compliance]));
    expect(v).to.deep.equal({
      'PhiDb rds-encrypted-at-rest': 'COMPLIANT',
      'PhiDb rds-tls-enforced': 'COMPLIANT',
      'OpenDb rds-encrypted-at-rest': 'NON_COMPLIANT',
      'OpenDb rds-tls-enforced': 'NON_COMPLIANT',
      'ElsewhereDb rds-encrypted-at-rest': 'COMPLIANT',
      'ElsewhereDb rds-tls-enforced': 'UNKNOWN',
      'Aurora rds-encrypted-at-rest': 'COMPLIANT',
      'Aurora rds-tls-enforced': 'NON_COMPLIANT',
      'AuroraWriter rds-encrypted-at-rest': 'NOT_APPLICABLE',
      'AuroraWriter rds-tls-enforced': 'NOT_APPLICABLE',
      'Docs rds-encrypted-at-rest': 'COMPLIANT',
      'Docs rds-tls-enforced': 'NON_COMPLIANT',
      'Graph rds-encrypted-at-rest': 'NON_COMPLIANT',
      'Graph rds-tls-enforced': 'COMPLIANT',
      'aws_db_instance.phi rds-encrypted-at-rest': 'COMPLIANT',
      'aws_db_instance.phi rds-tls-enforced': 'COMPLIANT',
      'aws_db_instance.open rds-encrypted-at-rest': 'NON_COMPLIANT',
      'aws_db_instance.open rds-tls-enforced': 'NON_COMPLIANT',
      'aws_docdb_cluster.docs rds-encrypted-at-rest': 'COMPLIANT',
      'aws_docdb_cluster.docs rds-tls-enforced': 'NON_COMPLIANT',
      'aws_neptune_cluster.graph rds-encrypted-at-rest': 'NON_COMPLIANT',
      'aws_neptune_cluster.graph rds-tls-enforced': 'COMPLIANT',
      'aws_rds_cluster.aurora rds-encrypted-at-rest': 'COMPLIANT',
      'aws_rds_cluster.aurora rds-tls-enforced': 'NON_COMPLIANT',
    });
    const annotation = (id: string, rule: string) => results.find((r) => r.logicalId === id && r.rule === rule)?.annotation;
    expect(annotation('ElsewhereDb', 'rds-tls-enforced')).to.contain('the parameters of DB parameter group phi-shared-pg (not declared in this template) is not known');
    expect(annotation('PhiDb', 'rds-tls-enforced')).to.equal('DB instance phi-db (postgres) requires TLS: rds.force_ssl=1 in «!Ref TlsGroup». 45 CFR 164.312(e)(2)(ii)');
    expect(annotation('aws_db_instance.open', 'rds-tls-enforced')).to.equal(
      'DB instance open-db (mysql) accepts plaintext: the default group cannot be modified and has require_secure_transport=0. Create a custom DB parameter group with require_secure_transport on, attach it, reboot. 45 CFR 164.312(e)(2)(ii)',
    );
  });

  it('leaves a restored or replicated database UNKNOWN, naming the source it inherits encryption from', async () => {
    const judged = await judgeProperties({ resourceType: 'AWS::RDS::DBInstance', logicalId: 'Replica', properties: { SourceDBInstanceIdentifier: 'phi-db', DBInstanceClass: 'db.t3.micro' }, now: NOW });
    expect(judged.map((v) => v.compliance)).to.deep.equal(['UNKNOWN', 'UNKNOWN']);
    expect(judged[0]?.annotation).to.contain('inherits from its source phi-db');
  });
});
