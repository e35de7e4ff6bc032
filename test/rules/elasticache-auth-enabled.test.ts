import { CreateUserCommand } from '@aws-sdk/client-elasticache';
import { expect } from 'chai';
import { type UserGroupCheck, elastiCacheAuthEnabled as rule, handler as exportedHandler } from '../../rules/elasticache-auth-enabled';
import type { ElastiCacheResource, UserFacts } from '../../rules/resources/elasticache';
import { judgeAll, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';
import {
  clusterView,
  createCluster,
  createGroup,
  elastiCacheOn,
  fakeMissingElastiCacheApis,
  groupView,
  sdkServerlessCache,
  serverlessView,
  elastiCacheRuntime,
} from '../helpers/elasticache';

const CITE = '45 CFR 164.312(d)';
const NOW = new Date('2026-11-22T12:00:00Z');
const params = parseParameters(rule.schema, {});
const run = (r: ElastiCacheResource, groups: UserGroupCheck[] = []) => rule.evaluate(r, params, { now: NOW, facts: { groups } });

const user = (id: string, o: Partial<Extract<UserFacts, { kind: 'resolved' }>> = {}): UserFacts => ({
  kind: 'resolved',
  id,
  name: id,
  authenticationType: 'password',
  enabled: true,
  ...o,
});
const group = (id: string, users: UserFacts[]): UserGroupCheck => ({ group: { kind: 'resolved', id, userIds: users.map((u) => u.id) }, users });
const rbac = (o: Parameters<typeof groupView>[0] = {}) => groupView({ authTokenEnabled: false, userGroupIds: ['phi-users'], engineVersion: '7.1.0', ...o });

describe('elasticache-auth-enabled', () => {
  it('exports a Lambda handler', () => expect(exportedHandler).to.be.a('function'));

  describe('evaluate', () => {
    it('returns NOT_APPLICABLE for Memcached (scenario 1)', () => {
      expect(run(clusterView({ engine: 'memcached', authTokenEnabled: false }))).to.deep.equal({
        compliance: 'NOT_APPLICABLE',
        annotation: `Cache cluster lab-cache runs Memcached, which has no AUTH or RBAC; elasticache-engine-hipaa-eligible reports it. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when the user group cannot be read (scenario 2)', () => {
      const missing: UserGroupCheck = { group: { kind: 'unresolved', id: 'phi-users', reason: 'DescribeUserGroups failed: UserGroupNotFoundFault' }, users: [] };
      expect(run(rbac(), [missing])).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions uses user group phi-users, which cannot be verified (DescribeUserGroups failed: UserGroupNotFoundFault). ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT when a user of the group cannot be read (scenario 2)', () => {
      const check: UserGroupCheck = { group: { kind: 'resolved', id: 'phi-users', userIds: ['app'] }, users: [{ kind: 'unresolved', id: 'app', reason: 'DescribeUsers failed: UserNotFoundFault' }] };
      expect(run(rbac(), [check]).annotation).to.equal(
        `Replication group phi-sessions uses user group phi-users with user app, which cannot be verified (DescribeUsers failed: UserNotFoundFault). ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for an RBAC group holding the built-in open default user (scenario 3)', () => {
      // Arrange
      const groups = [group('phi-users', [user('app'), user('default', { authenticationType: 'no-password' })])];
      // Act
      const v = run(rbac(), groups);
      // Assert
      expect(v).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions lets clients in without a password: user group phi-users holds the built-in default user (no-password, on). Replace it with a password-protected user named default. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for another user switched on without a password (scenario 4)', () => {
      const groups = [group('phi-users', [user('app-default', { name: 'default' }), user('reporting', { authenticationType: 'no-password' })])];
      expect(run(serverlessView({ userGroupId: 'phi-users' }), groups)).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Serverless cache claims-cache lets clients in without a password: user group phi-users has user reporting switched on with no-password authentication. Give it a password or IAM authentication, or switch it off. ${CITE}`,
      });
    });

    it('returns COMPLIANT for RBAC whose password-less users are switched off (scenario 5)', () => {
      const groups = [group('phi-users', [user('app-default', { name: 'default' }), user('iam-app', { authenticationType: 'iam' }), user('legacy', { authenticationType: 'no-password', enabled: false })])];
      expect(run(rbac({ engine: 'valkey', authTokenEnabled: true }), groups)).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions authenticates clients through RBAC user group phi-users. ${CITE}`,
      });
    });

    it('returns COMPLIANT for a Redis OSS 7 group with an AUTH token (scenario 6)', () => {
      expect(run(groupView({ engineVersion: '7.1.0', authTokenEnabled: true }))).to.deep.equal({
        compliance: 'COMPLIANT',
        annotation: `Replication group phi-sessions requires an AUTH token. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT for a serverless cache without a user group (scenario 7)', () => {
      expect(run(serverlessView({ userGroupId: undefined }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Serverless cache claims-cache accepts clients without authentication (no UserGroupId: its default user has no password). Attach an RBAC user group. ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT with the AUTH token as fix for Redis OSS before 6 (scenario 8)', () => {
      expect(run(groupView({ engineVersion: '5.0.6', engineVersions: ['5.0.6'], authTokenEnabled: false }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions accepts clients without authentication (no AUTH token; Redis OSS 5.0.6 has no RBAC). Set an AUTH token (needs TLS in transit). ${CITE}`,
      });
    });

    it('returns NON_COMPLIANT with the AUTH token as fix for a standalone cluster (scenario 8)', () => {
      expect(run(clusterView({ authTokenEnabled: false })).annotation).to.equal(
        `Cache cluster lab-cache accepts clients without authentication (no AUTH token; standalone clusters have no RBAC). Set an AUTH token (needs TLS in transit). ${CITE}`,
      );
    });

    it('returns NON_COMPLIANT for a Valkey group with neither token nor RBAC (scenario 9)', () => {
      expect(run(groupView({ engine: 'valkey', engineVersion: undefined, engineVersions: [], authTokenEnabled: false }))).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group phi-sessions accepts clients without authentication (no AUTH token, no RBAC user group). Attach an RBAC user group or set an AUTH token. ${CITE}`,
      });
    });
  });

  describe('judged through the runtime', function () {
    this.timeout(120_000);
    const env = elastiCacheRuntime((clients) => judgeAll(rule, params, newJudgeContext(clients, NOW)));

    it('judges many caches, reading each user group and user once (users from moto, groups mocked: moto lacks them)', async () => {
      // Arrange
      const ec = elastiCacheOn(env.moto.endpoint);
      await ec.send(new CreateUserCommand({ UserId: 'app', UserName: 'default', Engine: 'redis', AccessString: 'on ~* +@all', Passwords: ['a-long-password-123456'] }));
      for (let i = 0; i < 20; i++) await createGroup(ec, { id: `open-${i}`, userGroupIds: ['open-users'] });
      for (let i = 0; i < 20; i++) await createGroup(ec, { id: `closed-${i}`, engine: 'valkey', userGroupIds: ['closed-users'] });
      await createGroup(ec, { id: 'token-7', version: '7.1', authToken: 'a-very-long-auth-token-1234' });
      await createGroup(ec, { id: 'nothing', version: '6.2.6' });
      await createCluster(ec, { id: 'mc-1' });
      const api = fakeMissingElastiCacheApis({
        serverless: [sdkServerlessCache({ ServerlessCacheName: 'claims', UserGroupId: 'closed-users' })],
        userGroups: { 'open-users': ['default', 'app'], 'closed-users': ['app'] },
      });
      // Act
      const { judged, failures } = await judgeAll(rule, params, newJudgeContext(env.clients, NOW));
      // Assert
      expect(failures).to.deep.equal([]);
      const verdicts = Object.fromEntries(judged.map((j) => [j.resource.id, j.verdict]));
      expect(Object.keys(verdicts)).to.have.length(44);
      expect(verdicts['open-7']).to.deep.equal({
        compliance: 'NON_COMPLIANT',
        annotation: `Replication group open-7 lets clients in without a password: user group open-users holds the built-in default user (no-password, on). Replace it with a password-protected user named default. ${CITE}`,
      });
      expect(verdicts['closed-3']?.compliance).to.equal('COMPLIANT');
      expect(verdicts.claims?.compliance).to.equal('COMPLIANT');
      expect(verdicts['token-7']?.compliance).to.equal('COMPLIANT');
      expect(verdicts.nothing?.compliance).to.equal('NON_COMPLIANT');
      expect(verdicts['mc-1']?.compliance).to.equal('NOT_APPLICABLE');
      expect(api.calls.filter((c) => c === 'DescribeUserGroups')).to.have.length(2);
      expect(api.calls.filter((c) => c === 'DescribeUsers')).to.have.length(2);
    });
  });
});
