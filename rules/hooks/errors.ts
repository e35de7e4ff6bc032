import { SafeguardsError } from '../runtime/errors';

/** Base of the CloudFormation hook's errors; every one of them is answered `FAILED` with `InternalFailure`. */
export class HookError extends SafeguardsError {}

/** The hook request is not a Lambda Hook resource request the handler can judge: never answered `SUCCESS`. */
export class MalformedHookRequestError extends HookError {}

/** The hook's deployment settings (environment variables) hold a value the handler cannot use. */
export class HookConfigurationError extends HookError {}

/** judgeProperties did not answer within the time the hook leaves the Lambda (30 s). */
export class HookTimeoutError extends HookError {}
