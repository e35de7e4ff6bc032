import { createRequire } from 'node:module';
import { UnknownOperationError } from './errors';

// The package name comes from the document and the checks are synchronous, so a dynamic import() does not fit.
const load = createRequire(__filename);

/**
 * Operation models from the installed AWS SDK v3 clients.
 *
 * Each `XxxCommand` instance carries `schema`, a smithy StaticOperationSchema `[9, namespace, name, traits, input, output]`.
 * The input is a StaticStructureSchema `[3, namespace, name, traits, memberNames, memberSchemas, requiredCount?]` whose
 * first `requiredCount` members are the required ones (@smithy/types 4.x: "encode required member count in structure
 * schemas"). This is the same model the SDK serialises with, so no second source (botocore) is needed.
 */

/** boto3 service names (what SSM's `Service` takes) whose SDK v3 package name differs. */
const SDK_PACKAGE: Readonly<Record<string, string>> = {
  config: '@aws-sdk/client-config-service',
  secretsmanager: '@aws-sdk/client-secrets-manager',
  logs: '@aws-sdk/client-cloudwatch-logs',
  events: '@aws-sdk/client-eventbridge',
  stepfunctions: '@aws-sdk/client-sfn',
  elbv2: '@aws-sdk/client-elastic-load-balancing-v2',
};

/** boto3 service names whose IAM action prefix differs. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  elbv2: 'elasticloadbalancing',
  stepfunctions: 'states',
  // Amazon OpenSearch Service's IAM prefix is still es.
  opensearch: 'es',
};

export function sdkPackageFor(service: string): string {
  return SDK_PACKAGE[service] ?? `@aws-sdk/client-${service}`;
}

export function iamPrefixFor(service: string): string {
  return IAM_PREFIX[service] ?? service;
}

/** Shape of one input member, as far as the checks look into it. */
export type ShapeModel =
  | { readonly kind: 'structure'; readonly name: string; readonly members: ReadonlyMap<string, () => ShapeModel>; readonly required: readonly string[] }
  | { readonly kind: 'list'; readonly member: () => ShapeModel }
  | { readonly kind: 'other' };

export interface OperationModel {
  /** SSM / boto3 service name, e.g. `kinesis`. */
  readonly service: string;
  readonly packageName: string;
  /** PascalCase operation name, e.g. `DescribeStreamSummary`. */
  readonly operation: string;
  readonly input: Extract<ShapeModel, { kind: 'structure' }>;
}

interface LoadedClient {
  readonly packageName: string;
  readonly module: Record<string, unknown>;
  /** Lower-case name without underscores -> PascalCase operation name. */
  readonly operations: ReadonlyMap<string, string>;
}

const clients = new Map<string, LoadedClient>();

/** Loads `@aws-sdk/client-<service>`; throws UnknownOperationError when it is not installed. */
export function loadClientPackage(service: string): LoadedClient {
  const cached = clients.get(service);
  if (cached) return cached;
  const packageName = sdkPackageFor(service);
  try {
    load.resolve(packageName);
  } catch {
    throw new UnknownOperationError(
      `Service "${service}" needs the AWS SDK v3 client ${packageName}, which is not installed (npm install --save-dev ${packageName}).`,
    );
  }
  const loaded: unknown = load(packageName);
  const mod = loaded as Record<string, unknown>;
  const operations = new Map<string, string>();
  for (const [key, value] of Object.entries(mod)) {
    if (key.endsWith('Command') && typeof value === 'function') {
      const op = key.slice(0, -'Command'.length);
      operations.set(op.toLowerCase(), op);
    }
  }
  const client = { packageName, module: mod, operations };
  clients.set(service, client);
  return client;
}

/**
 * SSM takes the PascalCase operation name and also boto3's snake_case method name: both map to the SDK's name.
 * Any other spelling (camelCase, wrong case) is not an operation.
 */
export function normaliseApiName(api: string, operations: ReadonlyMap<string, string>): string | undefined {
  if (/^[A-Z][A-Za-z0-9]*$/.test(api)) return operations.get(api.toLowerCase()) === api ? api : undefined;
  if (/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(api)) return operations.get(api.replaceAll('_', ''));
  return undefined;
}

/** The operation a misspelt or miscased name most likely meant (edit distance at most 3), for the error message. */
function closest(api: string, operations: ReadonlyMap<string, string>): string | undefined {
  const wanted = api.replaceAll('_', '').toLowerCase();
  let best: { op: string; d: number } | undefined;
  for (const [key, op] of operations) {
    const d = editDistance(wanted, key);
    if (d <= 3 && (!best || d < best.d)) best = { op, d };
  }
  return best?.op;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The command class for an operation; `new Command(input)` is what the simulator sends. */
export function commandClass(service: string, operation: string): new (input: Record<string, unknown>) => { schema?: unknown } {
  const ctor = loadClientPackage(service).module[`${operation}Command`];
  if (typeof ctor !== 'function') throw new UnknownOperationError(`${sdkPackageFor(service)} has no ${operation}Command.`);
  return ctor as new (input: Record<string, unknown>) => { schema?: unknown };
}

/** Resolves `Service`/`Api` to the SDK's operation model; throws UnknownOperationError with a sentence that says why. */
export function operationModel(service: string, api: string): OperationModel {
  const client = loadClientPackage(service);
  const operation = normaliseApiName(api, client.operations);
  if (!operation) {
    const hint = closest(api, client.operations);
    throw new UnknownOperationError(
      `${client.packageName} has no operation "${api}"${hint ? `; did you mean "${hint}"?` : '.'} Use the PascalCase operation name (or boto3's snake_case).`,
    );
  }
  const schema = new (commandClass(service, operation))({}).schema;
  if (!Array.isArray(schema) || schema[0] !== 9) {
    throw new UnknownOperationError(`${client.packageName} ${operation}Command carries no static operation schema; this SDK version is not supported.`);
  }
  const input = shapeOf(schema[4]);
  // Operations without input (smithy Unit) take no members.
  const structure: OperationModel['input'] =
    input.kind === 'structure' ? input : { kind: 'structure', name: `${operation}Input`, members: new Map(), required: [] };
  return { service, packageName: client.packageName, operation, input: structure };
}

/** Reads a smithy static schema reference (number, lazy function, `[ref, traits]` member, or schema tuple). */
function shapeOf(ref: unknown): ShapeModel {
  const value: unknown = typeof ref === 'function' ? (ref as () => unknown)() : ref;
  if (typeof value === 'number') {
    // 64 | n is a list of simple type n; 128 | n a map. Simple types need no member checks.
    return value & 64 ? { kind: 'list', member: () => ({ kind: 'other' }) } : { kind: 'other' };
  }
  if (!Array.isArray(value)) return { kind: 'other' };
  if (value.length === 2) return shapeOf(value[0]); // member schema with traits
  const id: unknown = value[0];
  if (id === 3 || id === -3 || id === 4) {
    const names = Array.isArray(value[4]) ? (value[4] as unknown[]).filter((n): n is string => typeof n === 'string') : [];
    const refs: unknown[] = Array.isArray(value[5]) ? (value[5] as unknown[]) : [];
    const requiredCount = id === 3 && typeof value[6] === 'number' ? value[6] : 0;
    return {
      kind: 'structure',
      name: typeof value[2] === 'string' ? value[2] : '?',
      members: new Map(names.map((n, i) => [n, () => shapeOf(refs[i])])),
      required: names.slice(0, requiredCount),
    };
  }
  if (id === 1) return { kind: 'list', member: () => shapeOf(value[4]) };
  if (id === 0) return shapeOf(value[4]);
  return { kind: 'other' };
}
