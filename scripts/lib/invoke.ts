/** `safeguards invoke`: a rule's Lambda handler, run locally on a Config event from a file. */
import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { findSafeguard } from '../../rules/catalog';
import type { Evaluation } from '../../rules/runtime/compliance';
import { PutEvaluationsError } from '../../rules/runtime/errors';
import { createRuleHandler } from '../../rules/runtime/handler';
import { TEST_MODE_TOKEN } from '../../rules/runtime/put-evaluations';
import { readEventFile, validateEndpoint } from './cli-input';

export interface InvokeIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Records every evaluation handed to PutEvaluations while `run` runs, so a rejected call can still show what it
 * tried to send. The handler owns its Config client; wrapping the class's `send` is the one seam outside it.
 */
async function recordingPutEvaluations<T>(run: () => Promise<T>): Promise<{ value?: T; error?: unknown; attempted: unknown[] }> {
  const attempted = new Map<string, unknown>();
  const original = ConfigServiceClient.prototype.send;
  // send is inherited from the SDK's base Client: restoring must remove our own property, not pin a copy of the
  // inherited one on ConfigServiceClient (that would hide every later wrapper of the base, as tests install).
  const hadOwnSend = Object.hasOwn(ConfigServiceClient.prototype, 'send');
  ConfigServiceClient.prototype.send = function (this: InstanceType<typeof ConfigServiceClient>, ...args: Parameters<typeof original>) {
    const command = args[0];
    if (command instanceof PutEvaluationsCommand) {
      for (const e of command.input.Evaluations ?? []) attempted.set(`${e.ComplianceResourceType}/${e.ComplianceResourceId}`, e);
    }
    return original.apply(this, args);
  } as typeof original;
  try {
    return { value: await run(), attempted: [...attempted.values()] };
  } catch (error) {
    return { error, attempted: [...attempted.values()] };
  } finally {
    if (hadOwnSend) ConfigServiceClient.prototype.send = original;
    else delete (ConfigServiceClient.prototype as { send?: unknown }).send;
  }
}

export interface InvokeOptions {
  readonly event: string;
  readonly endpointUrl?: string;
  readonly testMode?: boolean;
  /** Attempts per AWS call, first try included (HandlerOptions.maxAttempts). */
  readonly maxAttempts?: number;
  /** Milliseconds one attempt may wait for its answer (HandlerOptions.requestTimeoutMs). */
  readonly requestTimeout?: number;
}

/** `invoke`: exit 1 when it sent NON_COMPLIANT, as `scan` does. */
export async function runInvoke(rule: string, opts: InvokeOptions, io: InvokeIo): Promise<0 | 1> {
  const safeguard = findSafeguard(rule);
  if (opts.endpointUrl !== undefined) validateEndpoint(opts.endpointUrl);
  const event = readEventFile(opts.event);
  if (opts.testMode) event.resultToken = TEST_MODE_TOKEN;
  const logger = new Logger({ serviceName: 'hipaa-safeguards', persistentKeys: { rule }, logLevel: 'SILENT' });
  const handler = createRuleHandler(safeguard, {
    logger,
    ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.requestTimeout ? { requestTimeoutMs: opts.requestTimeout } : {}),
  });
  const { value, error, attempted } = await recordingPutEvaluations(() => handler(event));
  if (error !== undefined || !value) {
    // moto 5.2.1 (moto/config/models.py put_evaluations) raises NotImplementedError("PutEvaluations without TestMode
    // is not yet implemented") unless TestMode is set, which its server returns as an HTML 500 page; AWS Config
    // rejects a token it did not issue (InvalidResultTokenException). Either way the verdicts are worth showing.
    if (error instanceof PutEvaluationsError && event.resultToken !== TEST_MODE_TOKEN && attempted.length > 0) {
      io.err(`PutEvaluations did not accept the evaluations. It tried to send:\n${JSON.stringify(attempted, null, 2)}\n`);
      io.err(
        'Hint: outside AWS Config (a sample event, or an emulator such as moto, whose PutEvaluations accepts only TestMode) rerun with --test-mode.\n',
      );
    }
    throw error;
  }
  io.out(`${JSON.stringify(value.evaluations, null, 2)}\n`);
  return value.evaluations.some((e: Evaluation) => e.ComplianceType === 'NON_COMPLIANT') ? 1 : 0;
}

