import type {
  DeserializeHandler,
  DeserializeHandlerArguments,
  DeserializeMiddleware,
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeMiddleware,
  MetadataBearer,
  Pluggable,
} from '@smithy/types';
import { InvalidResponseError, SafeguardsError } from './errors';

/**
 * What the pack needs to know about an AWS SDK error beyond its type: which call failed, and whether the endpoint
 * offers the call at all. Every SDK client the runtime builds carries `operationPlugin`, so every error it throws
 * says `<Service>.<Operation>`.
 */

/** Fields `operationPlugin` stamps on every error an SDK call throws. */
export interface OperationStamp {
  /** Service as the SDK client names it, without `Client`: `ElastiCache`, `Kinesis`, `ConfigService`. */
  $service?: string;
  /** Operation without `Command`: `DescribeCacheClusters`. */
  $operation?: string;
}

/**
 * The endpoint answered with something that is not an AWS API response (an HTML error page from a proxy, a load
 * balancer, or an emulator that lacks the API). Retrying cannot change that, so it carries nothing the SDK's retry
 * classification treats as transient: no `$metadata.httpStatusCode`, no `$retryable`, and no `cause` (the SDK
 * follows `cause` when it decides; the raw response stays in `$response`).
 */
export class NonAwsResponseError extends SafeguardsError {
  readonly $fault = 'client' as const;
  readonly $metadata = {};
  constructor(
    readonly operation: string,
    readonly statusCode: number | undefined,
    readonly contentType: string | undefined,
    readonly $response: unknown,
  ) {
    super(
      `${operation}: the endpoint returned a non-AWS response (HTTP ${statusCode ?? 'status unknown'}, ${contentType ?? 'no content type'}).`,
    );
  }
}

/** The run's time budget ran out before this was reached: it was not judged, and it is not reported as gone. */
export class TimeBudgetExceededError extends SafeguardsError {}

// AWS answers with XML (query, rest-xml), JSON (json 1.0/1.1, rest-json) or CBOR (rpc v2): anything else is not AWS.
const AWS_MEDIA_TYPE = /xml|json|cbor|x-amz/i;

interface RawResponse {
  statusCode?: number;
  headers?: Record<string, string | undefined>;
}

const nameOf = (context: HandlerExecutionContext) => ({
  service: String(context.clientName ?? 'AWS').replace(/Client$/, ''),
  operation: String(context.commandName ?? 'unknown').replace(/Command$/, ''),
});

function contentTypeOf(response: RawResponse | undefined): string | undefined {
  const headers = response?.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
  return key ? headers[key] : undefined;
}

/** Whether a thrown error came from an answer the SDK could not read as an AWS response. */
function isNonAwsAnswer(error: unknown): { statusCode?: number; contentType?: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const response = (error as { $response?: RawResponse }).$response;
  if (!response) return undefined;
  const contentType = contentTypeOf(response);
  const statusCode = response.statusCode;
  if (contentType !== undefined && !AWS_MEDIA_TYPE.test(contentType)) return { statusCode, contentType };
  // No content type: only a body the protocol could not even parse (no modeled error, no $fault) is not AWS.
  if (contentType === undefined && (error as { $fault?: string }).$fault === undefined) return { statusCode };
  return undefined;
}

/** Inside the retry loop: turns an unreadable non-AWS answer into NonAwsResponseError before retry decides. */
const nonAwsResponseMiddleware: DeserializeMiddleware<object, MetadataBearer> =
  (next: DeserializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) => async (args: DeserializeHandlerArguments<object>) => {
    try {
      return await next(args);
    } catch (error) {
      const answer = isNonAwsAnswer(error);
      if (!answer) throw error;
      const { service, operation } = nameOf(context);
      throw new NonAwsResponseError(`${service}.${operation}`, answer.statusCode, answer.contentType, (error as { $response?: unknown }).$response);
    }
  };

/** Outside every retry: stamps `$service` and `$operation` on whatever the call finally throws. */
const operationStampMiddleware: InitializeMiddleware<object, MetadataBearer> =
  (next: InitializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) => async (args: InitializeHandlerArguments<object>) => {
    try {
      return await next(args);
    } catch (error) {
      if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
        const { service, operation } = nameOf(context);
        const stamp = error as OperationStamp;
        stamp.$service ??= service;
        stamp.$operation ??= operation;
      }
      throw error;
    }
  };

/**
 * Client plugin: every error names its operation, and a non-AWS answer fails at once instead of being retried.
 * @example client.middlewareStack.use(operationPlugin);
 */
export const operationPlugin: Pluggable<object, MetadataBearer> = {
  applyToStack(stack) {
    stack.add(operationStampMiddleware, { step: 'initialize', priority: 'high', name: 'safeguardsOperationStamp', override: true });
    // deserialize step, high priority: wraps the protocol's deserializer, inside the retry middleware (finalizeRequest).
    stack.add(nonAwsResponseMiddleware, { step: 'deserialize', priority: 'high', name: 'safeguardsNonAwsResponse', override: true });
  },
};

/** `<Service>.<Operation>` of an error thrown by an SDK call made through the runtime's clients, if known. */
export function operationOf(error: unknown): string | undefined {
  if (error instanceof NonAwsResponseError || error instanceof InvalidResponseError) return error.operation;
  const stamp = (typeof error === 'object' && error !== null ? error : {}) as OperationStamp;
  return stamp.$service && stamp.$operation ? `${stamp.$service}.${stamp.$operation}` : undefined;
}

/**
 * Error codes that say the endpoint or region does not offer the operation, so no retry or other account can change
 * the answer: the AWS common errors `InvalidAction` (query protocols) and `UnknownOperationException` (JSON
 * protocols), `NotImplemented`/`NotImplementedException` (HTTP 501, emulators), and the unsupported-operation codes
 * services use for features not in a region or partition.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html
 */
export const UNSUPPORTED_OPERATION_CODES: ReadonlySet<string> = new Set([
  'InvalidAction',
  'UnknownOperationException',
  'UnknownOperation',
  'NotImplemented',
  'NotImplementedException',
  'UnsupportedOperation',
  'UnsupportedOperationException',
]);

/** Whether an SDK error says the endpoint does not offer the operation (a SKIPPED kind, not an error). */
export function isUnsupportedOperation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  if (e.name !== undefined && UNSUPPORTED_OPERATION_CODES.has(e.name)) return true;
  // 501 Not Implemented with a readable AWS error body: the server says it lacks the operation.
  return e.$fault !== undefined && e.$metadata?.httpStatusCode === 501;
}

/** One line for a failure: `ElastiCache.DescribeCacheClusters: TimeoutError: ...`, the operation first when known. */
export function describeFailure(error: Error): string {
  if (error instanceof NonAwsResponseError) return error.message;
  const operation = operationOf(error);
  return `${operation ? `${operation}: ` : ''}${error.name}: ${error.message}`;
}
