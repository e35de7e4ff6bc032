import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import { expect } from 'chai';
import { catalog } from '../../rules/catalog';
import { main } from '../../scripts/cli';
import { type TemplateResult, checkTemplates, summarizeTemplates } from '../../scripts/lib/check-template';
import { readTemplate } from '../../scripts/lib/template/read';

const FIXTURES = join(__dirname, '..', 'fixtures', 'templates');
const YAML = join(FIXTURES, 'phi-stack.yaml');
const JSON_TEMPLATE = join(FIXTURES, 'phi-stack.json');
const CDK_OUT = join(FIXTURES, 'cdk.out');
const SERVERLESS = join(FIXTURES, 'serverless', '.serverless', 'cloudformation-template-update-stack.json');
const STRICT_KINESIS = { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } };

const EC_RULES = [
  'elasticache-encrypted-at-rest',
  'elasticache-encrypted-in-transit',
  'elasticache-auth-enabled',
  'elasticache-engine-hipaa-eligible',
  'elasticache-security-updates-applied',
  'elasticache-current-generation-nodes',
] as const;
const [C, N, A, U] = ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'UNKNOWN'] as const;

/** `LogicalId rule` → compliance, from the rows (several rows for one pair: joined in order). */
function verdicts(results: readonly TemplateResult[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of results) {
    const key = `${r.logicalId} ${r.rule}`;
    out[key] = out[key] ? `${out[key]}|${r.compliance}` : r.compliance;
  }
  return out;
}
const ec = (id: string, values: readonly string[]) => Object.fromEntries(EC_RULES.map((rule, i) => [`${id} ${rule}`, values[i] ?? '']));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('check-template', () => {
  describe('YAML with short forms: every verdict of every safeguard', () => {
    // Arrange (shared): the fixture declares one resource per scenario; the key parameter makes AWS managed keys fail.
    let results: TemplateResult[];
    before(async () => {
      ({ results } = await checkTemplates({ paths: [YAML], parameters: STRICT_KINESIS, now: new Date('2026-12-01T00:00:00Z') }));
    });

    it('reads every short form into its long form, keeping the line of each resource', () => {
      const file = readTemplate(YAML);
      const resources = file.template.Resources as Record<string, { Properties: Record<string, unknown> }>;
      expect(resources.EncryptedStream?.Properties.StreamEncryption).to.deep.equal({ EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': ['PhiKey', 'Arn'] } });
      expect(resources.GoodGroup?.Properties.TransitEncryptionEnabled).to.deep.equal({ 'Fn::If': ['UseTls', true, false] });
      expect((file.template.Conditions as Record<string, unknown>).IsDev).to.deep.equal({ 'Fn::Not': [{ Condition: 'IsProd' }] });
      const text = readFileSync(YAML, 'utf8').split('\n');
      for (const [id, line] of Object.entries(file.lines)) expect(text[line - 1], id).to.equal(`  ${id}:`);
    });

    it('gives the expected verdict for each resource and rule', () => {
      // Act
      const got = verdicts(results);
      // Assert
      expect(got).to.deep.equal({
        'PlainStream kinesis-stream-encrypted': N,
        'EncryptedStream kinesis-stream-encrypted': C,
        'AwsKeyStream kinesis-stream-encrypted': N,
        'ImportedKeyStream kinesis-stream-encrypted': U,
        'ExemptStream kinesis-stream-encrypted': A,
        'DirectPutPlain firehose-delivery-stream-encrypted': N,
        'DirectPutEncrypted firehose-delivery-stream-encrypted': C,
        'FromEncryptedStream firehose-delivery-stream-encrypted': C,
        'FromPlainStream firehose-delivery-stream-encrypted': N,
        'FromOtherStackStream firehose-delivery-stream-encrypted': U,
        'ExemptDelivery firehose-delivery-stream-encrypted': A,
        'VideoDefaultKey kinesis-video-stream-customer-key': N,
        'VideoCustomerKey kinesis-video-stream-customer-key': C,
        'VideoAliasKey kinesis-video-stream-customer-key': C,
        'VideoForeignKey kinesis-video-stream-customer-key': U,
        'VideoExempt kinesis-video-stream-customer-key': A,
        ...ec('GoodGroup', [C, C, C, C, C, C]),
        ...ec('BadGroup', [N, N, N, N, C, N]),
        ...ec('DefaultUserCache', [C, C, N, C, C, C]),
        ...ec('OpenUserCache', [C, C, N, C, C, C]),
        ...ec('TokenCache', [C, C, C, C, C, U]),
        ...ec('UnpinnedCache', [U, U, U, U, U, U]),
        ...ec('DefaultVersionCache', [C, C, C, U, C, U]),
        // CacheEngine has no Default: judged for valkey, then memcached
        ...ec('ChosenEngineCluster', [N, C, `${N}|${A}`, `${C}|${N}`, C, C]),
        ...ec('ExemptCluster', [A, A, A, A, A, A]),
        ...ec('PhiServerless', [C, C, C, C, A, A]),
        ...ec('OpenServerless', [C, C, N, C, A, A]),
      });
    });

    it('covers every verdict of every safeguard that can occur before deployment', () => {
      const seen = new Map<string, Set<string>>();
      for (const r of results) seen.set(r.rule, (seen.get(r.rule) ?? new Set()).add(r.compliance));
      for (const [rule, set] of seen) {
        // A resource being created has no pending update action: NON_COMPLIANT cannot occur for it before deployment.
        const possible = rule === 'elasticache-security-updates-applied' ? [C, A, U] : [C, N, A, U];
        expect([...set].sort(), rule).to.deep.equal([...possible].sort());
      }
      expect(seen.size).to.equal(9);
    });

    it('skips a resource whose Condition is false, and says for which allowed value a verdict holds', () => {
      expect(results.some((r) => r.logicalId === 'ProdOnlyStream')).to.equal(false);
      const auth = results.filter((r) => r.logicalId === 'ChosenEngineCluster' && r.rule === 'elasticache-auth-enabled').map((r) => r.annotation);
      expect(auth).to.deep.equal([
        'With CacheEngine=valkey: Cache cluster ChosenEngineCluster accepts clients without authentication (no AUTH token; standalone clusters have no RBAC). Set an AUTH token (needs TLS in transit). 45 CFR 164.312(d)',
        'With CacheEngine=memcached: Cache cluster ChosenEngineCluster runs Memcached, which has no AUTH or RBAC; elasticache-engine-hipaa-eligible reports it. 45 CFR 164.312(d)',
      ]);
      expect(results.find((r) => r.logicalId === 'ChosenEngineCluster' && r.rule === 'elasticache-encrypted-in-transit')?.annotation).to.match(/^With every allowed value of CacheEngine: /);
    });

    it('resolves !Join, !FindInMap, !If with conditions and parameter defaults into the judged names and values', () => {
      const plain = results.find((r) => r.logicalId === 'PlainStream');
      expect(plain?.annotation).to.equal('Stream phi-plain-dev is not encrypted at rest (StreamEncryption absent). Enable KMS server-side encryption. 45 CFR 164.312(a)(2)(iv)');
      expect(results.find((r) => r.logicalId === 'GoodGroup' && r.rule === 'elasticache-current-generation-nodes')?.annotation).to.contain('cache.r7g.large');
      expect(results.find((r) => r.logicalId === 'UnpinnedCache')?.annotation).to.contain('EngineVersion (parameter PinnedVersion (no Default)) is not known');
    });

    it('with --region, resolves AWS::Region in conditions', async () => {
      // UseTls = IsDev or region us-east-1; with Environment prod only the region decides.
      const tpl = await checkTemplates({ paths: [YAML], rules: ['elasticache-encrypted-in-transit'], region: 'eu-west-1' });
      expect(tpl.results.find((r) => r.logicalId === 'GoodGroup')?.compliance).to.equal(C);
    });
  });

  describe('JSON, CDK output and Serverless packages', () => {
    it('judges a JSON template with long forms (Fn::If, Fn::Sub, AWS::NoValue) and an expired exemption', async () => {
      const { results, templates } = await checkTemplates({ paths: [JSON_TEMPLATE], parameters: STRICT_KINESIS, now: new Date('2026-12-01T00:00:00Z') });
      expect(templates).to.deep.equal([{ file: 'test/fixtures/templates/phi-stack.json', flavor: 'cloudformation' }]);
      expect(verdicts(results)).to.deep.equal({
        'IngestStream kinesis-stream-encrypted': C,
        'DevStream kinesis-stream-encrypted': N,
        'DisabledKeyStream kinesis-stream-encrypted': N,
        'ImportedStream kinesis-stream-encrypted': U,
        'ExpiredExemptStream kinesis-stream-encrypted': N,
        'Archive firehose-delivery-stream-encrypted': N,
      });
      expect(results.find((r) => r.logicalId === 'IngestStream')?.annotation).to.contain('Stream phi-ingest-prod ');
      expect(results.find((r) => r.logicalId === 'ExpiredExemptStream')?.annotation).to.match(/^Exemption \(CHG-1\) expired 2020-01-31\. /);
      const line = readFileSync(JSON_TEMPLATE, 'utf8').split('\n')[(results.find((r) => r.logicalId === 'Archive')?.line ?? 0) - 1];
      expect(line).to.equal('    "Archive": {');
    });

    it('judges every *.template.json of a cdk.out directory, and knows it is CDK output', async () => {
      const { results, templates } = await checkTemplates({ paths: [CDK_OUT] });
      expect(templates.map((t) => t.flavor)).to.deep.equal(['cdk']);
      expect(verdicts(results)).to.deep.equal({
        'PhiStream6B1E3A2C kinesis-stream-encrypted': C,
        'RawStreamA1B2C3D4 kinesis-stream-encrypted': N,
        ...ec('SessionsReplicationGroup9F8E7D6C', [C, N, C, C, C, C]),
      });
    });

    it('judges a SAM template, next to its serverless resources', async () => {
      const { results, templates } = await checkTemplates({ paths: [join(FIXTURES, 'sam-template.yaml')], parameters: STRICT_KINESIS });
      expect(templates.map((t) => t.flavor)).to.deep.equal(['sam']);
      expect(verdicts(results)).to.deep.equal({
        'IngestStream kinesis-stream-encrypted': N,
        ...ec('SessionCache', [C, C, N, C, A, A]),
      });
      expect(results.find((r) => r.logicalId === 'SessionCache')?.annotation).to.contain('Serverless cache «AWS::StackName»-sessions ');
    });

    it('judges a Serverless Framework package', async () => {
      const { results, templates } = await checkTemplates({ paths: [SERVERLESS] });
      expect(templates.map((t) => t.flavor)).to.deep.equal(['serverless']);
      expect(verdicts(results)).to.deep.equal({
        'EventsStream kinesis-stream-encrypted': C,
        'AuditDelivery firehose-delivery-stream-encrypted': C,
        'CameraStream kinesis-video-stream-customer-key': N,
        ...ec('LegacyCache', [N, N, N, C, C, C]),
      });
    });
  });

  describe('the command', () => {
    it('prints the table with file and line, and exits 2 when a verdict is UNKNOWN', async () => {
      const { code, out } = await run(['check-template', JSON_TEMPLATE, '--param', 'kinesis-stream-encrypted.requireCustomerManagedKey=true']);
      expect(code).to.equal(2);
      expect(out).to.match(/^RULE +RESOURCE TYPE +LOGICAL ID +LOCATION +COMPLIANCE +ANNOTATION$/m);
      expect(out).to.match(/kinesis-stream-encrypted +AWS::Kinesis::Stream +DevStream +test\/fixtures\/templates\/phi-stack\.json:\d+ +NON_COMPLIANT +Stream DevStream is not encrypted/);
      expect(out).to.contain('Exit 2: UNKNOWN verdicts (not verifiable before deployment)');
    });

    it('exits 1 for NON_COMPLIANT only, 0 when nothing is', async () => {
      expect((await run(['check-template', CDK_OUT])).code).to.equal(1);
      expect((await run(['check-template', SERVERLESS, '--rules', 'elasticache-engine-hipaa-eligible'])).code).to.equal(0);
    });

    it('refuses an unknown rule or parameter, and a missing template is a failure (exit 2), the others still judged', async () => {
      const badRule = await run(['check-template', YAML, '--rules', 'no-such-rule']);
      expect(badRule.code).to.equal(2);
      expect(badRule.err).to.contain('Unknown safeguard "no-such-rule"');
      const badParam = await run(['check-template', YAML, '--param', 'kinesis-stream-encrypted.requireCMK=true']);
      expect(badParam.err).to.contain('Unknown rule parameter "requireCMK"');
      const missing = await run(['check-template', 'nope.yaml', SERVERLESS, '--format', 'json']);
      expect(missing.code).to.equal(2);
      const doc = JSON.parse(missing.out) as { failures: { file: string; error: string }[]; results: unknown[] };
      expect(doc.failures).to.deep.equal([{ file: 'nope.yaml', error: 'Template nope.yaml does not exist. Expected a CloudFormation template (YAML or JSON) or a cdk.out directory.' }]);
      expect(doc.results).to.have.length(9);
    });

    it('writes SARIF 2.1.0 that validates against the SARIF schema, with rules, levels and locations', async () => {
      // Arrange
      const dir = mkdtempSync(join(tmpdir(), 'check-template-'));
      const file = join(dir, 'results.sarif');
      // Act
      const { code } = await run(['check-template', YAML, '--format', 'sarif', '--output', file]);
      const sarif = JSON.parse(readFileSync(file, 'utf8')) as { runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
      // Assert
      expect(code).to.equal(2);
      const schema = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
      // Draft-04 schema: its only draft-04 keyword is the top-level `id`, which is `$id` since draft-06.
      const { id, $schema: _draft, ...rest } = schema;
      // The schema's language-tag pattern is not valid as a unicode regular expression.
      const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
      const validate = ajv.compile({ ...rest, $id: String(id) });
      expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).to.equal(true);
      const run0 = sarif.runs[0];
      // One SARIF rule per safeguard of the catalog.
      expect(run0?.tool.driver.rules.map((r) => r.id)).to.have.length(catalog.length);
      const bad = run0?.results.find((r) => r.ruleId === 'kinesis-stream-encrypted' && r.level === 'error');
      expect(bad?.locations[0]?.physicalLocation).to.deep.equal({ artifactLocation: { uri: 'test/fixtures/templates/phi-stack.yaml' }, region: { startLine: readTemplate(YAML).lines.PlainStream } });
      expect(new Set(run0?.results.map((r) => r.level))).to.deep.equal(new Set(['error', 'warning']));
      // A schema violation is caught (the check can fail).
      expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).to.equal(false);
    });

    it('writes JUnit XML: NON_COMPLIANT as failures, UNKNOWN as errors, NOT_APPLICABLE as skipped', async () => {
      const { out } = await run(['check-template', YAML, '--format', 'junit', '--param', 'kinesis-stream-encrypted.requireCustomerManagedKey=true']);
      const { results } = await checkTemplates({ paths: [YAML], parameters: STRICT_KINESIS });
      const s = summarizeTemplates(results, []);
      expect(out).to.match(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
      expect(out).to.contain(`<testsuites name="safeguards check-template" tests="${s.evaluations}" failures="${s.nonCompliant}" errors="${s.unknown}" skipped="${s.notApplicable}">`);
      expect(out).to.contain('<testcase classname="kinesis-stream-encrypted" name="PlainStream (AWS::Kinesis::Stream) line');
      expect(out).to.contain('<failure type="NON_COMPLIANT" message="Stream phi-plain-dev is not encrypted at rest');
      expect(out).to.contain('<skipped message="Stream ExemptStream is exempt by tag hipaa-safeguards:exempt (CHG-1234 synthetic test data only). 45 CFR 164.312(a)(2)(iv)"/>');
    });

    it('runs from the built CLI with its exit code (bin/safeguards.js)', async () => {
      const bin = join(__dirname, '..', '..', 'bin', 'safeguards.js');
      const result = await promisify(execFile)(process.execPath, [bin, 'check-template', CDK_OUT, '--format', 'json']).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => e,
      );
      expect(result.code).to.equal(1);
      expect((JSON.parse(result.stdout) as { summary: { exitCode: number } }).summary.exitCode).to.equal(1);
    });
  });
});
