import { Logger } from '@aws-lambda-powertools/logger';
import { catalog } from '../catalog';
import type { JudgeProperties, PropertyVerdict } from '../prevention/judge-properties';
import type { Safeguard, Severity } from '../runtime/safeguard';
import { HookTimeoutError } from './errors';
import { type HookRequest, InvocationPoint, clientRequestTokenOf, isCloudControlRequest, parseHookRequest } from './request';
import {
  AnnotationStatus,
  type HookAnnotation,
  HookErrorCode,
  type HookResponse,
  HookStatus,
  MAX_CLOUD_CONTROL_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  annotationOf,
  cut,
  fitMessage,
} from './response';
import { type HookSettings, PreventionMode, UnknownPolicy, hookSettingsFromEnvironment } from './settings';

/** The hook waits 30 s for the Lambda (hooks user guide, "Developing a Lambda Hook"); the Lambda's timeout is below it. */
export const HOOK_WAIT_SECONDS = 30;
export const HOOK_LAMBDA_TIMEOUT_SECONDS = 25;
/** Kept free at the end of the Lambda's time to answer InternalFailure instead of being cut off by the timeout. */
const ANSWER_RESERVE_MS = 1_500;

/** The resource types the hook judges: every type of every safeguard in the catalog, in catalog order. */
export function hookTargetTypes(safeguards: readonly Safeguard[] = catalog): string[] {
  return [...new Set(safeguards.flatMap((s) => [...s.resource.resourceTypes, ...(s.resource.cloudFormationTypes ?? [])]))];
}

/** The part of the Lambda context the handler reads. */
export interface HookContextLike {
  getRemainingTimeInMillis?(): number;
}

export type HookHandler = (event: unknown, context?: HookContextLike) => Promise<HookResponse>;

export interface HookHandlerOptions {
  /** Judges the resolved properties with every safeguard of the type (rules/prevention). Injected: tests give fakes. */
  readonly judgeProperties: JudgeProperties;
  /** Default: read from the environment at every invocation (HIPAA_SAFEGUARDS_PREVENTION_MODE, ...). */
  readonly settings?: HookSettings;
  readonly logger?: Logger;
  /** Default: the catalog. Decides which types are judged and the annotations' severity. */
  readonly safeguards?: readonly Safeguard[];
  /** Milliseconds judging may take without a Lambda context (the CLI); default the Lambda timeout. */
  readonly timeBudgetMs?: number;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HookTimeoutError(`Judging did not finish within ${ms} ms; the hook waits ${HOOK_WAIT_SECONDS} s at most.`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const describe = (r: HookRequest) => `${r.requestData.targetLogicalId} (${r.requestData.targetName})`;

/**
 * Builds the CloudFormation Lambda Hook handler: parses the request, judges the resource's declared properties with
 * the catalog's safeguards (through `judgeProperties`), and answers in the Lambda Hooks response contract. It never
 * throws: a malformed request, a bad setting, a judge that fails or runs out of time are each answered
 * FAILED/InternalFailure (never SUCCESS), so a hook with FailureMode FAIL stops the resource.
 * Resource properties are never logged: they may hold secrets (an ElastiCache AuthToken).
 * @example export const handler = createHookHandler({ judgeProperties });
 */
export function createHookHandler(options: HookHandlerOptions): HookHandler {
  const logger = options.logger ?? new Logger({ serviceName: 'hipaa-safeguards', persistentKeys: { component: 'cloudformation-hook' } });
  const safeguards = options.safeguards ?? catalog;
  const targets = new Set(hookTargetTypes(safeguards));
  const severityOf = new Map<string, Severity>(safeguards.map((s) => [s.name, s.severity]));

  return async function handler(event: unknown, context?: HookContextLike): Promise<HookResponse> {
    const started = Date.now();
    const token = clientRequestTokenOf(event);
    const answer = (response: Omit<HookResponse, 'clientRequestToken'>, request?: HookRequest): HookResponse => {
      const max = request && !isCloudControlRequest(request) ? MAX_MESSAGE_LENGTH : MAX_CLOUD_CONTROL_MESSAGE_LENGTH;
      const full: HookResponse = { ...response, message: cut(response.message, max), ...(token ? { clientRequestToken: token } : {}) };
      const log = full.hookStatus === HookStatus.Success ? logger.info.bind(logger) : logger.warn.bind(logger);
      log('Hook answer', {
        hookStatus: full.hookStatus,
        ...(full.errorCode ? { errorCode: full.errorCode } : {}),
        hookMessage: full.message,
        clientRequestToken: token,
        ...(request
          ? {
              actionInvocationPoint: request.actionInvocationPoint,
              targetName: request.requestData.targetName,
              targetLogicalId: request.requestData.targetLogicalId,
              stackId: request.stackId ?? undefined,
              awsAccountId: request.awsAccountId,
            }
          : {}),
        annotations: full.annotations?.map((a) => `${a.annotationName}:${a.status}`),
        durationMs: Date.now() - started,
      });
      return full;
    };
    const internalFailure = (error: unknown, request?: HookRequest): HookResponse => {
      const e = error instanceof Error ? error : new Error(String(error));
      logger.error('Hook could not judge the request', e);
      const what = request ? ` ${describe(request)}` : '';
      return answer({ hookStatus: HookStatus.Failed, errorCode: HookErrorCode.InternalFailure, message: `HIPAA Safeguards could not judge${what}: ${e.message}` }, request);
    };

    let request: HookRequest;
    let settings: HookSettings;
    try {
      request = parseHookRequest(event);
    } catch (error) {
      return internalFailure(error);
    }
    try {
      settings = options.settings ?? hookSettingsFromEnvironment(process.env);
    } catch (error) {
      return internalFailure(error, request);
    }
    const { targetName: type, targetLogicalId: logicalId } = request.requestData;

    if (settings.preventionMode === PreventionMode.Off) {
      return answer({ hookStatus: HookStatus.Success, message: `HIPAA Safeguards prevention is OFF: ${describe(request)} was not judged.` }, request);
    }
    // The guide: the delete handler runs for delete-stack and Cloud Control delete-resource. Removing a resource puts
    // no PHI at risk; the template filters deletes out too, this is the second line.
    if (request.actionInvocationPoint === InvocationPoint.Delete) {
      return answer({ hookStatus: HookStatus.Success, message: `HIPAA Safeguards do not judge deletes: ${describe(request)} may be deleted.` }, request);
    }
    if (!targets.has(type)) {
      return answer({ hookStatus: HookStatus.Success, message: `${type} is not a resource type the HIPAA Safeguards judge.` }, request);
    }
    const properties = request.requestData.targetModel?.resourceProperties;
    if (properties === undefined || properties === null) {
      // A create or update always carries the proposed properties (at least {}); without them nothing can be judged.
      return internalFailure(
        new Error(`the request has no requestData.targetModel.resourceProperties for ${request.actionInvocationPoint}; expected the proposed properties (at least {}).`),
        request,
      );
    }

    let verdicts: PropertyVerdict[];
    try {
      const remaining = context?.getRemainingTimeInMillis?.();
      const budget = remaining !== undefined ? remaining - ANSWER_RESERVE_MS : (options.timeBudgetMs ?? HOOK_LAMBDA_TIMEOUT_SECONDS * 1000 - ANSWER_RESERVE_MS);
      verdicts = await withTimeout(
        options.judgeProperties({
          resourceType: type,
          logicalId,
          properties,
          ...(Object.keys(settings.parameters).length > 0 ? { parameters: settings.parameters } : {}),
        }),
        Math.max(0, budget),
      );
    } catch (error) {
      return internalFailure(error, request);
    }
    if (verdicts.length === 0) {
      // Fail closed: a catalog type that no rule judged is a broken judge, not a compliant resource.
      return internalFailure(new Error(`no safeguard returned a verdict for ${type}, a type of the catalog.`), request);
    }
    return decide(request, settings, verdicts, severityOf, answer);
  };
}

function decide(
  request: HookRequest,
  settings: HookSettings,
  verdicts: readonly PropertyVerdict[],
  severityOf: ReadonlyMap<string, Severity>,
  answer: (r: Omit<HookResponse, 'clientRequestToken'>, request: HookRequest) => HookResponse,
): HookResponse {
  const blockUnknown = settings.onUnknown === UnknownPolicy.Block;
  const failing = verdicts.filter((v) => v.compliance === 'NON_COMPLIANT' || (v.compliance === 'UNKNOWN' && blockUnknown));
  const unverified = verdicts.filter((v) => v.compliance === 'UNKNOWN' && !blockUnknown);
  const annotations: HookAnnotation[] = verdicts.map((v) =>
    annotationOf(
      v,
      failing.includes(v) ? AnnotationStatus.Failed : v.compliance === 'UNKNOWN' || v.compliance === 'NOT_APPLICABLE' ? AnnotationStatus.Skipped : AnnotationStatus.Passed,
      severityOf.get(v.rule),
    ),
  );
  const max = isCloudControlRequest(request) ? MAX_CLOUD_CONTROL_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  const entry = (v: PropertyVerdict) => ({
    rule: v.rule,
    text: v.compliance === 'UNKNOWN' ? `[${v.rule}] could not verify: ${v.annotation}` : `[${v.rule}] ${v.annotation}`,
  });
  const what = describe(request);

  if (failing.length > 0) {
    const header =
      settings.preventionMode === PreventionMode.Warn
        ? `HIPAA Safeguards warning (preventionMode WARN, not blocked): ${what} fails ${failing.length} safeguard(s):`
        : `HIPAA Safeguards blocked ${what}: it fails ${failing.length} safeguard(s):`;
    return answer({ hookStatus: HookStatus.Failed, errorCode: HookErrorCode.NonCompliant, message: fitMessage(header, failing.map(entry), max), annotations }, request);
  }
  const passed = `${what} passes ${verdicts.length - unverified.length} of ${verdicts.length} HIPAA safeguard check(s).`;
  const message = unverified.length > 0 ? fitMessage(`${passed} Allowed unverified (onUnknown ALLOW):`, unverified.map(entry), max) : passed;
  return answer({ hookStatus: HookStatus.Success, message, annotations }, request);
}
