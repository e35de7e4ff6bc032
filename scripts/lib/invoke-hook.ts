/** `safeguards invoke-hook`: the CloudFormation Lambda Hook handler, run locally on a hook request from a file. */
import { Logger } from '@aws-lambda-powertools/logger';
import { defaultJudgeProperties } from '../../rules/hooks/cloudformation-hook';
import { createHookHandler } from '../../rules/hooks/handler';
import { HookErrorCode, type HookResponse, HookStatus } from '../../rules/hooks/response';
import { DEFAULT_HOOK_SETTINGS, PreventionMode, UnknownPolicy } from '../../rules/hooks/settings';
import type { JudgeProperties } from '../../rules/prevention/judge-properties';
import { UsageError, readEventFile, validateEndpoint } from './cli-input';

export interface InvokeHookIo {
  out(text: string): void;
  err(text: string): void;
}

export interface InvokeHookOptions {
  readonly event: string;
  readonly endpointUrl?: string;
  readonly preventionMode?: string;
  readonly onUnknown?: string;
}

/** The CLI's choices, from the same constants as the handler. */
export const PREVENTION_MODES = Object.values(PreventionMode);
export const UNKNOWN_POLICIES = Object.values(UnknownPolicy);

/**
 * 0 SUCCESS; 1 FAILED NonCompliant (the hook blocks it, or warns in WARN mode); 2 FAILED InternalFailure (the hook
 * could not judge: an error, as `scan` exits 2 when a kind fails).
 */
export function exitCodeOfHookResponse(response: HookResponse): 0 | 1 | 2 {
  if (response.hookStatus === HookStatus.Success) return 0;
  return response.errorCode === HookErrorCode.NonCompliant ? 1 : 2;
}

/**
 * Runs the hook handler on the request in `opts.event` and prints its response on stdout. `--endpoint-url` sends
 * the judge's account lookups (a KMS key) to that endpoint through AWS_ENDPOINT_URL, for this run only.
 */
export async function runInvokeHook(opts: InvokeHookOptions, io: InvokeHookIo, judgeProperties: JudgeProperties = defaultJudgeProperties): Promise<0 | 1 | 2> {
  if (opts.endpointUrl !== undefined) validateEndpoint(opts.endpointUrl);
  const pick = <T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T => {
    if (value === undefined) return fallback;
    const found = allowed.find((a) => a === value.toUpperCase());
    if (!found) throw new UsageError(`${flag} "${value}" is not one of: ${allowed.join(', ')}.`);
    return found;
  };
  const settings = {
    ...DEFAULT_HOOK_SETTINGS,
    preventionMode: pick('--prevention-mode', opts.preventionMode, PREVENTION_MODES, DEFAULT_HOOK_SETTINGS.preventionMode),
    onUnknown: pick('--on-unknown', opts.onUnknown, UNKNOWN_POLICIES, DEFAULT_HOOK_SETTINGS.onUnknown),
  };
  const event = readEventFile(opts.event, 'a CloudFormation Lambda Hook request (a JSON object with actionInvocationPoint and requestData)');
  // The handler logs structured JSON for CloudWatch; here stdout carries the response only.
  const logger = new Logger({ serviceName: 'hipaa-safeguards', persistentKeys: { component: 'cloudformation-hook' }, logLevel: 'SILENT' });
  const handler = createHookHandler({ judgeProperties, settings, logger });
  const previous = process.env.AWS_ENDPOINT_URL;
  if (opts.endpointUrl !== undefined) process.env.AWS_ENDPOINT_URL = opts.endpointUrl;
  let response: HookResponse;
  try {
    response = await handler(event);
  } finally {
    if (opts.endpointUrl !== undefined) {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
    }
  }
  io.out(`${JSON.stringify(response, null, 2)}\n`);
  const code = exitCodeOfHookResponse(response);
  if (code === 2) io.err(`The hook could not judge the request (InternalFailure): ${response.message}\n`);
  return code;
}
