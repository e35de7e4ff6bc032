/**
 * Writes conformance-packs/hipaa-safeguards.yaml from the catalog (`npm run build:pack`).
 * `--check` writes nothing and exits 1 when the committed file differs (for CI outside mocha).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { catalog } from '../rules/catalog';
import { PACK_PATH, renderPack } from './lib/conformance-pack';

function main(argv: readonly string[]): number {
  const text = renderPack(catalog);
  const shown = relative(process.cwd(), PACK_PATH);
  if (argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(PACK_PATH, 'utf8');
    } catch {
      // A missing file is drift like any other.
    }
    if (committed === text) return 0;
    process.stderr.write(`${shown} is out of date with rules/catalog.ts. Run npm run build:pack.\n`);
    return 1;
  }
  writeFileSync(PACK_PATH, text);
  process.stderr.write(`Wrote ${shown}: ${catalog.length} rule(s), ${Buffer.byteLength(text)} bytes.\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
