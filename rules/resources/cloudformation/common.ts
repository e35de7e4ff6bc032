import * as z from 'zod/mini';
import { describeIssues } from '../../runtime/issues';
import { MalformedPropertiesError } from '../../prevention/errors';

/**
 * Shared pieces of the CloudFormation builders (prevention, issue 12). Each builder is a small pure function from a
 * resource's declared properties (a template's, after intrinsic functions are resolved, or a hook request's) into
 * the same normalized view the configuration item and API builders produce (STYLE 16).
 */

/** One CloudFormation resource as a builder receives it. */
export interface CloudFormationResource {
  /** AWS::Kinesis::Stream, ... */
  readonly resourceType: string;
  /** Names the resource while it has no physical name (the view's ID when the template sets no name). */
  readonly logicalId: string;
  /** Resolved properties (plain JSON; see rules/prevention/markers.ts for values unknown before deployment). */
  readonly properties: unknown;
}

/**
 * How a builder reads a property path: `value` decides a verdict (a marker there makes the verdict UNKNOWN);
 * `identifier` names something (a key, a stream, a user group) whose facts are resolved separately, or only text
 * (a name, a tag), so a marker there is fine. Paths use `.`; arrays are descended into. Every path is checked
 * against the CloudFormation registry schema of its type in test/resources/cloudformation.test.ts.
 */
export type PropertyReads = Readonly<Record<string, 'value' | 'identifier'>>;

/**
 * A boolean as CloudFormation takes it: a JSON boolean, or the strings "true"/"false" (any case). Hook requests carry
 * every property value as a string, and templates often quote booleans.
 */
export const cfnBoolean = /* @__PURE__ */ z.lazy(() => z.pipe(
  z.union([z.boolean(), z.string()]),
  z.transform((v: boolean | string, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === 'false') return s === 'true';
    ctx.issues.push({ code: 'custom', message: `expected true or false, got ${JSON.stringify(v)}`, input: v });
    return z.NEVER;
  }),
));

/**
 * A string property as CloudFormation takes it: YAML turns `EngineVersion: 6.2` into a number, and CloudFormation
 * passes it on as the string "6.2".
 */
export const cfnString = /* @__PURE__ */ z.lazy(() => z.pipe(
  z.unknown(),
  z.transform((v: unknown, ctx) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    ctx.issues.push({ code: 'custom', message: `expected a string, received ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`, input: v });
    return z.NEVER;
  }),
));

/** A resource's `Tags` list ([{ Key, Value }]) as the view's tag map. */
export const cfnTags = /* @__PURE__ */ z.lazy(() => z.pipe(
  z.nullish(z.array(z.object({ Key: cfnString, Value: z.nullish(cfnString) }))),
  z.transform((list: { Key: string; Value?: string | null }[] | null | undefined) =>
    Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value ?? ''])),
  ),
));

/** Parses a resource's properties, or throws MalformedPropertiesError naming the resource and every bad field. */
export function parseProperties<T extends z.ZodMiniType>(schema: T, resource: CloudFormationResource): z.output<T> {
  const result = schema.safeParse(resource.properties ?? {});
  if (!result.success) {
    throw new MalformedPropertiesError(
      `Malformed ${resource.resourceType} ${resource.logicalId}: ${describeIssues(result.error, 'Properties')}.`,
    );
  }
  return result.data;
}
