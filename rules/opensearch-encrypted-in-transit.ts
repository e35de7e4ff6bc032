import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { TLS_SECURITY_POLICIES, openSearchDomainResource, tlsPolicyRank } from './resources/opensearch';

const CITATION = '45 CFR 164.312(e)(2)(ii)';

// One of the OpenSearch API model's TLSSecurityPolicy names, exactly.
const TLS_POLICY_NAME = new RegExp(`^(${TLS_SECURITY_POLICIES.join('|')})$`);

/**
 * OpenSearch Service domains encrypt PHI in transit: between their nodes (node-to-node encryption), and from clients,
 * over HTTPS only (EnforceHTTPS) with a TLS security policy of at least `minimumTlsSecurityPolicy` (TLS 1.2 by default).
 *
 * Scenario 1: Given NodeToNodeEncryptionOptions.Enabled false (or absent), Then NON_COMPLIANT.
 * Scenario 2: Given node-to-node encryption and EnforceHTTPS false (or absent), Then NON_COMPLIANT.
 * Scenario 3: Given HTTPS enforced and a TLSSecurityPolicy weaker than minimumTlsSecurityPolicy, Then NON_COMPLIANT.
 * Scenario 4: Given HTTPS enforced and a TLSSecurityPolicy the pack does not know (or none reported), Then NON_COMPLIANT
 *             (it cannot be ranked; the annotation names it).
 * Scenario 5: Given node-to-node encryption, HTTPS enforced and a policy at least as strong as the minimum, Then COMPLIANT.
 * Every failing setting changes in place (node-to-node on OpenSearch or Elasticsearch 6.7+): see the remediation.
 *
 * Scenario 6: Given an OpenSearch Serverless collection, Then COMPLIANT: it has no setting to weaken. "All
 *             communication with OpenSearch Serverless endpoints uses TLS 1.2 encryption", client to endpoint, and data
 *             is also encrypted in transit between the collection's internal components (Amazon OpenSearch Service
 *             Developer Guide, What is Amazon OpenSearch Serverless?,
 *             https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-overview.html).
 *             COMPLIANT rather than NOT_APPLICABLE: the safeguard's requirement holds for it, by the service's design.
 */
export const openSearchEncryptedInTransit = defineSafeguard({
  name: 'opensearch-encrypted-in-transit',
  title: 'OpenSearch Service domains encrypt node-to-node traffic and accept only HTTPS with TLS 1.2 or newer',
  description:
    'Checks that every OpenSearch Service domain has node-to-node encryption, enforces HTTPS, and uses a TLS security policy at least as strong as minimumTlsSecurityPolicy.',
  resource: openSearchDomainResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    minimumTlsSecurityPolicy: {
      type: 'string',
      default: 'Policy-Min-TLS-1-2-2019-07',
      pattern: TLS_POLICY_NAME,
      description: `Weakest TLS security policy accepted on the domain endpoint, one of (weakest first): ${TLS_SECURITY_POLICIES.join(', ')}.`,
    },
  },
  // Manual: each of these changes starts a blue/green deployment of the domain; a person chooses when.
  remediation: {
    document: 'HIPAA-OpenSearchEnforceTransitEncryption',
    automatic: false,
    resourceIdParameter: 'DomainId',
    // Domains only: the document changes a domain in place; a collection's settings cannot change (see above).
    resourceType: 'AWS::OpenSearch::Domain',
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
    parameters: {
      TLSSecurityPolicy: {
        default: 'Policy-Min-TLS-1-2-2019-07',
        description: 'TLS security policy the remediation sets when the domain has a weaker one (use at least minimumTlsSecurityPolicy).',
      },
    },
  },
  lookupActions: [],

  evaluate(domain, params) {
    if (domain.kind === 'collection') {
      // Scenario 6
      return compliant(`Collection ${domain.name} accepts only TLS 1.2 or newer and encrypts traffic between its components (always, on OpenSearch Serverless). ${CITATION}`);
    }
    const name = `Domain ${domain.name}`;
    if (!domain.nodeToNodeEncryption) {
      // Scenario 1
      return nonCompliant(
        `${name} does not encrypt traffic between its nodes (NodeToNodeEncryptionOptions.Enabled false). Enable node-to-node encryption (in place on OpenSearch or Elasticsearch 6.7+). ${CITATION}`,
      );
    }
    if (!domain.enforceHttps) {
      // Scenario 2
      return nonCompliant(`${name} accepts plain HTTP (DomainEndpointOptions.EnforceHTTPS false). Enforce HTTPS. ${CITATION}`);
    }
    const policy = domain.tlsSecurityPolicy;
    const rank = policy === undefined ? undefined : tlsPolicyRank(policy);
    if (rank === undefined) {
      // Scenario 4
      return nonCompliant(
        `${name} uses TLS security policy ${policy ?? '(none reported)'}, which cannot be ranked. Set ${params.minimumTlsSecurityPolicy} or stronger. ${CITATION}`,
      );
    }
    if (rank < (tlsPolicyRank(params.minimumTlsSecurityPolicy) ?? 0)) {
      // Scenario 3
      return nonCompliant(`${name} allows weaker TLS (${policy}) than ${params.minimumTlsSecurityPolicy}. Set a stronger TLSSecurityPolicy. ${CITATION}`);
    }
    // Scenario 5
    return compliant(`${name} encrypts node-to-node traffic and accepts only HTTPS with ${policy}. ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(openSearchEncryptedInTransit);
