import { compliant, nonCompliant, notApplicable } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import {
  BUILT_IN_DEFAULT_USER_ID,
  Engine,
  type ElastiCacheResource,
  type UserFacts,
  type UserGroupFacts,
  compareVersions,
  elastiCacheLabel,
  elastiCacheResource,
  engineName,
  userFacts,
  userGroupFacts,
} from './resources/elasticache';

const CITATION = '45 CFR 164.312(d)';

/** What the rule knows about one RBAC user group of the cache and its users. */
export interface UserGroupCheck {
  readonly group: UserGroupFacts;
  readonly users: readonly UserFacts[];
}

function userGroupIdsOf(cache: ElastiCacheResource): readonly string[] {
  if (cache.kind === 'serverlessCache') return cache.userGroupId ? [cache.userGroupId] : [];
  return cache.userGroupIds;
}

/**
 * ElastiCache caches authenticate every client: an AUTH token, or RBAC user groups in which no user is switched on
 * with no-password authentication (a group that holds the built-in `default` user lets anyone in).
 * Redis OSS before 6 has only the AUTH token; Redis OSS 6+ and Valkey accept either, so a Redis 7 group with an
 * AUTH token passes.
 *
 * Scenario 1: Given Memcached, Then NOT_APPLICABLE (no AUTH or RBAC; elasticache-engine-hipaa-eligible fails it).
 * Scenario 2: Given RBAC, and a user group or one of its users cannot be read (not found), Then NON_COMPLIANT.
 * Scenario 3: Given RBAC, and a group holds the built-in default user switched on with no-password, Then NON_COMPLIANT.
 * Scenario 4: Given RBAC, and a group holds another user switched on with no-password, Then NON_COMPLIANT.
 * Scenario 5: Given RBAC, and every user of every group needs a password or IAM or is switched off, Then COMPLIANT
 *             (RBAC decides even if AuthTokenEnabled is also reported: with a user group attached, the groups govern).
 * Scenario 6: Given no user group and AuthTokenEnabled, Then COMPLIANT.
 * Scenario 7: Given a serverless cache without a user group (its default user has no password), Then NON_COMPLIANT.
 * Scenario 8: Given no user group and no AUTH token on Redis OSS before 6 or on a standalone cluster (no RBAC there),
 *             Then NON_COMPLIANT, with the AUTH token as the fix.
 * Scenario 9: Given no user group and no AUTH token otherwise (Redis OSS 6+, Valkey), Then NON_COMPLIANT.
 */
export const elastiCacheAuthEnabled = defineSafeguard({
  name: 'elasticache-auth-enabled',
  title: 'ElastiCache caches authenticate every client',
  description:
    'Checks that every Valkey and Redis OSS cache requires an AUTH token or RBAC user groups without password-less users, such as the built-in default user.',
  resource: elastiCacheResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {},
  // Manual: clients need the new token (stored in Secrets Manager) before it is enforced.
  remediation: {
    document: 'HIPAA-ElastiCacheAddAuthToken',
    automatic: false,
    resourceIdParameter: 'ResourceId',
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
    parameters: {
      SecretKmsKeyId: {
        default: 'alias/aws/secretsmanager',
        description: 'KMS key that encrypts the Secrets Manager secret holding the new AUTH token.',
      },
    },
  },
  lookupActions: ['elasticache:DescribeUserGroups', 'elasticache:DescribeUsers'],
  async gather(cache, _params, lookup): Promise<{ groups: readonly UserGroupCheck[] }> {
    if (cache.engine === Engine.Memcached) return { groups: [] };
    const groups: UserGroupCheck[] = [];
    for (const id of userGroupIdsOf(cache)) {
      const group = await userGroupFacts(lookup, id);
      const users = group.kind === 'resolved' ? await Promise.all(group.userIds.map((u) => userFacts(lookup, u))) : [];
      groups.push({ group, users });
    }
    return { groups };
  },

  evaluate(cache, _params, ctx) {
    const name = elastiCacheLabel(cache);
    if (cache.engine === Engine.Memcached) {
      // Scenario 1
      return notApplicable(`${name} runs Memcached, which has no AUTH or RBAC; elasticache-engine-hipaa-eligible reports it. ${CITATION}`);
    }
    const groupIds = userGroupIdsOf(cache);
    if (groupIds.length > 0) {
      for (const id of groupIds) {
        const check = ctx.facts.groups.find((g) => g.group.id === id);
        if (!check) return nonCompliant(`${name} uses user group ${id}, which cannot be verified (not looked up). ${CITATION}`); // Scenario 2
        if (check.group.kind === 'unresolved') {
          // Scenario 2
          return nonCompliant(`${name} uses user group ${id}, which cannot be verified (${check.group.reason}). ${CITATION}`);
        }
        for (const user of check.users) {
          if (user.kind === 'unresolved') {
            // Scenario 2
            return nonCompliant(`${name} uses user group ${id} with user ${user.id}, which cannot be verified (${user.reason}). ${CITATION}`);
          }
          if (!user.enabled || user.authenticationType !== 'no-password') continue;
          if (user.id === BUILT_IN_DEFAULT_USER_ID) {
            // Scenario 3
            return nonCompliant(
              `${name} lets clients in without a password: user group ${id} holds the built-in default user (no-password, on). Replace it with a password-protected user named default. ${CITATION}`,
            );
          }
          // Scenario 4
          return nonCompliant(
            `${name} lets clients in without a password: user group ${id} has user ${user.id} switched on with no-password authentication. Give it a password or IAM authentication, or switch it off. ${CITATION}`,
          );
        }
      }
      // Scenario 5
      return compliant(`${name} authenticates clients through RBAC user group ${groupIds.join(', ')}. ${CITATION}`);
    }
    if (cache.kind === 'serverlessCache') {
      // Scenario 7
      return nonCompliant(
        `${name} accepts clients without authentication (no UserGroupId: its default user has no password). Attach an RBAC user group. ${CITATION}`,
      );
    }
    if (cache.authTokenEnabled) {
      // Scenario 6
      return compliant(`${name} requires an AUTH token. ${CITATION}`);
    }
    const beforeRbac = cache.engine === Engine.Redis && cache.engineVersion !== undefined && compareVersions(cache.engineVersion, '6.0') < 0;
    if (beforeRbac || cache.kind === 'cacheCluster') {
      const why = beforeRbac ? `${engineName(cache.engine)} ${cache.engineVersion} has no RBAC` : 'standalone clusters have no RBAC';
      // Scenario 8
      return nonCompliant(
        `${name} accepts clients without authentication (no AUTH token; ${why}). Set an AUTH token (needs TLS in transit). ${CITATION}`,
      );
    }
    // Scenario 9
    return nonCompliant(
      `${name} accepts clients without authentication (no AUTH token, no RBAC user group). Attach an RBAC user group or set an AUTH token. ${CITATION}`,
    );
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(elastiCacheAuthEnabled);
