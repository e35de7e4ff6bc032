import type { JudgeProperties } from '../prevention/judge-properties';
import { judgeProperties } from '../prevention/judge';
import { clientsFor } from '../runtime/clients';
import { HookConfigurationError } from './errors';
import { createHookHandler } from './handler';

/**
 * The judge the deployed hook uses: the catalog's evaluators on the declared properties, with the account's facts
 * (KMS keys, source streams, RBAC users) read as the hook Lambda's own role in its account and region. Imported
 * statically so esbuild bundles it into the hook Lambda.
 */
export const defaultJudgeProperties: JudgeProperties = async (input) => {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new HookConfigurationError('AWS_REGION is not set: the hook cannot read the account facts it needs.');
  return judgeProperties({ ...input, clients: input.clients ?? clientsFor({ region }) });
};

/** The CloudFormation Lambda Hook of the pack (AWS::CloudFormation::LambdaHook, scripts/lib/hook-resources.ts). */
export const handler = createHookHandler({ judgeProperties: defaultJudgeProperties });
