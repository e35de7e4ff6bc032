import type { JudgeProperties } from '../prevention/judge-properties';
import { HookConfigurationError } from './errors';
import { createHookHandler } from './handler';

/**
 * The module of the prevention work that implements `judgeProperties` (rules/prevention/judge.ts). Until it is merged
 * into this branch it does not exist, so it is loaded by a path the compiler does not resolve, and its absence is an
 * InternalFailure (fail closed), never a pass.
 * After the merge, replace `defaultJudgeProperties` below with the static import
 * `import { judgeProperties as defaultJudgeProperties } from '../prevention/judge';`
 * so esbuild bundles it into the hook Lambda (a computed import() is not bundled).
 */
const JUDGE_MODULE = '../prevention/judge';

export const defaultJudgeProperties: JudgeProperties = async (input) => {
  let judge: unknown;
  try {
    judge = ((await import(JUDGE_MODULE)) as { judgeProperties?: unknown }).judgeProperties;
  } catch (error) {
    throw new HookConfigurationError(`The prevention judge (rules/prevention/judge) is not part of this build.`, { cause: error });
  }
  if (typeof judge !== 'function') throw new HookConfigurationError('rules/prevention/judge exports no judgeProperties function.');
  return (judge as JudgeProperties)(input);
};

/** The CloudFormation Lambda Hook of the pack (AWS::CloudFormation::LambdaHook, scripts/lib/hook-resources.ts). */
export const handler = createHookHandler({ judgeProperties: defaultJudgeProperties });
