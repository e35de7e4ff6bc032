import { InvalidParameterError } from './errors';

/**
 * A rule parameter: its type, default and meaning. Config delivers every value as a string
 * (`ruleParameters` is a JSON object of strings), so each spec also says how to read one.
 */
export type ParameterSpec =
  | { readonly type: 'boolean'; readonly default: boolean; readonly description: string }
  | { readonly type: 'integer'; readonly default: number; readonly min: number; readonly max: number; readonly description: string }
  | { readonly type: 'string'; readonly default: string; readonly pattern?: RegExp; readonly description: string }
  | { readonly type: 'stringList'; readonly default: readonly string[]; readonly itemPattern?: RegExp; readonly description: string };

export type ParameterSchema = Readonly<Record<string, ParameterSpec>>;

type ValueOf<P extends ParameterSpec> = P extends { type: 'boolean' }
  ? boolean
  : P extends { type: 'integer' }
    ? number
    : P extends { type: 'string' }
      ? string
      : readonly string[];

export type ParameterValues<S extends ParameterSchema> = { readonly [K in keyof S]: ValueOf<S[K]> };

const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const KMS_KEY_ARN = /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;

/** Parameters every safeguard takes; the runtime, not the rule, acts on them. */
export const commonParameters = {
  exemptResourceIds: {
    type: 'stringList',
    default: [],
    description: 'Comma-separated resource IDs reported NOT_APPLICABLE (exemptions for resources you cannot tag).',
  },
  importSecurityHubFindings: {
    type: 'boolean',
    default: false,
    description: 'true: also import each verdict into Security Hub as an ASFF finding citing HIPAA.',
  },
  executionRoleName: {
    type: 'string',
    default: '',
    pattern: IAM_ROLE_NAME,
    description: 'Organization mode: role name the rule assumes in the evaluated account. Empty: the Lambda role.',
  },
} as const satisfies ParameterSchema;

export type CommonParameters = ParameterValues<typeof commonParameters>;

/** Shared spec for rules that pin encryption to listed KMS keys. */
export const allowedKmsKeyArnsParameter = {
  type: 'stringList',
  default: [],
  itemPattern: KMS_KEY_ARN,
  description: 'Comma-separated KMS key ARNs allowed for encryption. Empty: any key.',
} as const satisfies ParameterSpec;

export const requireCustomerManagedKeyParameter = {
  type: 'boolean',
  default: false,
  description: 'true: the KMS key must be a customer managed key (KeyManager CUSTOMER) in state Enabled.',
} as const satisfies ParameterSpec;

function expectation(spec: ParameterSpec): string {
  switch (spec.type) {
    case 'boolean':
      return '"true" or "false"';
    case 'integer':
      return `an integer from ${spec.min} to ${spec.max}`;
    case 'string':
      return spec.pattern ? `a string matching ${spec.pattern.source}` : 'a string';
    case 'stringList':
      return spec.itemPattern
        ? `a comma-separated list of values matching ${spec.itemPattern.source}`
        : 'a comma-separated list';
  }
}

function coerce(name: string, spec: ParameterSpec, raw: unknown): unknown {
  const fail = (): never => {
    throw new InvalidParameterError(
      name,
      `Rule parameter ${name} is ${JSON.stringify(raw)}. Expected ${expectation(spec)}.`,
    );
  };
  // Conformance packs cannot leave a parameter out, so an empty value means "use the default".
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return spec.default;
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw !== 'string') return fail();
      const v = raw.trim().toLowerCase();
      return v === 'true' ? true : v === 'false' ? false : fail();
    }
    case 'integer': {
      const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : fail();
      if (!/^-?\d+$/.test(text)) return fail();
      const n = Number(text);
      return n >= spec.min && n <= spec.max ? n : fail();
    }
    case 'string': {
      if (typeof raw !== 'string') return fail();
      const v = raw.trim();
      return spec.pattern && !spec.pattern.test(v) ? fail() : v;
    }
    case 'stringList': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : fail();
      const list = items.map((i) => (typeof i === 'string' ? i.trim() : fail())).filter((i) => i !== '');
      if (spec.itemPattern) {
        const bad = list.find((i) => !spec.itemPattern?.test(i));
        if (bad !== undefined) {
          throw new InvalidParameterError(
            name,
            `Rule parameter ${name} contains ${JSON.stringify(bad)}. Expected ${expectation(spec)}.`,
          );
        }
      }
      return Object.freeze([...new Set(list)]);
    }
  }
}

/**
 * Reads rule parameters (an object of strings, as Config sends them) against a schema, filling in defaults.
 * Unknown names are rejected: a misspelt `requireCustomerManagedKey` must not silently weaken a check.
 * @example parseParameters({ strict: requireCustomerManagedKeyParameter }, { strict: 'TRUE' }) // { strict: true }
 */
export function parseParameters<S extends ParameterSchema>(schema: S, raw: unknown): ParameterValues<S> {
  const input = raw ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidParameterError('ruleParameters', 'Rule parameters must be a JSON object of name/value pairs.');
  }
  const entries = input as Record<string, unknown>;
  const unknown = Object.keys(entries).filter((k) => !Object.hasOwn(schema, k));
  if (unknown.length > 0) {
    throw new InvalidParameterError(
      unknown[0] ?? '',
      `Unknown rule parameter ${unknown.map((u) => JSON.stringify(u)).join(', ')}. Expected one of: ${Object.keys(schema).join(', ')}.`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) out[name] = coerce(name, spec, entries[name]);
  return out as ParameterValues<S>;
}

/** The value a conformance pack or CLI shows as a parameter's default. */
export function defaultAsString(spec: ParameterSpec): string {
  return Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
}
