import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { RemediationDocument } from '../remediation-docs';
import {
  type AutomationDocument,
  type Condition,
  type Step,
  SYSTEM_VARIABLES,
  apiParameters,
  describePath,
  isApiAction,
  jumpTarget,
  parseAutomationDocument,
  parseBranchInputs,
  referencesIn,
} from './document';
import { DocumentInvalidError, SsmDocumentToolError } from './errors';
import { definesHandler, scriptApiCalls } from './script';
import { type ShapeModel, iamPrefixFor, loadClientPackage, operationModel } from './sdk-operations';

/** One finding of the document checks. */
export interface Problem {
  readonly document: string;
  /** The step it is in, when it is in a step. */
  readonly step?: string;
  /** Where: `inputs.StreamName`, `nextStep`, `parameters.KmsKeyId.allowedPattern`, `# IAM actions`... */
  readonly field: string;
  /** A whole sentence that says what was expected. */
  readonly message: string;
}

/** `HIPAA-X: step ReadStream, inputs.Api: ...` */
export function formatProblem(p: Problem): string {
  return `${p.document}: ${p.step ? `step ${p.step}, ` : ''}${p.field}: ${p.message}`;
}

// ---------------------------------------------------------------- JSON schema

const REPO_ROOT = join(__dirname, '..', '..', '..');
/** The repo is cloned with shared/ beside it (/work/main and /work/shared); the schema is not copied in. */
export const AUTOMATION_SCHEMA_PATH = join(REPO_ROOT, '..', 'shared', 'reference', 'D-ssm-automation-schema', 'ssm-automation-document.schema.json');

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(obj: unknown, path: readonly (string | number)[], what: string): JsonObject {
  let cur: unknown = obj;
  for (const key of path) cur = isObject(cur) || Array.isArray(cur) ? (cur as Record<string | number, unknown>)[key] : undefined;
  if (!isObject(cur)) throw new SsmDocumentToolError(`The SSM automation schema has changed: ${what} not found at ${path.join('/')}.`);
  return cur;
}

function actionRule(schema: unknown, action: string): JsonObject {
  const allOf = at(schema, ['properties', 'mainSteps', 'items'], 'mainSteps.items').allOf;
  const rule = Array.isArray(allOf)
    ? allOf.find((r: unknown) => isObject(r) && (at(r, ['if', 'properties', 'action'], 'if.action') as { const?: unknown }).const === action)
    : undefined;
  if (!isObject(rule)) throw new SsmDocumentToolError(`The SSM automation schema has changed: no rule for ${action}.`);
  return rule;
}

/**
 * The reference schema is stale in three places; it is patched in memory, never copied into the repo:
 * - executeScript `Runtime` lists python3.6/3.7 only: allow any python3.x and PowerShell runtime;
 * - steps may carry `onCancel` (Abort | step:Name), which the schema does not know (its steps are additionalProperties: false);
 * - the waitForAwsResourceProperty rule is keyed on a misspelt action (`...Properties`), so it never applied.
 */
export function patchAutomationSchema(schema: unknown): unknown {
  const patched: unknown = structuredClone(schema);
  const script = at(actionRule(patched, 'aws:executeScript'), ['then', 'properties', 'inputs', 'properties', 'Runtime'], 'executeScript Runtime');
  script.oneOf = [{ pattern: '^(python3\\.\\d+|PowerShell .*)$' }, { pattern: '^{{[ ]{0,1}[a-zA-Z_.]+[ ]{0,1}}}$' }];
  at(patched, ['properties', 'mainSteps', 'items', 'properties'], 'step properties').onCancel = {
    type: 'string',
    pattern: '^(Abort|step:[a-zA-Z0-9_]+)$',
  };
  at(actionRule(patched, 'aws:waitForAwsResourceProperties'), ['if', 'properties', 'action'], 'waitFor rule').const =
    'aws:waitForAwsResourceProperty';
  return patched;
}

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (compiled) return compiled;
  if (!existsSync(AUTOMATION_SCHEMA_PATH)) {
    throw new SsmDocumentToolError(`SSM automation schema not found at ${AUTOMATION_SCHEMA_PATH}; clone the shared/ reference next to the repo.`);
  }
  const schema = patchAutomationSchema(JSON.parse(readFileSync(AUTOMATION_SCHEMA_PATH, 'utf8')) as unknown);
  // unicodeRegExp false: the schema's patterns (`^{{...}}$`) are not valid under the `u` flag.
  const ajv = new Ajv({ strict: false, unicodeRegExp: false, allErrors: true });
  compiled = ajv.compile(schema as JsonObject);
  return compiled;
}

function schemaProblems(doc: RemediationDocument): Problem[] {
  const validate = schemaValidator();
  if (validate(doc.content)) return [];
  const all = validate.errors ?? [];
  // if/then failures repeat the specific error underneath them; a failed oneOf is reported once, with its branches' reasons.
  const oneOfs = all.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const branchOf = (e: ErrorObject) => oneOfs.find((o) => o !== e && o.instancePath === e.instancePath && e.schemaPath.startsWith(`${o.schemaPath}/`));
  return all
    .filter((e) => e.keyword !== 'if' && !branchOf(e))
    .map((e) => {
      const path = e.instancePath.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      const where = describePath(doc.content, path);
      const [step, field] = where.startsWith('step ') ? splitStep(where) : [undefined, where];
      const values = 'allowedValues' in e.params ? ` (${String(e.params.allowedValues)})` : '';
      const extra = 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : '';
      const reasons = all.filter((b) => branchOf(b) === e).map((b) => b.message ?? b.keyword);
      const because = reasons.length ? `: ${reasons.join(' or ')}` : '';
      return problem(doc.name, step, field, `JSON schema: ${e.message ?? e.keyword}${extra}${values}${because}.`);
    });
}

function splitStep(where: string): [string, string] {
  const m = /^step ([^,]+)(?:, (.*))?$/.exec(where);
  return [m?.[1] ?? where, m?.[2] ?? '(step)'];
}

function problem(document: string, step: string | undefined, field: string, message: string): Problem {
  return step ? { document, step, field, message } : { document, field, message };
}

// ---------------------------------------------------------------- semantic checks

const STEP_NAME = /^[a-zA-Z0-9_]+$/;

/**
 * Every check of STYLE.md 13 and DESIGN.md "Remediation documents" that a machine can make.
 * Returns every problem found (none for a valid document); never throws for a document's own fault.
 * @example const problems = checkDocument(loadRemediationDocument('HIPAA-EnableKinesisStreamEncryption'));
 */
export function checkDocument(doc: RemediationDocument): Problem[] {
  const problems: Problem[] = schemaProblems(doc);
  let parsed: AutomationDocument;
  try {
    parsed = parseAutomationDocument(doc.content, doc.name);
  } catch (error) {
    return [...problems, problem(doc.name, undefined, '(document)', error instanceof Error ? error.message : String(error))];
  }
  const add = (step: string | undefined, field: string, message: string) => problems.push(problem(doc.name, step, field, message));
  const steps = new Map<string, Step>();
  for (const step of parsed.mainSteps) {
    if (steps.has(step.name)) add(step.name, 'name', `Step name "${step.name}" is used twice; step names must be unique.`);
    if (!STEP_NAME.test(step.name)) add(step.name, 'name', `Step name "${step.name}" must match [a-zA-Z0-9_]+.`);
    steps.set(step.name, step);
  }
  checkDescription(parsed, add);
  checkParameters(parsed, add);
  const graph = controlFlow(parsed, steps, add);
  checkReferences(parsed, steps, graph, add);
  const actions = checkApiSteps(parsed, add);
  checkIamActions(doc, actions, add);
  return problems;
}

/** Throws DocumentInvalidError listing every problem, so a build or a test shows all of them at once. */
export function assertDocumentValid(doc: RemediationDocument): void {
  const problems = checkDocument(doc);
  if (problems.length > 0) throw new DocumentInvalidError(doc.name, problems.map(formatProblem));
}

type Add = (step: string | undefined, field: string, message: string) => void;

const DESCRIPTION_SECTIONS = ['What does this document do?', 'Input parameters', 'Output'] as const;

/** STYLE.md 13: a Markdown description with the three sections, naming every parameter. */
function checkDescription(doc: AutomationDocument, add: Add): void {
  const text = doc.description ?? '';
  const headings = [...text.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((m) => m[1]);
  for (const section of DESCRIPTION_SECTIONS) {
    if (!headings.includes(section)) add(undefined, 'description', `The Markdown description needs a "## ${section}" section (STYLE.md 13).`);
  }
  const section = /^#{1,6}\s+Input parameters\s*$([\s\S]*?)(?=^#{1,6}\s|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  for (const name of Object.keys(doc.parameters)) {
    if (!new RegExp(`\\b${name}\\b`).test(section)) add(undefined, 'description', `The "Input parameters" section does not describe ${name}.`);
  }
}

function checkParameters(doc: AutomationDocument, add: Add): void {
  const names = Object.keys(doc.parameters);
  if (names[0] !== 'AutomationAssumeRole') {
    add(undefined, 'parameters', `The first parameter must be AutomationAssumeRole (STYLE.md 13); found ${names[0] ?? 'no parameters'}.`);
  }
  if (doc.assumeRole?.replace(/\s+/g, '') !== '{{AutomationAssumeRole}}') {
    add(undefined, 'assumeRole', `assumeRole must be "{{ AutomationAssumeRole }}"; found ${JSON.stringify(doc.assumeRole ?? null)}.`);
  }
  for (const [name, p] of Object.entries(doc.parameters)) {
    const field = `parameters.${name}`;
    if (p.allowedPattern === undefined && p.allowedValues === undefined) {
      add(undefined, field, `Parameter ${name} needs an allowedPattern or allowedValues (STYLE.md 13).`);
    }
    if (p.allowedPattern !== undefined) {
      let pattern: RegExp | undefined;
      try {
        pattern = new RegExp(p.allowedPattern);
      } catch (e) {
        add(undefined, `${field}.allowedPattern`, `allowedPattern is not a valid regular expression: ${(e as Error).message}.`);
      }
      if (pattern && typeof p.default === 'string' && !pattern.test(p.default)) {
        add(undefined, `${field}.default`, `Default ${JSON.stringify(p.default)} does not match the parameter's own allowedPattern.`);
      }
    }
    if (p.allowedValues !== undefined && p.default !== undefined && !p.allowedValues.some((v) => v === p.default)) {
      add(undefined, `${field}.default`, `Default ${JSON.stringify(p.default)} is not one of allowedValues.`);
    }
  }
  const used = new Set(
    referencesIn({ assumeRole: doc.assumeRole, mainSteps: doc.mainSteps }, '')
      .map((r) => r.reference)
      .flatMap((r) => (r.kind === 'parameter' ? [r.name] : [])),
  );
  for (const name of names) if (!used.has(name)) add(undefined, `parameters.${name}`, `Parameter ${name} is declared but never used.`);
}

interface ControlFlow {
  readonly reachable: ReadonlySet<string>;
  /** Steps that run before a step on every path to it (itself included). */
  readonly dominators: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Checks every jump target, then computes which steps always run before which (for output references). */
function controlFlow(doc: AutomationDocument, steps: ReadonlyMap<string, Step>, add: Add): ControlFlow {
  const successors = new Map<string, string[]>();
  const target = (step: string, field: string, name: string | undefined): string[] => {
    if (name === undefined) return [];
    if (steps.has(name)) return [name];
    add(step, field, `"${name}" is not a step of this document.`);
    return [];
  };
  doc.mainSteps.forEach((step, i) => {
    const next = doc.mainSteps[i + 1]?.name;
    const out: string[] = [];
    if (step.action === 'aws:branch') {
      try {
        const branch = parseBranchInputs(step.inputs, step.name);
        branch.choices.forEach((c, j) => out.push(...target(step.name, `inputs.Choices[${j}].NextStep`, c.nextStep)));
        if (branch.defaultStep !== undefined) out.push(...target(step.name, 'inputs.Default', branch.defaultStep));
        else if (!step.isEnd && next) out.push(next);
        for (const [j, c] of branch.choices.entries()) checkConditionVariables(step.name, `inputs.Choices[${j}]`, c.condition, add);
      } catch (e) {
        add(step.name, 'inputs.Choices', e instanceof Error ? e.message : String(e));
      }
    } else if (!step.isEnd) {
      if (step.nextStep !== undefined) out.push(...target(step.name, 'nextStep', step.nextStep));
      else if (next) out.push(next);
    } else if (step.nextStep !== undefined) {
      add(step.name, 'nextStep', 'A step with isEnd: true must not also name a nextStep.');
    }
    // onFailure: Continue follows the same edges as success.
    const failure = step.onFailure.trim();
    if (failure !== 'Abort' && failure !== 'Continue') {
      const to = jumpTarget(failure);
      if (to === undefined) add(step.name, 'onFailure', `onFailure must be Abort, Continue or step:<name>; found "${failure}".`);
      out.push(...target(step.name, 'onFailure', to));
    }
    if (step.onCancel !== undefined && step.onCancel.trim() !== 'Abort') {
      const to = jumpTarget(step.onCancel);
      if (to === undefined) add(step.name, 'onCancel', `onCancel must be Abort or step:<name>; found "${step.onCancel}".`);
      // Cancellation paths do not feed output dominance: they run only after a user cancels.
      target(step.name, 'onCancel', to);
    }
    successors.set(step.name, [...new Set(out)]);
  });

  const first = doc.mainSteps[0]?.name;
  const reachable = new Set<string>();
  const queue = first ? [first] : [];
  while (queue.length) {
    const name = queue.shift() as string;
    if (reachable.has(name)) continue;
    reachable.add(name);
    queue.push(...(successors.get(name) ?? []));
  }
  for (const step of doc.mainSteps) {
    const cancelTarget = doc.mainSteps.some((s) => jumpTarget(s.onCancel) === step.name);
    if (!reachable.has(step.name) && !cancelTarget) add(step.name, '(step)', 'Step is unreachable: no step, branch or onFailure leads to it.');
  }
  findCycle(successors, first, add);

  // Iterative dominators: small graphs, no need for Lengauer-Tarjan.
  const predecessors = new Map<string, string[]>();
  for (const [from, tos] of successors) for (const to of tos) predecessors.set(to, [...(predecessors.get(to) ?? []), from]);
  const all = [...reachable];
  const dominators = new Map<string, Set<string>>(all.map((n) => [n, n === first ? new Set([n]) : new Set(all)]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of all) {
      if (n === first) continue;
      const preds = (predecessors.get(n) ?? []).filter((p) => reachable.has(p));
      const meet = preds.length
        ? new Set([...(dominators.get(preds[0] as string) ?? [])].filter((d) => preds.every((p) => dominators.get(p)?.has(d))))
        : new Set<string>();
      meet.add(n);
      if (meet.size !== dominators.get(n)?.size) {
        dominators.set(n, meet);
        changed = true;
      }
    }
  }
  return { reachable, dominators };
}

/** Automation refuses runbooks with a loop (automation-branch-condition.md); report the first one found. */
function findCycle(successors: ReadonlyMap<string, readonly string[]>, first: string | undefined, add: Add): void {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): boolean => {
    if (state.get(n) === 'done') return false;
    if (state.get(n) === 'open') {
      add(n, '(step)', `Steps form a loop: ${[...path.slice(path.indexOf(n)), n].join(' -> ')}.`);
      return true;
    }
    state.set(n, 'open');
    path.push(n);
    const found = (successors.get(n) ?? []).some(visit);
    path.pop();
    state.set(n, 'done');
    return found;
  };
  if (first) visit(first);
}

function checkConditionVariables(step: string, field: string, c: Condition, add: Add): void {
  if (c.kind === 'compare') {
    if (!/^\s*\{\{[^{}]+\}\}\s*$/.test(c.variable)) add(step, `${field}.Variable`, `Variable must be one "{{ reference }}"; found ${JSON.stringify(c.variable)}.`);
  } else if (c.kind === 'not') checkConditionVariables(step, `${field}.Not`, c.item, add);
  else c.items.forEach((item, i) => checkConditionVariables(step, `${field}.${c.kind === 'and' ? 'And' : 'Or'}[${i}]`, item, add));
}

function checkReferences(doc: AutomationDocument, steps: ReadonlyMap<string, Step>, flow: ControlFlow, add: Add): void {
  const system: readonly string[] = SYSTEM_VARIABLES;
  for (const step of doc.mainSteps) {
    const { name: _name, ...rest } = step;
    for (const { expression, reference, field } of referencesIn(rest, '')) {
      const ref = `"{{ ${expression} }}"`;
      if (reference.kind === 'parameter') {
        if (!Object.hasOwn(doc.parameters, reference.name)) add(step.name, field, `${ref} names no document parameter (declared: ${Object.keys(doc.parameters).join(', ')}).`);
      } else if (reference.kind === 'system') {
        if (!system.includes(reference.name)) add(step.name, field, `${ref} is not an Automation variable (${system.join(', ')}).`);
      } else {
        const producer = steps.get(reference.step);
        if (!producer) {
          add(step.name, field, `${ref} refers to step ${reference.step}, which does not exist.`);
        } else if (!producer.outputs.some((o) => o.Name === reference.output)) {
          const declared = producer.outputs.map((o) => o.Name).join(', ') || 'none';
          add(step.name, field, `${ref}: step ${reference.step} declares no output "${reference.output}" (outputs: ${declared}).`);
        } else if (flow.reachable.has(step.name) && !flow.dominators.get(step.name)?.has(reference.step)) {
          add(step.name, field, `${ref}: step ${reference.step} does not run before this step on every path, so its output may not exist.`);
        } else if (reference.step === step.name) {
          add(step.name, field, `${ref} refers to this step's own output.`);
        }
      }
    }
  }
  for (const [i, output] of doc.outputs.entries()) {
    const [stepName, outputName] = output.split('.', 2);
    const producer = stepName ? steps.get(stepName) : undefined;
    if (!producer || !producer.outputs.some((o) => o.Name === outputName)) {
      add(undefined, `outputs[${i}]`, `Document output "${output}" is not a declared step output (Step.Output).`);
    }
  }
}

/**
 * Permissions AWS documents as required by a call beyond its own action, when the call uses a given input member.
 * The role gets them through the same "# IAM actions:" list, so a document must declare them.
 */
export const COMPANION_ACTIONS: Readonly<Record<string, readonly { readonly member: string; readonly actions: readonly string[]; readonly why: string }[]>> = {
  'elasticache:DeleteReplicationGroup': [
    { member: 'FinalSnapshotIdentifier', actions: ['elasticache:CreateSnapshot'], why: 'a final snapshot needs it, per the DeleteReplicationGroup API reference' },
  ],
  'elasticache:DeleteCacheCluster': [
    { member: 'FinalSnapshotIdentifier', actions: ['elasticache:CreateSnapshot'], why: 'a final snapshot needs it, as for DeleteReplicationGroup' },
  ],
  'secretsmanager:CreateSecret': [
    { member: 'Tags', actions: ['secretsmanager:TagResource'], why: 'CreateSecret with Tags needs it, per the CreateSecret API reference' },
  ],
};

/** An IAM action the document needs: the step that needs it, and why when the step does not call it itself. */
interface ImpliedAction {
  readonly step: string;
  readonly why?: string;
}

function addCompanions(action: string, members: readonly string[], step: string, actions: Map<string, ImpliedAction>): void {
  for (const c of COMPANION_ACTIONS[action] ?? []) {
    if (members.includes(c.member)) for (const a of c.actions) if (!actions.has(a)) actions.set(a, { step, why: c.why });
  }
}

/** aws:executeScript: an inline Python script whose handler exists and whose AWS calls the checks can follow. */
function checkScriptStep(step: Step, add: Add, actions: Map<string, ImpliedAction>): void {
  // The Runtime itself is the JSON schema's to check (python3.x or PowerShell); only Python can be simulated.
  const { Handler: handler, Script: script } = step.inputs;
  if (typeof script !== 'string') {
    add(step.name, 'inputs.Script', 'aws:executeScript steps must carry an inline Script (attachments cannot be checked or simulated).');
    return;
  }
  if (typeof handler !== 'string' || !definesHandler(script, handler)) {
    add(step.name, 'inputs.Handler', `The script must define the handler as "def ${String(handler)}(events, context):" at the top level.`);
  }
  if (script.includes('{{')) add(step.name, 'inputs.Script', 'The script must not contain "{{": Automation would read it as a variable; pass values through InputPayload.');
  const seen = scriptApiCalls(script);
  for (const p of seen.problems) add(step.name, 'inputs.Script', p);
  for (const call of seen.calls) {
    let operation: string;
    try {
      operation = operationModel(call.service, call.method).operation;
    } catch (e) {
      if (!(e instanceof SsmDocumentToolError)) throw e;
      add(step.name, 'inputs.Script', `${call.service}.${call.method}: ${e.message}`);
      continue;
    }
    const action = `${iamPrefixFor(call.service)}:${operation}`;
    if (!actions.get(action) || actions.get(action)?.why) actions.set(action, { step: step.name });
    addCompanions(action, call.keywords, step.name, actions);
  }
}

/** Checks Service/Api/parameters against the SDK; returns the IAM actions the steps imply, with the step that calls each. */
function checkApiSteps(doc: AutomationDocument, add: Add): Map<string, ImpliedAction> {
  const actions = new Map<string, ImpliedAction>();
  for (const step of doc.mainSteps) {
    for (const [i, o] of step.outputs.entries()) {
      if (!o.Selector.startsWith('$')) add(step.name, `outputs[${i}].Selector`, `Selector must be a JSONPath starting with "$"; found "${o.Selector}".`);
    }
    if (step.action === 'aws:executeScript') checkScriptStep(step, add, actions);
    if (!isApiAction(step.action)) continue;
    const { Service: service, Api: api } = step.inputs;
    if (typeof service !== 'string' || !/^[a-z0-9-]+$/.test(service)) {
      add(step.name, 'inputs.Service', `Service must be a literal boto3 service name such as "kinesis"; found ${JSON.stringify(service ?? null)}.`);
      continue;
    }
    if (typeof api !== 'string' || api.includes('{{')) {
      add(step.name, 'inputs.Api', `Api must be a literal operation name; found ${JSON.stringify(api ?? null)}.`);
      continue;
    }
    if (step.action !== 'aws:executeAwsApi') {
      const { PropertySelector: selector, DesiredValues: desired } = step.inputs;
      if (typeof selector !== 'string' || !selector.startsWith('$')) {
        add(step.name, 'inputs.PropertySelector', `PropertySelector must be a JSONPath starting with "$"; found ${JSON.stringify(selector ?? null)}.`);
      }
      if (!Array.isArray(desired) || desired.length === 0) add(step.name, 'inputs.DesiredValues', 'DesiredValues must be a non-empty list.');
    }
    let model;
    try {
      loadClientPackage(service);
    } catch (e) {
      if (!(e instanceof SsmDocumentToolError)) throw e;
      add(step.name, 'inputs.Service', e.message);
      actions.set(`${iamPrefixFor(service)}:${api}`, { step: step.name });
      continue;
    }
    try {
      model = operationModel(service, api);
    } catch (e) {
      if (!(e instanceof SsmDocumentToolError)) throw e;
      add(step.name, 'inputs.Api', e.message);
      // Still count the action so that the IAM check reports only what is really different.
      if (/^[A-Z]/.test(api)) actions.set(`${iamPrefixFor(service)}:${api}`, { step: step.name });
      continue;
    }
    const action = `${iamPrefixFor(service)}:${model.operation}`;
    if (!actions.get(action) || actions.get(action)?.why) actions.set(action, { step: step.name });
    addCompanions(action, Object.keys(apiParameters(step)), step.name, actions);
    checkMembers(step.name, 'inputs', apiParameters(step), model.input, `${model.operation}`, add);
  }
  return actions;
}

const WHOLE_REFERENCE = /^\s*\{\{[^{}]+\}\}\s*$/;

/** Input members against the SDK structure, recursing into literal nested structures and lists. */
function checkMembers(step: string, field: string, value: Record<string, unknown>, shape: Extract<ShapeModel, { kind: 'structure' }>, label: string, add: Add): void {
  const members = [...shape.members.keys()];
  for (const [key, v] of Object.entries(value)) {
    const member = shape.members.get(key);
    if (!member) {
      add(step, `${field}.${key}`, `${label} has no input member "${key}"; its members are ${members.join(', ') || 'none'}.`);
      continue;
    }
    checkValue(step, `${field}.${key}`, v, member(), `${label}.${key}`, add);
  }
  for (const required of shape.required) {
    if (!Object.hasOwn(value, required)) add(step, field, `${label} requires "${required}", which is missing.`);
  }
}

function checkValue(step: string, field: string, value: unknown, shape: ShapeModel, label: string, add: Add): void {
  if (typeof value === 'string' && WHOLE_REFERENCE.test(value)) return; // resolved at run time
  if (shape.kind === 'structure' && isObject(value)) checkMembers(step, field, value, shape, label, add);
  else if (shape.kind === 'list' && Array.isArray(value)) {
    const member = shape.member();
    value.forEach((item, i) => checkValue(step, `${field}[${i}]`, item, member, `${label}[]`, add));
  }
}

function checkIamActions(doc: RemediationDocument, implied: ReadonlyMap<string, ImpliedAction>, add: Add): void {
  const declared = doc.iamActions;
  const field = '# IAM actions';
  const seen = new Set<string>();
  for (const action of declared) {
    if (seen.has(action)) add(undefined, field, `${action} is declared twice.`);
    seen.add(action);
    if (!implied.has(action)) add(undefined, field, `${action} is declared but no step calls it; the role would get more than it needs.`);
  }
  for (const [action, { step, why }] of implied) {
    if (seen.has(action)) continue;
    const needs = why ? `Step needs ${action} (${why})` : `Step calls ${action}`;
    add(step, field, `${needs}, which "# IAM actions:" does not declare; the remediation role would be denied.`);
  }
}
