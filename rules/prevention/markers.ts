/**
 * Values a template cannot give before deployment, written into the resolved properties as readable markers, so the
 * properties stay plain JSON (the shape a hook request carries) and an annotation can quote them:
 * `«!Ref PhiKey»`, `«!GetAtt PhiKey.Arn»` (a resource of the same template: its facts come from its declaration),
 * `«AWS::AccountId»`, `«!ImportValue shared-key»`, `«parameter Engine (no Default)»` (not knowable offline).
 * A marker inside a longer string (`arn:aws:kms:us-east-1:«AWS::AccountId»:key/1`) makes the whole string unknown.
 */
export const MARKER = /«([^»]*)»/;
const WHOLE_REF = /^«!(Ref|GetAtt) ([A-Za-z0-9_]+)(?:\.([A-Za-z0-9.]+))?»$/;

export const marker = (what: string): string => `«${what}»`;
export const refMarker = (logicalId: string, attribute?: string): string =>
  marker(attribute ? `!GetAtt ${logicalId}.${attribute}` : `!Ref ${logicalId}`);

export function hasMarker(value: unknown): value is string {
  return typeof value === 'string' && MARKER.test(value);
}

/** The template resource a whole-value `«!Ref X»` / `«!GetAtt X.Attr»` names, or undefined. */
export function parseRefMarker(value: string): { readonly logicalId: string; readonly attribute?: string } | undefined {
  const m = WHOLE_REF.exec(value);
  if (!m?.[2]) return undefined;
  return { logicalId: m[2], ...(m[1] === 'GetAtt' && m[3] ? { attribute: m[3] } : {}) };
}
