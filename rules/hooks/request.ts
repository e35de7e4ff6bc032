import * as z from 'zod/mini';
import { describeIssues } from '../runtime/issues';
import { MalformedHookRequestError } from './errors';

/**
 * The request a CloudFormation Lambda Hook sends for a resource operation ("Lambda Hook resource input syntax").
 * @see https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/lambda-hooks-create-lambda-function.html#lambda-hooks-create-lambda-function-resource-input
 *
 * What the guide says, and what this parser does with it:
 * - `actionInvocationPoint` is `CREATE_PRE_PROVISION`, `UPDATE_PRE_PROVISION` or `DELETE_PRE_PROVISION`.
 * - `requestData.targetName` is the resource type (`AWS::S3::Bucket`). `targetType` is the same for CloudFormation but
 *   `RESOURCE` for Cloud Control API calls, so the type is read from `targetName` only.
 * - `targetLogicalId` is the template's logical ID, or "a constructed value" for Cloud Control API.
 * - `targetModel.resourceProperties` is empty on delete; `previousResourceProperties` is empty on create. Empty is
 *   absent, null or `{}`: all three are accepted.
 * - `stackId` is empty when the caller is Cloud Control API; `changeSetId` is empty unless a change set started it.
 * - `clientRequestToken` is "required" in the response and echoed from the request; the guide's own resource example
 *   omits it, so a request without one is still judged (and the response carries none).
 * - Stack and change set targets carry an S3 presigned URL in `requestData.payload` instead of a `targetModel`; this
 *   hook targets resource operations only (TargetOperations RESOURCE and CLOUD_CONTROL), so it never fetches one.
 */
export const InvocationPoint = {
  Create: 'CREATE_PRE_PROVISION',
  Update: 'UPDATE_PRE_PROVISION',
  Delete: 'DELETE_PRE_PROVISION',
} as const;
export type InvocationPoint = (typeof InvocationPoint)[keyof typeof InvocationPoint];

const Properties = z.record(z.string(), z.unknown());
const optionalText = z.optional(z.nullable(z.string()));

export const HookRequestSchema = z.object({
  clientRequestToken: z.optional(z.string().check(z.minLength(1))),
  awsAccountId: z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit account ID')),
  stackId: optionalText,
  changeSetId: optionalText,
  hookTypeName: z.string().check(z.minLength(1)),
  hookTypeVersion: optionalText,
  hookModel: z.optional(z.nullable(z.object({ LambdaFunction: optionalText }))),
  actionInvocationPoint: z.enum([InvocationPoint.Create, InvocationPoint.Update, InvocationPoint.Delete]),
  requestData: z.object({
    targetName: z.string().check(z.minLength(1)),
    targetType: z.string().check(z.minLength(1)),
    targetLogicalId: z.string().check(z.minLength(1)),
    targetModel: z.optional(
      z.nullable(
        z.object({
          resourceProperties: z.optional(z.nullable(Properties)),
          previousResourceProperties: z.optional(z.nullable(Properties)),
        }),
      ),
    ),
    payload: optionalText,
  }),
  requestContext: z.optional(z.nullable(z.object({ invocation: z.number().check(z.int(), z.positive()), callbackContext: z.optional(z.unknown()) }))),
});

export type HookRequest = z.infer<typeof HookRequestSchema>;

/**
 * Parses a hook request. Throws MalformedHookRequestError naming every field that is wrong
 * (`request.requestData.targetName: Invalid input: expected string, received undefined`).
 * @example const request = parseHookRequest(event); request.requestData.targetName // 'AWS::Kinesis::Stream'
 */
export function parseHookRequest(event: unknown): HookRequest {
  const result = HookRequestSchema.safeParse(event);
  if (!result.success) throw new MalformedHookRequestError(`Malformed CloudFormation Lambda Hook request: ${describeIssues(result.error, 'request')}.`);
  return result.data;
}

/** The request token, read before parsing so that even a malformed request's answer echoes it. */
export function clientRequestTokenOf(event: unknown): string | undefined {
  if (event === null || typeof event !== 'object') return undefined;
  const token = (event as { clientRequestToken?: unknown }).clientRequestToken;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * True for a Cloud Control API caller: the guide leaves `stackId` empty then (and sets targetType `RESOURCE`).
 * It matters for the message, which Cloud Control API truncates to 1024 characters instead of 4096.
 */
export function isCloudControlRequest(request: HookRequest): boolean {
  return !request.stackId || request.requestData.targetType === 'RESOURCE';
}
