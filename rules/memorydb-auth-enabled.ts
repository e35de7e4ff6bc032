import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { notifyPersonRemediation } from './runtime/remediation-links';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import {
  type AclFacts,
  BUILT_IN_DEFAULT_USER,
  type MemoryDbUserFacts,
  OPEN_ACCESS_ACL,
  aclFacts,
  memoryDbLabel,
  memoryDbResource,
  memoryDbUserFacts,
} from './resources/memorydb';

const CITATION = '45 CFR 164.312(d)';

/** What the rule knows about the cluster's ACL and its users. */
export interface AclCheck {
  readonly acl: AclFacts;
  readonly users: readonly MemoryDbUserFacts[];
}

/**
 * MemoryDB clusters authenticate every client: the cluster's ACL is not the built-in `open-access` (whose `default`
 * user has no password) and holds no user switched on with `no-password` authentication. Annotations state the engine
 * (Valkey or Redis OSS, and its version): both authenticate through the same ACLs.
 *
 * Scenario 1: Given ACLName open-access, Then NON_COMPLIANT (with TLS off it can use no other ACL: recreate it).
 * Scenario 2: Given DescribeClusters did not report ACLName, Then NON_COMPLIANT (cannot be verified).
 * Scenario 3: Given an ACL that DescribeACLs does not list, or a user of it that DescribeUsers does not list, or a
 *             no-password user without an access string, Then NON_COMPLIANT (cannot be verified).
 * Scenario 4: Given an ACL with the built-in default user (no-password, switched on), Then NON_COMPLIANT.
 * Scenario 5: Given an ACL with another user switched on with no-password authentication, Then NON_COMPLIANT.
 * Scenario 6: Given an ACL whose every user needs a password or IAM, or is switched off, Then COMPLIANT.
 *
 * Remediation: a notification, not an in-place UpdateCluster --acl-name. Switching the ACL cuts off every client that
 * connects without a password today, the right target ACL (its users, their passwords in the clients) is a person's
 * decision, and a cluster without TLS cannot leave open-access at all (it must be recreated).
 */
export const memoryDbAuthEnabled = defineSafeguard({
  name: 'memorydb-auth-enabled',
  title: 'MemoryDB clusters authenticate every client',
  description:
    'Checks that every MemoryDB cluster uses an ACL other than open-access in which no user is switched on with no-password authentication, such as the built-in default user.',
  resource: memoryDbResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {},
  // Clients need credentials of the new ACL before it is attached: a person does it, so the pack tells them.
  remediation: notifyPersonRemediation('memorydb-auth-enabled'),
  lookupActions: ['memorydb:DescribeACLs', 'memorydb:DescribeUsers'],

  async gather(cluster, _params, lookup): Promise<{ acl?: AclCheck }> {
    if (!cluster.aclName || cluster.aclName === OPEN_ACCESS_ACL) return {};
    const acl = await aclFacts(lookup, cluster.aclName);
    const users = acl.kind === 'resolved' ? await Promise.all(acl.userNames.map((u) => memoryDbUserFacts(lookup, u))) : [];
    return { acl: { acl, users } };
  },

  evaluate(cluster, _params, { facts }) {
    const name = memoryDbLabel(cluster);
    if (cluster.aclName === OPEN_ACCESS_ACL) {
      const fix =
        cluster.tlsEnabled === false
          ? 'Without TLS it can use no other ACL: recreate it with TLS and an ACL of password or IAM users.'
          : 'Attach an ACL of password or IAM users.';
      // Scenario 1
      return nonCompliant(`${name} accepts clients without authentication (ACL open-access). ${fix} ${CITATION}`);
    }
    if (!cluster.aclName) {
      // Scenario 2
      return nonCompliant(`${name} cannot be verified: DescribeClusters did not report ACLName. ${CITATION}`);
    }
    const acl = cluster.aclName;
    const check = facts.acl;
    if (!check || check.acl.kind === 'unresolved') {
      // Scenario 3
      return nonCompliant(`${name} uses ACL ${acl}, which cannot be verified (${check?.acl.kind === 'unresolved' ? check.acl.reason : 'not looked up'}). ${CITATION}`);
    }
    for (const user of check.users) {
      if (user.kind === 'unresolved') {
        // Scenario 3
        return nonCompliant(`${name} uses ACL ${acl} with user ${user.name}, which cannot be verified (${user.reason}). ${CITATION}`);
      }
      if (user.authenticationType !== 'no-password' || user.enabled === false) continue;
      if (user.enabled === undefined) {
        // Scenario 3
        return nonCompliant(`${name} uses ACL ${acl} with no-password user ${user.name}, whose access string was not reported. ${CITATION}`);
      }
      if (user.name === BUILT_IN_DEFAULT_USER) {
        // Scenario 4
        return nonCompliant(
          `${name} lets clients in without a password: ACL ${acl} holds the built-in default user (no-password, on). Remove it from the ACL. ${CITATION}`,
        );
      }
      // Scenario 5
      return nonCompliant(
        `${name} lets clients in without a password: ACL ${acl} has user ${user.name} switched on with no-password authentication. Give it a password or IAM, or remove it. ${CITATION}`,
      );
    }
    // Scenario 6
    return compliant(`${name} authenticates every client through ACL ${acl} (password or IAM users only). ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(memoryDbAuthEnabled);
