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

/**
 * Where `safeguards deploy` puts the pack of a single-account stack (it outgrew a 51,200-byte TemplateBody): the
 * stack names it by this S3 URI in every single-account template test.
 */
export const SINGLE_PACK_URI = 's3://hipaa-safeguards-artifacts-123456789012/prod/conformance-packs/hipaa-safeguards.yaml';

export const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
};

const NO_VALUE = Symbol('AWS::NoValue');

export interface ResolveIntrinsicsOptions {
  /** Pseudo parameter values (default PSEUDO). */
  readonly pseudo?: Readonly<Record<string, string>>;
  /** Condition values given outright; otherwise the template's Conditions are evaluated. */
  readonly conditions?: Readonly<Record<string, boolean>>;
  /** Fn::GetAtt and `${Id.Attr}` in Fn::Sub; default a placeholder ARN of the logical ID. */
  readonly getAtt?: (logicalId: string, attribute: string) => string;
  /** Names the caller in error messages. */
  readonly name?: string;
}

/**
 * The one test-side resolver of CloudFormation intrinsics, for generated templates and their policies: Ref (pseudo
 * parameters, `parameters`, then Defaults), Fn::If, Fn::Not, Fn::Equals, Fn::Join, Fn::Sub (string and list form),
 * Fn::GetAtt, Fn::Select, dropping AWS::NoValue, the way CloudFormation would for the given values. Throws on
 * anything else, so a new intrinsic in a template is a visible test change. (The production resolver,
 * scripts/lib/template/resolve.ts, answers a different question: what is unknown before deployment, as markers.)
 */
export function resolveIntrinsics(
  template: Pick<Template, 'Parameters' | 'Conditions'>,
  value: unknown,
  parameters: Readonly<Record<string, string>>,
  options: ResolveIntrinsicsOptions = {},
): unknown {
  const name = options.name ?? 'resolveIntrinsics';
  const pseudo = options.pseudo ?? PSEUDO;
  const conditions = template.Conditions ?? {};
  const getAtt = options.getAtt ?? ((id: string, attr: string) => `arn:aws:test:${pseudo['AWS::Region'] ?? 'us-east-1'}:${pseudo['AWS::AccountId'] ?? '123456789012'}:${id}/${attr}`);
  const ref = (ref: string): string | typeof NO_VALUE => {
    if (ref === 'AWS::NoValue') return NO_VALUE;
    const given = pseudo[ref] ?? parameters[ref] ?? template.Parameters?.[ref]?.Default;
    if (given === undefined) throw new Error(`${name}: Ref ${ref} has no value and no default; pass it in parameters.`);
    return given;
  };
  const condition = (c: string): boolean => {
    const given = options.conditions?.[c];
    if (given !== undefined) return given;
    if (!Object.hasOwn(conditions, c)) throw new Error(`${name}: condition ${c} has no value; pass it in conditions.`);
    return walk(conditions[c]) === true;
  };
  const sub = (text: string, vars: Readonly<Record<string, unknown>>): string =>
    text.replace(/\$\{(!?)([^}]+)\}/g, (_m, bang: string, v: string) => {
      if (bang) return `\${${v}}`;
      if (Object.hasOwn(vars, v)) return String(vars[v]);
      if (v.includes('.')) {
        const [id = '', attr = ''] = v.split('.');
        return getAtt(id, attr);
      }
      const r = ref(v);
      if (r === NO_VALUE) throw new Error(`${name}: Fn::Sub cannot use ${v}.`);
      return r;
    });
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
          return (walk(args[1]) as unknown[]).map(String).join(String(args[0]));
        case 'Fn::Select':
          return (walk(args[1]) as unknown[])[Number(walk(args[0]))];
        case 'Fn::GetAtt': {
          const [id, attr] = typeof arg === 'string' ? arg.split('.') : (args as string[]);
          return getAtt(String(id), String(attr));
        }
        case 'Fn::Sub':
          return typeof arg === 'string' ? sub(arg, {}) : sub(String(args[0]), walk(args[1] ?? {}) as Record<string, unknown>);
        default:
          throw new Error(`${name} does not handle ${key}.`);
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
