// Helpers for the template tests: cfn-lint, the CloudFormation registry schemas, and a small intrinsic resolver.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';

export const REFERENCE_DIR = join(__dirname, '..', '..', '..', 'shared', 'reference');
const SCHEMAS_DIR = join(REFERENCE_DIR, 'B-cfn-resource-schemas');

export interface LintMatch {
  readonly rule: string;
  readonly level: string;
  readonly message: string;
  readonly path: readonly (string | number)[];
}

/**
 * Informational checks not worth acting on, with the reason. I1022 (prefer Fn::Sub over Fn::Join): serverless reads
 * every `${...}` in what it deploys as its own variable, so the templates it processes, and the pack it embeds,
 * join instead; the spoke, which serverless never sees, uses Fn::Sub.
 */
export const IGNORED_INFORMATIONAL = ['I1022'] as const;

/**
 * Runs cfn-lint on a template file, informational checks included (I3011 found the log groups that were not
 * retained); every match it reports but IGNORED_INFORMATIONAL.
 */
export function cfnLint(file: string): LintMatch[] {
  const run = spawnSync('cfn-lint', ['--format', 'json', '--include-checks', 'I', '--', file], { encoding: 'utf8' });
  if (run.error) throw new Error(`cfn-lint could not start: ${run.error.message}`);
  // Exit codes 2, 4, 8 flag errors, warnings, informational matches; anything else with no JSON is a crash.
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout || '[]');
  } catch {
    throw new Error(`cfn-lint exited ${run.status} without JSON output: ${run.stderr}`);
  }
  if (!Array.isArray(parsed)) throw new Error('cfn-lint --format json did not print a list.');
  return parsed
    .map((m: { Rule?: { Id?: string }; Level?: string; Message?: string; Location?: { Path?: (string | number)[] } }) => ({
      rule: m.Rule?.Id ?? '?',
      level: m.Level ?? '?',
      message: m.Message ?? '',
      path: m.Location?.Path ?? [],
    }))
    .filter((m) => !(IGNORED_INFORMATIONAL as readonly string[]).includes(m.rule));
}

export function describeMatches(matches: readonly LintMatch[]): string {
  return matches.map((m) => `${m.rule} ${m.path.join('/')}: ${m.message}`).join('\n');
}

const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
const validators = new Map<string, ValidateFunction>();

/**
 * A validator for one resource type's Properties, from its CloudFormation registry schema
 * (`aws-config-configrule.json` for AWS::Config::ConfigRule). Registry keywords ajv does not know
 * (insertionOrder, relationshipRef, handlers...) are ignored: `strict: false`.
 */
export function propertiesValidator(resourceType: string): ValidateFunction {
  const file = `${resourceType.toLowerCase().split('::').slice(1).join('-')}.json`;
  let validate = validators.get(file);
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, `aws-${file}`), 'utf8')) as Record<string, unknown>;
    // The registry schema describes the Properties object; its own $schema/$id would only confuse ajv.
    const { $schema: _s, $id: _i, ...rest } = schema;
    validate = ajv.compile(rest);
    validators.set(file, validate);
  }
  return validate;
}

export type Template = {
  Parameters?: Record<string, { Default?: string; Description?: string; Type?: string }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[] }>;
};

export const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
};

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves Ref, Fn::If, Fn::Not, Fn::Equals, Fn::Join, Fn::Sub (string form) and Fn::GetAtt (to a placeholder ARN) the way CloudFormation
 * would for the given parameter values, dropping AWS::NoValue. Enough for this project's templates; throws on others.
 */
export function resolveIntrinsics(template: Template, value: unknown, parameters: Readonly<Record<string, string>>): unknown {
  const conditions = template.Conditions ?? {};
  const ref = (name: string): string | typeof NO_VALUE => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const pseudo = PSEUDO[name];
    if (pseudo !== undefined) return pseudo;
    const given = parameters[name] ?? template.Parameters?.[name]?.Default;
    if (given === undefined) throw new Error(`Parameter ${name} has no value and no default.`);
    return given;
  };
  const condition = (name: string): boolean => {
    if (!Object.hasOwn(conditions, name)) throw new Error(`Unknown condition ${name}.`);
    return walk(conditions[name]) === true;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      const args = Array.isArray(arg) ? (arg as unknown[]) : [arg];
      switch (key) {
        case 'Ref':
          return ref(String(arg));
        case 'Fn::If':
          return walk(condition(String(args[0])) ? args[1] : args[2]);
        case 'Fn::Not':
          return !(walk(args[0]) as boolean);
        case 'Fn::Equals':
          return walk(args[0]) === walk(args[1]);
        case 'Fn::Join':
          return (walk(args[1]) as unknown[]).join(String(args[0]));
        case 'Fn::GetAtt':
          return `arn:aws:test:us-east-1:123456789012:${String(args[0])}/${String(args[1])}`;
        case 'Fn::Sub': {
          // The string form only: `${Name}` is a parameter or pseudo parameter, `${!Literal}` stays `${Literal}`.
          if (typeof arg !== 'string') throw new Error('resolveIntrinsics handles the string form of Fn::Sub only.');
          return arg.replace(/\$\{(!?)([^}]+)\}/g, (_m, bang: string, name: string) => {
            if (bang) return `\${${name}}`;
            const v = ref(name);
            if (v === NO_VALUE) throw new Error(`Fn::Sub cannot use ${name}.`);
            return v;
          });
        }
        default:
          throw new Error(`resolveIntrinsics does not handle ${key}.`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, child] of entries) {
      const resolved = walk(child);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  };
  return walk(value);
}
