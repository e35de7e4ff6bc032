import { type ConfigServiceClient, paginateGetComplianceDetailsByConfigRule } from '@aws-sdk/client-config-service';

/**
 * Resources of `resourceTypes` this rule last judged COMPLIANT or NON_COMPLIANT. A periodic run reports the ones
 * that no longer exist as NOT_APPLICABLE, so the dashboard does not keep deleted resources failing.
 */
export async function previouslyEvaluated(
  config: ConfigServiceClient,
  configRuleName: string,
  resourceTypes: readonly string[],
): Promise<{ resourceType: string; resourceId: string }[]> {
  const found = new Map<string, { resourceType: string; resourceId: string }>();
  if (resourceTypes.length === 0) return [];
  const pages = paginateGetComplianceDetailsByConfigRule(
    { client: config },
    { ConfigRuleName: configRuleName, ComplianceTypes: ['COMPLIANT', 'NON_COMPLIANT'], Limit: 100 },
  );
  for await (const page of pages) {
    for (const result of page.EvaluationResults ?? []) {
      const q = result.EvaluationResultIdentifier?.EvaluationResultQualifier;
      if (q?.ResourceType && q.ResourceId && resourceTypes.includes(q.ResourceType)) {
        found.set(`${q.ResourceType}/${q.ResourceId}`, { resourceType: q.ResourceType, resourceId: q.ResourceId });
      }
    }
  }
  return [...found.values()];
}
