import { PREVENTION_LOOKUP_ACTIONS } from '../../rules/prevention/facts';
/**
 * The CloudFormation Lambda Hook of the pack (issue 12 §3): the hook Lambda, its role, the role the hooks service
 * assumes to invoke it, and the AWS::CloudFormation::LambdaHook. One builder for the single-account stack
 * (serverless-resources.ts calls it; serverless packages the function) and one for the spoke (spoke-template.ts; the
 * function's code comes from the hub's artifact bucket of each region).
 *
 * Documents followed:
 * - AWS::CloudFormation::LambdaHook: Alias `Name1::Name2::Name3` (letters and digits, not starting with AWS), unique
 *   per account and region; TargetOperations RESOURCE | STACK | CHANGE_SET | CLOUD_CONTROL; TargetFilters TargetNames,
 *   Actions CREATE | UPDATE | DELETE, InvocationPoints PRE_PROVISION (at most 50 names); FailureMode FAIL | WARN;
 *   HookStatus ENABLED | DISABLED. Schema: ../shared/reference/B-cfn-resource-schemas/aws-cloudformation-lambdahook.json.
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-lambdahook.html
 * - Execution role: `lambda:InvokeFunction` on the function, trusted by `hooks.cloudformation.amazonaws.com`
 *   (hooks user guide, "Prepare to create a Lambda Hook"). The guide's trust has no condition; the registry guide's
 *   hook trust example adds aws:SourceAccount and aws:SourceArn `arn:...:cloudformation:<region>:<account>:type/hook/...`,
 *   which this role uses (confused-deputy guard). The SourceArn ends in `type/hook/*`: the account and region are
 *   exact, the hook name is not pinned because the guide does not document how an alias becomes the ARN's name, and a
 *   wrong guess would fail every hook invocation.
 *   https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/lambda-hooks-prepare-to-create-hook.html
 * - The hook waits 30 s for the Lambda (hooks user guide, "Developing a Lambda Hook"): timeout 25 s, the handler
 *   answers InternalFailure before it.
 *
 * Where the hook Lambda runs in an organization: in each member account and region, from the spoke StackSet. The
 * LambdaHook, its execution role and the function are then in one account, the role's invoke permission is an
 * identity policy on that one function (no resource policy, nothing cross-account), and the judge's account facts
 * (a KMS key) are read with the account's own role. The hooks guide documents same-account functions only.
 */
import { hookTargetTypes, HOOK_LAMBDA_TIMEOUT_SECONDS } from '../../rules/hooks/handler';
import { PREVENTION_MODE_VARIABLE, PreventionMode, UNKNOWN_POLICY_VARIABLE, UnknownPolicy } from '../../rules/hooks/settings';
import type { Safeguard } from '../../rules/runtime/safeguard';
import type { Json } from './conformance-pack';
import { readStatements, scopedStatements } from './iam';
import { type ArnStyle, arnValue } from './iam-resources';
import type { ServerlessFunction } from './serverless-resources';

/** The serverless function key (one id everywhere: file rules/hooks/cloudformation-hook.ts). */
export const HOOK_FUNCTION_KEY = 'cloudformation-hook';
export const HOOK_HANDLER = 'rules/hooks/cloudformation-hook.handler';

export const HOOK = {
  hook: 'PreventionHook',
  executionRole: 'PreventionHookExecutionRole',
  functionRole: 'PreventionHookFunctionRole',
  /** Spoke only: serverless creates the function and its log group in the single-account stack. */
  function: 'PreventionHookFunction',
  logGroup: 'PreventionHookLogGroup',
} as const;

export const HOOK_TARGET_OPERATIONS = ['RESOURCE', 'CLOUD_CONTROL'] as const;
/** Deletes put no PHI at risk: creates and updates only. */
export const HOOK_ACTIONS = ['CREATE', 'UPDATE'] as const;
export const HOOK_INVOCATION_POINTS = ['PRE_PROVISION'] as const;
/** The schema's limit on TargetNames. */
export const MAX_HOOK_TARGET_NAMES = 50;
/** The hook of the spoke: one per account and region, so a fixed alias. */
export const SPOKE_HOOK_ALIAS = 'HIPAA::Safeguards::Prevention';
/** The spoke hook Lambda's log group: one per account and region, like the hook. */
export const SPOKE_HOOK_LOG_GROUP = '/hipaa-safeguards/prevention-hook';

/** The single-account alias: per stage (letters and digits only), so two stages can share an account. */
export function hookAlias(stage: string): string {
  const suffix = stage
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
  const alias = `HIPAA::Safeguards::Prevention${suffix}`;
  if (!/^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$/.test(alias) || /^aws/i.test(alias)) {
    throw new Error(`Hook alias ${alias} does not match Name1::Name2::Name3 (2 to 64 letters or digits each).`);
  }
  return alias;
}

export function hookTargetFilters(safeguards: readonly Safeguard[]): Json {
  const names = hookTargetTypes(safeguards);
  if (names.length > MAX_HOOK_TARGET_NAMES) throw new Error(`The hook targets ${names.length} types; a LambdaHook takes at most ${MAX_HOOK_TARGET_NAMES}.`);
  return { TargetNames: names, Actions: [...HOOK_ACTIONS], InvocationPoints: [...HOOK_INVOCATION_POINTS] };
}

/** Every account fact a safeguard's `gather` may read: what the judge may read through them. */
export function hookLookupActions(safeguards: readonly Safeguard[]): string[] {
  return [...new Set([...safeguards.flatMap((s) => s.lookupActions ?? []), ...PREVENTION_LOOKUP_ACTIONS])].sort();
}

const sub = (style: ArnStyle, pattern: string): Json => arnValue(pattern, style);

/** Trusted by the hooks service of this account and region only; invokes exactly the hook Lambda. */
export function hookExecutionRole(functionArn: Json, style: ArnStyle): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: 'Assumed by CloudFormation Hooks to invoke the HIPAA Safeguards prevention hook Lambda, and nothing else.',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'hooks.cloudformation.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': sub(style, 'arn:{partition}:cloudformation:{region}:{account}:type/hook/*') },
            },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'invoke-prevention-hook',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: scopedStatements(['lambda:InvokeFunction'], { style, narrowed: { 'lambda:InvokeFunction': [functionArn] } }).map((s) => ({
              ...(s as Record<string, Json>),
              Sid: 'InvokeThePreventionHookOnly',
            })),
          },
        },
      ],
    },
  };
}

/** The hook Lambda's own role: its log group, and the read-only account facts the safeguards may look up. */
export function hookFunctionRole(safeguards: readonly Safeguard[], logGroupArn: Json, style: ArnStyle): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: 'Least privilege for the HIPAA Safeguards prevention hook Lambda: its logs and the account facts the safeguards read.',
      AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
      Policies: [
        {
          PolicyName: 'prevention-hook',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Sid: 'OwnLogGroupOnly', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroupArn },
              ...readStatements(hookLookupActions(safeguards), style),
            ],
          },
        },
      ],
    },
  };
}

export function lambdaHook(o: { alias: string; functionArn: Json; failureMode: Json; safeguards: readonly Safeguard[]; condition?: string }): Json {
  return {
    Type: 'AWS::CloudFormation::LambdaHook',
    ...(o.condition ? { Condition: o.condition } : {}),
    Properties: {
      Alias: o.alias,
      LambdaFunction: o.functionArn,
      ExecutionRole: { 'Fn::GetAtt': [HOOK.executionRole, 'Arn'] },
      FailureMode: o.failureMode,
      HookStatus: 'ENABLED',
      TargetOperations: [...HOOK_TARGET_OPERATIONS],
      TargetFilters: hookTargetFilters(o.safeguards),
    },
  };
}

export function hookEnvironment(mode: Json, onUnknown: Json): Record<string, Json> {
  return { [PREVENTION_MODE_VARIABLE]: mode, [UNKNOWN_POLICY_VARIABLE]: onUnknown };
}

/** Deploy-time options of the single-account stack (serverless params preventionMode, preventionOnUnknown). */
export interface PreventionOptions {
  readonly preventionMode: PreventionMode;
  readonly onUnknown: UnknownPolicy;
}

export const DEFAULT_PREVENTION: PreventionOptions = { preventionMode: PreventionMode.Fail, onUnknown: UnknownPolicy.Block };

/** Checks the serverless params; an unknown value is an error naming the param and the choices. */
export function preventionOptions(mode: unknown, onUnknown: unknown): PreventionOptions {
  const pick = <T extends string>(name: string, value: unknown, allowed: Record<string, T>, fallback: T): T => {
    const v = String(value ?? '').trim().toUpperCase();
    if (v === '') return fallback;
    const found = Object.values(allowed).find((a) => a === v);
    if (!found) throw new Error(`--param="${name}=${String(value)}" is not one of: ${Object.values(allowed).join(', ')}.`);
    return found;
  };
  return {
    preventionMode: pick('preventionMode', mode, PreventionMode, DEFAULT_PREVENTION.preventionMode),
    onUnknown: pick('preventionOnUnknown', onUnknown, UnknownPolicy, DEFAULT_PREVENTION.onUnknown),
  };
}

/** The serverless function of the single-account stack; none when preventionMode is OFF. */
export function hookFunctions(service: string, stage: string, o: PreventionOptions, functionRole: string): Record<string, ServerlessFunction> {
  if (o.preventionMode === PreventionMode.Off) return {};
  return {
    [HOOK_FUNCTION_KEY]: {
      handler: HOOK_HANDLER,
      name: `${service}-${stage}-${HOOK_FUNCTION_KEY}`,
      description: 'CloudFormation Lambda Hook: judges catalog resources before they are created or updated (preventionMode).',
      role: functionRole,
      timeout: HOOK_LAMBDA_TIMEOUT_SECONDS,
      environment: hookEnvironment(o.preventionMode, o.onUnknown),
    },
  };
}

/**
 * The single-account hook resources around serverless's function (`<Fn>LambdaFunction`, `<Fn>LogGroup`): nothing when
 * preventionMode is OFF (no hook, no role).
 */
export function singleAccountHookResources(
  safeguards: readonly Safeguard[],
  stage: string,
  o: PreventionOptions,
  ids: { function: string; logGroup: string },
): Record<string, Json> {
  if (o.preventionMode === PreventionMode.Off) return {};
  const functionArn: Json = { 'Fn::GetAtt': [ids.function, 'Arn'] };
  return {
    [HOOK.functionRole]: hookFunctionRole(safeguards, { 'Fn::GetAtt': [ids.logGroup, 'Arn'] }, 'join'),
    [HOOK.executionRole]: hookExecutionRole(functionArn, 'join'),
    [HOOK.hook]: lambdaHook({ alias: hookAlias(stage), functionArn, failureMode: o.preventionMode, safeguards }),
  };
}

export const SpokeHookParameter = {
  PreventionMode: 'PreventionMode',
  PreventionOnUnknown: 'PreventionOnUnknown',
  HookCodeBucketPrefix: 'HookCodeBucketPrefix',
  HookCodeKey: 'HookCodeKey',
} as const;
export const SPOKE_HOOK_CONDITION = 'PreventionHookEnabled';
export const SPOKE_HOOK_CODE_RULE = 'PreventionHookNeedsItsCode';
/**
 * Placeholders, not empty strings: cfn-lint checks the function's Code with the defaults, and a template Rule stops a
 * stack whose PreventionMode is not OFF while they are still in place (the hook cannot exist without its code).
 */
export const HOOK_CODE_NOT_UPLOADED = { bucketPrefix: 'hipaa-safeguards-hook-code-not-uploaded', key: 'hook-code-not-uploaded.zip' } as const;
export const SPOKE_HOOK_WARNS_CONDITION = 'PreventionHookWarns';

/**
 * The spoke's hook: function, log group (kept a year, retained), both roles and the LambdaHook, all under one
 * condition (PreventionMode is not OFF). Its code is the hook zip in the hub's artifact bucket of the region
 * (`<HookCodeBucketPrefix>-<region>`, key HookCodeKey).
 */
export function spokeHookParts(safeguards: readonly Safeguard[]): {
  Parameters: Record<string, Json>;
  Conditions: Record<string, Json>;
  Rules: Record<string, Json>;
  Resources: Record<string, Json>;
} {
  const p = SpokeHookParameter;
  const when = SPOKE_HOOK_CONDITION;
  const functionArn: Json = { 'Fn::GetAtt': [HOOK.function, 'Arn'] };
  const conditioned = (r: Json): Json => ({ ...(r as Record<string, Json>), Condition: when });
  return {
    Parameters: {
      [p.PreventionMode]: {
        Type: 'String',
        AllowedValues: Object.values(PreventionMode),
        // OFF until the hook's code is uploaded for the StackSet (HookCodeKey): a hook without code cannot be created.
        Default: PreventionMode.Off,
        Description: 'FAIL: the CloudFormation hook blocks non-compliant catalog resources; WARN: it warns and lets them through; OFF: no hook.',
      },
      [p.PreventionOnUnknown]: {
        Type: 'String',
        AllowedValues: Object.values(UnknownPolicy),
        Default: UnknownPolicy.Block,
        Description: 'BLOCK: a safeguard that cannot be verified before deployment (UNKNOWN) blocks like a violation; ALLOW: it is let through and reported.',
      },
      [p.HookCodeBucketPrefix]: {
        Type: 'String',
        Default: HOOK_CODE_NOT_UPLOADED.bucketPrefix,
        AllowedPattern: '^[a-z0-9][a-z0-9.-]{1,48}[a-z0-9]$',
        Description: 'Hub artifact bucket name without its -<region> suffix: the hook Lambda code of each region is in <prefix>-<region>.',
      },
      [p.HookCodeKey]: {
        Type: 'String',
        Default: HOOK_CODE_NOT_UPLOADED.key,
        AllowedPattern: '^[A-Za-z0-9_./-]+\\.zip$',
        Description: 'Object key of the hook Lambda zip in the artifact bucket (needed unless PreventionMode is OFF).',
      },
    },
    Rules: {
      [SPOKE_HOOK_CODE_RULE]: {
        RuleCondition: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: p.PreventionMode }, PreventionMode.Off] }] },
        Assertions: [
          {
            Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: p.HookCodeKey }, HOOK_CODE_NOT_UPLOADED.key] }] },
            AssertDescription: 'PreventionMode FAIL or WARN needs HookCodeBucketPrefix and HookCodeKey: the uploaded hook Lambda code.',
          },
        ],
      },
    },
    Conditions: {
      [when]: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: p.PreventionMode }, PreventionMode.Off] }] },
      [SPOKE_HOOK_WARNS_CONDITION]: { 'Fn::Equals': [{ Ref: p.PreventionMode }, PreventionMode.Warn] },
    },
    Resources: {
      [HOOK.logGroup]: {
        Type: 'AWS::Logs::LogGroup',
        Condition: when,
        // Audit evidence, like the rule Lambdas' logs: kept a year, and kept when the stack goes.
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { LogGroupName: SPOKE_HOOK_LOG_GROUP, RetentionInDays: 365 },
      },
      [HOOK.functionRole]: conditioned(hookFunctionRole(safeguards, { 'Fn::GetAtt': [HOOK.logGroup, 'Arn'] }, 'sub')),
      [HOOK.function]: {
        Type: 'AWS::Lambda::Function',
        Condition: when,
        // The role's policy names the log group's ARN; the function writes there (LoggingConfig), never to a default group.
        DependsOn: [HOOK.logGroup],
        Properties: {
          Description: 'CloudFormation Lambda Hook: judges catalog resources before they are created or updated (PreventionMode).',
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: HOOK_HANDLER,
          MemorySize: 512,
          Timeout: HOOK_LAMBDA_TIMEOUT_SECONDS,
          Role: { 'Fn::GetAtt': [HOOK.functionRole, 'Arn'] },
          Code: { S3Bucket: { 'Fn::Sub': `\${${p.HookCodeBucketPrefix}}-\${AWS::Region}` }, S3Key: { Ref: p.HookCodeKey } },
          LoggingConfig: { LogGroup: SPOKE_HOOK_LOG_GROUP },
          Environment: { Variables: hookEnvironment({ Ref: p.PreventionMode }, { Ref: p.PreventionOnUnknown }) },
        },
      },
      [HOOK.executionRole]: conditioned(hookExecutionRole(functionArn, 'sub')),
      [HOOK.hook]: lambdaHook({
        alias: SPOKE_HOOK_ALIAS,
        functionArn,
        failureMode: { 'Fn::If': [SPOKE_HOOK_WARNS_CONDITION, 'WARN', 'FAIL'] },
        safeguards,
        condition: when,
      }),
    },
  };
}
