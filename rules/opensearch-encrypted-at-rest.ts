import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, keyProblem } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { openSearchDomainResource } from './resources/opensearch';

const CITATION = '45 CFR 164.312(a)(2)(iv)';

/**
 * OpenSearch Service domains that hold PHI encrypt their data at rest with KMS, optionally with a customer managed key
 * from an allow list.
 *
 * Scenario 1: Given EncryptionAtRestOptions.Enabled false (or absent), Then NON_COMPLIANT: enable it in place
 *             (OpenSearch, or Elasticsearch 6.7 or later).
 * Scenario 2: Given encryption at rest and default parameters, Then COMPLIANT.
 * Scenario 3: Given encryption at rest and requireCustomerManagedKey, and the key is AWS managed (alias/aws/es or
 *             KeyManager AWS), Then NON_COMPLIANT.
 * Scenario 4: Given encryption at rest and requireCustomerManagedKey, and the customer key is not Enabled, Then NON_COMPLIANT.
 * Scenario 5: Given encryption at rest and a key parameter, and DescribeKey cannot resolve the key, Then NON_COMPLIANT.
 * Scenario 6: Given encryption at rest and allowedKmsKeyArns, and the resolved key ARN is not listed, Then NON_COMPLIANT.
 * Scenario 7: Given encryption at rest with a customer managed, Enabled, allowed key, Then COMPLIANT.
 * A key verdict (3 to 6) cannot be fixed in place (the key of a domain cannot change): the remediation document then
 * changes nothing and notifies a person. Exemptions, deleted and out-of-scope resources are the runtime's.
 */
export const openSearchEncryptedAtRest = defineSafeguard({
  name: 'opensearch-encrypted-at-rest',
  title: 'OpenSearch Service domains are encrypted at rest with KMS',
  description:
    'Checks that every OpenSearch Service domain encrypts data at rest (EncryptionAtRestOptions.Enabled), optionally with a customer managed KMS key from an allow list.',
  resource: openSearchDomainResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    requireCustomerManagedKey: requireCustomerManagedKeyParameter,
    allowedKmsKeyArns: allowedKmsKeyArnsParameter,
  },
  // Manual: enabling encryption at rest starts a blue/green deployment of the domain; a person chooses when.
  remediation: {
    document: 'HIPAA-OpenSearchEnableEncryptionAtRest',
    automatic: false,
    resourceIdParameter: 'DomainId',
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
    parameters: {
      KmsKeyId: {
        default: 'alias/aws/es',
        description: 'KMS key (key ID or key ARN; alias/aws/es for the AWS managed key) the remediation encrypts domains with. Use a customer managed key when requireCustomerManagedKey is true.',
      },
    },
  },
  lookupActions: ['kms:DescribeKey'],
  async gather(domain, params, lookup) {
    return { key: domain.kmsKeyId && keyCheckNeeded(params) ? await lookup.kmsKey(domain.kmsKeyId) : undefined };
  },

  evaluate(domain, params, ctx) {
    const name = `Domain ${domain.name}`;
    if (!domain.encryptionAtRest) {
      // Scenario 1
      return nonCompliant(
        `${name} is not encrypted at rest (EncryptionAtRestOptions.Enabled false). Enable encryption at rest (in place on OpenSearch or Elasticsearch 6.7+). ${CITATION}`,
      );
    }
    const keyId = domain.kmsKeyId ?? 'alias/aws/es';
    if (ctx.facts.key) {
      const problem = keyProblem(ctx.facts.key, params);
      // Scenarios 3, 4, 5, 6
      if (problem) return nonCompliant(`${name} is encrypted at rest, but ${problem}. The key cannot change in place: migrate to a new domain. ${CITATION}`);
    }
    // Scenarios 2, 7
    return compliant(`${name} is encrypted at rest with KMS key ${keyId}. ${CITATION}`);
  },
});

export const handler = createRuleHandler(openSearchEncryptedAtRest);
