import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import sinon from 'sinon';
import type { HookResponse } from '../../rules/hooks/response';
import { main } from '../../scripts/cli';
import { runInvokeHook } from '../../scripts/lib/invoke-hook';
import { fakeJudge } from './fake-judge';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, '..', 'fixtures', 'hooks');
const fixture = (name: string) => join(FIXTURES, `${name}.json`);

function capture() {
  const io = { out: '', err: '' };
  return { io, sink: { out: (s: string) => void (io.out += s), err: (s: string) => void (io.err += s) } };
}

/** A fixture changed and written to a temporary file. */
function writeRequest(name: string, change: (r: Record<string, unknown>) => void): string {
  const r = JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, unknown>;
  change(r);
  const file = join(mkdtempSync(join(tmpdir(), 'invoke-hook-')), 'request.json');
  writeFileSync(file, JSON.stringify(r));
  return file;
}

describe('safeguards invoke-hook', () => {
  afterEach(() => sinon.restore());

  describe('runInvokeHook (judge injected)', () => {
    it('prints the FAILED/NonCompliant response and exits 1 for an unencrypted stream', async () => {
      const { io, sink } = capture();

      const code = await runInvokeHook({ event: fixture('kinesis-create') }, sink, fakeJudge().judge);

      expect(code).to.equal(1);
      const response = JSON.parse(io.out) as HookResponse;
      expect(response).to.include({ hookStatus: 'FAILED', errorCode: 'NonCompliant', clientRequestToken: 'f8da6d11-b23f-48f4-814c-0fb6a667f50e' });
      expect(response.message).to.contain('[kinesis-stream-encrypted] Stream vitals is not encrypted at rest (StreamEncryption absent).');
      expect(io.err).to.equal('');
    });

    it('exits 0 for SUCCESS (an encrypted stream)', async () => {
      const { io, sink } = capture();
      const file = writeRequest('kinesis-create', (r) => {
        ((r.requestData as { targetModel: { resourceProperties: Record<string, unknown> } }).targetModel.resourceProperties).StreamEncryption = {
          EncryptionType: 'KMS',
          KeyId: 'alias/phi',
        };
      });

      const code = await runInvokeHook({ event: file }, sink, fakeJudge().judge);

      expect(code).to.equal(0);
      expect((JSON.parse(io.out) as HookResponse).hookStatus).to.equal('SUCCESS');
    });

    it('exits 1 in WARN mode too: the response is FAILED, CloudFormation only proceeds because of FailureMode WARN', async () => {
      const { io, sink } = capture();

      const code = await runInvokeHook({ event: fixture('kinesis-create'), preventionMode: 'warn' }, sink, fakeJudge().judge);

      expect(code).to.equal(1);
      expect((JSON.parse(io.out) as HookResponse).message).to.match(/^HIPAA Safeguards warning \(preventionMode WARN, not blocked\)/);
    });

    it('exits 0 with OFF, and with --on-unknown ALLOW for an unresolvable key', async () => {
      const withRef = writeRequest('kinesis-create', (r) => {
        ((r.requestData as { targetModel: { resourceProperties: Record<string, unknown> } }).targetModel.resourceProperties).StreamEncryption = {
          EncryptionType: 'KMS',
          KeyId: { Ref: 'PhiKey' },
        };
      });

      expect(await runInvokeHook({ event: fixture('kinesis-create'), preventionMode: 'OFF' }, capture().sink, fakeJudge().judge)).to.equal(0);
      expect(await runInvokeHook({ event: withRef }, capture().sink, fakeJudge().judge)).to.equal(1);
      expect(await runInvokeHook({ event: withRef, onUnknown: 'ALLOW' }, capture().sink, fakeJudge().judge)).to.equal(0);
    });

    it('exits 2 and says so on stderr when the hook answers InternalFailure (a malformed request)', async () => {
      const { io, sink } = capture();
      const file = writeRequest('kinesis-create', (r) => {
        delete (r.requestData as Record<string, unknown>).targetLogicalId;
      });

      const code = await runInvokeHook({ event: file }, sink, fakeJudge().judge);

      expect(code).to.equal(2);
      expect(JSON.parse(io.out)).to.include({ hookStatus: 'FAILED', errorCode: 'InternalFailure' });
      expect(io.err).to.match(/^The hook could not judge the request \(InternalFailure\): .*request\.requestData\.targetLogicalId: Invalid input: expected string, received undefined/);
    });

    it('sends the judge\'s AWS calls to --endpoint-url for the run only', async () => {
      sinon.stub(process, 'env').value({ ...process.env });
      delete process.env.AWS_ENDPOINT_URL;
      let seen: string | undefined;
      const judge = async () => {
        seen = process.env.AWS_ENDPOINT_URL;
        return [{ rule: 'kinesis-stream-encrypted', resourceType: 'AWS::Kinesis::Stream', compliance: 'COMPLIANT' as const, annotation: 'ok' }];
      };

      await runInvokeHook({ event: fixture('kinesis-create'), endpointUrl: 'http://127.0.0.1:5000' }, capture().sink, judge);

      expect(seen).to.equal('http://127.0.0.1:5000');
      expect(process.env.AWS_ENDPOINT_URL).to.equal(undefined);
    });

    it('refuses a bad --prevention-mode, naming the choices, before reading the request', async () => {
      const judge = sinon.stub().rejects(new Error('must not be called'));
      let error: Error | undefined;
      try {
        await runInvokeHook({ event: '/nonexistent', preventionMode: 'BLOCK' }, capture().sink, judge);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).to.equal('--prevention-mode "BLOCK" is not one of: FAIL, WARN, OFF.');
    });
  });

  describe('through the CLI', function () {
    this.timeout(60_000);

    it('exits 2 naming the file when it does not exist', async () => {
      const { io, sink } = capture();

      const code = await main(['invoke-hook', '--event', '/nonexistent/request.json'], sink);

      expect(code).to.equal(2);
      expect(io.err).to.equal(
        'Error: Event file /nonexistent/request.json does not exist. Expected a CloudFormation Lambda Hook request (a JSON object with actionInvocationPoint and requestData).\n',
      );
    });

    const node = (args: string[]) =>
      promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    it('dist/cli.js: exits 0 with SUCCESS for a delete and for a type outside the catalog', async () => {
      for (const name of ['elasticache-delete', 'dynamodb-update-documented']) {
        const run = await node(['invoke-hook', '--event', fixture(name)]);
        expect(run.code, `${name}: ${run.stderr}`).to.equal(0);
        expect((JSON.parse(run.stdout) as HookResponse).hookStatus).to.equal('SUCCESS');
      }
    });

    it('dist/cli.js: never exits 0 for an unencrypted stream (1 once judged, 2 while the judge is not in the build)', async () => {
      const run = await node(['invoke-hook', '--event', fixture('kinesis-create')]);

      expect([1, 2]).to.include(run.code);
      expect((JSON.parse(run.stdout) as HookResponse).hookStatus).to.equal('FAILED');
    });

    it('dist/cli.js: exits 2 with InternalFailure for a request that is not a hook request', async () => {
      const file = writeRequest('kinesis-create', (r) => {
        r.actionInvocationPoint = 'CREATE';
      });

      const run = await node(['invoke-hook', '--event', file]);

      expect(run.code).to.equal(2);
      expect(JSON.parse(run.stdout)).to.include({ hookStatus: 'FAILED', errorCode: 'InternalFailure' });
    });
  });
});
