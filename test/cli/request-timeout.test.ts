// Issue 10, first bullet, at the CLI level: an endpoint that accepts the connection and never answers must not hang
// `scan` or `invoke`. Each runs as the installed CLI does (bin/safeguards.js, from dist/cli.js: `npm run build:cli`).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type FaultServer, startSilentServer } from '../helpers/fault-servers';
import { changeEvent, kinesisItemEventStyle } from '../helpers/fixtures';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'safeguards.js');
const TIMEOUT_MS = 400;
const ATTEMPTS = 2;
/**
 * Start-up, the SDK's backoff between the attempts and the exit, above ATTEMPTS × TIMEOUT_MS. Without the flags the
 * defaults (8 attempts of 30 s) would take minutes, so the bound fails if either flag is ignored.
 */
const SLACK_MS = 8_000;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI to its end (killed at `limitMs`, which fails the test through its exit code). */
function cli(args: string[], limitMs: number): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        timeout: limitMs,
        killSignal: 'SIGKILL',
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' },
      },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; killed?: boolean }) | null;
        const code = e ? (e.killed ? -1 : typeof e.code === 'number' ? e.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

describe('safeguards scan and invoke --request-timeout against an endpoint that never answers', function () {
  this.timeout(60_000);
  let silent: FaultServer;
  beforeEach(async () => {
    silent = await startSilentServer();
  });
  afterEach(async () => {
    await silent.close();
  });
  const limits = ['--request-timeout', String(TIMEOUT_MS), '--max-attempts', String(ATTEMPTS)];

  it('scan exits 2 within its timeouts, naming the operation that timed out, after --max-attempts attempts', async () => {
    // Act
    const r = await cli(['scan', '--endpoint-url', silent.endpoint, '--rules', 'kinesis-stream-encrypted', ...limits], ATTEMPTS * TIMEOUT_MS + SLACK_MS);
    // Assert
    expect(r.code, r.stderr).to.equal(2);
    expect(r.ms).to.be.below(ATTEMPTS * TIMEOUT_MS + SLACK_MS);
    expect(r.stderr).to.match(new RegExp(`^ERROR kinesis-stream-encrypted \\(AWS::Kinesis::Stream\\): Kinesis\\.ListStreams: TimeoutError: .*exceeded the configured ${TIMEOUT_MS} ms requestTimeout`, 'm'));
    expect(silent.hits()).to.equal(ATTEMPTS);
  });

  it('invoke exits 2 within its timeouts, naming PutEvaluations, after --max-attempts attempts', async () => {
    // Arrange: a change notification carries its item, so the only call is PutEvaluations
    const dir = mkdtempSync(join(tmpdir(), 'safeguards-timeout-'));
    const eventFile = join(dir, 'event.json');
    writeFileSync(eventFile, JSON.stringify(changeEvent(kinesisItemEventStyle({ name: 'vitals' }))));
    // Act
    const r = await cli(['invoke', 'kinesis-stream-encrypted', '--event', eventFile, '--endpoint-url', silent.endpoint, '--test-mode', ...limits], ATTEMPTS * TIMEOUT_MS + SLACK_MS);
    // Assert
    expect(r.code, r.stderr).to.equal(2);
    expect(r.ms).to.be.below(ATTEMPTS * TIMEOUT_MS + SLACK_MS);
    expect(r.stderr).to.match(/^Error: PutEvaluations failed for 1 evaluation\(s\): ConfigService\.PutEvaluations: TimeoutError: /m);
    expect(r.stdout).to.equal('');
    expect(silent.hits()).to.equal(ATTEMPTS);
  });

  it('refuses a --request-timeout that is not a positive number of milliseconds, before any call', async () => {
    for (const bad of ['0', '-5', '1.5', 'soon', '600001']) {
      const r = await cli(['scan', '--endpoint-url', silent.endpoint, '--rules', 'kinesis-stream-encrypted', '--request-timeout', bad], 20_000);
      expect(r.code, bad).to.equal(2);
      expect(r.stderr, bad).to.include(`option '--request-timeout <ms>' argument '${bad}' is invalid. Expected milliseconds, an integer from 1 to 600000.`);
    }
    expect(silent.hits()).to.equal(0);
  });
});
