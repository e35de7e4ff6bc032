/**
 * Reads CloudFormation templates as CloudFormation does: YAML with the short intrinsic forms (`!Ref`, `!GetAtt`,
 * `!Sub`, ...) or JSON, which covers CDK output (`cdk.out/*.template.json`), SAM templates and Serverless Framework
 * packages (`.serverless/cloudformation-template-update-stack.json`). Keeps the line of every resource.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isTerraformPlan, planAsTemplate } from './terraform';
import { type Document, LineCounter, type Node, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';

/** The template file cannot be read or is not a CloudFormation template; the message names the file. */
export class TemplateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TemplateError';
  }
}

/** Where the template came from, as far as its content tells (reported, not needed for judging). */
export type TemplateFlavor = 'cloudformation' | 'cdk' | 'sam' | 'serverless' | 'terraform-plan';

export interface TemplateFile {
  readonly path: string;
  readonly flavor: TemplateFlavor;
  /** The template as plain JSON, short forms turned into their long forms (`!Ref X` → `{ Ref: X }`). */
  readonly template: Record<string, unknown>;
  /** 1-based line of each resource's logical ID. */
  readonly lines: Readonly<Record<string, number>>;
  /** How rows name a resource when it is not its logical ID (a Terraform plan: the resource address). */
  readonly names?: Readonly<Record<string, string>>;
}

/** Short form tag → long form key (CloudFormation template reference, "Intrinsic function reference"). */
const SHORT_FORMS: Readonly<Record<string, string>> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!GetAtt': 'Fn::GetAtt',
  '!Sub': 'Fn::Sub',
  '!If': 'Fn::If',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!FindInMap': 'Fn::FindInMap',
  '!Equals': 'Fn::Equals',
  '!Not': 'Fn::Not',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Base64': 'Fn::Base64',
  '!Split': 'Fn::Split',
  '!ImportValue': 'Fn::ImportValue',
  '!GetAZs': 'Fn::GetAZs',
  '!Cidr': 'Fn::Cidr',
  '!Transform': 'Fn::Transform',
  '!ToJsonString': 'Fn::ToJsonString',
  '!Length': 'Fn::Length',
};

// Each tag is accepted on scalars, sequences and mappings; the node keeps its tag and toJson() gives its meaning.
const customTags = Object.keys(SHORT_FORMS).flatMap((tag) => [
  { tag, resolve: (value: string) => value },
  { tag, collection: 'seq' as const },
  { tag, collection: 'map' as const },
]);

function toJson(node: Node | null | undefined, doc: Document): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toJson(node.resolve(doc) ?? null, doc);
  let value: unknown;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(toJson(pair.key as Node, doc));
      out[key] = toJson(pair.value as Node, doc);
    }
    value = out;
  } else if (isSeq(node)) {
    value = node.items.map((i) => toJson(i as Node, doc));
  } else if (isScalar(node)) {
    value = node.value;
  }
  const long = node.tag ? SHORT_FORMS[node.tag] : undefined;
  if (!long) return value;
  // `!GetAtt A.B` is `Fn::GetAtt: [A, B]`: the first dot separates the resource from the attribute.
  if (long === 'Fn::GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { [long]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [long]: value };
}

function flavorOf(t: Record<string, unknown>): TemplateFlavor {
  const transforms = ([] as unknown[]).concat(t.Transform ?? []);
  if (transforms.some((x) => typeof x === 'string' && x.startsWith('AWS::Serverless'))) return 'sam';
  const resources = (t.Resources ?? {}) as Record<string, { Metadata?: Record<string, unknown> }>;
  if (Object.hasOwn(resources, 'ServerlessDeploymentBucket')) return 'serverless';
  if (Object.values(resources).some((r) => r?.Metadata?.['aws:cdk:path'] !== undefined) || Object.hasOwn((t.Parameters ?? {}) as object, 'BootstrapVersion')) return 'cdk';
  return 'cloudformation';
}

/** Reads one template file (YAML or JSON; JSON is YAML 1.2, so one parser keeps the lines of both). */
export function readTemplate(path: string): TemplateFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TemplateError(`Cannot read template ${path}: ${(e as Error).message}.`, { cause: e });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { customTags: customTags as never, lineCounter, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const at = e?.pos ? ` (line ${lineCounter.linePos(e.pos[0]).line})` : '';
    throw new TemplateError(`Template ${path} is neither YAML nor JSON${at}: ${e?.message.split('\n')[0] ?? 'parse error'}.`);
  }
  const template = toJson(doc.contents, doc);
  if (template === null || typeof template !== 'object' || Array.isArray(template)) {
    throw new TemplateError(`Template ${path} is not a CloudFormation template: expected a mapping with Resources.`);
  }
  const t = template as Record<string, unknown>;
  if (isTerraformPlan(t)) {
    const { template: converted, addresses } = planAsTemplate(t);
    // The line of each resource's first `"address": ...` (planned_values comes first in the plan).
    const textLines = text.split('\n');
    const lines = Object.fromEntries(
      Object.entries(addresses).map(([id, address]) => [id, textLines.findIndex((l) => l.includes(`"address": ${JSON.stringify(address)}`) || l.includes(`"address":${JSON.stringify(address)}`)) + 1]),
    );
    return { path, flavor: 'terraform-plan', template: converted, lines, names: addresses };
  }
  if (t.Resources === null || typeof t.Resources !== 'object' || Array.isArray(t.Resources)) {
    throw new TemplateError(`Template ${path} has no Resources section: expected a mapping of logical IDs to resources.`);
  }
  const lines: Record<string, number> = {};
  const resources = isMap(doc.contents) ? doc.contents.get('Resources', true) : undefined;
  if (isMap(resources)) {
    for (const pair of resources.items) {
      if (isScalar(pair.key) && pair.key.range) lines[String(pair.key.value)] = lineCounter.linePos(pair.key.range[0]).line;
    }
  }
  return { path, flavor: flavorOf(t), template: t, lines };
}

/** The template files a path names: the file itself, or each `*.template.json` of a directory such as `cdk.out`. */
export function templatePaths(path: string): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    throw new TemplateError(`Template ${path} does not exist. Expected a CloudFormation template (YAML or JSON) or a cdk.out directory.`, { cause: e });
  }
  if (!isDirectory) return [path];
  const found = readdirSync(path).filter((f) => f.endsWith('.template.json')).sort().map((f) => join(path, f));
  if (found.length === 0) throw new TemplateError(`Directory ${path} holds no *.template.json file. Expected a cdk.out directory or a template file.`);
  return found;
}
