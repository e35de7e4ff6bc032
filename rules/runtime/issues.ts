import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini loads no locale (its messages would all read "Invalid input"): English, as classic zod sets it, so the
// messages stay "Invalid input: expected string, received undefined". An explicit z.config() elsewhere still wins.
if (!z.config().localeError) z.config(en());

/**
 * Renders zod issues as "path: problem" so the message names the field. Its own module, apart from the Config event
 * schemas (./event), so the hook and the adapters use it without building those.
 * @example describeIssues(result.error, 'event') // 'event.resultToken: Invalid input: expected string, received undefined'
 */
export function describeIssues(error: z.core.$ZodError, root: string, rewrite?: (issue: z.core.$ZodIssue, path: string) => string | undefined): string {
  return error.issues
    .map((i) => {
      const path = [root, ...i.path.map(String)].filter(Boolean).join('.');
      return rewrite?.(i, path) ?? `${path}: ${i.message}`;
    })
    .join('; ');
}
