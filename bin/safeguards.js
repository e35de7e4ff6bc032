#!/usr/bin/env node
// The CLI runs in this very process, compiled by `npm run prepare` (which `npm ci` runs) into dist/cli.js: no child
// process, so a signal sent to `safeguards` stops the CLI itself and leaves nothing behind, and no TypeScript is
// transpiled at start.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = join(__dirname, '..');
const built = join(root, 'dist', 'cli.js');

// `safeguards ... | head` closes stdout early: that ends the output, it is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

async function loadCli() {
  if (existsSync(built)) return require(built);
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
  return require(join(root, 'scripts', 'cli.ts'));
}

loadCli()
  .then((cli) => cli.main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`Error: ${error && error.message ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
