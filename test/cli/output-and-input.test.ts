import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { expect } from 'chai';
import { CreateStreamCommand, KinesisClient, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { main } from '../../scripts/cli';
import { seedKinesis } from '../../scripts/demo';
import { formatSummary, summarize } from '../../scripts/lib/scan';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { changeEvent, kinesisItemEventStyle } from '../helpers/fixtures';
import { useMoto } from '../helpers/moto';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'safeguards-faults-'));
/** Nothing listens on the discard port: every call fails at once. */
const CLOSED = 'http://127.0.0.1:9';
const SCHEMA = JSON.parse(readFileSync(join(__dirname, '..', '..', 'scripts', 'schemas', 'scan-output.schema.json'), 'utf8')) as object;
const validateOutput = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);

function expectValidDocument(text: string): { results: { compliance: string }[]; failures: { rule: string }[]; skipped: unknown[]; summary: Record<string, number> } {
  const doc = JSON.parse(text) as ReturnType<typeof expectValidDocument>;
  const valid = validateOutput(doc);
  expect(valid, JSON.stringify(validateOutput.errors)).to.equal(true);
  return doc;
}

/** Runs `body` with the AWS_* variables set (or removed when undefined), restoring them after. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

describe('safeguards CLI: output that is never silently incomplete', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  beforeEach(async () => {
    moto = await useMoto();
  });

  it('refuses an --output in a missing directory before scanning, naming the path', async () => {
    const path = join(tmp(), 'no-such-dir', 'out.json');
    const { code, out, err } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted', '--output', path]);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.contain(`Cannot write --output ${path}`);
    expect(err).to.not.contain('Scanning');
  });

  it('refuses an --output that is a directory before scanning', async () => {
    const dir = tmp();
    const { code, err } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted', '--output', dir]);
    expect(code).to.equal(2);
    expect(err).to.contain(`--output ${dir} is a directory. Expected a file path. Nothing was scanned.`);
    expect(err).to.not.contain('Scanning');
  });

  it('prints the verdicts on stdout and exits 2 when --output fails only at the end', async () => {
    // Arrange: /dev/full opens fine and then fails every write (ENOSPC)
    await seedKinesis(moto.endpoint, new Date());
    // Act
    const { code, out, err } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted', '--format', 'json', '--output', '/dev/full']);
    // Assert
    expect(code).to.equal(2);
    expect(expectValidDocument(out).results).to.have.length(5);
    expect(err).to.contain('Error: cannot write --output /dev/full');
    expect(err).to.contain('the results are on stdout instead');
  });

  it('keeps an existing --output untouched when the run fails before results exist', async () => {
    const path = join(tmp(), 'previous.json');
    writeFileSync(path, 'yesterday');
    const { code } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted', '--param', 'kinesis-stream-encrypted.requireCustomerManagedKey=perhaps', '--output', path]);
    expect(code).to.equal(2);
    expect(readFileSync(path, 'utf8')).to.equal('yesterday');
  });

  it('resolves the account for --format asff before scanning, and fails in a sentence when it cannot', async () => {
    const { code, out, err } = await run(['scan', '--endpoint-url', CLOSED, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted', '--format', 'asff', '--max-attempts', '1']);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.match(/^Error: Cannot resolve the account for --format asff: sts:GetCallerIdentity failed \(.+\)\. Pass --account-id, or fix the credentials\. Nothing was scanned\.\n$/);
  });

  it('--format asff prints findings Security Hub takes on stdout and says on stderr what failed', async () => {
    // Arrange: Kinesis on moto is judged; the ElastiCache serverless listing moto lacks is not
    await seedKinesis(moto.endpoint, new Date());
    // Act
    const { code, out, err } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted,elasticache-encrypted-at-rest', '--format', 'asff', '--max-attempts', '1']);
    // Assert
    const findings = JSON.parse(out) as { SchemaVersion: string; AwsAccountId: string; Compliance: { Status: string } }[];
    expect(findings).to.have.length(5);
    expect(findings.every((f) => f.SchemaVersion === '2018-10-08' && f.AwsAccountId === '123456789012')).to.equal(true);
    const lines = err.split('\n');
    const summary = lines.find((l) => l.startsWith('Summary: '));
    const m = /^Summary: 5 evaluation\(s\): 2 NON_COMPLIANT, 2 COMPLIANT, 1 NOT_APPLICABLE; (\d+) failed, (\d+) skipped\. Exit (\d): /.exec(summary ?? '');
    expect(m, err).to.not.equal(null);
    const [failed, skipped, exit] = (m ?? []).slice(1).map(Number);
    // moto lacks DescribeServerlessCaches: reported as failed (exit 2) or skipped (exit 1), never silently dropped.
    expect((failed ?? 0) + (skipped ?? 0)).to.equal(1);
    expect(code).to.equal(exit).and.to.equal(failed ? 2 : 1);
    const notes = lines.filter((x) => /^(ERROR|SKIPPED) /.test(x));
    expect(notes).to.have.length(1);
    expect(notes[0]).to.match(/^(ERROR|SKIPPED) elasticache-encrypted-at-rest \(AWS::ElastiCache::ServerlessCache\)/);
  });

  it('--format json of a scan where every call fails is a document with the failures, never []', async () => {
    const { code, out } = await run(['scan', '--endpoint-url', CLOSED, '--region', 'us-east-1', '--format', 'json', '--max-attempts', '1']);
    expect(code).to.equal(2);
    const doc = expectValidDocument(out);
    expect(doc.results).to.deep.equal([]);
    expect(doc.failures.map((f) => f.rule)).to.include.members(['kinesis-stream-encrypted', 'firehose-delivery-stream-encrypted', 'kinesis-video-stream-customer-key']);
    expect(doc.summary).to.deep.include({ evaluations: 0, failures: doc.failures.length, exitCode: 2 });
  });

  it('--format json of a full scan on moto matches the committed JSON Schema', async () => {
    await seedKinesis(moto.endpoint, new Date());
    const { code, out } = await run(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--format', 'json', '--max-attempts', '1']);
    const doc = expectValidDocument(out);
    expect(doc.results.length).to.be.greaterThan(0);
    expect(code).to.equal(doc.summary.exitCode);
  });

  it('the JSON Schema rejects a bare array and a document without failures', () => {
    expect(validateOutput([])).to.equal(false);
    expect(validateOutput({ schemaVersion: '1', results: [], skipped: [], summary: summarize([], [], []) })).to.equal(false);
  });

  it('a scan with NON_COMPLIANT results and a failed kind says both: exit 2, and the summary counts both', () => {
    const results = [{ rule: 'kinesis-stream-encrypted', resourceType: 'AWS::Kinesis::Stream', resourceId: 's', compliance: 'NON_COMPLIANT' as const, annotation: 'a' }];
    const failures = [{ rule: 'elasticache-auth-enabled', resourceType: 'AWS::ElastiCache::ServerlessCache', operation: 'ElastiCache.DescribeServerlessCaches', error: 'AccessDenied: no' }];
    const summary = summarize(results, failures, []);
    expect(summary).to.deep.equal({ evaluations: 1, compliant: 0, nonCompliant: 1, notApplicable: 0, failures: 1, skipped: 0, exitCode: 2 });
    expect(formatSummary(summary)).to.equal(
      'Summary: 1 evaluation(s): 1 NON_COMPLIANT, 0 COMPLIANT, 0 NOT_APPLICABLE; 1 failed, 0 skipped. Exit 2: NON_COMPLIANT resources found AND part of the scan failed (see ERROR lines).',
    );
  });

  it('invoke exits 0 when every evaluation it sent is COMPLIANT', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'event.json'), JSON.stringify(changeEvent(kinesisItemEventStyle({ name: 'ok-stream', encryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } }))));
    const { code, out } = await run(['invoke', 'kinesis-stream-encrypted', '--event', join(dir, 'event.json'), '--endpoint-url', moto.endpoint, '--test-mode']);
    expect((JSON.parse(out) as { ComplianceType: string }[]).map((e) => e.ComplianceType)).to.deep.equal(['COMPLIANT']);
    expect(code).to.equal(0);
  });

  it('invoke shows what it tried to send and suggests --test-mode when PutEvaluations rejects a real token', async () => {
    // moto's PutEvaluations implements TestMode only: anything else is an HTML 500
    const dir = tmp();
    writeFileSync(join(dir, 'event.json'), JSON.stringify(changeEvent(kinesisItemEventStyle({ name: 'cli-stream', encryption: null }), { resultToken: 'real-token-from-config' })));
    const { code, out, err } = await run(['invoke', 'kinesis-stream-encrypted', '--event', join(dir, 'event.json'), '--endpoint-url', moto.endpoint]);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    const tried = /It tried to send:\n(\[[\s\S]*?\n\])\n/.exec(err)?.[1];
    expect(JSON.parse(tried ?? 'null')).to.deep.equal([
      { ComplianceResourceType: 'AWS::Kinesis::Stream', ComplianceResourceId: 'cli-stream', ComplianceType: 'NON_COMPLIANT', Annotation: JSON.parse(tried ?? '[{}]')[0].Annotation, OrderingTimestamp: '2022-07-21T12:54:37.664Z' },
    ]);
    expect(err).to.contain('rerun with --test-mode');
  });
});

describe('safeguards CLI: bad input is an error before any call', function () {
  this.timeout(30_000);

  it('--rules "," is an error, not every rule', async () => {
    const { code, out, err } = await run(['scan', '--region', 'us-east-1', '--endpoint-url', CLOSED, '--rules', ',']);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.equal('Error: --rules "," names no rule. Expected comma-separated rule names (see "safeguards list"), or no --rules to run every rule.\n');
  });

  for (const [what, content] of [['an empty rules file', ''], ['a rules file of comments only', '# nothing yet\n\n']] as const) {
    it(`${what} is an error naming the file`, async () => {
      const file = join(tmp(), 'rules.txt');
      writeFileSync(file, content);
      const { code, err } = await run(['scan', '--region', 'us-east-1', '--endpoint-url', CLOSED, '--rules-file', file]);
      expect(code).to.equal(2);
      expect(err).to.equal(`Error: Rules file ${file} names no rule. Expected rule names, one per line or comma-separated, # starts a comment.\n`);
    });
  }

  const EXPECTED = 'Expected a Config rule event (a JSON object with invokingEvent, ruleParameters and resultToken).';
  const eventCases: [string, (dir: string) => string, (file: string) => string][] = [
    ['not JSON', (d) => (writeFileSync(join(d, 'e.json'), '{ invokingEvent: '), join(d, 'e.json')), (f) => `Error: Event file ${f} is not JSON (`],
    ['empty', (d) => (writeFileSync(join(d, 'e.json'), '  \n'), join(d, 'e.json')), (f) => `Error: Event file ${f} is empty. ${EXPECTED}\n`],
    ['a directory', (d) => (mkdirSync(join(d, 'events')), join(d, 'events')), (f) => `Error: Event file ${f} is a directory. ${EXPECTED}\n`],
    ['null', (d) => (writeFileSync(join(d, 'e.json'), 'null'), join(d, 'e.json')), (f) => `Error: Event file ${f} holds null, not a JSON object. ${EXPECTED}\n`],
    ['an array', (d) => (writeFileSync(join(d, 'e.json'), '[]'), join(d, 'e.json')), (f) => `Error: Event file ${f} holds an array, not a JSON object. ${EXPECTED}\n`],
    ['missing', (d) => join(d, 'nope.json'), (f) => `Error: Event file ${f} does not exist. ${EXPECTED}\n`],
  ];
  for (const [what, make, message] of eventCases) {
    it(`invoke with an event file that is ${what} is an error naming the file`, async () => {
      const file = make(tmp());
      const { code, out, err } = await run(['invoke', 'kinesis-stream-encrypted', '--event', file, '--endpoint-url', CLOSED, '--test-mode']);
      expect(code).to.equal(2);
      expect(out).to.equal('');
      expect(err.startsWith(message(file))).to.equal(true, err);
    });
  }

  it('--region that is not a region name is an error before any call', async () => {
    const { code, err } = await run(['scan', '--region', 'us-east-1a', '--endpoint-url', CLOSED, '--rules', 'kinesis-stream-encrypted']);
    expect(code).to.equal(2);
    expect(err).to.equal('Error: Region "us-east-1a" (from --region) is not a region name. Expected a name such as us-east-1.\n');
  });

  for (const url of ['localhost:5000', 'ftp://127.0.0.1:21', 'not a url']) {
    it(`--endpoint-url "${url}" is an error before any call, for scan and invoke`, async () => {
      const expected = `Error: --endpoint-url "${url}" is not an http(s) URL. Expected a URL such as http://127.0.0.1:5000 or https://config.us-east-1.amazonaws.com.\n`;
      const scanRun = await run(['scan', '--region', 'us-east-1', '--endpoint-url', url, '--rules', 'kinesis-stream-encrypted']);
      expect([scanRun.code, scanRun.err]).to.deep.equal([2, expected]);
      const dir = tmp();
      writeFileSync(join(dir, 'event.json'), JSON.stringify(changeEvent(kinesisItemEventStyle())));
      const invokeRun = await run(['invoke', 'kinesis-stream-encrypted', '--event', join(dir, 'event.json'), '--endpoint-url', url]);
      expect([invokeRun.code, invokeRun.err]).to.deep.equal([2, expected]);
    });
  }
});

describe('safeguards CLI: region and profile', function () {
  this.timeout(60_000);

  function configFile(text: string): { AWS_CONFIG_FILE: string; AWS_SHARED_CREDENTIALS_FILE: string } {
    const dir = tmp();
    writeFileSync(join(dir, 'config'), text);
    writeFileSync(join(dir, 'credentials'), '');
    return { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
  }

  it('with no region anywhere, says so on stderr and exits 2', async () => {
    const files = configFile('[default]\noutput = json\n');
    const { code, out, err } = await withEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, ...files }, () =>
      run(['scan', '--endpoint-url', CLOSED, '--rules', 'kinesis-stream-encrypted']),
    );
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.equal(`Error: No region: pass --region, set AWS_REGION, or set region in profile "default" of ${files.AWS_CONFIG_FILE}.\n`);
  });

  /** A stream that exists only in eu-west-1: a scan finds it only if it ran in that region. */
  async function streamInEuWest1(moto: MotoServer): Promise<void> {
    const kinesis = new KinesisClient({ region: 'eu-west-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'eu-phi', ShardCount: 1 }));
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName: 'eu-phi' });
  }

  const PROFILE = '[profile hospital]\nregion = eu-west-1\naws_access_key_id = testing\naws_secret_access_key = testing\n';

  it('--profile takes the region from the profile in AWS_CONFIG_FILE, as the AWS CLI does', async () => {
    const moto = await useMoto();
    await streamInEuWest1(moto);
    const { code, out } = await withEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, ...configFile(PROFILE) }, () =>
      run(['scan', '--profile', 'hospital', '--endpoint-url', moto.endpoint, '--rules', 'kinesis-stream-encrypted', '--format', 'json']),
    );
    expect((JSON.parse(out) as { results: { resourceId: string }[] }).results.map((r) => r.resourceId)).to.deep.equal(['eu-phi']);
    expect(code).to.equal(1);
  });

  it('deploy takes the region from the profile the same way (dry run)', async () => {
    const { code, out } = await withEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, ...configFile(PROFILE) }, () =>
      run(['deploy', '--profile', 'hospital', '--dry-run']),
    );
    expect(code).to.equal(0);
    expect(out).to.contain("account <the credentials' account>; region eu-west-1");
  });

  it('AWS_PROFILE takes the region from the profile too, and AWS_REGION still wins over it', async () => {
    const moto = await useMoto();
    await streamInEuWest1(moto);
    const scanIds = async (region: string | undefined) => {
      // The profile's own keys: the SDK warns when AWS_PROFILE and AWS_ACCESS_KEY_ID are both set.
      const noEnvKeys = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined };
      const { out } = await withEnv({ ...noEnvKeys, AWS_REGION: region, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: 'hospital', ...configFile(PROFILE) }, () =>
        run(['scan', '--endpoint-url', moto.endpoint, '--rules', 'kinesis-stream-encrypted', '--format', 'json']),
      );
      return (JSON.parse(out) as { results: { resourceId: string }[] }).results.map((r) => r.resourceId);
    };
    expect(await scanIds(undefined)).to.deep.equal(['eu-phi']);
    expect(await scanIds('us-east-1')).to.deep.equal([]);
  });
});
