import { z } from 'zod';
import { DocumentShapeError } from './errors';

/**
 * The subset of an SSM Automation document (schemaVersion 0.3) that the checks and the simulator read.
 * The JSON schema (validate.ts) checks the rest; this parser only turns YAML into typed data.
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html
 */

const DataType = z.enum(['String', 'StringList', 'Boolean', 'Integer', 'MapList', 'StringMap']);
export type DataType = z.infer<typeof DataType>;

// SSM accepts `true` and `'true'` for its boolean step options.
const flag = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .optional()
    .transform((v) => v ?? fallback);

const OutputSchema = z.object({ Name: z.string().min(1), Selector: z.string().min(1), Type: DataType });
export type StepOutput = z.infer<typeof OutputSchema>;

const StepSchema = z.looseObject({
  name: z.string().min(1),
  action: z.string().min(1),
  description: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional().transform((v) => v ?? {}),
  outputs: z.array(OutputSchema).optional().transform((v) => v ?? []),
  nextStep: z.string().optional(),
  isEnd: flag(false),
  // Defaults to false when onFailure is Continue, true otherwise (automation-actions.md): see isCritical().
  isCritical: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
  onFailure: z.string().optional().transform((v) => v ?? 'Abort'),
  onCancel: z.string().optional(),
  maxAttempts: z.number().int().min(1).optional().transform((v) => v ?? 1),
  timeoutSeconds: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
});
export type Step = z.infer<typeof StepSchema>;

export function isCritical(step: Step): boolean {
  return step.isCritical ?? step.onFailure.trim() !== 'Continue';
}

const ParameterSchema = z.looseObject({
  type: DataType,
  description: z.string().optional(),
  default: z.unknown().optional(),
  allowedPattern: z.string().optional(),
  allowedValues: z.array(z.unknown()).optional(),
});
export type ParameterDeclaration = z.infer<typeof ParameterSchema>;

const AutomationDocumentSchema = z.looseObject({
  schemaVersion: z.literal('0.3'),
  description: z.string().optional(),
  assumeRole: z.string().optional(),
  // z.record keeps YAML key order: the first parameter is checked to be AutomationAssumeRole.
  parameters: z.record(z.string(), ParameterSchema).optional().transform((v) => v ?? {}),
  mainSteps: z.array(StepSchema).min(1),
  outputs: z.array(z.string()).optional().transform((v) => v ?? []),
});
export type AutomationDocument = z.infer<typeof AutomationDocumentSchema>;

/** Parses YAML-loaded content; throws DocumentShapeError naming every field it cannot read. */
export function parseAutomationDocument(content: unknown, name: string): AutomationDocument {
  const parsed = AutomationDocumentSchema.safeParse(content);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${describePath(content, i.path)}: ${i.message}`);
  throw new DocumentShapeError(`Document ${name} cannot be read: ${issues.join('; ')}.`);
}

/** `mainSteps.3.inputs` becomes `step WaitForStreamActive, inputs` when the step has a name. */
export function describePath(content: unknown, path: readonly PropertyKey[]): string {
  if (path[0] === 'mainSteps' && typeof path[1] === 'number') {
    const steps = (content as { mainSteps?: unknown }).mainSteps;
    const step: unknown = Array.isArray(steps) ? steps[path[1]] : undefined;
    const stepName = step && typeof step === 'object' && 'name' in step && typeof step.name === 'string' ? step.name : `#${path[1] + 1}`;
    const rest = path.slice(2).map(String).join('.');
    return `step ${stepName}${rest ? `, ${rest}` : ''}`;
  }
  return path.length ? path.map(String).join('.') : '(document)';
}

// ---------------------------------------------------------------- references

/** What a `{{ ... }}` names. */
export type Reference =
  | { readonly kind: 'parameter'; readonly name: string }
  | { readonly kind: 'output'; readonly step: string; readonly output: string }
  | { readonly kind: 'system'; readonly name: string };

/** System variables Automation substitutes itself (automation-variables.md). */
export const SYSTEM_VARIABLES = [
  'global:ACCOUNT_ID',
  'global:DATE',
  'global:DATE_TIME',
  'global:AWS_PARTITION',
  'global:REGION',
  'automation:EXECUTION_ID',
] as const;

export const REFERENCE = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function parseReference(expression: string): Reference {
  if (expression.includes(':')) return { kind: 'system', name: expression };
  const dot = expression.indexOf('.');
  if (dot < 0) return { kind: 'parameter', name: expression };
  return { kind: 'output', step: expression.slice(0, dot), output: expression.slice(dot + 1) };
}

export interface FoundReference {
  readonly expression: string;
  readonly reference: Reference;
  /** Where in the value it was found, e.g. `inputs.StreamName`. */
  readonly field: string;
}

/** Every `{{ }}` in a value, walking objects and arrays. */
export function referencesIn(value: unknown, field: string): FoundReference[] {
  if (typeof value === 'string') {
    return [...value.matchAll(REFERENCE)].map((m) => {
      const expression = m[1] ?? '';
      return { expression, reference: parseReference(expression), field };
    });
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => referencesIn(v, `${field}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => referencesIn(v, field ? `${field}.${k}` : k));
  return [];
}

// ---------------------------------------------------------------- aws:branch

export const STRING_OPERATORS = ['StringEquals', 'EqualsIgnoreCase', 'StartsWith', 'EndsWith', 'Contains'] as const;
export const NUMERIC_OPERATORS = [
  'NumericEquals',
  'NumericGreater',
  'NumericLesser',
  'NumericGreaterOrEquals',
  'NumericLesserOrEquals',
] as const;
export const OPERATORS = [...STRING_OPERATORS, ...NUMERIC_OPERATORS, 'BooleanEquals'] as const;
export type Operator = (typeof OPERATORS)[number];

export type Condition =
  | { readonly kind: 'compare'; readonly variable: string; readonly operator: Operator; readonly value: unknown }
  | { readonly kind: 'and'; readonly items: readonly Condition[] }
  | { readonly kind: 'or'; readonly items: readonly Condition[] }
  | { readonly kind: 'not'; readonly item: Condition };

export interface Choice {
  readonly nextStep: string;
  readonly condition: Condition;
}

export interface BranchInputs {
  readonly choices: readonly Choice[];
  readonly defaultStep?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseCondition(raw: unknown, where: string): Condition {
  if (!isRecord(raw)) throw new DocumentShapeError(`${where} must be an object with Variable and one operator, or And/Or/Not.`);
  const composite = (['And', 'Or', 'Not'] as const).filter((k) => k in raw);
  const operators = OPERATORS.filter((k) => k in raw);
  if (composite.length + operators.length !== 1) {
    throw new DocumentShapeError(
      `${where} must have exactly one of And, Or, Not, ${OPERATORS.join(', ')}; found ${[...composite, ...operators].join(', ') || 'none'}.`,
    );
  }
  const [op] = composite;
  if (op === 'Not') return { kind: 'not', item: parseCondition(raw.Not, `${where}.Not`) };
  if (op === 'And' || op === 'Or') {
    const items = raw[op];
    if (!Array.isArray(items) || items.length < 1) throw new DocumentShapeError(`${where}.${op} must be a non-empty list of conditions.`);
    const parsedItems = items.map((c, i) => parseCondition(c, `${where}.${op}[${i}]`));
    return op === 'And' ? { kind: 'and', items: parsedItems } : { kind: 'or', items: parsedItems };
  }
  const operator = operators[0] as Operator;
  if (typeof raw.Variable !== 'string') throw new DocumentShapeError(`${where}.Variable must be a "{{ parameter }}" or "{{ Step.Output }}" string.`);
  return { kind: 'compare', variable: raw.Variable, operator, value: raw[operator] };
}

/** Reads `Choices` and `Default`; throws DocumentShapeError on a malformed choice. */
export function parseBranchInputs(inputs: Record<string, unknown>, step: string): BranchInputs {
  const choices = inputs.Choices;
  if (!Array.isArray(choices) || choices.length === 0) throw new DocumentShapeError(`Step ${step}: inputs.Choices must be a non-empty list.`);
  const parsed = choices.map((raw, i): Choice => {
    const where = `Step ${step}: inputs.Choices[${i}]`;
    if (!isRecord(raw) || typeof raw.NextStep !== 'string') throw new DocumentShapeError(`${where}.NextStep must name a step.`);
    const { NextStep, ...condition } = raw;
    return { nextStep: NextStep, condition: parseCondition(condition, where) };
  });
  const defaultStep = inputs.Default;
  if (defaultStep !== undefined && typeof defaultStep !== 'string') throw new DocumentShapeError(`Step ${step}: inputs.Default must name a step.`);
  return { choices: parsed, ...(defaultStep !== undefined ? { defaultStep } : {}) };
}

/** Step names that `onFailure` / `onCancel` jump to (`step:Name`), if any. */
export function jumpTarget(option: string | undefined): string | undefined {
  const m = option ? /^step:(.+)$/.exec(option.trim()) : null;
  return m?.[1];
}

/** The API-calling actions; their inputs other than these keys are the API's parameters. */
export const API_ACTIONS = {
  'aws:executeAwsApi': ['Service', 'Api'],
  'aws:waitForAwsResourceProperty': ['Service', 'Api', 'PropertySelector', 'DesiredValues'],
  'aws:assertAwsResourceProperty': ['Service', 'Api', 'PropertySelector', 'DesiredValues'],
} as const satisfies Record<string, readonly string[]>;
export type ApiAction = keyof typeof API_ACTIONS;

export function isApiAction(action: string): action is ApiAction {
  return Object.hasOwn(API_ACTIONS, action);
}

/** Splits an API step's inputs into the control keys and the API parameters. */
export function apiParameters(step: Step): Record<string, unknown> {
  if (!isApiAction(step.action)) return {};
  const control: readonly string[] = API_ACTIONS[step.action];
  return Object.fromEntries(Object.entries(step.inputs).filter(([k]) => !control.includes(k)));
}
