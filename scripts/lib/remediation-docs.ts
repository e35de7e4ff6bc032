import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const REMEDIATIONS_DIR = join(__dirname, '..', '..', 'remediations');

/** A remediation document as the build and the tests read it. */
export interface RemediationDocument {
  /** File name without `.yaml`: the SSM document name. */
  readonly name: string;
  readonly path: string;
  readonly text: string;
  /** The parsed YAML (validated by the document checks, not here). */
  readonly content: unknown;
  /** IAM actions the document declares it needs, from its `# IAM actions:` comment block. */
  readonly iamActions: readonly string[];
}

const ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;

/**
 * Reads the leading comment block
 * ```
 * # IAM actions:
 * #   - kinesis:DescribeStreamSummary
 * ```
 * The remediation role gets exactly the union of these lists; a test checks each list against the document's steps.
 */
export function declaredIamActions(text: string, name: string): string[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^#\s*IAM actions:\s*$/.test(l));
  if (start < 0) throw new Error(`Remediation document ${name} has no "# IAM actions:" comment block.`);
  const actions: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^#\s*-\s*(\S+)\s*$/.exec(line);
    if (!m?.[1]) break;
    if (!ACTION.test(m[1])) throw new Error(`Remediation document ${name} declares ${JSON.stringify(m[1])}; expected service:Action.`);
    actions.push(m[1]);
  }
  if (actions.length === 0) throw new Error(`Remediation document ${name} lists no actions under "# IAM actions:".`);
  return actions;
}

export function loadRemediationDocument(name: string, dir: string = REMEDIATIONS_DIR): RemediationDocument {
  const path = join(dir, `${name}.yaml`);
  const text = readFileSync(path, 'utf8');
  return { name, path, text, content: parse(text) as unknown, iamActions: declaredIamActions(text, name) };
}

/** Every document in remediations/. */
export function loadAllRemediationDocuments(dir: string = REMEDIATIONS_DIR): RemediationDocument[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => loadRemediationDocument(f.slice(0, -'.yaml'.length), dir));
}
