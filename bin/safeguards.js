#!/usr/bin/env node
// The CLI runs in this very process, compiled by `npm run prepare` (which `npm ci` runs) into dist/cli.js: no child
// process, so a signal sent to `safeguards` stops the CLI itself and leaves nothing behind, and no TypeScript is
// transpiled at start. V8's code cache for the bundle (dist/cli.js.<hash>.cache, written on first use) saves most of
// its compile time on every later start (bench/cli-startup.ts).
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = join(__dirname, '..');
const built = join(root, 'dist', 'cli.js');

// `safeguards ... | head` closes stdout early: that ends the output, it is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/**
 * Loads the bundle as `require` would, compiled with V8's code cache. The cache is named by the bundle's content
 * hash (V8 itself checks only the source length), so a rebuilt bundle never runs with another build's code.
 */
function loadBuilt() {
  const source = readFileSync(built, 'utf8');
  const cacheFile = `${built}.${createHash('sha256').update(source).digest('hex').slice(0, 16)}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: built,
    ...(cachedData ? { cachedData } : {}),
    // The bundle keeps a few import() of Node built-ins: they load as they would in a plain module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = new Module(built, module);
  mod.filename = built;
  mod.paths = Module._nodeModulePaths(dirname(built));
  script.runInThisContext()(mod.exports, Module.createRequire(built), mod, built, dirname(built));
  mod.loaded = true;
  const saveCache = () => {
    if (cachedData && !script.cachedDataRejected) return;
    try {
      // After the run, so the functions it compiled are in the cache; renamed into place, so readers never see half.
      const temp = `${cacheFile}.${process.pid}`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch {
      // A read-only installation: every start compiles, which is only slower.
    }
  };
  return { cli: mod.exports, saveCache };
}

async function loadFromSources() {
  process.stderr.write(
    'safeguards: the compiled CLI (dist/cli.js) is missing: run `npm run prepare` in ' +
      `${root} to build it. Running from the TypeScript sources meanwhile (slower start).\n`,
  );
  try {
    // What `node --import tsx` loads: the CommonJS and ESM hooks, in this process (commands load with import()).
    await import('tsx');
  } catch (error) {
    process.stderr.write(`Error: cannot run the sources either (${error.message}): run \`npm ci\` in ${root}.\n`);
    process.exit(2);
  }
  return { cli: require(join(root, 'scripts', 'cli.ts')), saveCache: () => undefined };
}

(existsSync(built) ? Promise.resolve().then(loadBuilt) : loadFromSources())
  .then(async ({ cli, saveCache }) => {
    process.exitCode = await cli.main(process.argv.slice(2));
    saveCache();
  })
  .catch((error) => {
    process.stderr.write(`Error: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
