import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog } from '../../rules/catalog';
import { PACK_PATH } from '../../scripts/lib/conformance-pack';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { type PartsInput, buildResources, organizationCapacity, ruleLogicalIds } from '../../scripts/lib/serverless-resources';
import { SPOKE_PATH } from '../../scripts/lib/spoke-template';
import { PSEUDO, SINGLE_PACK_URI, type Template, resolveIntrinsics } from './cfn';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const STAGE = 'prod';

/** The README's "### Roles" section, up to the next heading. */
function rolesSection(): string {
  const start = README.indexOf('\n### Roles\n');
  if (start < 0) throw new Error('README.md has no "### Roles" section.');
  const end = README.indexOf('\n### ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/**
 * How the README names a role: its path and name with the region, stage and rule written as `<region>`, `<stage>`,
 * `<rule>`; a role CloudFormation names (the single-account rule roles) by its logical ID, `<Rule>Role` for rules.
 */
function readmeName(template: Template, id: string): string {
  const rule = catalog.find((s) => ruleLogicalIds(s).role === id);
  const raw = template.Resources[id]?.Properties ?? {};
  // Only the name and path: the policies refer to parameters (the hub account) the name does not need.
  const props = resolveIntrinsics(template, { RoleName: raw.RoleName, Path: raw.Path }, {}) as { RoleName?: string; Path?: string };
  if (props.RoleName === undefined) return rule ? '<Rule>Role' : id;
  let name = `${props.Path && props.Path !== '/' ? props.Path : ''}${props.RoleName}`;
  name = name.replaceAll(PSEUDO['AWS::Region'] ?? 'us-east-1', '<region>');
  if (rule) name = name.replace(rule.name, '<rule>');
  return name.replaceAll(`-${STAGE}-`, '-<stage>-').replaceAll(`/${STAGE}/`, '/<stage>/').replace(new RegExp(`/${STAGE}-`), '/<stage>-');
}

describe('README security review', () => {
  it('names, in its roles table, every role of the single-account stack, the hub and the spoke', () => {
    // Arrange: every template the pack deploys
    const base: PartsInput = { safeguards: catalog, documents: loadAllRemediationDocuments(), packText: readFileSync(PACK_PATH, 'utf8'), service: 'hipaa-safeguards', stage: STAGE, packTemplateS3Uri: SINGLE_PACK_URI };
    const hub: PartsInput = {
      ...base,
      packTemplateS3Uri: 's3://awsconfigconforms-hipaa-safeguards-999999999999-us-east-1/prod/conformance-packs/p.yaml',
      organization: { memberAccounts: ['111111111111'], excludedAccounts: [], evaluationRoleName: 'HIPAA-Safeguards-Evaluation', organizationId: 'o-abcdefghij' },
    };
    const templates: Template[] = [
      { Resources: buildResources(base).Resources as Template['Resources'] },
      { Resources: buildResources(hub).Resources as Template['Resources'] },
      parse(readFileSync(SPOKE_PATH, 'utf8')) as Template,
    ];
    // Act
    const names = new Set(templates.flatMap((t) => Object.keys(t.Resources).filter((id) => t.Resources[id]?.Type === 'AWS::IAM::Role').map((id) => readmeName(t, id))));
    // Assert
    expect(names.size).to.be.at.least(loadAllRemediationDocuments().length + 5);
    const section = rolesSection();
    const missing = [...names].filter((n) => !section.includes(`| \`${n}\``));
    expect(missing, 'roles the README roles table does not name (first column)').to.deep.equal([]);
  });

  it('states how many member accounts one organization stage serves with the current catalog', () => {
    const capacity = organizationCapacity({ safeguards: catalog, service: 'hipaa-safeguards', stage: STAGE });
    expect(README).to.match(/one stage serves \*\*(\d+) member accounts\*\*/);
    expect(Number(/one stage serves \*\*(\d+) member accounts\*\*/.exec(README)?.[1])).to.equal(capacity);
  });
});
