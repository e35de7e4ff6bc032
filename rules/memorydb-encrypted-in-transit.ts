import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { notifyPersonRemediation } from './runtime/remediation-links';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { memoryDbLabel, memoryDbResource } from './resources/memorydb';

const CITATION = '45 CFR 164.312(e)(2)(ii)';

/**
 * MemoryDB clusters accept only TLS connections (TLSEnabled). TLS is chosen when a cluster is created and cannot be
 * changed afterwards (UpdateCluster has no TLSEnabled; the CloudFormation registry schema lists it as create-only), so
 * the remediation notifies a person, who moves the data into a new cluster.
 *
 * Scenario 1: Given TLSEnabled true, Then COMPLIANT.
 * Scenario 2: Given TLSEnabled false, Then NON_COMPLIANT.
 * Scenario 3: Given DescribeClusters did not report TLSEnabled, Then NON_COMPLIANT (cannot be verified).
 * Status (creating, updating, deleting, snapshotting) does not change the verdict: it comes from the configuration.
 */
export const memoryDbEncryptedInTransit = defineSafeguard({
  name: 'memorydb-encrypted-in-transit',
  title: 'MemoryDB clusters accept only TLS connections',
  description: 'Checks that every MemoryDB cluster has in-transit encryption (TLSEnabled true). TLS is fixed at creation, so the remediation notifies a person.',
  resource: memoryDbResource,
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {},
  // TLS cannot be switched on in place: a person recreates the cluster, so the pack tells them.
  remediation: notifyPersonRemediation('memorydb-encrypted-in-transit'),
  lookupActions: [],

  evaluate(cluster) {
    const name = memoryDbLabel(cluster);
    if (cluster.tlsEnabled === true) {
      // Scenario 1
      return compliant(`${name} requires TLS in transit (TLSEnabled true). ${CITATION}`);
    }
    if (cluster.tlsEnabled === false) {
      // Scenario 2
      return nonCompliant(
        `${name} is not encrypted in transit (TLSEnabled false). TLS is fixed at creation: restore a snapshot into a new cluster with TLSEnabled. ${CITATION}`,
      );
    }
    // Scenario 3
    return nonCompliant(`${name} cannot be verified: DescribeClusters did not report TLSEnabled. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(memoryDbEncryptedInTransit);
