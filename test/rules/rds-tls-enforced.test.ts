import {
  CreateDBClusterCommand,
  CreateDBClusterParameterGroupCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  ModifyDBClusterParameterGroupCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { rdsTlsEnforced as rule } from '../../rules/rds-tls-enforced';
import { AwsClients } from '../../rules/runtime/clients';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import type { OptionGroupFacts, ParameterGroupFacts, RdsDatabase } from '../../rules/resources/rds';
import { useMoto } from '../helpers/moto';

const CITE = '45 CFR 164.312(e)(2)(ii)';
const NOW = new Date('2026-11-22T12:00:00Z');

const db = (o: Partial<RdsDatabase> = {}): RdsDatabase => ({
  kind: 'instance',
  id: 'db-ABCDEFGHIJKLMNOP',
  resourceType: 'AWS::RDS::DBInstance',
  name: 'phi-db',
  engine: 'postgres',
  engineVersion: '14.12',
  storageEncrypted: true,
  parameterGroup: { name: 'phi-pg', status: 'in-sync' },
  optionGroups: [],
  tags: {},
  ...o,
});
const cluster = (o: Partial<RdsDatabase> = {}): RdsDatabase => db({ kind: 'cluster', resourceType: 'AWS::RDS::DBCluster', name: 'phi', ...o });
const params = () => parseParameters(rule.schema, {});
const group = (parameters: Record<string, { value?: string; applyType?: string }>, name = 'phi-pg'): ParameterGroupFacts => ({ kind: 'resolved', name, parameters });
const withGroup = (g: ParameterGroupFacts) => ({ now: NOW, facts: { kind: 'parameters' as const, group: g } });
const none = { now: NOW, facts: { kind: 'none' as const } };
const options = (...groups: OptionGroupFacts[]) => ({ now: NOW, facts: { kind: 'options' as const, groups } });

describe('rds-tls-enforced', () => {
  describe('evaluate', () => {
    it('returns NOT_APPLICABLE for an instance of a cluster, naming the cluster (scenario 1)', () => {
      expect(rule.evaluate(db({ engine: 'aurora-mysql', clusterId: 'phi-aurora' }), params(), none)).to.deep.equal({
        compliance: 'NOT_APPLICABLE',
        annotation: `DB instance phi-db (aurora-mysql) belongs to DB cluster phi-aurora, whose TLS setting is judged on the cluster. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for an engine it does not know (scenario 2)', () => {
      expect(rule.evaluate(db({ engine: 'db2-se' }), params(), none)).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (db2-se): this rule does not know how engine db2-se enforces TLS. Verify it and record the reason in the hipaa-safeguards:exempt tag. ${CITE}`,
      });
    });

    it('returns COMPLIANT for Neptune 1.0.4.0 or later, which accepts HTTPS only (scenario 3)', () => {
      const v = rule.evaluate(cluster({ engine: 'neptune', engineVersion: '1.3.2.1', parameterGroup: { name: 'nep', status: 'in-sync' } }), params(), none);
      expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `DB cluster phi (neptune) accepts HTTPS only (Neptune engine 1.3.2.1, 1.0.4.0 or later). ${CITE}` });
    });

    it('returns COMPLIANT for PostgreSQL 15+ on its default group, whose rds.force_ssl defaults to 1 (scenario 4)', () => {
      const v = rule.evaluate(db({ engineVersion: '16.4', parameterGroup: { name: 'default.postgres16', status: 'in-sync' } }), params(), none);
      expect(v).to.deep.equal({ compliance: 'COMPLIANT', annotation: `DB instance phi-db (postgres) requires TLS: rds.force_ssl defaults to 1 in default.postgres16. ${CITE}` });
    });

    it('returns COMPLIANT for DocumentDB on its default cluster group, whose tls defaults to enabled (scenario 4)', () => {
      const v = rule.evaluate(cluster({ name: 'docs', engine: 'docdb', engineVersion: '5.0.0', parameterGroup: { name: 'default.docdb5.0', status: 'in-sync' } }), params(), none);
      expect(v.annotation).to.equal(`DB cluster docs (docdb) requires TLS: tls defaults to enabled in default.docdb5.0. ${CITE}`);
      expect(v.compliance).to.equal('COMPLIANT');
    });

    it('returns NON_COMPLIANT for PostgreSQL 14 on its default group, naming the fix (scenario 5)', () => {
      const v = rule.evaluate(db({ parameterGroup: { name: 'default.postgres14', status: 'in-sync' } }), params(), none);
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (postgres) accepts plaintext: default.postgres14 cannot be modified and has rds.force_ssl=0. Create a custom DB parameter group with rds.force_ssl on, attach it, reboot. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for MySQL, MariaDB and Aurora MySQL on default groups (scenario 5)', () => {
      for (const c of [
        { d: db({ engine: 'mysql', engineVersion: '8.0.39', parameterGroup: { name: 'default.mysql8.0' } }), group: 'DB parameter group' },
        { d: db({ engine: 'mariadb', engineVersion: '10.11.9', parameterGroup: { name: 'default.mariadb10.11' } }), group: 'DB parameter group' },
        { d: cluster({ engine: 'aurora-mysql', engineVersion: '8.0.mysql_aurora.3.07.1', parameterGroup: { name: 'default.aurora-mysql8.0' } }), group: 'DB cluster parameter group' },
        { d: cluster({ engine: 'aurora-postgresql', engineVersion: '16.4', parameterGroup: { name: 'default.aurora-postgresql16' } }), group: 'DB cluster parameter group' },
      ]) {
        const v = rule.evaluate(c.d, params(), none);
        expect(v.compliance, c.d.engine).to.equal('NON_COMPLIANT');
        expect(v.annotation, c.d.engine).to.contain(`Create a custom ${c.group} with`);
      }
    });

    it('returns NON_COMPLIANT for SQL Server on its default group (scenario 5)', () => {
      const v = rule.evaluate(db({ engine: 'sqlserver-se', engineVersion: '16.00.4135.4.v1', parameterGroup: { name: 'default.sqlserver-se-16.0' } }), params(), none);
      expect(v.annotation).to.equal(
        `DB instance phi-db (sqlserver-se) accepts plaintext: default.sqlserver-se-16.0 cannot be modified and has rds.force_ssl=0. Create a custom DB parameter group with rds.force_ssl on, attach it, reboot. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT when the custom group cannot be read (scenario 6)', () => {
      const v = rule.evaluate(db(), params(), withGroup({ kind: 'unresolved', name: 'phi-pg', reason: 'DescribeDBParameters failed: DBParameterGroupNotFound' }));
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (postgres): DB parameter group phi-pg cannot be read (DescribeDBParameters failed: DBParameterGroupNotFound), so TLS enforcement cannot be verified. ${CITE}`,
      });
    });

    it('returns COMPLIANT when the custom group sets rds.force_ssl=1, in sync (scenario 7)', () => {
      expect(rule.evaluate(db(), params(), withGroup(group({ 'rds.force_ssl': { value: '1', applyType: 'dynamic' } })))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `DB instance phi-db (postgres) requires TLS: rds.force_ssl=1 in phi-pg. ${CITE}`,
      });
    });

    it('returns COMPLIANT for a dynamic setting with a reboot pending for other parameters, and says so (scenario 7)', () => {
      const v = rule.evaluate(cluster({ engine: 'aurora-mysql', parameterGroup: { name: 'phi-cpg', status: 'pending-reboot' } }), params(), withGroup(group({ require_secure_transport: { value: 'ON', applyType: 'dynamic' } }, 'phi-cpg')));
      expect(v).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `DB cluster phi (aurora-mysql) requires TLS: require_secure_transport=ON in phi-cpg. A reboot is pending (pending-reboot). ${CITE}`,
      });
    });

    it('returns COMPLIANT for PostgreSQL 15+ whose custom group leaves rds.force_ssl at its default (scenario 7)', () => {
      const v = rule.evaluate(db({ engineVersion: '15.8' }), params(), withGroup(group({ 'rds.force_ssl': { applyType: 'dynamic' } })));
      expect(v.annotation).to.equal(`DB instance phi-db (postgres) requires TLS: rds.force_ssl not set in phi-pg (engine default 1). ${CITE}`);
    });

    it('returns NON_COMPLIANT for a static setting that is not in force until a reboot (scenario 8)', () => {
      const v = rule.evaluate(
        cluster({ name: 'docs', engine: 'docdb', parameterGroup: { name: 'docs-cpg', status: 'pending-reboot' } }),
        params(),
        withGroup(group({ tls: { value: 'enabled', applyType: 'static' } }, 'docs-cpg')),
      );
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB cluster docs (docdb): tls=enabled in docs-cpg is not in force until the database reboots (pending-reboot). Reboot it in a maintenance window. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the custom group turns TLS off (scenario 9)', () => {
      const v = rule.evaluate(db({ engine: 'sqlserver-ee', parameterGroup: { name: 'phi-pg', status: 'pending-reboot' } }), params(), withGroup(group({ 'rds.force_ssl': { value: '0', applyType: 'static' } })));
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (sqlserver-ee) accepts plaintext: rds.force_ssl=0 in phi-pg. Set rds.force_ssl on in phi-pg and reboot. A reboot is pending (pending-reboot). ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for DocumentDB tls disabled and Neptune before 1.0.4.0 with neptune_enforce_ssl 0 (scenario 9)', () => {
      const docs = rule.evaluate(cluster({ engine: 'docdb', parameterGroup: { name: 'c', status: 'in-sync' } }), params(), withGroup(group({ tls: { value: 'disabled', applyType: 'static' } }, 'c')));
      expect(docs.annotation).to.equal(`DB cluster phi (docdb) accepts plaintext: tls=disabled in c. Set tls on in c and reboot. ${CITE}`);
      const nep = rule.evaluate(cluster({ engine: 'neptune', engineVersion: '1.0.3.0', parameterGroup: { name: 'n' } }), params(), withGroup(group({ neptune_enforce_ssl: { value: '0', applyType: 'static' } }, 'n')));
      expect(nep.compliance).to.equal('NON_COMPLIANT');
    });

    it('returns NON_COMPLIANT when a custom MySQL group leaves require_secure_transport at its default OFF (scenario 9)', () => {
      const v = rule.evaluate(db({ engine: 'mysql' }), params(), withGroup(group({ require_secure_transport: { applyType: 'dynamic' } })));
      expect(v.annotation).to.equal(`DB instance phi-db (mysql) accepts plaintext: require_secure_transport not set in phi-pg (engine default 0). Set require_secure_transport on in phi-pg. ${CITE}`);
    });

    it('returns COMPLIANT for Oracle with NATIVE_NETWORK_ENCRYPTION and SQLNET.ENCRYPTION_SERVER REQUIRED (scenario 10)', () => {
      const v = rule.evaluate(
        db({ engine: 'oracle-ee', optionGroups: ['phi-og'] }),
        params(),
        options({ kind: 'resolved', name: 'phi-og', options: { NATIVE_NETWORK_ENCRYPTION: { 'SQLNET.ENCRYPTION_SERVER': 'REQUIRED' } } }),
      );
      expect(v).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `DB instance phi-db (oracle-ee) requires encrypted sessions: option group phi-og has NATIVE_NETWORK_ENCRYPTION with SQLNET.ENCRYPTION_SERVER REQUIRED. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for Oracle with the SSL option only, which leaves the plaintext listener open (scenario 11)', () => {
      const v = rule.evaluate(db({ engine: 'oracle-se2', optionGroups: ['phi-og'] }), params(), options({ kind: 'resolved', name: 'phi-og', options: { SSL: { 'SQLNET.SSL_VERSION': '1.2' } } }));
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (oracle-se2) still accepts plaintext: the SSL option of phi-og adds a TLS port but leaves the plaintext listener open. Add NATIVE_NETWORK_ENCRYPTION with SQLNET.ENCRYPTION_SERVER REQUIRED. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for Oracle with NATIVE_NETWORK_ENCRYPTION only REQUESTED, or no option (scenario 11)', () => {
      const requested = rule.evaluate(db({ engine: 'oracle-ee', optionGroups: ['og'] }), params(), options({ kind: 'resolved', name: 'og', options: { NATIVE_NETWORK_ENCRYPTION: { 'SQLNET.ENCRYPTION_SERVER': 'REQUESTED' } } }));
      expect(requested.compliance).to.equal('NON_COMPLIANT');
      const bare = rule.evaluate(db({ engine: 'oracle-ee', optionGroups: ['default:oracle-ee-19'] }), params(), options({ kind: 'resolved', name: 'default:oracle-ee-19', options: {} }));
      expect(bare.annotation).to.equal(
        `DB instance phi-db (oracle-ee) accepts plaintext: no option group (default:oracle-ee-19) has NATIVE_NETWORK_ENCRYPTION with SQLNET.ENCRYPTION_SERVER REQUIRED. Add it to a custom option group. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for Oracle when the option group cannot be read (scenario 12)', () => {
      const v = rule.evaluate(db({ engine: 'oracle-ee', optionGroups: ['og'] }), params(), options({ kind: 'unresolved', name: 'og', reason: 'DescribeOptionGroups failed: OptionGroupNotFoundFault' }));
      expect(v.annotation).to.equal(`DB instance phi-db (oracle-ee): option group og cannot be read (DescribeOptionGroups failed: OptionGroupNotFoundFault), so encryption in transit cannot be verified. ${CITE}`);
    });

    it('returns NON_COMPLIANT for PostgreSQL on the default group without a known version (scenario 13)', () => {
      const v = rule.evaluate(db({ engineVersion: undefined, parameterGroup: undefined }), params(), none);
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `DB instance phi-db (postgres) uses the default group, whose rds.force_ssl default depends on the engine version, which is not known. Set EngineVersion or attach a DB parameter group with rds.force_ssl on. ${CITE}`,
      });
    });
  });

  describe('gather', () => {
    afterEach(() => mockClient(RDSClient).restore());

    it('reads a parameter group shared by many instances once per run, every page, and none for default groups', async () => {
      // Arrange: aws-sdk-client-mock, shapes from the botocore model (DescribeDBInstances DBInstance, DescribeDBParameters Parameter)
      const rds = mockClient(RDSClient);
      const instance = (i: number, group: string, status = 'in-sync') => ({
        DBInstanceIdentifier: `db${i}`,
        DbiResourceId: `db-RESOURCE${i}`,
        DBInstanceArn: `arn:aws:rds:us-east-1:123456789012:db:db${i}`,
        DBInstanceStatus: 'available',
        Engine: 'postgres',
        EngineVersion: '14.12',
        StorageEncrypted: true,
        DBParameterGroups: [{ DBParameterGroupName: group, ParameterApplyStatus: status }],
        OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-14', Status: 'in-sync' }],
        TagList: [],
      });
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance(1, 'shared'), instance(2, 'shared', 'pending-reboot'), instance(3, 'default.postgres14')] });
      rds
        .on(DescribeDBParametersCommand, { DBParameterGroupName: 'shared' })
        .resolvesOnce({ Parameters: [{ ParameterName: 'autovacuum', ParameterValue: '1', ApplyType: 'dynamic' }], Marker: 'page2' })
        .resolvesOnce({ Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: '1', ApplyType: 'dynamic' }] });
      const clients = new AwsClients({ region: 'us-east-1' });
      // Act
      const result = await judgeAll(rule, params(), newJudgeContext(clients, NOW));
      // Assert
      expect(result.failures).to.deep.equal([]);
      expect(result.judged.map((j) => j.verdict.annotation)).to.deep.equal([
        `DB instance db1 (postgres) requires TLS: rds.force_ssl=1 in shared. ${CITE}`,
        `DB instance db2 (postgres) requires TLS: rds.force_ssl=1 in shared. A reboot is pending (pending-reboot). ${CITE}`,
        `DB instance db3 (postgres) accepts plaintext: default.postgres14 cannot be modified and has rds.force_ssl=0. Create a custom DB parameter group with rds.force_ssl on, attach it, reboot. ${CITE}`,
      ]);
      // Two pages of one group for two instances; none for the default group. (The paginator reuses one input
      // object, so the recorded inputs cannot show the Marker of each page.)
      expect(rds.commandCalls(DescribeDBParametersCommand).map((c) => c.args[0].input.DBParameterGroupName)).to.deep.equal(['shared', 'shared']);
    });
  });

  describe('on moto (instances, clusters and parameter groups)', () => {
    let rds: RDSClient;
    let clients: AwsClients;

    beforeEach(async () => {
      const moto = await useMoto();
      rds = new RDSClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
      clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint });
    });

    it('judges a custom group that forces TLS, a default MySQL group and an Aurora cluster group from the API', async () => {
      // Arrange
      await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'phi-pg', DBParameterGroupFamily: 'postgres14', Description: 'phi' }));
      await rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'phi-pg', Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: '1', ApplyMethod: 'immediate' }] }));
      const base = { DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'admin1', MasterUserPassword: 'password123' };
      await rds.send(new CreateDBInstanceCommand({ ...base, DBInstanceIdentifier: 'forced', Engine: 'postgres', EngineVersion: '14.12', DBParameterGroupName: 'phi-pg' }));
      await rds.send(new CreateDBInstanceCommand({ ...base, DBInstanceIdentifier: 'open', Engine: 'mysql', EngineVersion: '8.0.39' }));
      await rds.send(new CreateDBClusterParameterGroupCommand({ DBClusterParameterGroupName: 'phi-cpg', DBParameterGroupFamily: 'aurora-mysql8.0', Description: 'phi' }));
      await rds.send(
        new ModifyDBClusterParameterGroupCommand({ DBClusterParameterGroupName: 'phi-cpg', Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: 'ON', ApplyMethod: 'immediate' }] }),
      );
      await rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: 'aurora', Engine: 'aurora-mysql', MasterUsername: 'admin1', MasterUserPassword: 'password123', DBClusterParameterGroupName: 'phi-cpg' }));
      // Act
      const result = await judgeAll(rule, params(), newJudgeContext(clients, NOW));
      // Assert
      expect(result.failures).to.deep.equal([]);
      const byName = Object.fromEntries(result.judged.map((j) => [j.resource.name, j.verdict]));
      expect(byName.forced).to.deep.equal({ compliance: 'COMPLIANT', annotation: `DB instance forced (postgres) requires TLS: rds.force_ssl=1 in phi-pg. ${CITE}` });
      expect(byName.open?.compliance).to.equal('NON_COMPLIANT');
      expect(byName.open?.annotation).to.match(/^DB instance open \(mysql\) accepts plaintext: default\.mysql[\d.]+ cannot be modified and has require_secure_transport=0\./);
      expect(byName.aurora).to.deep.equal({ compliance: 'COMPLIANT', annotation: `DB cluster aurora (aurora-mysql) requires TLS: require_secure_transport=ON in phi-cpg. ${CITE}` });
    });
  });
});
