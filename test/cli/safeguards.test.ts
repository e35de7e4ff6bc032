import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { catalog } from '../../rules/catalog';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { compliant } from '../../rules/runtime/compliance';
import { defineSafeguard } from '../../rules/runtime/safeguard';
import { main } from '../../scripts/cli';
import { seedKinesis } from '../../scripts/demo';
import { exitCodeOf, scan } from '../../scripts/lib/scan';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { changeEvent, kinesisItemEventStyle } from '../helpers/fixtures';
import { useMoto } from '../helpers/moto';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'safeguards-cli-'));

/**
 * Every rule moto can serve. moto lacks DescribeServerlessCaches and DescribeUpdateActions, so a scan of the
 * ElastiCache rules exits 2 on moto by design; test/cli/elasticache-scan.test.ts covers those.
 */
const MOTO_RULES = catalog
  .filter((s) => !s.resource.resourceTypes.some((t) => t.startsWith('AWS::ElastiCache::')))
  .map((s) => s.name)
  .join(',');

describe('safeguards CLI', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  beforeEach(async () => {
    moto = await useMoto();
  });

  it('list --json prints the catalog with parameters, defaults, citations and remediation', async () => {
    const { code, out } = await run(['list', '--json']);
    expect(code).to.equal(0);
    const entries = JSON.parse(out) as Record<string, unknown>[];
    expect(entries.find((e) => e.name === 'kinesis-stream-encrypted')).to.deep.include({
      resourceTypes: ['AWS::Kinesis::Stream'],
      triggers: ['change', 'periodic'],
      hipaa: ['45 CFR 164.312(a)(2)(iv)'],
      remediation: { document: 'HIPAA-EnableKinesisStreamEncryption', automatic: true },
    });
    expect((entries[0]?.parameters as Record<string, unknown>).requireCustomerManagedKey).to.deep.include({ type: 'boolean', default: 'false' });
  });

  it('scan prints every verdict kind as a table on stdout, progress on stderr, and exits 1', async () => {
    // Arrange
    await seedKinesis(moto.endpoint, new Date());
    // Act
    const { code, out, err } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', MOTO_RULES, '--param', 'kinesis-stream-encrypted.requireCustomerManagedKey=true']);
    // Assert
    expect(code).to.equal(1);
    expect(out.split('\n')[0]).to.match(/^RULE\s+RESOURCE TYPE\s+RESOURCE ID\s+COMPLIANCE\s+ANNOTATION$/);
    const [table = '', summary] = out.split('\n\n');
    const rows = Object.fromEntries(table.split('\n').slice(2).filter(Boolean).map((l) => { const c = l.split(/\s{2,}/); return [c[2], c[3]]; }));
    expect(rows).to.deep.equal({
      'phi-vitals-raw': 'NON_COMPLIANT',
      'phi-claims': 'NON_COMPLIANT',
      'phi-lab-results': 'COMPLIANT',
      'research-sandbox': 'NOT_APPLICABLE',
      'legacy-hl7-feed': 'NON_COMPLIANT',
    });
    expect(summary).to.equal(
      'Summary: 5 evaluation(s): 3 NON_COMPLIANT, 1 COMPLIANT, 1 NOT_APPLICABLE; 0 failed, 0 skipped. Exit 1: NON_COMPLIANT resources found.\n',
    );
    expect(err).to.contain('Scanning AWS::Kinesis::Stream for kinesis-stream-encrypted');
    expect(out).to.not.contain('Scanning');
  });

  it('scan --format json writes the result document to --output and exits 0 when nothing fails', async () => {
    // Arrange: one stream, encrypted; rules read from a file
    await seedKinesis(moto.endpoint, new Date());
    const dir = tmp();
    writeFileSync(join(dir, 'rules.txt'), '# rules to run\nkinesis-stream-encrypted\n');
    // Act
    const { code, out } = await run([
      'scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules-file', join(dir, 'rules.txt'), '--format', 'json', '--output', join(dir, 'out.json'),
      '--param', 'kinesis-stream-encrypted.exemptResourceIds=phi-vitals-raw,legacy-hl7-feed',
    ]);
    // Assert
    expect(code).to.equal(0);
    expect(out).to.equal('');
    const doc = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { results: Record<string, string>[]; failures: unknown[]; skipped: unknown[]; summary: Record<string, number> };
    expect(doc.failures).to.deep.equal([]);
    expect(doc.summary).to.deep.equal({ evaluations: 5, compliant: 2, nonCompliant: 0, notApplicable: 3, failures: 0, skipped: 0, exitCode: 0 });
    const results = doc.results;
    expect(results).to.have.length(5);
    expect(results.find((r) => r.resourceId === 'phi-vitals-raw')).to.deep.equal({
      rule: 'kinesis-stream-encrypted',
      resourceType: 'AWS::Kinesis::Stream',
      resourceId: 'phi-vitals-raw',
      compliance: 'NOT_APPLICABLE',
      annotation: 'Stream phi-vitals-raw is exempt by rule parameter exemptResourceIds. 45 CFR 164.312(a)(2)(iv)',
    });
  });

  it('scan exits 2 with a message naming the parameter when a --param value is invalid', async () => {
    const { code, out, err } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--param', 'kinesis-stream-encrypted.requireCustomerManagedKey=perhaps']);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.contain('Rule parameter requireCustomerManagedKey is "perhaps". Expected "true" or "false".');
  });

  it('scan exits 2 and names the rule when its API is unreachable', async () => {
    const { code, err } = await run(['scan', '--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1', '--rules', MOTO_RULES]);
    expect(code).to.equal(2);
    expect(err).to.match(/ERROR kinesis-stream-encrypted \(AWS::Kinesis::Stream\): /);
  });

  it('one failing rule does not hide the verdicts of the others', async () => {
    // Arrange: a second safeguard whose listing API fails
    await seedKinesis(moto.endpoint, new Date());
    const failing = async function* (): AsyncIterable<never> {
      yield* [];
      throw Object.assign(new Error('not authorized to list'), { name: 'AccessDeniedException' });
    };
    const broken = defineSafeguard({
      ...kinesisStreamEncrypted,
      name: 'broken-rule',
      resource: { ...kinesisStreamEncrypted.resource, resourceTypes: ['AWS::Test::Broken'], listers: [{ resourceType: 'AWS::Test::Broken', list: failing }] },
      evaluate: () => compliant('never'),
    });
    // Act
    const { results, failures } = await scan({ safeguards: [broken, kinesisStreamEncrypted], region: 'us-east-1', endpoint: moto.endpoint });
    // Assert
    expect(failures).to.deep.equal([{ rule: 'broken-rule', resourceType: 'AWS::Test::Broken', error: 'AccessDeniedException: not authorized to list' }]);
    expect(results).to.have.length(5);
    expect(exitCodeOf(results, failures)).to.equal(2);
  });

  it('invoke prints exactly the evaluations the handler sent, and exits 1 when one is NON_COMPLIANT', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'event.json'), JSON.stringify(changeEvent(kinesisItemEventStyle({ name: 'cli-stream', encryption: null }), { resultToken: 'real-token-from-config' })));
    const { code, out } = await run(['invoke', 'kinesis-stream-encrypted', '--event', join(dir, 'event.json'), '--endpoint-url', moto.endpoint, '--test-mode']);
    expect(code).to.equal(1);
    const evaluations = JSON.parse(out) as Record<string, string>[];
    expect(evaluations).to.have.length(1);
    expect(evaluations[0]).to.deep.include({ ComplianceResourceId: 'cli-stream', ComplianceType: 'NON_COMPLIANT', OrderingTimestamp: '2022-07-21T12:54:37.664Z' });
  });

  it('invoke exits 2 and prints no array when the invocation fails', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'event.json'), JSON.stringify({ ...changeEvent(kinesisItemEventStyle()), invokingEvent: 'not json' }));
    const { code, out, err } = await run(['invoke', 'kinesis-stream-encrypted', '--event', join(dir, 'event.json'), '--endpoint-url', moto.endpoint]);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.contain('event.invokingEvent: expected a JSON string');
  });

  it('rejects an unknown rule name and lists the valid ones', async () => {
    const { code, err } = await run(['scan', '--rules', 'kinesis-stream-encrypted,nope', '--region', 'us-east-1']);
    expect(code).to.equal(2);
    expect(err).to.contain('Unknown safeguard "nope". Expected one of: kinesis-stream-encrypted');
  });

  it('bin/safeguards.js keeps results on stdout and exits with the verdict code', async () => {
    await seedKinesis(moto.endpoint, new Date());
    const bin = join(__dirname, '..', '..', 'bin', 'safeguards.js');
    const result = await promisify(execFile)(process.execPath, [bin, 'scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', MOTO_RULES, '--format', 'json']).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(result.code).to.equal(1);
    expect((JSON.parse(result.stdout) as { results: unknown[] }).results.length).to.equal(5);
  });
});
