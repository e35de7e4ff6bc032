import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalog } from '../rules/catalog';

const ROOT = join(__dirname, '..');

describe('rules/catalog', () => {
  it('names each safeguard once', () => {
    const names = catalog.map((s) => s.name);
    expect(new Set(names).size).to.equal(names.length);
  });

  for (const s of catalog) {
    describe(s.name, () => {
      it('is rules/<name>.ts, whose handler export is the Lambda entry point', async () => {
        // One id everywhere: the rule file, the Config rule, the Lambda and the test share the name.
        expect(existsSync(join(ROOT, 'rules', `${s.name}.ts`))).to.equal(true);
        const mod = (await import(`../rules/${s.name}.js`)) as { handler?: unknown };
        expect(mod.handler).to.be.a('function');
      });

      it('has its tests in test/rules/<name>.test.ts', () => {
        expect(existsSync(join(ROOT, 'test', 'rules', `${s.name}.test.ts`))).to.equal(true);
      });

      it('cites a HIPAA Security Rule section and links an existing remediation document, if any', () => {
        expect(s.hipaa.length).to.be.above(0);
        for (const h of s.hipaa) expect(h).to.match(/^45 CFR 164\.3\d\d\([a-z]\)/);
        if (s.remediation) expect(existsSync(join(ROOT, 'remediations', `${s.remediation.document}.yaml`))).to.equal(true);
        // A document that re-checks the rule at run time must be told this rule's name.
        const named = s.remediation?.fixed?.ConfigRuleName;
        if (named !== undefined) expect(named).to.equal(s.name);
      });
    });
  }
});
