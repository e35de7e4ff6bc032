/**
 * Writes conformance-packs/hipaa-safeguards-spoke.yaml (the StackSet template of organization mode) from the catalog
 * and remediations/ (`npm run build:pack` runs it after the pack). `--check` writes nothing and exits 1 on drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { catalog } from '../rules/catalog';
import { loadAllRemediationDocuments } from './lib/remediation-docs';
import { SPOKE_PATH, renderSpoke } from './lib/spoke-template';

function main(argv: readonly string[]): number {
  const text = renderSpoke(catalog, loadAllRemediationDocuments());
  const shown = relative(process.cwd(), SPOKE_PATH);
  if (argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SPOKE_PATH, 'utf8');
    } catch {
      // A missing file is drift like any other.
    }
    if (committed === text) return 0;
    process.stderr.write(`${shown} is out of date with rules/catalog.ts or remediations/. Run npm run build:pack.\n`);
    return 1;
  }
  writeFileSync(SPOKE_PATH, text);
  process.stderr.write(`Wrote ${shown}: ${Buffer.byteLength(text)} bytes.\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
