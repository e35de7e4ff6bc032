import { type ConfigServiceClient, paginateGetComplianceDetailsByConfigRule } from '@aws-sdk/client-config-service';

/**
 * IDs of resources of `resourceType` this rule last judged COMPLIANT or NON_COMPLIANT. A periodic run reports the
 * ones that no longer exist as NOT_APPLICABLE, so the dashboard does not keep deleted resources failing.
 */
export async function previouslyEvaluatedIds(
  config: ConfigServiceClient,
  configRuleName: string,
  resourceType: string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  const pages = paginateGetComplianceDetailsByConfigRule(
    { client: config },
    { ConfigRuleName: configRuleName, ComplianceTypes: ['COMPLIANT', 'NON_COMPLIANT'], Limit: 100 },
  );
  for await (const page of pages) {
    for (const result of page.EvaluationResults ?? []) {
      const q = result.EvaluationResultIdentifier?.EvaluationResultQualifier;
      if (q?.ResourceType === resourceType && q.ResourceId) ids.add(q.ResourceId);
    }
  }
  return ids;
}
