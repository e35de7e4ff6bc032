import { spawn } from 'node:child_process';
import { SimulationError } from './errors';

/**
 * `aws:executeScript` (Python) support for the document checks and the simulator.
 *
 * Static side: the AWS calls a script makes, read from its text, so that the IAM check can hold a script to the same
 * least-privilege equality as the declarative steps. The reader is deliberately strict: a client must be created as
 * `name = boto3.client('service')` and called as `name.method(...)`; anything it cannot see (`boto3.resource`,
 * `boto3.Session`, a client used without a name, paginators, `getattr`) is a problem, not a silent gap.
 *
 * Run-time side: the script runs for real under python3 in a child process. Only boto3 is replaced, by a stand-in
 * whose clients send every call back to the simulator, which answers it like a declarative step's call (the test's
 * override hook, else the SDK v3 client pointed at moto) and records it. So a script is tested with its real code,
 * and its AWS calls are as visible (and as overridable) as any other step's.
 */

/** One AWS call a script makes, as read from its text. */
export interface ScriptCall {
  /** boto3 service name, as passed to `boto3.client`. */
  readonly service: string;
  /** boto3 method name (snake_case), e.g. `create_secret`. */
  readonly method: string;
  /** PascalCase keyword arguments of this call site (boto3 parameters are PascalCase), e.g. `Tags`. */
  readonly keywords: readonly string[];
}

export interface ScriptCalls {
  readonly calls: readonly ScriptCall[];
  /** Constructs the reader cannot follow, one sentence each. */
  readonly problems: readonly string[];
}

const CLIENT = /\b([A-Za-z_]\w*)\s*=\s*boto3\.client\(\s*['"]([a-z0-9-]+)['"][^)]*\)/g;
const ANY_CLIENT = /boto3\.client\(/g;
const UNSUPPORTED: readonly [RegExp, string][] = [
  [/boto3\.resource\(/, 'boto3.resource'],
  [/boto3\.Session\(|boto3\.session\./, 'boto3.Session'],
  [/\.get_paginator\(/, 'paginators'],
  [/\.get_waiter\(/, 'waiters'],
  [/\bgetattr\(/, 'getattr'],
];
/** Client attributes that are not API operations. */
const CLIENT_ATTRIBUTES = new Set(['meta', 'exceptions', 'can_paginate', 'close']);

/** The argument text of the call whose `(` is at `open`, up to its matching `)` (strings skipped). */
function argumentText(script: string, open: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < script.length; i++) {
    const ch = script[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return script.slice(open + 1, i);
  }
  return script.slice(open + 1);
}

/**
 * The AWS calls in a Python script.
 * @example scriptApiCalls("sm = boto3.client('secretsmanager')\nsm.create_secret(Name=n, Tags=t)")
 * // { calls: [{ service: 'secretsmanager', method: 'create_secret', keywords: ['Name', 'Tags'] }], problems: [] }
 */
export function scriptApiCalls(script: string): ScriptCalls {
  const problems: string[] = [];
  for (const [pattern, what] of UNSUPPORTED) {
    if (pattern.test(script)) problems.push(`The script uses ${what}, whose AWS calls the checks cannot see; create clients as name = boto3.client('service') and call name.operation(...).`);
  }
  const clients = new Map<string, string>();
  for (const m of script.matchAll(CLIENT)) clients.set(m[1] as string, m[2] as string);
  const named = [...script.matchAll(CLIENT)].length;
  if ([...script.matchAll(ANY_CLIENT)].length !== named) {
    problems.push("Every boto3.client(...) must be assigned to a name with a literal service (name = boto3.client('service')), so that the checks can see its calls.");
  }
  const calls: ScriptCall[] = [];
  for (const [variable, service] of clients) {
    const use = new RegExp(`\\b${variable}\\.([A-Za-z_]\\w*)\\s*\\(`, 'g');
    for (const m of script.matchAll(use)) {
      const method = m[1] as string;
      if (CLIENT_ATTRIBUTES.has(method)) {
        problems.push(`${variable}.${method}(...) is not an API call the checks can follow.`);
        continue;
      }
      const args = argumentText(script, (m.index ?? 0) + m[0].length - 1);
      const keywords = [...new Set([...args.matchAll(/(?:^|[(,\s])([A-Z]\w*)\s*=(?!=)/g)].map((k) => k[1] as string))];
      calls.push({ service, method, keywords });
    }
  }
  return { calls, problems };
}

/** The handler the `Handler` input names is defined as `def name(events, context)`. */
export function definesHandler(script: string, handler: string): boolean {
  return new RegExp(`^def\\s+${handler.replace(/[^\w]/g, '')}\\s*\\(\\s*\\w+\\s*,\\s*\\w+\\s*\\)\\s*:`, 'm').test(script);
}

/**
 * The child process: reads one job line (script, handler, events, context) from stdin, runs the handler with stdout
 * and stderr captured as the step's log, and writes protocol lines on the real stdout: `call` (answered by one line on
 * stdin), then `result` or `error`. boto3 and botocore.exceptions are stand-ins registered in sys.modules.
 */
const HARNESS = String.raw`
import contextlib, io, json, sys, types

_proto = sys.stdout

def _send(message):
    _proto.write(json.dumps(message) + "\n")
    _proto.flush()

def _receive():
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("simulator closed the channel")
    return json.loads(line)

class ClientError(Exception):
    def __init__(self, error_response, operation_name):
        self.response = error_response
        self.operation_name = operation_name
        error = error_response.get("Error", {})
        super().__init__("An error occurred (%s) when calling the %s operation: %s" % (error.get("Code"), operation_name, error.get("Message")))

class _Client:
    def __init__(self, service):
        self._service = service

    def __getattr__(self, method):
        if method.startswith("_") or method in ("meta", "exceptions", "get_paginator", "get_waiter", "can_paginate"):
            raise AttributeError("The simulator's boto3 stand-in supports plain API calls only, not %s." % method)
        def call(**params):
            _send({"type": "call", "service": self._service, "method": method, "params": params})
            reply = _receive()
            if "error" in reply:
                raise ClientError({"Error": reply["error"]}, reply.get("operation", method))
            return reply["response"]
        return call

_boto3 = types.ModuleType("boto3")
_boto3.client = lambda service, *args, **kwargs: _Client(service)
_botocore = types.ModuleType("botocore")
_exceptions = types.ModuleType("botocore.exceptions")
_exceptions.ClientError = ClientError
_botocore.exceptions = _exceptions
sys.modules.update({"boto3": _boto3, "botocore": _botocore, "botocore.exceptions": _exceptions})

def _main():
    job = _receive()
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            namespace = {"__name__": "automation_script"}
            exec(compile(job["script"], "<script>", "exec"), namespace)
            handler = namespace.get(job["handler"])
            if not callable(handler):
                raise NameError("The script defines no function %s." % job["handler"])
            payload = handler(job["events"], job["context"])
        _send({"type": "result", "payload": payload, "log": log.getvalue()})
    except Exception as error:
        _send({"type": "error", "errorType": type(error).__name__, "message": str(error), "log": log.getvalue()})

_main()
`;

/** How the simulator answers one call a script makes. */
export type ScriptCallHandler = (call: { service: string; method: string; params: Record<string, unknown> }) => Promise<
  { response: unknown } | { error: { Code: string; Message: string }; operation: string }
>;

export type ScriptOutcome =
  | { readonly ok: true; readonly payload: unknown; readonly log: string }
  | { readonly ok: false; readonly errorType: string; readonly message: string; readonly log: string };

export interface ScriptJob {
  readonly script: string;
  readonly handler: string;
  readonly events: unknown;
  readonly context: Readonly<Record<string, unknown>>;
  readonly onCall: ScriptCallHandler;
  readonly timeoutMs: number;
  /** Default: PYTHON, else python3. */
  readonly python?: string;
}

/** Runs a Python handler as aws:executeScript would; throws SimulationError only when python itself cannot run. */
export async function runPythonScript(job: ScriptJob): Promise<ScriptOutcome> {
  const python = job.python ?? process.env.PYTHON ?? 'python3';
  const child = spawn(python, ['-c', HARNESS], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const write = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);

  return new Promise<ScriptOutcome>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdin.end();
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => resolve({ ok: false, errorType: 'Timeout', message: `The script ran longer than ${job.timeoutMs} ms.`, log: '' }));
    }, job.timeoutMs);
    child.once('error', (e) => finish(() => reject(new SimulationError(`Cannot run ${python} for aws:executeScript: ${e.message}`))));
    child.once('close', (code) => finish(() => reject(new SimulationError(`${python} exited (code ${String(code)}) before the script reported a result: ${stderr}`))));

    let buffer = '';
    let queue = Promise.resolve();
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        // Calls are answered in order, one at a time, as the script waits for each.
        queue = queue.then(() => handleLine(line)).catch((e: unknown) => finish(() => reject(e)));
      }
    });

    const handleLine = async (line: string): Promise<void> => {
      const message = JSON.parse(line) as { type: string } & Record<string, unknown>;
      if (message.type === 'call') {
        const reply = await job.onCall({
          service: String(message.service),
          method: String(message.method),
          params: (message.params ?? {}) as Record<string, unknown>,
        });
        write(reply);
      } else if (message.type === 'result') {
        finish(() => resolve({ ok: true, payload: message.payload ?? null, log: String(message.log ?? '') }));
      } else if (message.type === 'error') {
        finish(() => resolve({ ok: false, errorType: String(message.errorType), message: String(message.message), log: String(message.log ?? '') }));
      }
    };

    write({ script: job.script, handler: job.handler, events: job.events, context: job.context });
  });
}
