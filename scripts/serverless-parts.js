'use strict';
// serverless.yml reads its catalog-derived parts from here (`${file(./scripts/serverless-parts.js):functions}`).
// Plain CommonJS because the framework require()s it; tsx loads the TypeScript that does the work.
const { readFileSync } = require('node:fs');
const tsx = require('tsx/cjs/api');

const load = (path) => tsx.require(path, __filename);
const { catalog } = load('../rules/catalog.ts');
const { PACK_PATH, renderPack } = load('./lib/conformance-pack.ts');
const { DeploymentMode, buildFunctions, buildResources } = load('./lib/serverless-resources.ts');
const { loadAllRemediationDocuments } = load('./lib/remediation-docs.ts');
const { preventionOptions } = load('./lib/hook-resources.ts');

const list = (value) =>
  String(value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

async function context(resolveVariable) {
  const [service, stage, importSecurityHubFindings, mode, evaluationRoleName, reservedConcurrency, packTemplateS3Uri, memberAccounts, excludedAccounts, organizationId, preventionMode, preventionOnUnknown] =
    await Promise.all([
      resolveVariable('self:service'),
      resolveVariable('sls:stage'),
      resolveVariable('param:importSecurityHubFindings'),
      resolveVariable('param:mode'),
      resolveVariable('param:evaluationRoleName'),
      resolveVariable('param:reservedConcurrency'),
      resolveVariable('param:packTemplateS3Uri'),
      resolveVariable('param:memberAccounts'),
      resolveVariable('param:excludedAccounts'),
      resolveVariable('param:organizationId'),
      resolveVariable('param:preventionMode'),
      resolveVariable('param:preventionOnUnknown'),
    ]);
  if (!Object.values(DeploymentMode).includes(mode)) {
    throw new Error(`--param="mode=${mode}" is not a deployment mode. Expected one of: ${Object.values(DeploymentMode).join(', ')}.`);
  }
  const reserved = String(reservedConcurrency ?? '').trim();
  const securityHub = String(importSecurityHubFindings ?? 'false').trim();
  if (securityHub !== 'true' && securityHub !== 'false') {
    throw new Error(`--param="importSecurityHubFindings=${securityHub}" is not true or false.`);
  }
  return {
    service,
    stage,
    mode,
    importSecurityHubFindings: securityHub === 'true',
    ...(reserved !== '' ? { reservedConcurrency: Number(reserved) } : {}),
    packTemplateS3Uri: String(packTemplateS3Uri ?? ''),
    // Single account: the CloudFormation hook's options (an unknown value stops the build, naming the param).
    prevention: preventionOptions(preventionMode, preventionOnUnknown),
    ...(mode === DeploymentMode.Organization
      ? {
          organization: {
            evaluationRoleName,
            memberAccounts: list(memberAccounts),
            excludedAccounts: list(excludedAccounts),
            organizationId: String(organizationId ?? '').trim(),
          },
        }
      : {}),
  };
}

module.exports = {
  functions: async ({ resolveVariable }) => buildFunctions({ safeguards: catalog, ...(await context(resolveVariable)) }),
  resources: async ({ resolveVariable }) => {
    const packText = readFileSync(PACK_PATH, 'utf8');
    // Deploying a stale pack would leave rules and parameters behind the code.
    if (packText !== renderPack(catalog)) {
      throw new Error('conformance-packs/hipaa-safeguards.yaml is out of date with rules/catalog.ts. Run npm run build:pack.');
    }
    return buildResources({
      safeguards: catalog,
      documents: loadAllRemediationDocuments(),
      packText,
      ...(await context(resolveVariable)),
    });
  },
};
