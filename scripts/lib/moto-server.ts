import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * moto.server with the Tagging API gaps the pack relies on filled (Kinesis and Kinesis video streams, and AWS's Firehose and
 * ElastiCache type names in GetResources): see the file's docstring.
 */
const MOTO_SERVER_SCRIPT = join(__dirname, 'moto_server.py');

/** A moto server (Python AWS emulator) on a free loopback port, owned by the caller. */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('No port assigned.'))));
    });
  });
}

/** How to get moto, said once for every way it can be missing. */
const INSTALL_HINT =
  'Install the Python test tools with `bash scripts/ensure-python-tools.sh` (what `npm test` and `npm start` run; it needs pip and the network once), ' +
  'or `python3 -m pip install -r requirements-dev.txt`; set PYTHON to use another interpreter.';

/** moto server cannot start on this machine: Python or the moto[server] package is missing. */
export class MotoNotInstalledError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MotoNotInstalledError';
  }
}

async function waitUntilUp(endpoint: string, child: ChildProcess, python: string, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      // Python's own words when the package (or its [server] extra: flask, flask-cors) is absent.
      const missing = /No module named '?([\w.]+)'?/.exec(log());
      if (missing) throw new MotoNotInstalledError(`moto server is not installed for ${python} (No module named ${missing[1]}). ${INSTALL_HINT}`);
      throw new Error(`moto server exited with code ${child.exitCode}: ${log()}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`moto server did not answer on ${endpoint} within ${timeoutMs} ms: ${log()}`);
}

/**
 * Starts moto server (`python3 scripts/lib/moto_server.py`, moto.server plus the Tagging API gaps filled) on
 * 127.0.0.1 and a free port. Requires `moto[server]` (requirements-dev.txt).
 * @example const moto = await startMoto(); process.env.AWS_ENDPOINT_URL = moto.endpoint; ...; await moto.stop();
 */
export async function startMoto(options: { python?: string; timeoutMs?: number; env?: Readonly<Record<string, string>> } = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const python = options.python ?? process.env.PYTHON ?? 'python3';
  const child = spawn(python, [MOTO_SERVER_SCRIPT, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false', ...options.env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) =>
      reject(
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? new MotoNotInstalledError(`Python 3 (${python}) is not installed or not on PATH, so moto server cannot start. ${INSTALL_HINT}`, { cause: e })
          : new Error(`Cannot start moto server: ${e.message}`, { cause: e }),
      ),
    ),
  );
  try {
    await Promise.race([waitUntilUp(endpoint, child, python, () => stderr, options.timeoutMs ?? 20_000), spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    port,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
