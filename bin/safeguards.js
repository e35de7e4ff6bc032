#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so no build step stands between a clone and a scan.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const { main } = require('../scripts/cli.ts');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
