import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod/mini';
import { REFERENCE_DIR } from './fixtures';

/** Every leaf path of a zod object schema (zod/mini or classic), as `configuration.A.B`. */
export function leafPaths(schema: z.core.$ZodType, prefix: string): string[] {
  let def = schema._zod.def;
  // Module-level schemas are z.lazy (built on first use, rules/resources/*): look through them as through optional.
  for (;;) {
    if (def.type === 'optional' || def.type === 'nullable') def = (def as z.core.$ZodOptionalDef | z.core.$ZodNullableDef).innerType._zod.def;
    else if (def.type === 'lazy') def = (def as z.core.$ZodLazyDef).getter()._zod.def;
    else break;
  }
  if (def.type === 'object') {
    return Object.entries((def as z.core.$ZodObjectDef).shape).flatMap(([k, v]) => leafPaths(v, `${prefix}.${k}`));
  }
  return [prefix];
}

/** The AWS Config resource schema (flat path → type map) of a resource type, e.g. `AWS::Kinesis::Stream`. */
export function configResourceSchema(resourceType: string): Record<string, string> {
  const file = `${resourceType.replaceAll('::', '-')}.properties.json`;
  return JSON.parse(readFileSync(join(REFERENCE_DIR, 'A-config-resource-schema', file), 'utf8')) as Record<string, string>;
}
