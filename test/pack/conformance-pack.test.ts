import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { catalog } from '../../rules/catalog';
import { defaultAsString } from '../../rules/runtime/parameters';
import type { Safeguard } from '../../rules/runtime/safeguard';
import {
  MAX_AUTOMATIC_ATTEMPTS,
  MAX_CONFIG_RULE_NAME,
  MAX_INPUT_PARAMETERS_CHARS,
  MAX_PACK_RULES,
  MAX_RETRY_ATTEMPT_SECONDS,
  MAX_TEMPLATE_BODY_BYTES,
  MAX_TEMPLATE_S3_BYTES,
  PACK_PATH,
  PACK_RULE_NAME_SUFFIX_LENGTH,
  buildPack,
  packNames,
  renderPack,
} from '../../scripts/lib/conformance-pack';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { buildResources } from '../../scripts/lib/serverless-resources';
import { type Template, cfnLint, describeMatches, propertiesValidator, resolveIntrinsics } from './cfn';

const committed = readFileSync(PACK_PATH, 'utf8');
const pack = parse(committed) as Template;

/** Every parameter without a default (the Lambda ARNs) set, as serverless.yml sets them. */
function deployedValues(overrides: Record<string, string> = {}): Record<string, string> {
  const values: Record<string, string> = {};
  for (const s of catalog) values[packNames(s).lambdaArn] = `arn:aws:lambda:us-east-1:123456789012:function:hipaa-safeguards-dev-${s.name}`;
  return { ...values, ...overrides };
}

function resource(logicalId: string) {
  const r = pack.Resources[logicalId];
  if (!r) throw new Error(`The pack has no resource ${logicalId}.`);
  return r;
}

function resolvedProperties(logicalId: string, overrides: Record<string, string> = {}): Record<string, unknown> {
  return resolveIntrinsics(pack, resource(logicalId).Properties, deployedValues(overrides)) as Record<string, unknown>;
}

/** A fixed remediation value as the pack resolves it in account 123456789012, us-east-1, with default parameters. */
function resolvePlaceholders(value: string): string {
  return value
    .replaceAll('{partition}', 'aws')
    .replaceAll('{region}', 'us-east-1')
    .replaceAll('{accountId}', '123456789012')
    .replaceAll('{NotificationTopicName}', 'HIPAA-Safeguards-Notifications');
}

describe('conformance-packs/hipaa-safeguards.yaml', () => {
  it('is exactly what npm run build:pack generates from the catalog (drift check)', () => {
    expect(committed, 'run npm run build:pack and commit the result').to.equal(renderPack(catalog));
  });

  it('passes cfn-lint with no error or warning', function () {
    this.timeout(60_000);
    const matches = cfnLint(PACK_PATH);
    expect(matches, describeMatches(matches)).to.deep.equal([]);
  });

  describe('limits cfn-lint does not check', () => {
    it(`holds at most ${MAX_PACK_RULES} rules`, () => {
      const rules = Object.values(pack.Resources).filter((r) => r.Type === 'AWS::Config::ConfigRule');
      expect(rules).to.have.length(catalog.length);
      expect(rules.length).to.be.at.most(MAX_PACK_RULES);
    });

    it('refuses to generate a pack of more than 130 rules', () => {
      const many = Array.from({ length: MAX_PACK_RULES + 1 }, (_, i) => ({ ...catalog[0], name: `rule-${i}` }) as Safeguard);
      expect(() => buildPack(many)).to.throw(/at most 130 rules/);
    });

    it(`fits a TemplateS3Uri object (${MAX_TEMPLATE_S3_BYTES} bytes): safeguards deploy and deploy-org upload it`, () => {
      expect(Buffer.byteLength(committed, 'utf8')).to.be.at.most(MAX_TEMPLATE_S3_BYTES);
    });

    it(`goes inline as TemplateBody only within ${MAX_TEMPLATE_BODY_BYTES} bytes (plain sls deploy), else deploys refuse it`, () => {
      // serverless-resources.ts picks TemplateBody without an S3 URI; test/pack/organization-hub.test.ts checks the refusal.
      const parts = { safeguards: catalog, documents: [], packText: committed, service: 's', stage: 'd' };
      const inline = Buffer.byteLength(committed, 'utf8') <= MAX_TEMPLATE_BODY_BYTES;
      const noDocs = catalog.map((s) => ({ ...s, remediation: undefined }) as Safeguard);
      const build = () => buildResources({ ...parts, safeguards: noDocs });
      if (inline) expect(build).to.not.throw();
      else expect(build).to.throw(/a TemplateBody holds 51200/);
    });

    it('keeps every rule name within 128 characters once Config appends the pack suffix', () => {
      for (const r of Object.values(pack.Resources).filter((x) => x.Type === 'AWS::Config::ConfigRule')) {
        const name = String(r.Properties?.ConfigRuleName);
        expect(name.length + PACK_RULE_NAME_SUFFIX_LENGTH, name).to.be.at.most(MAX_CONFIG_RULE_NAME);
      }
    });

    it('keeps MaximumAutomaticAttempts within 1-25 and RetryAttemptSeconds within Config limits', () => {
      for (const r of Object.values(pack.Resources).filter((x) => x.Type === 'AWS::Config::RemediationConfiguration')) {
        const p = r.Properties ?? {};
        expect(p.MaximumAutomaticAttempts).to.be.a('number').within(1, MAX_AUTOMATIC_ATTEMPTS);
        expect(p.RetryAttemptSeconds).to.be.a('number').within(1, MAX_RETRY_ATTEMPT_SECONDS);
      }
    });

    it('keeps the InputParameters JSON within 1024 characters with the defaults', () => {
      for (const s of catalog) {
        const input = resolvedProperties(packNames(s).rule).InputParameters;
        expect(JSON.stringify(input ?? {}).length, s.name).to.be.at.most(MAX_INPUT_PARAMETERS_CHARS);
      }
    });
  });

  describe('CloudFormation registry schemas (ajv, intrinsics resolved with the default parameters)', () => {
    for (const type of ['AWS::Config::ConfigRule', 'AWS::Config::RemediationConfiguration']) {
      it(`validates every ${type}`, () => {
        const validate = propertiesValidator(type);
        const ids = Object.keys(pack.Resources).filter((id) => resource(id).Type === type);
        expect(ids.length, `no ${type} in the pack`).to.be.above(0);
        for (const id of ids) {
          expect(validate(resolvedProperties(id)), `${id}: ${JSON.stringify(validate.errors)}`).to.equal(true);
        }
      });
    }
  });

  for (const s of catalog) {
    describe(s.name, () => {
      const names = packNames(s);

      it('exposes every rule parameter as a pack parameter with its default and description', () => {
        // Arrange
        const rule = resource(names.rule);
        // Act
        const input = rule.Properties?.InputParameters as Record<string, unknown>;
        // Assert
        expect(Object.keys(input)).to.have.members(Object.keys(s.schema));
        for (const [name, spec] of Object.entries(s.schema)) {
          const p = pack.Parameters?.[names.parameter(name)];
          expect(p, name).to.deep.equal({ Type: 'String', Default: defaultAsString(spec), Description: spec.description });
        }
      });

      it('sends no empty parameter value to Config, and sends every value that is set', () => {
        const byDefault = resolvedProperties(names.rule).InputParameters as Record<string, string>;
        expect(Object.values(byDefault)).to.not.include('');
        for (const [name, spec] of Object.entries(s.schema)) {
          if (defaultAsString(spec) !== '') expect(byDefault[name], name).to.equal(defaultAsString(spec));
        }
        const overrides = Object.fromEntries(Object.keys(s.schema).map((n) => [names.parameter(n), `value-of-${n}`]));
        const set = resolvedProperties(names.rule, overrides).InputParameters as Record<string, string>;
        expect(set).to.deep.equal(Object.fromEntries(Object.keys(s.schema).map((n) => [n, `value-of-${n}`])));
      });

      it('is a CUSTOM_LAMBDA rule on the Lambda ARN parameter, triggered as the catalog says', () => {
        const p = resolvedProperties(names.rule, { [names.frequency]: 'Six_Hours' });
        const arn = deployedValues()[names.lambdaArn];
        const expected: unknown[] = [];
        if (s.triggers.includes('change')) {
          expected.push(
            { EventSource: 'aws.config', MessageType: 'ConfigurationItemChangeNotification' },
            { EventSource: 'aws.config', MessageType: 'OversizedConfigurationItemChangeNotification' },
          );
        }
        if (s.triggers.includes('periodic')) {
          expected.push({ EventSource: 'aws.config', MessageType: 'ScheduledNotification', MaximumExecutionFrequency: 'Six_Hours' });
          expect(pack.Parameters?.[names.frequency]?.Default).to.equal('TwentyFour_Hours');
        }
        expect(p.ConfigRuleName).to.equal(s.name);
        expect(p.Source).to.deep.equal({ Owner: 'CUSTOM_LAMBDA', SourceIdentifier: arn, SourceDetails: expected });
        expect(pack.Parameters?.[names.lambdaArn]).to.not.have.property('Default');
        if (s.triggers.includes('change')) expect(p.Scope).to.deep.equal({ ComplianceResourceTypes: [...(s.resource.recordedTypes ?? s.resource.resourceTypes)] });
        else expect(p).to.not.have.property('Scope');
      });

      const link = s.remediation;
      if (!link) return;
      it(`remediates with ${link.document} as the catalog links it`, () => {
        const r = resource(names.remediation);
        expect(r.DependsOn).to.equal(names.rule);
        const p = resolvedProperties(names.remediation);
        const extras = Object.fromEntries(
          [
            // An empty default is left out, so the document's own default applies.
            ...Object.entries(link.parameters ?? {}).filter(([, spec]) => spec.default !== '').map(([n, spec]) => [n, { StaticValue: { Values: [spec.default] } }]),
            ...Object.entries(link.fixed ?? {}).map(([n, v]) => [n, { StaticValue: { Values: [resolvePlaceholders(v)] } }]),
          ],
        );
        expect(p).to.deep.equal({
          ConfigRuleName: s.name,
          ...(link.resourceType ? { ResourceType: link.resourceType } : s.resource.resourceTypes.length === 1 ? { ResourceType: s.resource.resourceTypes[0] } : {}),
          TargetType: 'SSM_DOCUMENT',
          TargetId: link.document,
          Automatic: link.automatic,
          MaximumAutomaticAttempts: link.maximumAutomaticAttempts,
          RetryAttemptSeconds: link.retryAttemptSeconds,
          Parameters: {
            // The document's own role (scripts/lib/iam.ts remediationRoleName), in this account and region.
            AutomationAssumeRole: { StaticValue: { Values: [`arn:aws:iam::123456789012:role/${link.document}-us-east-1`] } },
            [link.resourceIdParameter]: { ResourceValue: { Value: 'RESOURCE_ID' } },
            ...extras,
          },
        });
        for (const [n, spec] of Object.entries(link.parameters ?? {})) {
          expect(pack.Parameters?.[names.remediationParameter(n)], n).to.deep.equal({
            Type: 'String',
            Default: spec.default,
            Description: spec.description,
          });
        }
      });

      it(`passes ${link.document} only parameters it declares, and every one it requires`, () => {
        // Arrange
        const doc = loadRemediationDocument(link.document).content as { parameters?: Record<string, { default?: unknown }> };
        const declared = doc.parameters ?? {};
        // Act
        const passed = Object.keys(resolvedProperties(names.remediation).Parameters as Record<string, unknown>);
        // Assert
        for (const name of passed) expect(Object.keys(declared), `${name} is not a parameter of ${link.document}`).to.include(name);
        const required = Object.entries(declared).filter(([, p]) => p.default === undefined).map(([n]) => n);
        expect(passed).to.include.members(required);
      });

      it('leaves an emptied remediation parameter to the document default instead of sending ""', () => {
        const emptied = Object.fromEntries(Object.keys(link.parameters ?? {}).map((n) => [names.remediationParameter(n), '']));
        const params = resolvedProperties(names.remediation, emptied).Parameters as Record<string, unknown>;
        expect(Object.keys(params)).to.have.members(['AutomationAssumeRole', link.resourceIdParameter, ...Object.keys(link.fixed ?? {})]);
      });
    });
  }
});
