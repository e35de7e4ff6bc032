import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { keyCheckNeeded, keyProblem, kmsKeyFacts } from './runtime/kms';
import { allowedKmsKeyArnsParameter, requireCustomerManagedKeyParameter } from './runtime/parameters';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { type CollectionEncryption, type OpenSearchCollection, collectionPolicyKey, openSearchDomainResource } from './resources/opensearch';
import type { KeyFacts } from './runtime/kms';
import type { Verdict } from './runtime/compliance';

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
 *
 * OpenSearch Serverless collections (periodic only: AWS Config does not record them) are always encrypted at rest;
 * their key, from the encryption policy that covers them, cannot change after creation ("Update requires:
 * Replacement", CloudFormation EncryptionConfig). The remediation is linked for domains only (its ResourceType), and a
 * collection's resource ID, its ARN, fails the document's DomainId pattern besides: a person recreates the collection.
 * Scenario 8: Given a collection with an AWS owned key and requireCustomerManagedKey or allowedKmsKeyArns, Then NON_COMPLIANT.
 * Scenario 9: Given a collection with an AWS owned key and default parameters, Then COMPLIANT.
 * Scenario 10: Given a collection whose key cannot be read (none reported, no policy covers it), Then NON_COMPLIANT.
 * Scenario 11: Given a collection with a KMS key and a key parameter, and keyProblem finds a problem, Then NON_COMPLIANT.
 * Scenario 12: Given a collection with a KMS key that passes the key parameters, Then COMPLIANT.
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
    // Domains only: the document changes a domain in place; a collection's settings cannot change (see above).
    resourceType: 'AWS::OpenSearch::Domain',
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
  async gather(resource, params, lookup): Promise<{ key?: KeyFacts; encryption?: CollectionEncryption }> {
    if (resource.kind === 'collection') {
      // A declared collection without EncryptionConfig: its template's encryption policy decides (rules/prevention/facts.ts).
      const encryption =
        resource.encryption.kind === 'templatePolicy'
          ? await lookup.cached<CollectionEncryption>(collectionPolicyKey(resource.name), () =>
              Promise.resolve({ kind: 'unverifiable', reason: 'no encryption policy was read for it' }),
            )
          : resource.encryption;
      return { encryption, ...(encryption.kind === 'kmsKey' && keyCheckNeeded(params) ? { key: await kmsKeyFacts(lookup, encryption.keyArn) } : {}) };
    }
    return resource.kmsKeyId && keyCheckNeeded(params) ? { key: await kmsKeyFacts(lookup, resource.kmsKeyId) } : {};
  },

  evaluate(domain, params, ctx) {
    if (domain.kind === 'collection') return evaluateCollection(domain, params, ctx.facts);
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

const RECREATE = 'The key of a collection cannot change after creation: create a new collection under an encryption policy with an allowed customer managed key and move the data.';

function evaluateCollection(
  collection: OpenSearchCollection,
  params: { readonly requireCustomerManagedKey: boolean; readonly allowedKmsKeyArns: readonly string[] },
  facts: { key?: KeyFacts; encryption?: CollectionEncryption },
): Verdict {
  const name = `Collection ${collection.name}`;
  const encryption = facts.encryption ?? collection.encryption;
  if (encryption.kind === 'unverifiable' || encryption.kind === 'templatePolicy') {
    const reason = encryption.kind === 'unverifiable' ? encryption.reason : 'no encryption policy was read for it';
    // Scenario 10
    return nonCompliant(`${name} is encrypted at rest (always, on OpenSearch Serverless), but its key cannot be verified (${reason}). Check the encryption policy that covers it. ${CITATION}`);
  }
  if (encryption.kind === 'awsOwnedKey') {
    if (keyCheckNeeded(params)) {
      const why = params.requireCustomerManagedKey ? 'requireCustomerManagedKey needs a customer managed key' : 'allowedKmsKeyArns lists customer managed keys only';
      // Scenario 8
      return nonCompliant(`${name} is encrypted at rest with an AWS owned key; ${why}. ${RECREATE} ${CITATION}`);
    }
    // Scenario 9
    return compliant(`${name} is encrypted at rest with an AWS owned key. ${CITATION}`);
  }
  const problem = facts.key ? keyProblem(facts.key, params) : undefined;
  // Scenario 11
  if (problem) return nonCompliant(`${name} is encrypted at rest, but ${problem}. ${RECREATE} ${CITATION}`);
  // Scenario 12
  return compliant(`${name} is encrypted at rest with KMS key ${encryption.keyArn}. ${CITATION}`);
}

export const handler = /* @__PURE__ */ createRuleHandler(openSearchEncryptedAtRest);
