#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so no build step stands between a clone and a scan.
// `--import tsx` (not a require hook) because lazily loaded modules are dynamic imports.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'scripts', 'cli.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
});
if (result.error) {
  process.stderr.write(`Error: cannot start the CLI: ${result.error.message}\n`);
  process.exitCode = 2;
} else {
  process.exitCode = result.status ?? 2;
}
