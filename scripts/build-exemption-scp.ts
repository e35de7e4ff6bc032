/**
 * Writes conformance-packs/hipaa-safeguards-exemption-scp.json (the exemption service control policy, with a
 * placeholder approver) from the catalog (`npm run build:pack` runs it). `--check` writes nothing and exits 1 on drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { catalog } from '../rules/catalog';
import { EXEMPTION_SCP_PATH, renderExemptionScp } from './lib/exemption-scp';

function main(argv: readonly string[]): number {
  const text = renderExemptionScp(catalog);
  const shown = relative(process.cwd(), EXEMPTION_SCP_PATH);
  if (argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(EXEMPTION_SCP_PATH, 'utf8');
    } catch {
      // A missing file is drift like any other.
    }
    if (committed === text) return 0;
    process.stderr.write(`${shown} is out of date with rules/catalog.ts. Run npm run build:pack.\n`);
    return 1;
  }
  writeFileSync(EXEMPTION_SCP_PATH, text);
  process.stderr.write(`Wrote ${shown}: ${text.length} characters.\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
