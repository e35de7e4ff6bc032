import { findSafeguard } from '../../rules/catalog';
import { loadRemediationDocument } from './remediation-docs';
import type { ScanResult } from './scan';
import { type ApiCall, type CallOverride, simulateDocument } from './ssm/simulate';

/** What happened when a resource's remediation document ran. */
export interface RemediationOutcome {
  readonly rule: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly document: string;
  /** The AutomationAssumeRole it ran with: its own document's role. */
  readonly roleArn: string;
  readonly status: 'Success' | 'Failed';
  readonly stepPath: readonly string[];
  /** Every API call the document made, in order: what it read and what it changed. */
  readonly calls: readonly ApiCall[];
  /** The document's declared outputs (snapshot names, message IDs, decisions). */
  readonly documentOutputs: Readonly<Record<string, unknown>>;
  readonly failure?: string;
}

/**
 * Runs, through the simulator, the remediation document of every NON_COMPLIANT result whose safeguard links an
 * automatic remediation, with the parameters Config would pass: RESOURCE_ID, the role, the link's fixed values
 * (those without deployment placeholders) and each document parameter's pack default unless
 * `documentParameters[rule]` sets it. For the demo and tests on an emulator; `override` answers what it lacks.
 */
export async function remediateWithSimulator(options: {
  readonly results: readonly ScanResult[];
  readonly endpoint: string;
  readonly region: string;
  /** The AutomationAssumeRole of a document: each document runs as its own role (scripts/lib/iam.ts remediationRoleArnIn). */
  readonly roleArnFor: (document: string) => string;
  readonly documentParameters?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly override?: CallOverride;
  readonly onProgress?: (message: string) => void;
}): Promise<RemediationOutcome[]> {
  const outcomes: RemediationOutcome[] = [];
  for (const r of options.results) {
    if (r.compliance !== 'NON_COMPLIANT') continue;
    const link = findSafeguard(r.rule).remediation;
    if (!link?.automatic) continue;
    const defaults = Object.fromEntries(Object.entries(link.parameters ?? {}).map(([k, p]) => [k, p.default]));
    // `{accountId}`-style values are filled in by the deployment; the caller gives them through documentParameters.
    const fixed = Object.fromEntries(Object.entries(link.fixed ?? {}).filter(([, v]) => !String(v).includes('{')));
    options.onProgress?.(`Running ${link.document} on ${r.resourceId}…`);
    const doc = loadRemediationDocument(link.document);
    const roleArn = options.roleArnFor(link.document);
    const given: Record<string, unknown> = {
      ...defaults,
      ...fixed,
      ...options.documentParameters?.[r.rule],
      AutomationAssumeRole: roleArn,
      [link.resourceIdParameter]: r.resourceId,
    };
    const result = await simulateDocument(doc, {
      parameters: Object.fromEntries(Object.entries(given).map(([k, v]) => [k, asDeclared(doc.content, k, v)])),
      endpoint: options.endpoint,
      region: options.region,
      pollIntervalMs: 50,
      maxWaitMs: 30_000,
      ...(options.override ? { override: options.override } : {}),
    });
    outcomes.push({
      rule: r.rule,
      resourceType: r.resourceType,
      resourceId: r.resourceId,
      document: link.document,
      roleArn,
      status: result.status,
      stepPath: result.stepPath,
      calls: result.calls,
      documentOutputs: result.documentOutputs,
      ...(result.failure ? { failure: `${result.failure.step}: ${result.failure.message}` } : {}),
    });
  }
  return outcomes;
}

/**
 * Config passes remediation parameters as strings (StaticValue) and SSM converts them to the document's declared
 * type; the simulator takes typed values, so the same conversion happens here.
 */
function asDeclared(content: unknown, name: string, value: unknown): unknown {
  const type = (content as { parameters?: Record<string, { type?: string }> }).parameters?.[name]?.type;
  if (typeof value !== 'string') return value;
  if (type === 'Integer' && /^-?\d+$/.test(value)) return Number(value);
  if (type === 'Boolean' && (value === 'true' || value === 'false')) return value === 'true';
  if (type === 'StringList') return value === '' ? [] : value.split(',');
  return value;
}
