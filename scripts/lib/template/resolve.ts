/**
 * Resolves a template's intrinsic functions, parameters and conditions into the plain properties the adapters read,
 * as CloudFormation would at deployment. What cannot be known before deployment becomes a readable marker
 * (rules/prevention/markers.ts): a resource of the template (`«!Ref Key»`), the account (`«AWS::AccountId»`), another
 * stack (`«!ImportValue x»`), a parameter without a Default (`«parameter Engine (no Default)»`). A parameter without a
 * Default that has AllowedValues is instead judged for every allowed value (see `variantsOf`).
 */
import { isDeepStrictEqual } from 'node:util';
import { marker, refMarker } from '../../../rules/prevention/markers';

const NO_VALUE = Symbol('AWS::NoValue');

interface ParameterSpec {
  readonly Type?: unknown;
  readonly Default?: unknown;
  readonly AllowedValues?: unknown;
}

export interface ResolveOptions {
  /** Known region (--region): AWS::Region, AWS::Partition and AWS::URLSuffix resolve from it. */
  readonly region?: string;
}

/** One assignment of the parameters that have no Default: `{ Engine: 'valkey' }`. */
export type Assignment = Readonly<Record<string, string>>;

const partitionOf = (region: string) => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

export class TemplateResolver {
  private readonly parameters: Readonly<Record<string, ParameterSpec>>;
  private readonly conditions: Readonly<Record<string, unknown>>;
  private readonly mappings: Readonly<Record<string, unknown>>;
  readonly resources: Readonly<Record<string, { Type?: unknown; Properties?: unknown; Condition?: unknown }>>;
  /** Parameters without a Default that the last resolution read. */
  private used = new Set<string>();
  private conditionCache = new Map<string, boolean | undefined>();

  constructor(
    template: Readonly<Record<string, unknown>>,
    private readonly options: ResolveOptions = {},
    private assignment: Assignment = {},
  ) {
    this.parameters = (template.Parameters ?? {}) as Record<string, ParameterSpec>;
    this.conditions = (template.Conditions ?? {}) as Record<string, unknown>;
    this.mappings = (template.Mappings ?? {}) as Record<string, unknown>;
    this.resources = (template.Resources ?? {}) as TemplateResolver['resources'];
  }

  /** Resolves with another assignment of the parameters without a Default. */
  withAssignment(assignment: Assignment): TemplateResolver {
    return new TemplateResolver({ Parameters: this.parameters, Conditions: this.conditions, Mappings: this.mappings, Resources: this.resources }, this.options, assignment);
  }

  /** Parameters without a Default that resolving `logicalId` reads (its Condition, its properties). */
  unknownParametersOf(logicalId: string): string[] {
    this.used = new Set();
    this.conditionCache = new Map();
    this.isCreated(logicalId);
    this.properties(logicalId);
    return [...this.used];
  }

  /** The parameter's AllowedValues, when it has some. */
  allowedValues(name: string): string[] | undefined {
    const allowed = this.parameters[name]?.AllowedValues;
    return Array.isArray(allowed) ? allowed.map(String) : undefined;
  }

  /** true/false when the resource's Condition is known; undefined when it depends on an unknown value. */
  isCreated(logicalId: string): boolean | undefined {
    const name = this.resources[logicalId]?.Condition;
    return typeof name === 'string' ? this.condition(name) : true;
  }

  /** The resource's properties with every intrinsic function resolved. */
  properties(logicalId: string): Record<string, unknown> {
    const v = this.value(this.resources[logicalId]?.Properties ?? {});
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  }

  private condition(name: string, depth = 0): boolean | undefined {
    if (this.conditionCache.has(name)) return this.conditionCache.get(name);
    const result = depth > 20 ? undefined : this.truth(this.conditions[name], depth + 1);
    this.conditionCache.set(name, result);
    return result;
  }

  private truth(expr: unknown, depth: number): boolean | undefined {
    if (typeof expr === 'boolean') return expr;
    if (expr === null || typeof expr !== 'object') return undefined;
    const [fn, arg] = Object.entries(expr)[0] ?? [];
    const args = Array.isArray(arg) ? arg : [arg];
    switch (fn) {
      case 'Condition':
        return typeof arg === 'string' ? this.condition(arg, depth) : undefined;
      case 'Fn::Equals': {
        const [a, b] = args.map((x) => this.value(x));
        if (containsMarker(a) || containsMarker(b)) return undefined;
        return isDeepStrictEqual(normalize(a), normalize(b));
      }
      case 'Fn::Not': {
        const v = this.truth(args[0], depth);
        return v === undefined ? undefined : !v;
      }
      case 'Fn::And': {
        const vs = args.map((x) => this.truth(x, depth));
        return vs.includes(false) ? false : vs.includes(undefined) ? undefined : true;
      }
      case 'Fn::Or': {
        const vs = args.map((x) => this.truth(x, depth));
        return vs.includes(true) ? true : vs.includes(undefined) ? undefined : false;
      }
      default:
        return undefined;
    }
  }

  private ref(name: string): unknown {
    const param = this.parameters[name];
    if (param) {
      let raw: unknown;
      if (Object.hasOwn(this.assignment, name)) raw = this.assignment[name];
      else if (param.Default !== undefined) raw = param.Default;
      else {
        this.used.add(name);
        return marker(`parameter ${name} (no Default)`);
      }
      const type = String(param.Type ?? 'String');
      // List parameters are comma-delimited strings that Ref turns into lists.
      if (type === 'CommaDelimitedList' || type.startsWith('List<')) return String(raw).split(',').map((s) => s.trim());
      return typeof raw === 'string' ? raw : String(raw);
    }
    const region = this.options.region;
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Region':
        return region ?? marker(name);
      case 'AWS::Partition':
        return region ? partitionOf(region) : marker(name);
      case 'AWS::URLSuffix':
        return region ? (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com') : marker(name);
      default:
        if (name.startsWith('AWS::')) return marker(name);
        return Object.hasOwn(this.resources, name) ? refMarker(name) : marker(`!Ref ${name} (not declared)`);
    }
  }

  private sub(text: unknown, vars: Record<string, unknown>): unknown {
    if (typeof text !== 'string') return marker('!Sub with a non-string template');
    return text.replace(/\$\{([^}]*)\}/g, (_whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      let v: unknown;
      if (Object.hasOwn(vars, name)) v = vars[name];
      else if (name.includes('.') && !name.startsWith('AWS::')) {
        const dot = name.indexOf('.');
        v = refMarker(name.slice(0, dot), name.slice(dot + 1));
      } else v = this.ref(name);
      return Array.isArray(v) ? v.join(',') : v === NO_VALUE ? '' : String(v);
    });
  }

  /** Resolves one value; AWS::NoValue removes the property or list item that holds it. */
  value(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.value(x)).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v);
    const [fn, arg] = entries[0] ?? [];
    if (entries.length === 1 && fn !== undefined && (fn === 'Ref' || fn.startsWith('Fn::') || fn === 'Condition')) return this.intrinsic(fn, arg);
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries) {
      const r = this.value(x);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private intrinsic(fn: string, arg: unknown): unknown {
    const args = Array.isArray(arg) ? arg : [arg];
    switch (fn) {
      case 'Ref':
        return typeof arg === 'string' ? this.ref(arg) : marker('!Ref of a non-string');
      case 'Condition':
        // Only meaningful inside conditions; as a value it is the condition's truth.
        return typeof arg === 'string' ? (this.condition(arg) ?? marker(`condition ${arg}`)) : marker('!Condition');
      case 'Fn::GetAtt': {
        const [id, attr] = args.map((x) => this.value(x));
        return refMarker(String(id), String(attr ?? ''));
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return this.sub(arg, {});
        const [text, vars] = args;
        const resolved = (this.value(vars ?? {}) ?? {}) as Record<string, unknown>;
        return this.sub(this.value(text), resolved);
      }
      case 'Fn::If': {
        const [name, yes, no] = args;
        const c = typeof name === 'string' ? this.condition(name) : undefined;
        if (c === undefined) return marker(`condition ${String(name)}`);
        return this.value(c ? yes : no);
      }
      case 'Fn::Join': {
        const [delimiter, list] = [this.value(args[0]), this.value(args[1])];
        if (!Array.isArray(list)) return containsMarker(list) ? list : marker('!Join of a non-list');
        return list.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(String(delimiter ?? ''));
      }
      case 'Fn::Select': {
        const [index, list] = [this.value(args[0]), this.value(args[1])];
        if (!Array.isArray(list) || containsMarker(index)) return marker('!Select of a list unknown before deployment');
        return list[Number(index)] ?? marker(`!Select index ${String(index)} out of range`);
      }
      case 'Fn::Split': {
        const [delimiter, text] = [this.value(args[0]), this.value(args[1])];
        return typeof text === 'string' ? text.split(String(delimiter)) : marker('!Split of a non-string');
      }
      case 'Fn::FindInMap': {
        const [map, top, second, options] = args.map((x) => this.value(x));
        if ([map, top, second].some(containsMarker)) return marker(`!FindInMap ${[map, top, second].map(String).join('.')}`);
        const found = ((this.mappings[String(map)] as Record<string, Record<string, unknown>> | undefined)?.[String(top)] ?? {})[String(second)];
        if (found !== undefined) return found;
        const fallback = (options as { DefaultValue?: unknown } | undefined)?.DefaultValue;
        return fallback ?? marker(`!FindInMap ${String(map)}.${String(top)}.${String(second)} (not in Mappings)`);
      }
      case 'Fn::Base64': {
        const text = this.value(args[0]);
        return typeof text === 'string' && !containsMarker(text) ? Buffer.from(text).toString('base64') : text;
      }
      case 'Fn::ImportValue':
        return marker(`!ImportValue ${String(this.value(args[0]))}`);
      case 'Fn::Equals':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Fn::Not': {
        const t = this.truth({ [fn]: arg }, 0);
        return t ?? marker(`${fn} unknown before deployment`);
      }
      default:
        // Fn::GetAZs, Fn::Cidr, Fn::Transform, Fn::ToJsonString, Fn::Length: only known at deployment.
        return marker(`${fn.replace('Fn::', '!')}`);
    }
  }
}

function containsMarker(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('«');
  if (Array.isArray(v)) return v.some(containsMarker);
  if (v !== null && typeof v === 'object') return Object.values(v).some(containsMarker);
  return false;
}

// Fn::Equals compares the values CloudFormation sees: strings (a YAML `true` or `1` is the string "true", "1").
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
}

/** Most combinations of allowed values judged for one resource; above it the parameters stay unknown. */
export const MAX_VARIANTS = 64;

/**
 * The assignments a resource is judged under: one (`{}`) when it reads no parameter without a Default; every
 * combination of AllowedValues of the ones it reads when they all have AllowedValues (up to MAX_VARIANTS); otherwise
 * one, in which those parameters stay unknown markers (UNKNOWN).
 */
export function variantsOf(resolver: TemplateResolver, logicalId: string): Assignment[] {
  const unknown = resolver.unknownParametersOf(logicalId);
  const allowed = unknown.map((name) => ({ name, values: resolver.allowedValues(name) }));
  if (allowed.length === 0 || allowed.some((a) => !a.values?.length)) return [{}];
  let combos: Record<string, string>[] = [{}];
  for (const { name, values } of allowed) combos = combos.flatMap((c) => (values ?? []).map((v) => ({ ...c, [name]: v })));
  return combos.length <= MAX_VARIANTS ? combos : [{}];
}
