/**
 * Compiles the `safeguards` CLI (scripts/cli.ts and everything it imports, AWS SDK included) into one CommonJS file,
 * dist/cli.js, that bin/safeguards.js runs in its own process. `npm ci` runs this through the `prepare` script.
 *
 * Sources find their data files (remediations/, conformance-packs/) from `__dirname`; in one bundle every module
 * would share dist/'s, so each source file's `__dirname`/`__filename` is rewritten to its own place in the tree,
 * relative to the bundle.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Plugin } from 'esbuild';

const ROOT = resolve(__dirname, '..');
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli.js');

function sourceLocations(outDir: string): Plugin {
  return {
    name: 'source-locations',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${'/'}node_modules${'/'}`)) return undefined;
        const contents = await readFile(args.path, 'utf8');
        if (!/\b__(dirname|filename)\b/.test(contents)) return { contents, loader: 'ts' };
        const at = (p: string) => `require("node:path").join(__dirname, ${JSON.stringify(relative(outDir, p))})`;
        return {
          contents: contents.replace(/\b__dirname\b/g, at(dirname(args.path))).replace(/\b__filename\b/g, at(args.path)),
          loader: 'ts',
        };
      });
    },
  };
}

export async function buildCli(outfile: string = CLI_BUNDLE): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'scripts', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Error classes name themselves after their class (`this.name = new.target.name`): keep the names.
    keepNames: true,
    // import() of Node built-ins becomes require(): bin/ runs the bundle from V8's code cache, where Node 20 loses the
    // dynamic-import hook ("A dynamic import callback was not specified").
    supported: { 'dynamic-import': false },
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    legalComments: 'none',
    minify: true,
    sourcemap: 'linked',
    plugins: [sourceLocations(dirname(outfile))],
    // The CLI scans and checks templates: both sides of every safeguard (scripts/esbuild-plugins.js), whatever the
    // caller's environment holds.
    define: { 'process.env.HIPAA_SAFEGUARDS_BUNDLE': JSON.stringify('cli') },
  });
  // Code caches of earlier builds (bin/safeguards.js names them by content hash) are of no use any more.
  const dir = dirname(outfile);
  for (const f of readdirSync(dir)) if (f.startsWith('cli.js.') && f.endsWith('.cache')) rmSync(join(dir, f), { force: true });
}

/** One `safeguards --help` through bin/, which writes the new bundle's code cache so the next start is fast. */
function warmCodeCache(): void {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'safeguards.js'), '--help'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bin/safeguards.js --help exited ${run.status} after the build: ${run.stderr}`);
}

if (require.main === module) {
  buildCli()
    .then(() => {
      warmCodeCache();
      process.stderr.write(`Built ${relative(process.cwd(), CLI_BUNDLE)}.\n`);
    })
    .catch((error: unknown) => {
      // Without dev dependencies (npm install --omit=dev) there is no esbuild: bin/ then runs the sources through tsx.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        process.stderr.write(`Skipped building dist/cli.js: ${(error as Error).message}. bin/safeguards.js will run the TypeScript sources (slower start).\n`);
        return;
      }
      process.stderr.write(`Error: cannot build the CLI: ${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}
