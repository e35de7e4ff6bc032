'use strict';
// serverless-esbuild loads these plugins (serverless.yml custom.esbuild.plugins) for every Lambda bundle.

/**
 * Each Lambda bundle holds only its own side of a safeguard. The CloudFormation hook judges templates: it needs every
 * rule's evaluate, gather and CloudFormation builders, never a listing or the Config handler. Adapters write their
 * listers as `process.env.HIPAA_SAFEGUARDS_BUNDLE === 'prevent' ? [] : [...]` and rules mark their handler
 * `@__PURE__`, so with the variable defined as "prevent" esbuild drops both, and with them the SDK clients only the
 * listings use; "detect" (the rule Lambdas and the trigger) drops the CloudFormation builders. The CLI bundle defines
 * it as "cli" (scripts/build-cli.ts) and keeps both sides; code run from source (tests, tsx) keeps both unless the
 * variable is set in its environment.
 */
const bundleFlavour = {
  name: 'hipaa-safeguards-bundle-flavour',
  setup(build) {
    const entries = build.initialOptions.entryPoints;
    const entry = Array.isArray(entries) && typeof entries[0] === 'string' ? entries[0] : '';
    const flavour = /(^|\/)rules\/hooks\//.test(entry) ? 'prevent' : 'detect';
    build.initialOptions.define = { ...build.initialOptions.define, 'process.env.HIPAA_SAFEGUARDS_BUNDLE': JSON.stringify(flavour) };
  },
};

module.exports = [bundleFlavour];
