import { findSafeguard } from '../../rules/catalog';
import { loadRemediationDocument } from './remediation-docs';
import type { ScanResult } from './scan';
import { simulateDocument } from './ssm/simulate';

/** What happened when a resource's remediation document ran. */
export interface RemediationOutcome {
  readonly rule: string;
  readonly resourceId: string;
  readonly document: string;
  readonly status: 'Success' | 'Failed';
  readonly stepPath: readonly string[];
  readonly failure?: string;
}

/**
 * Runs, through the simulator, the remediation document of every NON_COMPLIANT result whose safeguard links an
 * automatic remediation, with the parameters Config would pass: RESOURCE_ID, the role, and each document
 * parameter's pack default unless `documentParameters[rule]` sets it. For the demo and tests on an emulator.
 */
export async function remediateWithSimulator(options: {
  readonly results: readonly ScanResult[];
  readonly endpoint: string;
  readonly region: string;
  readonly roleArn: string;
  readonly documentParameters?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly onProgress?: (message: string) => void;
}): Promise<RemediationOutcome[]> {
  const outcomes: RemediationOutcome[] = [];
  for (const r of options.results) {
    if (r.compliance !== 'NON_COMPLIANT') continue;
    const link = findSafeguard(r.rule).remediation;
    if (!link?.automatic) continue;
    const defaults = Object.fromEntries(Object.entries(link.parameters ?? {}).map(([k, p]) => [k, p.default]));
    options.onProgress?.(`Running ${link.document} on ${r.resourceId}…`);
    const result = await simulateDocument(loadRemediationDocument(link.document), {
      parameters: {
        ...defaults,
        ...options.documentParameters?.[r.rule],
        AutomationAssumeRole: options.roleArn,
        [link.resourceIdParameter]: r.resourceId,
      },
      endpoint: options.endpoint,
      region: options.region,
      pollIntervalMs: 50,
      maxWaitMs: 30_000,
    });
    outcomes.push({
      rule: r.rule,
      resourceId: r.resourceId,
      document: link.document,
      status: result.status,
      stepPath: result.stepPath,
      ...(result.failure ? { failure: `${result.failure.step}: ${result.failure.message}` } : {}),
    });
  }
  return outcomes;
}
