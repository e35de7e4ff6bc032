import {
  AddTagsToResourceCommand,
  CreateDBClusterCommand,
  CreateDBClusterParameterGroupCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { DEFAULT_NOTIFICATION_TOPIC_NAME } from '../../scripts/lib/conformance-pack';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { type CallOverride, type SimulationResult, simulateDocument } from '../../scripts/lib/ssm/simulate';
import { useMoto } from '../helpers/moto';

// moto 5.2.1 models RDS instances, clusters and parameter groups (create, modify, describe, DescribeDBParameters), and
// SNS. Faked through the simulator's override hook, in the shapes of the botocore models in
// ../shared/reference/F-botocore-service-models: config DescribeConfigRules (moto has no custom Lambda rules with
// InputParameters to read back), and for the cluster case DescribeDBClusterParameterGroups of the default group
// (moto creates no default cluster parameter groups; DBClusterParameterGroup: DBClusterParameterGroupName,
// DBParameterGroupFamily, Description, DBClusterParameterGroupArn).

const DOCUMENT = 'HIPAA-RDSEnforceTls';
const ROLE = 'arn:aws:iam::123456789012:role/HipaaSafeguardsRemediation';
const RULE = 'rds-tls-enforced';

/** DescribeConfigRules with the deployed rule (as a conformance pack names it) and its InputParameters. */
const configRule =
  (allow: boolean | undefined, extra: CallOverride = () => undefined): CallOverride =>
  (call) => {
    if (call.api === 'DescribeConfigRules') {
      return {
        ConfigRules: [
          {
            ConfigRuleName: `${RULE}-conformance-pack-abc123`,
            ConfigRuleArn: 'arn:aws:config:us-east-1:123456789012:config-rule/config-rule-abc123',
            ConfigRuleId: 'config-rule-abc123',
            Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: `arn:aws:lambda:us-east-1:123456789012:function:${RULE}` },
            ...(allow === undefined ? {} : { InputParameters: JSON.stringify({ allowParameterGroupChanges: String(allow) }) }),
            ConfigRuleState: 'ACTIVE',
          },
        ],
      };
    }
    return extra(call);
  };

const PATH_START = ['CheckTopicIsThePacks', 'ReadDatabase', 'CheckExemption', 'BranchOnExemption', 'PlanTlsChange', 'BranchOnPlan'];

describe('remediations/HIPAA-RDSEnforceTls', () => {
  const doc = loadRemediationDocument(DOCUMENT);
  let endpoint: string;
  let rds: RDSClient;
  let topicArn: string;

  beforeEach(async () => {
    const moto = await useMoto();
    endpoint = moto.endpoint;
    const config = { region: 'us-east-1', endpoint, requestHandler: new NodeHttpHandler() };
    rds = new RDSClient(config);
    topicArn = (await new SNSClient(config).send(new CreateTopicCommand({ Name: DEFAULT_NOTIFICATION_TOPIC_NAME }))).TopicArn ?? '';
  });

  const base = { DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'admin1', MasterUserPassword: 'password123' };
  const createInstance = async (id: string, extra: Record<string, unknown> = {}) => {
    await rds.send(new CreateDBInstanceCommand({ ...base, DBInstanceIdentifier: id, Engine: 'postgres', EngineVersion: '14.12', ...extra }));
    const [i] = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances ?? [];
    return { resourceId: i?.DbiResourceId ?? '', arn: i?.DBInstanceArn ?? '' };
  };
  const customGroup = async (name: string, value?: string) => {
    await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: name, DBParameterGroupFamily: 'postgres14', Description: 'phi' }));
    if (value !== undefined) {
      await rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: name, Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: value, ApplyMethod: 'immediate' }] }));
    }
  };
  const forceSsl = async (group: string) =>
    (await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: group }))).Parameters?.find((p) => p.ParameterName === 'rds.force_ssl')?.ParameterValue;
  const groupOf = async (id: string) => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]?.DBParameterGroups?.[0]?.DBParameterGroupName;
  const run = (resourceId: string, override: CallOverride, parameters: Record<string, unknown> = {}) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, ResourceId: resourceId, ConfigRuleName: RULE, TopicArn: topicArn, ...parameters }, override });
  const writes = (r: SimulationResult) => r.calls.filter((c) => !/^(Describe|Get|List)/.test(c.api)).map((c) => c.api);
  const published = (r: SimulationResult) => r.calls.filter((c) => c.api === 'Publish').map((c) => String(c.params.Message));

  it('declares exactly the IAM actions its steps call', () => {
    expect(doc.iamActions).to.have.members([
      'config:DescribeConfigRules',
      'rds:CreateDBClusterParameterGroup',
      'rds:CreateDBParameterGroup',
      'rds:DescribeDBClusterParameterGroups',
      'rds:DescribeDBClusterParameters',
      'rds:DescribeDBClusters',
      'rds:DescribeDBInstances',
      'rds:DescribeDBParameterGroups',
      'rds:DescribeDBParameters',
      'rds:ModifyDBCluster',
      'rds:ModifyDBClusterParameterGroup',
      'rds:ModifyDBInstance',
      'rds:ModifyDBParameterGroup',
      'sns:Publish',
    ]);
    expect(doc.iamActions).to.have.lengthOf(14);
  });

  it('sets rds.force_ssl in a custom group when allowParameterGroupChanges is true, immediately (dynamic for RDS for PostgreSQL)', async () => {
    // Arrange
    await customGroup('phi-pg', '0');
    const db = await createInstance('phi-db', { DBParameterGroupName: 'phi-pg' });
    // Act
    const result = await run(db.resourceId, configRule(true));
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal([...PATH_START, 'SetInstanceGroupParameter', 'VerifyTlsParameter', 'NotifyRebootNeeded']);
    expect(result.calls.find((c) => c.api === 'ModifyDBParameterGroup')?.params).to.deep.equal({
      DBParameterGroupName: 'phi-pg',
      Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: '1', ApplyMethod: 'immediate' }],
    });
    expect(await forceSsl('phi-pg')).to.equal('1');
    expect(writes(result)).to.deep.equal(['ModifyDBParameterGroup', 'Publish']);
    expect(published(result)).to.deep.equal([
      'DB instance phi-db: rds.force_ssl=1 is set in phi-pg and applies immediately (dynamic). 45 CFR 164.312(e)(2)(ii)',
    ]);
  });

  it('changes nothing on a database whose group already requires TLS (idempotent)', async () => {
    await customGroup('phi-pg', '1');
    const db = await createInstance('phi-db', { DBParameterGroupName: 'phi-pg' });
    const result = await run(db.resourceId, configRule(true));
    expect(result.status).to.equal('Success');
    expect(result.stepPath).to.deep.equal(PATH_START);
    expect(result.documentOutputs['PlanTlsChange.Message']).to.equal('DB instance phi-db: rds.force_ssl=1 in phi-pg already requires TLS. Nothing was changed.');
    expect(writes(result)).to.deep.equal([]);
  });

  it('creates a custom group for an instance on a default group, attaches it without a reboot, and a second run creates nothing', async () => {
    // Arrange
    const db = await createInstance('phi-db');
    expect(await groupOf('phi-db')).to.equal('default.postgres14');
    // Act
    const first = await run(db.resourceId, configRule(true));
    const second = await run(db.resourceId, configRule(true));
    // Assert
    expect(first.stepPath).to.deep.equal([...PATH_START, 'CreateInstanceGroup', 'SetNewInstanceGroupParameter', 'AttachInstanceGroup', 'VerifyTlsParameter', 'NotifyRebootNeeded']);
    expect(writes(first)).to.deep.equal(['CreateDBParameterGroup', 'ModifyDBParameterGroup', 'ModifyDBInstance', 'Publish']);
    expect(first.calls.find((c) => c.api === 'ModifyDBInstance')?.params).to.deep.equal({ DBInstanceIdentifier: 'phi-db', DBParameterGroupName: 'hipaa-safeguards-tls-postgres14', ApplyImmediately: true });
    expect(first.calls.filter((c) => c.api.startsWith('Reboot'))).to.deep.equal([]);
    expect(first.calls.filter((c) => /Modify.*ParameterGroup/.test(c.api)).map((c) => c.params.DBParameterGroupName)).to.not.include('default.postgres14');
    expect(await groupOf('phi-db')).to.equal('hipaa-safeguards-tls-postgres14');
    expect(await forceSsl('hipaa-safeguards-tls-postgres14')).to.equal('1');
    expect(published(first)[0]).to.contain('now attached. It takes effect only after a reboot');
    // The second run finds the attached group already requiring TLS.
    expect(second.stepPath).to.deep.equal(PATH_START);
    expect(writes(second)).to.deep.equal([]);
  });

  it('only notifies, naming the fix, when allowParameterGroupChanges is false or unset', async () => {
    const db = await createInstance('phi-db');
    for (const allow of [false, undefined]) {
      const result = await run(db.resourceId, configRule(allow));
      expect(result.stepPath).to.deep.equal([...PATH_START, 'NotifyPerson']);
      expect(writes(result)).to.deep.equal(['Publish']);
      expect(published(result)).to.deep.equal([
        'DB instance phi-db accepts plaintext connections (default.postgres14). To fix: create a custom group of the same family with rds.force_ssl=1, attach it and reboot. The rule parameter allowParameterGroupChanges is false, so nothing was changed. 45 CFR 164.312(e)(2)(ii)',
      ]);
    }
    expect(await groupOf('phi-db')).to.equal('default.postgres14');
  });

  it('changes nothing on an exempt database', async () => {
    await customGroup('phi-pg', '0');
    const db = await createInstance('phi-db', { DBParameterGroupName: 'phi-pg' });
    await rds.send(new AddTagsToResourceCommand({ ResourceName: db.arn, Tags: [{ Key: 'hipaa-safeguards:exempt', Value: 'CHG-7 legacy client' }] }));
    const result = await run(db.resourceId, configRule(true));
    expect(result.stepPath).to.deep.equal(['CheckTopicIsThePacks', 'ReadDatabase', 'CheckExemption', 'BranchOnExemption']);
    expect(writes(result)).to.deep.equal([]);
    expect(await forceSsl('phi-pg')).to.equal('0');
  });

  it('creates and attaches a cluster parameter group for an Aurora MySQL cluster on its default group', async () => {
    // Arrange
    await rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: 'phi', Engine: 'aurora-mysql', MasterUsername: 'admin1', MasterUserPassword: 'password123' }));
    const [cluster] = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'phi' }))).DBClusters ?? [];
    const defaultGroup = cluster?.DBClusterParameterGroup ?? '';
    const fakeDefaultGroup: CallOverride = (c) =>
      c.api === 'DescribeDBClusterParameterGroups' && c.params.DBClusterParameterGroupName === defaultGroup
        ? { DBClusterParameterGroups: [{ DBClusterParameterGroupName: defaultGroup, DBParameterGroupFamily: 'aurora-mysql8.0', Description: 'Default cluster parameter group for aurora-mysql8.0', DBClusterParameterGroupArn: `arn:aws:rds:us-east-1:123456789012:cluster-pg:${defaultGroup}` }] }
        : undefined;
    // Act
    const result = await run(cluster?.DbClusterResourceId ?? '', configRule(true, fakeDefaultGroup));
    // Assert
    expect(result.failure).to.equal(undefined);
    expect(result.stepPath).to.deep.equal([...PATH_START, 'CreateClusterGroup', 'SetNewClusterGroupParameter', 'AttachClusterGroup', 'VerifyTlsParameter', 'NotifyRebootNeeded']);
    expect(result.calls.find((c) => c.api === 'ModifyDBClusterParameterGroup')?.params).to.deep.equal({
      DBClusterParameterGroupName: 'hipaa-safeguards-tls-aurora-mysql8-0',
      Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: '1', ApplyMethod: 'immediate' }],
    });
    expect((await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'phi' }))).DBClusters?.[0]?.DBClusterParameterGroup).to.equal('hipaa-safeguards-tls-aurora-mysql8-0');
  });

  it('sets the parameter in a custom cluster group in place', async () => {
    await rds.send(new CreateDBClusterParameterGroupCommand({ DBClusterParameterGroupName: 'phi-cpg', DBParameterGroupFamily: 'aurora-postgresql16', Description: 'phi' }));
    await rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: 'phi', Engine: 'aurora-postgresql', MasterUsername: 'admin1', MasterUserPassword: 'password123', DBClusterParameterGroupName: 'phi-cpg' }));
    const [cluster] = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'phi' }))).DBClusters ?? [];
    const result = await run(cluster?.DbClusterResourceId ?? '', configRule(true));
    expect(result.stepPath).to.deep.equal([...PATH_START, 'SetClusterGroupParameter', 'VerifyTlsParameter', 'NotifyRebootNeeded']);
    expect(writes(result)).to.deep.equal(['ModifyDBClusterParameterGroup', 'Publish']);
  });

  it('notifies for Oracle, whose encryption lives in an option group, and changes nothing', async () => {
    const db = await createInstance('ora', { Engine: 'oracle-ee', EngineVersion: '19.0.0.0.ru-2024-10.rur-2024-10.r1', LicenseModel: 'bring-your-own-license' });
    const result = await run(db.resourceId, configRule(true));
    expect(result.stepPath).to.deep.equal([...PATH_START, 'NotifyPerson']);
    expect(published(result)[0]).to.equal(
      'DB instance ora (oracle-ee) does not enforce TLS through a parameter group. Oracle: add NATIVE_NETWORK_ENCRYPTION with SQLNET.ENCRYPTION_SERVER REQUIRED to a custom option group. Nothing was changed.',
    );
  });

  it('stops on a topic that is not the pack\'s, before any read', async () => {
    const result = await run('db-ABC', configRule(true), { TopicArn: 'arn:aws:sns:us-east-1:123456789012:HIPAA-Safeguards-Notifications'.replace('123456789012', '210987654321') });
    expect(result.status).to.equal('Failed');
    expect(result.calls).to.deep.equal([]);
  });

  it('stops on a resource ID that no longer exists', async () => {
    const result = await run('db-GONE', configRule(true));
    expect(result.status).to.equal('Failed');
    expect(JSON.stringify(result.failure)).to.contain('No DB instance has resource ID db-GONE: it was deleted. Nothing was changed.');
  });
});
