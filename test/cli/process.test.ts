import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { changeEvent, kinesisItemEventStyle } from '../helpers/fixtures';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'safeguards.js');
const BUNDLE = join(ROOT, 'dist', 'cli.js');

/** Runs a command to its end; resolves with its exit code and output whatever the code. */
function runToEnd(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return promisify(execFile)(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, maxBuffer: 1 << 24 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** An endpoint that accepts connections and never answers: a scan against it stays busy. */
async function silentEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** True while any process of the group `pgid` is alive (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('safeguards process hygiene', function () {
  this.timeout(120_000);

  it('npm run prepare builds the CLI into dist/cli.js, and bin/safeguards.js runs that build', async () => {
    // Act
    const before = Date.now();
    const prepare = await runToEnd('npm', ['run', 'prepare', '--silent']);
    // Assert
    expect(prepare.code, prepare.stderr).to.equal(0);
    expect(existsSync(BUNDLE)).to.equal(true);
    expect(statSync(BUNDLE).mtimeMs).to.be.at.least(before - 1000);
    const help = await runToEnd(process.execPath, [BIN, '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain('Usage: safeguards');
    expect(help.stderr).to.equal('');
  });

  it('bin/safeguards.js with no region anywhere prints why on stderr and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'safeguards-noregion-'));
    writeFileSync(join(dir, 'config'), '[default]\n');
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'config') };
    delete env.AWS_REGION;
    delete env.AWS_DEFAULT_REGION;
    const result = await runToEnd(process.execPath, [BIN, 'scan', '--rules', 'kinesis-stream-encrypted'], { env });
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.equal(`Error: No region: pass --region, set AWS_REGION, or set region in profile "default" of ${join(dir, 'config')}.\n`);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} sent to the safeguards process alone leaves no process of it behind`, async () => {
      // Arrange: a scan that hangs on an endpoint that never answers, in a process group of its own
      const endpoint = await silentEndpoint();
      let child: ChildProcess | undefined;
      try {
        child = spawn(process.execPath, [BIN, 'scan', '--endpoint-url', endpoint.url, '--region', 'us-east-1', '--rules', 'kinesis-stream-encrypted'], {
          detached: true,
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
        });
        const pid = child.pid ?? -1;
        let stderr = '';
        child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
        const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
        await until(() => stderr.includes('Scanning'), 'the scan to start');
        // Act: the signal goes to the one process a user or a CI runner knows about
        process.kill(pid, signal);
        await exited;
        // Assert: nothing of the group survives it (a wrapper's child CLI would)
        await until(() => !groupAlive(pid), 'every process of the group to end', 5_000);
        expect(groupAlive(pid)).to.equal(false);
      } finally {
        if (child?.pid && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
        await endpoint.close();
      }
    });
  }

  it('the compiled CLI loads the SDK clients it imports on demand (Organizations, Security Hub)', async () => {
    // Arrange: an endpoint answering the four calls of an organization-mode invocation that imports findings
    // (JSON 1.1 targets for Organizations and Config, REST paths for Security Hub), recording what it was asked.
    const asked: string[] = [];
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const call = target ? target.split('.').at(-1) ?? '' : `${req.method ?? ''} ${req.url ?? ''}`;
        asked.push(call);
        const bodies: Record<string, unknown> = {
          ListAccounts: { Accounts: [{ Id: '123456789012', State: 'ACTIVE' }] },
          PutEvaluations: { FailedEvaluations: [] },
          'POST /findings/import': { FailedCount: 0, SuccessCount: 1, FailedFindings: [] },
          'PATCH /findings/batchupdate': { ProcessedFindings: [], UnprocessedFindings: [] },
        };
        const body = bodies[call];
        res.writeHead(body ? 200 : 400, { 'content-type': target ? 'application/x-amz-json-1.1' : 'application/json' });
        res.end(JSON.stringify(body ?? { __type: 'UnknownOperationException', message: call }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const dir = mkdtempSync(join(tmpdir(), 'safeguards-bundle-'));
    const event = changeEvent(kinesisItemEventStyle({ name: 'org-stream', encryption: null }), { resultToken: 'token-from-config', ruleParameters: { importSecurityHubFindings: 'true' } });
    writeFileSync(join(dir, 'event.json'), JSON.stringify(event));
    try {
      // Act
      const result = await runToEnd(process.execPath, [BIN, 'invoke', 'kinesis-stream-encrypted', '--event', join(dir, 'event.json'), '--endpoint-url', url], {
        env: { ...process.env, HIPAA_SAFEGUARDS_ORGANIZATION: 'true', AWS_ENDPOINT_URL: url },
      });
      // Assert
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(1);
      expect(asked).to.deep.equal(['ListAccounts', 'PutEvaluations', 'POST /findings/import']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('npm start on a machine without moto says how to get it instead of a Python stack trace', async () => {
    // Arrange: a python3 that cannot see its site-packages, so `import moto` fails as on a fresh machine
    const dir = mkdtempSync(join(tmpdir(), 'safeguards-nomoto-'));
    const python = join(dir, 'python3');
    writeFileSync(python, '#!/bin/sh\nexec python3 -S "$@"\n');
    chmodSync(python, 0o755);
    // Act
    const demo = await runToEnd(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'demo.ts')], { env: { ...process.env, PYTHON: python } });
    // Assert
    expect(demo.code).to.equal(2);
    expect(demo.stderr).to.not.contain('Traceback');
    expect(demo.stderr).to.contain(`moto server is not installed for ${python}`);
    expect(demo.stderr).to.contain('bash scripts/ensure-python-tools.sh');
    expect(demo.stdout).to.equal('');
  });
});
