import { randomUUID } from 'node:crypto';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RemediationDocument } from '../remediation-docs';
import {
  type AutomationDocument,
  type Condition,
  type ParameterDeclaration,
  type Step,
  type StepOutput,
  REFERENCE,
  apiParameters,
  isCritical,
  jumpTarget,
  parseAutomationDocument,
  parseBranchInputs,
} from './document';
import { SimulationError } from './errors';
import { runPythonScript, scriptApiCalls } from './script';
import { commandClass, loadClientPackage, operationModel } from './sdk-operations';

/**
 * A small, honest interpreter of the SSM Automation subset this pack uses, calling AWS SDK v3 clients
 * (pointed at moto through AWS_ENDPOINT_URL in tests).
 *
 * Why not @cdklabs/cdk-ssm-documents' Simulation: its YAML reader drops And/Or/Not choices (it crashes on them), it
 * compares branch constants without substituting `{{ }}`, and its invoker interface is synchronous (a worker thread per
 * call to reach an HTTP endpoint). Each of these would need a patch of the library; this file is smaller than the patches.
 *
 * Supported: aws:executeAwsApi, aws:waitForAwsResourceProperty, aws:assertAwsResourceProperty, aws:branch
 * (all string/numeric/boolean operators, And/Or/Not), aws:sleep, aws:executeScript (Python: the script runs for real
 * under python3; its boto3 calls come back here, see script.ts); nextStep, isEnd, onFailure (Abort, Continue,
 * step:X), isCritical, maxAttempts; outputs with JSONPath `$.A.B[0]`, `$.A[*].B`; `{{ }}` substitution of parameters,
 * step outputs and system variables. Not simulated: cancellation (onCancel), executeAwsApi's 25 s limit, IAM,
 * executeScript's Python version (the local python3 runs it) and attachments.
 */

/** One API call the document made (or tried to make), in order. */
export interface ApiCall {
  readonly step: string;
  readonly service: string;
  /** PascalCase operation name. */
  readonly api: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** `override` when the test's hook answered instead of the endpoint. */
  readonly answeredBy: 'endpoint' | 'override';
  /** `Name: message` of the error the call raised, if it failed. */
  readonly error?: string;
  /**
   * Made by an aws:executeScript step's own code. Automation records neither such a call nor its parameters in the
   * execution (CloudTrail does); declarative steps' calls are visible as step inputs.
   */
  readonly fromScript?: true;
}

/**
 * What the override hook sees; return a response object (or a promise of one) to answer the call, or undefined to
 * send it to the endpoint. `fromScript` marks calls an aws:executeScript step's code makes.
 */
export type CallOverride = (call: { step: string; service: string; api: string; params: Record<string, unknown>; fromScript: boolean }) => unknown;

export interface SimulationOptions {
  /** Document parameters; defaults fill the rest. Checked against type, allowedPattern and allowedValues like StartAutomationExecution. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Answers calls moto cannot (canned responses); throw from it to simulate an API error. */
  readonly override?: CallOverride;
  /** waitForAwsResourceProperty poll interval. Default 5000 ms; tests use a few ms. */
  readonly pollIntervalMs?: number;
  /** Caps a wait step's timeout (its timeoutSeconds, default 3600 s) so a test never waits for real minutes. */
  readonly maxWaitMs?: number;
  /** How aws:sleep waits. Default: it does not (the duration is only recorded). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly region?: string;
  /** Default: AWS_ENDPOINT_URL; unset means real AWS endpoints, which tests never reach (dummy credentials). */
  readonly endpoint?: string;
  readonly accountId?: string;
  readonly partition?: string;
  /** Stops a runaway document. Default 200 step executions. */
  readonly maxSteps?: number;
}

export interface StepRecord {
  readonly name: string;
  readonly action: string;
  readonly status: 'Success' | 'Failed';
  readonly attempts: number;
  readonly message?: string;
  /** The step's inputs after `{{ }}` substitution, as the execution history shows them ({} when they did not resolve). */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** aws:executeScript: what the script printed (Automation shows it with the step's output). */
  readonly log?: string;
}

export interface SimulationResult {
  readonly status: 'Success' | 'Failed';
  /** Step names in the order they ran. */
  readonly stepPath: readonly string[];
  readonly steps: readonly StepRecord[];
  readonly calls: readonly ApiCall[];
  /** Every step output, keyed `Step.Output`. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The document's declared `outputs`, where produced. */
  readonly documentOutputs: Readonly<Record<string, unknown>>;
  /** The first critical step that failed. */
  readonly failure?: { readonly step: string; readonly message: string };
}

const SUPPORTED_ACTIONS = new Set([
  'aws:executeAwsApi',
  'aws:waitForAwsResourceProperty',
  'aws:assertAwsResourceProperty',
  'aws:branch',
  'aws:sleep',
  'aws:executeScript',
]);

/** A step failed for a reason Automation would report on the step (not a simulator error). */
class StepFailure extends Error {
  constructor(
    message: string,
    /** aws:executeScript: what the script printed before it failed. */
    readonly log?: string,
  ) {
    super(message);
  }
}

/**
 * Runs a document step by step and reports what happened.
 * @example
 * const result = await simulateDocument(loadRemediationDocument('HIPAA-EnableKinesisStreamEncryption'), {
 *   parameters: { AutomationAssumeRole: 'arn:aws:iam::123456789012:role/r', StreamName: 'vitals' },
 *   pollIntervalMs: 10,
 * });
 * result.status; // 'Success'
 */
export async function simulateDocument(doc: RemediationDocument, options: SimulationOptions): Promise<SimulationResult> {
  const parsed = parseAutomationDocument(doc.content, doc.name);
  const unsupported = parsed.mainSteps.filter((s) => !SUPPORTED_ACTIONS.has(s.action));
  if (unsupported.length > 0) {
    throw new SimulationError(
      `Document ${doc.name} uses actions the simulator cannot run: ${unsupported.map((s) => `${s.name} (${s.action})`).join(', ')}.`,
    );
  }
  const run = new Run(parsed, options, bindParameters(doc.name, parsed, options.parameters));
  return run.execute();
}

// ---------------------------------------------------------------- parameters

function typeMatches(type: ParameterDeclaration['type'], v: unknown): boolean {
  switch (type) {
    case 'String':
      return typeof v === 'string';
    case 'StringList':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'Boolean':
      return typeof v === 'boolean';
    case 'Integer':
      return Number.isInteger(v);
    case 'StringMap':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'MapList':
      return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
  }
}

function bindParameters(name: string, doc: AutomationDocument, given: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(doc.parameters, key)) throw new SimulationError(`Document ${name} has no parameter ${key}.`);
  }
  for (const [key, decl] of Object.entries(doc.parameters)) {
    const value = Object.hasOwn(given, key) ? given[key] : decl.default;
    if (value === undefined) throw new SimulationError(`Parameter ${key} of ${name} is required (it has no default).`);
    if (!typeMatches(decl.type, value)) throw new SimulationError(`Parameter ${key} must be a ${decl.type}; got ${JSON.stringify(value)}.`);
    // Automation receives every value as text, so an Integer's allowedPattern applies to its digits.
    const strings =
      typeof value === 'string' ? [value] : typeof value === 'number' ? [String(value)] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    if (decl.allowedPattern !== undefined) {
      const pattern = new RegExp(decl.allowedPattern);
      const bad = strings.find((s) => !pattern.test(s));
      if (bad !== undefined) throw new SimulationError(`Parameter ${key} value ${JSON.stringify(bad)} does not match allowedPattern ${decl.allowedPattern}.`);
    }
    if (decl.allowedValues !== undefined && !decl.allowedValues.some((v) => v === value)) {
      throw new SimulationError(`Parameter ${key} value ${JSON.stringify(value)} is not one of ${JSON.stringify(decl.allowedValues)}.`);
    }
    values.set(key, value);
  }
  return values;
}

// ---------------------------------------------------------------- JSONPath subset

type PathSegment = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'all' };

/** `$.A.B[0]`, `$.A[*].B`, `$['A']`: what SSM runbooks use in practice. Anything else is a simulator limit. */
export function parseSelector(selector: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const token = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\*\]|\['([^']+)'\]/y;
  if (!selector.startsWith('$')) throw new SimulationError(`Selector "${selector}" must start with "$".`);
  token.lastIndex = 1;
  while (token.lastIndex < selector.length) {
    const start = token.lastIndex;
    const m = token.exec(selector);
    if (!m) throw new SimulationError(`Selector "${selector}" uses JSONPath beyond the simulator's subset (at "${selector.slice(start)}").`);
    if (m[1] !== undefined) segments.push({ kind: 'field', name: m[1] });
    else if (m[2] !== undefined) segments.push({ kind: 'index', index: Number(m[2]) });
    else if (m[3] !== undefined) segments.push({ kind: 'field', name: m[3] });
    else segments.push({ kind: 'all' });
  }
  return segments;
}

/** The selected value; with `[*]`, the list of matches. undefined when nothing matches. */
export function select(value: unknown, selector: string): unknown {
  const segments = parseSelector(selector);
  let current: unknown[] = [value];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of current) {
      if (seg.kind === 'field' && v && typeof v === 'object' && !Array.isArray(v)) {
        const child = (v as Record<string, unknown>)[seg.name];
        if (child !== undefined) next.push(child);
      } else if (seg.kind === 'index' && Array.isArray(v) && seg.index < v.length) next.push(v[seg.index]);
      else if (seg.kind === 'all' && Array.isArray(v)) next.push(...(v as unknown[]));
    }
    current = next;
  }
  if (segments.some((s) => s.kind === 'all')) return current;
  return current[0];
}

// ---------------------------------------------------------------- the run

class Run {
  private readonly variables = new Map<string, unknown>();
  private readonly calls: ApiCall[] = [];
  private readonly records: StepRecord[] = [];
  private readonly outputs: Record<string, unknown> = {};
  private readonly clients = new Map<string, { send(command: unknown): Promise<unknown> }>();
  private readonly steps: ReadonlyMap<string, Step>;
  private readonly region: string;
  private readonly endpoint: string | undefined;

  constructor(
    private readonly doc: AutomationDocument,
    private readonly options: SimulationOptions,
    parameters: ReadonlyMap<string, unknown>,
  ) {
    this.steps = new Map(doc.mainSteps.map((s) => [s.name, s]));
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
    for (const [k, v] of parameters) this.variables.set(k, v);
    const now = new Date().toISOString();
    this.variables.set('global:ACCOUNT_ID', options.accountId ?? '123456789012');
    this.variables.set('global:REGION', this.region);
    this.variables.set('global:AWS_PARTITION', options.partition ?? 'aws');
    this.variables.set('global:DATE', now.slice(0, 10));
    this.variables.set('global:DATE_TIME', `${now.slice(0, 10)}_${now.slice(11, 19).replaceAll(':', '.')}`);
    this.variables.set('automation:EXECUTION_ID', randomUUID());
  }

  async execute(): Promise<SimulationResult> {
    const path: string[] = [];
    let failure: SimulationResult['failure'];
    let current: Step | undefined = this.doc.mainSteps[0];
    const maxSteps = this.options.maxSteps ?? 200;
    while (current) {
      if (path.length >= maxSteps) throw new SimulationError(`Document ran more than ${maxSteps} steps; it loops.`);
      const step: Step = current;
      path.push(step.name);
      const outcome = await this.runWithAttempts(step);
      if (outcome.ok) {
        // A branch's chosen step wins over isEnd: on aws:branch, isEnd only ends the run when no choice is true
        // and there is no Default (automation-branch-condition.md).
        if (outcome.next !== undefined) current = this.stepNamed(outcome.next);
        else current = step.isEnd ? undefined : this.stepNamed(step.nextStep) ?? this.after(step);
        continue;
      }
      if (isCritical(step)) failure ??= { step: step.name, message: outcome.message };
      const onFailure = step.onFailure.trim();
      if (onFailure === 'Continue') current = step.isEnd ? undefined : this.stepNamed(step.nextStep) ?? this.after(step);
      else current = this.stepNamed(jumpTarget(onFailure)); // Abort: no target, the run stops
    }
    const documentOutputs = Object.fromEntries(this.doc.outputs.filter((o) => o in this.outputs).map((o) => [o, this.outputs[o]]));
    return {
      status: failure ? 'Failed' : 'Success',
      stepPath: path,
      steps: this.records,
      calls: this.calls,
      outputs: { ...this.outputs },
      documentOutputs,
      ...(failure ? { failure } : {}),
    };
  }

  private stepNamed(name: string | undefined): Step | undefined {
    if (name === undefined) return undefined;
    const step = this.steps.get(name);
    if (!step) throw new SimulationError(`Step ${name} does not exist (run the document checks first).`);
    return step;
  }

  private after(step: Step): Step | undefined {
    return this.doc.mainSteps[this.doc.mainSteps.indexOf(step) + 1];
  }

  private async runWithAttempts(step: Step): Promise<{ ok: true; next?: string } | { ok: false; message: string }> {
    let message = '';
    let inputs: Record<string, unknown> = {};
    let log: string | undefined;
    for (let attempt = 1; attempt <= step.maxAttempts; attempt++) {
      try {
        // Automation resolves every input before the action runs: an unresolvable reference fails the step.
        inputs = this.resolve(step.inputs) as Record<string, unknown>;
        const result = await this.runStep(step, inputs);
        const { outputs, next, note } = result;
        log = result.log;
        for (const [k, v] of Object.entries(outputs)) {
          this.outputs[`${step.name}.${k}`] = v;
          this.variables.set(`${step.name}.${k}`, v);
        }
        this.records.push({
          name: step.name,
          action: step.action,
          status: 'Success',
          attempts: attempt,
          inputs,
          outputs,
          ...(note ? { message: note } : {}),
          ...(log !== undefined ? { log } : {}),
        });
        return next === undefined ? { ok: true } : { ok: true, next };
      } catch (error) {
        if (!(error instanceof StepFailure)) throw error;
        message = error.message;
        log = error.log;
      }
    }
    this.records.push({
      name: step.name,
      action: step.action,
      status: 'Failed',
      attempts: step.maxAttempts,
      message,
      inputs,
      outputs: {},
      ...(log !== undefined ? { log } : {}),
    });
    return { ok: false, message };
  }

  private async runStep(step: Step, inputs: Record<string, unknown>): Promise<{ outputs: Record<string, unknown>; next?: string; note?: string; log?: string }> {
    switch (step.action) {
      case 'aws:branch':
        return this.branch(step);
      case 'aws:sleep':
        return { outputs: {}, note: await this.sleep(inputs) };
      case 'aws:executeAwsApi': {
        const response = await this.call(step, inputs);
        return { outputs: this.collectOutputs(step.outputs, response) };
      }
      case 'aws:assertAwsResourceProperty': {
        const response = await this.call(step, inputs);
        const verdict = this.compare(inputs, response);
        if (!verdict.ok) throw new StepFailure(`Expected ${String(inputs.PropertySelector)} to be one of ${verdict.desired} but found ${verdict.found}.`);
        return { outputs: {} };
      }
      case 'aws:waitForAwsResourceProperty':
        return this.waitFor(step, inputs);
      case 'aws:executeScript':
        return this.executeScript(step, inputs);
      default:
        throw new SimulationError(`Action ${step.action} is not supported by the simulator.`);
    }
  }

  private async waitFor(step: Step, inputs: Record<string, unknown>): Promise<{ outputs: Record<string, unknown> }> {
    const timeoutMs = Math.min((step.timeoutSeconds ?? 3600) * 1000, this.options.maxWaitMs ?? Number.POSITIVE_INFINITY);
    const deadline = Date.now() + timeoutMs;
    const interval = this.options.pollIntervalMs ?? 5000;
    for (;;) {
      const verdict = this.compare(inputs, await this.call(step, inputs));
      if (verdict.ok) return { outputs: {} };
      if (Date.now() + interval > deadline) {
        throw new StepFailure(`Timed out after ${timeoutMs} ms waiting for ${String(inputs.PropertySelector)} to be one of ${verdict.desired}; last found ${verdict.found}.`);
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  /** waitFor/assert semantics: the selected value (every element, for a list) is one of DesiredValues. */
  private compare(inputs: Record<string, unknown>, response: unknown): { ok: boolean; desired: string; found: string } {
    const selector = inputs.PropertySelector;
    const desiredRaw = inputs.DesiredValues;
    if (typeof selector !== 'string' || !Array.isArray(desiredRaw)) throw new StepFailure('PropertySelector and DesiredValues are required.');
    const desired = desiredRaw.map(String);
    const value = select(response, selector);
    const asText = (v: unknown) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'object' ? JSON.stringify(v) : String(v));
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    const ok = values.length > 0 && values.every((v) => desired.includes(asText(v)));
    return { ok, desired: `[${desired.join(', ')}]`, found: value === undefined ? 'nothing' : asText(value) };
  }

  private async call(step: Step, inputs: Record<string, unknown>): Promise<unknown> {
    const service = String(inputs.Service);
    let operation: string;
    try {
      operation = operationModel(service, String(inputs.Api)).operation;
    } catch (e) {
      throw new StepFailure((e as Error).message);
    }
    const params = this.resolve(apiParameters(step)) as Record<string, unknown>;
    const outcome = await this.invoke(step.name, service, operation, params, false);
    if (!outcome.ok) throw new StepFailure(`${service}:${operation} failed: ${outcome.name}: ${outcome.message}`);
    return outcome.response;
  }

  /** One AWS call, answered by the override hook or the endpoint, and recorded. */
  private async invoke(
    stepName: string,
    service: string,
    operation: string,
    params: Record<string, unknown>,
    fromScript: boolean,
  ): Promise<{ ok: true; response: unknown } | { ok: false; name: string; message: string }> {
    const base = { step: stepName, service, api: operation, params, ...(fromScript ? { fromScript: true as const } : {}) };
    let response: unknown;
    let answeredBy: ApiCall['answeredBy'] = 'endpoint';
    try {
      response = await this.options.override?.({ step: stepName, service, api: operation, params: structuredClone(params), fromScript });
      if (response !== undefined) answeredBy = 'override';
      else response = await this.send(service, operation, params);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      this.calls.push({ ...base, answeredBy, error: `${name}: ${message}` });
      return { ok: false, name, message };
    }
    this.calls.push({ ...base, answeredBy });
    return { ok: true, response: plain(response) };
  }

  /**
   * Runs the Python handler for real (python3, child process). Its boto3 calls come back through invoke(), so the
   * override hook answers them like any other call; a call the document checks could not see in the script's text
   * is a simulator error, since the IAM check would have missed it too.
   */
  private async executeScript(step: Step, inputs: Record<string, unknown>): Promise<{ outputs: Record<string, unknown>; log: string }> {
    const { Runtime: runtime, Handler: handler, Script: script, InputPayload: payload } = inputs;
    if (typeof runtime !== 'string' || !runtime.startsWith('python3')) throw new SimulationError(`Step ${step.name}: only Python runtimes are simulated; found ${String(runtime)}.`);
    if (typeof handler !== 'string' || typeof script !== 'string') throw new SimulationError(`Step ${step.name}: Handler and an inline Script are required (attachments are not simulated).`);
    const seen = scriptApiCalls(script);
    const allowed = new Set(seen.calls.map((c) => `${c.service}:${c.method}`));
    const context = Object.fromEntries([...this.variables].filter(([k]) => k.includes(':')));
    const outcome = await runPythonScript({
      script,
      handler,
      events: payload ?? {},
      context,
      timeoutMs: (step.timeoutSeconds ?? 600) * 1000,
      onCall: async ({ service, method, params }) => {
        if (!allowed.has(`${service}:${method}`)) {
          throw new SimulationError(`Step ${step.name}: the script called ${service}.${method}, which the document checks cannot see in its text (${seen.problems.join(' ') || 'no matching name.method( call'}).`);
        }
        const operation = operationModel(service, method).operation;
        const result = await this.invoke(step.name, service, operation, params, true);
        return result.ok ? { response: result.response } : { error: { Code: result.name, Message: result.message }, operation };
      },
    });
    if (!outcome.ok) throw new StepFailure(`${outcome.errorType}: ${outcome.message}`, outcome.log);
    return { outputs: this.collectOutputs(step.outputs, { Payload: outcome.payload }), log: outcome.log };
  }

  private async send(service: string, operation: string, params: Record<string, unknown>): Promise<unknown> {
    let client = this.clients.get(service);
    if (!client) {
      const mod = loadClientPackage(service).module;
      const ctorName = Object.keys(mod).find((k) => k.endsWith('Client') && k !== '__Client' && typeof mod[k] === 'function');
      if (!ctorName) throw new SimulationError(`No client class found in the SDK package for ${service}.`);
      const Client = mod[ctorName] as new (config: Record<string, unknown>) => { send(command: unknown): Promise<unknown> };
      client = new Client({
        region: this.region,
        maxAttempts: 3,
        // HTTP/1.1: emulators do not speak HTTP/2, which some clients (Kinesis) use by default.
        requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
        ...(this.endpoint ? { endpoint: this.endpoint } : {}),
      });
      this.clients.set(service, client);
    }
    const Command = commandClass(service, operation);
    return client.send(new Command(params));
  }

  private collectOutputs(declared: readonly StepOutput[], response: unknown): Record<string, unknown> {
    const outputs: Record<string, unknown> = {};
    for (const o of declared) {
      const value = select(response, o.Selector);
      // A selector that matches nothing produces no output; a later reference to it fails that step.
      if (value === undefined) continue;
      outputs[o.Name] = coerce(value, o);
    }
    return outputs;
  }

  private branch(step: Step): { outputs: Record<string, unknown>; next?: string } {
    const { choices, defaultStep } = parseBranchInputs(step.inputs, step.name);
    const chosen = choices.find((c) => this.evaluate(c.condition));
    const next = chosen?.nextStep ?? defaultStep;
    return next === undefined ? { outputs: {} } : { outputs: {}, next };
  }

  private evaluate(c: Condition): boolean {
    if (c.kind === 'and' || c.kind === 'or') {
      return c.kind === 'and' ? c.items.every((i) => this.evaluate(i)) : c.items.some((i) => this.evaluate(i));
    }
    if (c.kind === 'not') return !this.evaluate(c.item);
    const actual = this.resolve(c.variable);
    const expected = this.resolve(c.value);
    const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
    switch (c.operator) {
      case 'StringEquals':
        return text(actual) === text(expected);
      case 'EqualsIgnoreCase':
        return text(actual).toLowerCase() === text(expected).toLowerCase();
      case 'StartsWith':
        return text(actual).startsWith(text(expected));
      case 'EndsWith':
        return text(actual).endsWith(text(expected));
      case 'Contains':
        return text(actual).includes(text(expected));
      case 'BooleanEquals':
        return toBoolean(actual) === toBoolean(expected);
      default: {
        const [a, b] = [Number(actual), Number(expected)];
        if (Number.isNaN(a) || Number.isNaN(b)) throw new StepFailure(`${c.operator} needs numbers; got ${text(actual)} and ${text(expected)}.`);
        const cmp = { NumericEquals: a === b, NumericGreater: a > b, NumericLesser: a < b, NumericGreaterOrEquals: a >= b, NumericLesserOrEquals: a <= b };
        return cmp[c.operator];
      }
    }
  }

  private async sleep(inputs: Record<string, unknown>): Promise<string> {
    let ms: number;
    if (typeof inputs.Duration === 'string') ms = isoDurationMs(inputs.Duration);
    else if (typeof inputs.Timestamp === 'string') ms = Math.max(0, Date.parse(inputs.Timestamp) - Date.now());
    else throw new StepFailure('aws:sleep needs Duration or Timestamp.');
    if (this.options.sleep) await this.options.sleep(ms);
    return `slept ${ms} ms${this.options.sleep ? '' : ' (not waited by the simulator)'}`;
  }

  /** `{{ X }}` substitution: a whole-string reference keeps the value's type; embedded ones become text. */
  private resolve(value: unknown): unknown {
    if (typeof value === 'string') {
      const whole = /^\s*\{\{\s*([^{}]*?)\s*\}\}\s*$/.exec(value);
      if (whole) return this.lookup(whole[1] ?? '');
      return value.replace(REFERENCE, (_m, expr: string) => {
        const v = this.lookup(expr);
        return typeof v === 'string' ? v : JSON.stringify(v);
      });
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
    return value;
  }

  private lookup(expression: string): unknown {
    if (!this.variables.has(expression)) {
      throw new StepFailure(`Failed to resolve input: {{ ${expression} }} has no value (undeclared, or its step produced no such output).`);
    }
    return this.variables.get(expression);
  }
}

function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

function coerce(value: unknown, o: StepOutput): unknown {
  const fail = (): never => {
    throw new StepFailure(`Output ${o.Name} (${o.Type}) cannot hold ${JSON.stringify(value)} selected by ${o.Selector}.`);
  };
  const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : fail());
  switch (o.Type) {
    case 'String':
      return scalar(value);
    case 'Integer':
      return Number.isInteger(value) ? value : fail();
    case 'Boolean':
      return typeof value === 'boolean' ? value : fail();
    case 'StringList':
      return Array.isArray(value) ? value.map(scalar) : fail();
    case 'StringMap':
      return value && typeof value === 'object' && !Array.isArray(value) ? value : fail();
    case 'MapList':
      return Array.isArray(value) ? value : fail();
  }
}

/** SDK responses as boto3 would hand them to Automation: JSON values only, no `$metadata`. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k, v]) => k !== '$metadata' && v !== undefined).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** ISO 8601 durations as aws:sleep takes them (PT30S, PT5M, P1DT2H). */
function isoDurationMs(duration: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration);
  if (!m || duration === 'P' || duration.endsWith('T')) throw new StepFailure(`Duration "${duration}" is not an ISO 8601 duration such as PT30S.`);
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number];
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}
