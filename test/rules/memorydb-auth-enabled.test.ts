import { CreateACLCommand, DescribeACLsCommand, DescribeUsersCommand, MemoryDBClient } from '@aws-sdk/client-memorydb';
import { expect } from 'chai';
import sinon from 'sinon';
import { type AclCheck, memoryDbAuthEnabled as rule } from '../../rules/memorydb-auth-enabled';
import { AwsClients } from '../../rules/runtime/clients';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import type { MemoryDbUserFacts } from '../../rules/resources/memorydb';
import { createMemoryDbCluster, createPasswordAcl, memoryDbCluster, memoryDbOn } from '../helpers/memorydb';
import { useMoto } from '../helpers/moto';

const CITE = '45 CFR 164.312(d)';
const NOW = new Date('2026-11-22T12:00:00Z');
const params = parseParameters(rule.schema, {});
const run = (c = memoryDbCluster(), acl?: AclCheck) => rule.evaluate(c, params, { now: NOW, facts: acl ? { acl } : {} });
const user = (name: string, o: Partial<Extract<MemoryDbUserFacts, { kind: 'resolved' }>> = {}): MemoryDbUserFacts => ({
  kind: 'resolved',
  name,
  authenticationType: 'password',
  enabled: true,
  status: 'active',
  ...o,
});
const acl = (users: MemoryDbUserFacts[]): AclCheck => ({ acl: { kind: 'resolved', name: 'app-acl', userNames: users.map((u) => u.name) }, users });

describe('memorydb-auth-enabled', () => {
  describe('evaluate', () => {
    it('returns NON_COMPLIANT on the open-access ACL, naming the fix (scenario 1)', () => {
      expect(run(memoryDbCluster({ aclName: 'open-access' }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) accepts clients without authentication (ACL open-access). Attach an ACL of password or IAM users. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT on open-access without TLS, which can use no other ACL (scenario 1)', () => {
      expect(run(memoryDbCluster({ aclName: 'open-access', tlsEnabled: false, engine: 'redis', engineVersion: '6.2' })).annotation).to.equal(
        `MemoryDB cluster phi-sessions (Redis OSS 6.2) accepts clients without authentication (ACL open-access). Without TLS it can use no other ACL: recreate it with TLS and an ACL of password or IAM users. ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT when ACLName was not reported (scenario 2)', () => {
      expect(run(memoryDbCluster({ aclName: undefined }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) cannot be verified: DescribeClusters did not report ACLName. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the ACL, a user, or a no-password user\'s access string cannot be read (scenario 3)', () => {
      expect(run(memoryDbCluster(), { acl: { kind: 'unresolved', name: 'app-acl', reason: 'DescribeACLs did not list it' }, users: [] }).annotation).to.equal(
        `MemoryDB cluster phi-sessions (Valkey 7.2) uses ACL app-acl, which cannot be verified (DescribeACLs did not list it). ${CITE}`,
      );
      expect(run(memoryDbCluster(), acl([{ kind: 'unresolved', name: 'reader', reason: 'DescribeUsers did not list it' }])).annotation).to.equal(
        `MemoryDB cluster phi-sessions (Valkey 7.2) uses ACL app-acl with user reader, which cannot be verified (DescribeUsers did not list it). ${CITE}`,
      );
      expect(run(memoryDbCluster(), acl([user('legacy', { authenticationType: 'no-password', enabled: undefined })])).annotation).to.equal(
        `MemoryDB cluster phi-sessions (Valkey 7.2) uses ACL app-acl with no-password user legacy, whose access string was not reported. ${CITE}`,
      );
      expect(run(memoryDbCluster()).compliance).to.equal('NON_COMPLIANT');
    });

    it('returns NON_COMPLIANT for an ACL holding the built-in default user (scenario 4)', () => {
      expect(run(memoryDbCluster(), acl([user('app'), user('default', { authenticationType: 'no-password' })]))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) lets clients in without a password: ACL app-acl holds the built-in default user (no-password, on). Remove it from the ACL. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for another no-password user switched on (scenario 5)', () => {
      expect(run(memoryDbCluster(), acl([user('legacy', { authenticationType: 'no-password' })])).annotation).to.equal(
        `MemoryDB cluster phi-sessions (Valkey 7.2) lets clients in without a password: ACL app-acl has user legacy switched on with no-password authentication. Give it a password or IAM, or remove it. ${CITE}`,
      );
    });

    it('returns COMPLIANT when every user needs a password or IAM, or is switched off (scenario 6)', () => {
      const users = [user('app'), user('etl', { authenticationType: 'iam' }), user('default', { authenticationType: 'no-password', enabled: false })];
      expect(run(memoryDbCluster(), acl(users))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MemoryDB cluster phi-sessions (Valkey 7.2) authenticates every client through ACL app-acl (password or IAM users only). ${CITE}`,
      });
    });

    it('notifies a person rather than switching the ACL in place', () => {
      expect(rule.remediation?.document).to.equal('HIPAA-NotifyNonCompliantResource');
    });
  });

  describe('judged through the runtime, on moto (ACLs and users faked in scripts/lib/moto_server.py: moto 5.2.1 lacks them)', function () {
    this.timeout(120_000);
    afterEach(() => sinon.restore());

    it('judges many clusters, reading the ACLs and the users once per run', async () => {
      // Arrange
      const moto = await useMoto();
      const md = memoryDbOn(moto.endpoint);
      await createPasswordAcl(md, 'app-acl', ['app', 'reader']);
      await md.send(new CreateACLCommand({ ACLName: 'with-default', UserNames: ['app', 'default'] }));
      for (let i = 0; i < 10; i++) await createMemoryDbCluster(md, { name: `closed-${i}`, acl: 'app-acl' });
      for (let i = 0; i < 5; i++) await createMemoryDbCluster(md, { name: `default-${i}`, acl: 'with-default' });
      await createMemoryDbCluster(md, { name: 'open', acl: 'open-access' });
      await createMemoryDbCluster(md, { name: 'plain', tls: false, acl: 'app-acl' });
      const send = sinon.spy(MemoryDBClient.prototype, 'send');
      const clients = new AwsClients({ region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
      // Act
      const { judged, failures } = await judgeAll(rule, params, newJudgeContext(clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      const verdicts = Object.fromEntries(judged.map((j) => [j.resource.id, j.verdict]));
      expect(Object.keys(verdicts)).to.have.length(17);
      expect(verdicts['closed-4']).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `MemoryDB cluster closed-4 (engine not reported, version 7.1) authenticates every client through ACL app-acl (password or IAM users only). ${CITE}`,
      });
      expect(verdicts['default-2']?.annotation).to.equal(
        `MemoryDB cluster default-2 (engine not reported, version 7.1) lets clients in without a password: ACL with-default holds the built-in default user (no-password, on). Remove it from the ACL. ${CITE}`,
      );
      expect(verdicts.open?.compliance).to.equal('NON_COMPLIANT');
      // moto, like AWS, puts a cluster without TLS on open-access whatever ACL was asked for.
      expect(verdicts.plain?.annotation).to.contain('(ACL open-access). Without TLS it can use no other ACL');
      const commands = send.getCalls().map((c) => (c.args[0] as object).constructor.name);
      expect(commands.filter((c) => c === DescribeACLsCommand.name)).to.have.length(1);
      expect(commands.filter((c) => c === DescribeUsersCommand.name)).to.have.length(1);
    });
  });
});
