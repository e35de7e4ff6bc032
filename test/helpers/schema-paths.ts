import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { REFERENCE_DIR } from './fixtures';

/** Every leaf path of a zod object schema, as `configuration.A.B`. */
export function leafPaths(schema: z.ZodType, prefix: string): string[] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodObject) return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => leafPaths(v, `${prefix}.${k}`));
  return [prefix];
}

/** The AWS Config resource schema (flat path → type map) of a resource type, e.g. `AWS::Kinesis::Stream`. */
export function configResourceSchema(resourceType: string): Record<string, string> {
  const file = `${resourceType.replaceAll('::', '-')}.properties.json`;
  return JSON.parse(readFileSync(join(REFERENCE_DIR, 'A-config-resource-schema', file), 'utf8')) as Record<string, string>;
}
