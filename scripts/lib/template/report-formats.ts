/**
 * check-template results as SARIF 2.1.0 (GitHub code scanning annotates the pull request with them) and as JUnit
 * XML (Jenkins, GitLab, Azure DevOps and most other CI systems show it as test results).
 */
import type { Safeguard } from '../../../rules/runtime/safeguard';
import type { TemplateFailure, TemplateResult } from '../check-template';

/** What GitHub reads as `security-severity` (CVSS-like 0.0–10.0) for each safeguard severity. */
const SECURITY_SEVERITY: Readonly<Record<string, string>> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '3.0' };

/**
 * SARIF 2.1.0: one rule per safeguard, one result per NON_COMPLIANT verdict (level error) and per UNKNOWN verdict
 * (level warning: not verifiable before deployment). COMPLIANT and NOT_APPLICABLE verdicts are not results: code
 * scanning would only list them as noise; the json format has every verdict. Template failures are tool
 * execution notifications and make the invocation unsuccessful.
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
export function toSarif(
  results: readonly TemplateResult[],
  failures: readonly TemplateFailure[],
  safeguards: readonly Safeguard[],
  version: string,
): Record<string, unknown> {
  const rules = safeguards.map((s) => ({
    id: s.name,
    name: s.name,
    shortDescription: { text: s.title },
    fullDescription: { text: s.description },
    help: { text: `${s.description} Cites ${s.hipaa.join(', ')}.${s.remediation ? ` Remediation: ${s.remediation.document}.` : ''}` },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['security', 'hipaa', ...s.hipaa], precision: 'high', 'security-severity': SECURITY_SEVERITY[s.severity] ?? '5.0' },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const sarifResults = results
    .filter((r) => r.compliance === 'NON_COMPLIANT' || r.compliance === 'UNKNOWN')
    .map((r) => ({
      ruleId: r.rule,
      ...(index.has(r.rule) ? { ruleIndex: index.get(r.rule) } : {}),
      level: r.compliance === 'NON_COMPLIANT' ? 'error' : 'warning',
      message: { text: r.compliance === 'UNKNOWN' ? `UNKNOWN: ${r.annotation}` : r.annotation },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: r.file }, region: { startLine: Math.max(1, r.line) } },
          logicalLocations: [{ name: r.logicalId, fullyQualifiedName: `${r.file}/Resources/${r.logicalId}`, kind: 'resource' }],
        },
      ],
      properties: { resourceType: r.resourceType, compliance: r.compliance },
    }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'hipaa-safeguards', semanticVersion: version, rules } },
        invocations: [
          {
            executionSuccessful: failures.length === 0,
            toolExecutionNotifications: failures.map((f) => ({
              level: 'error',
              message: { text: f.logicalId ? `${f.logicalId} (${f.resourceType ?? ''}): ${f.error}` : f.error },
              locations: [{ physicalLocation: { artifactLocation: { uri: f.file }, ...(f.line ? { region: { startLine: f.line } } : {}) } }],
            })),
          },
        ],
        results: sarifResults,
      },
    ],
  };
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/**
 * JUnit XML: one test suite per template file, one test case per rule and resource. NON_COMPLIANT is a failure,
 * UNKNOWN and resources that could not be judged are errors, NOT_APPLICABLE (exempt, or not applicable to the
 * resource) is skipped with its reason.
 */
export function toJunit(results: readonly TemplateResult[], failures: readonly TemplateFailure[]): string {
  const files = [...new Set([...results.map((r) => r.file), ...failures.map((f) => f.file)])];
  const suites = files.map((file) => {
    const cases = results
      .filter((r) => r.file === file)
      .map((r) => {
        const head = `    <testcase classname="${xml(r.rule)}" name="${xml(`${r.logicalId} (${r.resourceType}) line ${r.line}`)}" file="${xml(file)}" line="${r.line}">`;
        const body =
          r.compliance === 'NON_COMPLIANT'
            ? `<failure type="NON_COMPLIANT" message="${xml(r.annotation)}">${xml(r.annotation)}</failure>`
            : r.compliance === 'UNKNOWN'
              ? `<error type="UNKNOWN" message="${xml(r.annotation)}">${xml(r.annotation)}</error>`
              : r.compliance === 'NOT_APPLICABLE'
                ? `<skipped message="${xml(r.annotation)}"/>`
                : `<system-out>${xml(r.annotation)}</system-out>`;
        return `${head}\n      ${body}\n    </testcase>`;
      });
    const errored = failures
      .filter((f) => f.file === file)
      .map(
        (f) =>
          `    <testcase classname="check-template" name="${xml(f.logicalId ? `${f.logicalId} (${f.resourceType ?? ''}) line ${f.line ?? 0}` : 'read template')}" file="${xml(file)}">\n      <error type="ERROR" message="${xml(f.error)}">${xml(f.error)}</error>\n    </testcase>`,
      );
    const mine = results.filter((r) => r.file === file);
    const counts = {
      tests: mine.length + errored.length,
      failures: mine.filter((r) => r.compliance === 'NON_COMPLIANT').length,
      errors: mine.filter((r) => r.compliance === 'UNKNOWN').length + errored.length,
      skipped: mine.filter((r) => r.compliance === 'NOT_APPLICABLE').length,
    };
    return { counts, text: `  <testsuite name="${xml(file)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}">\n${[...cases, ...errored].join('\n')}\n  </testsuite>` };
  });
  const total = (k: 'tests' | 'failures' | 'errors' | 'skipped') => suites.reduce((n, s) => n + s.counts[k], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="safeguards check-template" tests="${total('tests')}" failures="${total('failures')}" errors="${total('errors')}" skipped="${total('skipped')}">`,
    ...suites.map((s) => s.text),
    '</testsuites>',
    '',
  ].join('\n');
}
