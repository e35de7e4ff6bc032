import * as z from 'zod/mini';
import { describeIssues } from '../runtime/issues';
import { HookConfigurationError } from './errors';

/**
 * preventionMode, a deploy-time option of the pack (serverless param, spoke parameter; not a Config rule parameter:
 * the hook is not part of the conformance pack). The template sets the hook's FailureMode and this variable from it.
 * - FAIL: a non-compliant resource is answered FAILED/NonCompliant and the hook (FailureMode FAIL) blocks it.
 * - WARN: the same answer, but the hook's FailureMode is WARN: CloudFormation shows the message as a warning and
 *   proceeds (the documented way for a hook to "issue warnings to users but allow actions to continue").
 * - OFF: the hook is DISABLED; if it is invoked anyway the handler answers SUCCESS without judging.
 */
export const PreventionMode = { Fail: 'FAIL', Warn: 'WARN', Off: 'OFF' } as const;
export type PreventionMode = (typeof PreventionMode)[keyof typeof PreventionMode];

/**
 * What an UNKNOWN verdict (a fact that could not be resolved before the resource exists) does.
 * BLOCK (default): fail closed, as a PHI safeguard must: "could not verify" is answered FAILED/NonCompliant, like a
 * violation. ALLOW: the resource proceeds and the answer says what could not be verified; detection (the Config rule)
 * judges it once it exists.
 */
export const UnknownPolicy = { Block: 'BLOCK', Allow: 'ALLOW' } as const;
export type UnknownPolicy = (typeof UnknownPolicy)[keyof typeof UnknownPolicy];

export const PREVENTION_MODE_VARIABLE = 'HIPAA_SAFEGUARDS_PREVENTION_MODE';
export const UNKNOWN_POLICY_VARIABLE = 'HIPAA_SAFEGUARDS_PREVENTION_UNKNOWN';
/** JSON `{ "<rule>": { "<parameter>": "<value>" } }`: rule parameters for the hook (the Config rules' come from the pack). */
export const RULE_PARAMETERS_VARIABLE = 'HIPAA_SAFEGUARDS_HOOK_RULE_PARAMETERS';

export interface HookSettings {
  readonly preventionMode: PreventionMode;
  readonly onUnknown: UnknownPolicy;
  readonly parameters: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const DEFAULT_HOOK_SETTINGS: HookSettings = { preventionMode: PreventionMode.Fail, onUnknown: UnknownPolicy.Block, parameters: {} };

const RuleParameters = z.record(z.string(), z.record(z.string(), z.string()));

function oneOf<T extends string>(variable: string, value: string | undefined, allowed: Record<string, T>, fallback: T): T {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim().toUpperCase();
  const found = Object.values(allowed).find((a) => a === v);
  if (!found) throw new HookConfigurationError(`${variable} is "${value}". Expected one of: ${Object.values(allowed).join(', ')}.`);
  return found;
}

/** Reads the hook's settings from its environment; a bad value is a HookConfigurationError naming the variable. */
export function hookSettingsFromEnvironment(env: Readonly<Record<string, string | undefined>>): HookSettings {
  const preventionMode = oneOf(PREVENTION_MODE_VARIABLE, env[PREVENTION_MODE_VARIABLE], PreventionMode, DEFAULT_HOOK_SETTINGS.preventionMode);
  const onUnknown = oneOf(UNKNOWN_POLICY_VARIABLE, env[UNKNOWN_POLICY_VARIABLE], UnknownPolicy, DEFAULT_HOOK_SETTINGS.onUnknown);
  const raw = env[RULE_PARAMETERS_VARIABLE];
  if (raw === undefined || raw.trim() === '') return { preventionMode, onUnknown, parameters: {} };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new HookConfigurationError(`${RULE_PARAMETERS_VARIABLE} is not JSON (${(e as Error).message}). Expected {"<rule>": {"<parameter>": "<value>"}}.`);
  }
  const parsed = RuleParameters.safeParse(json);
  if (!parsed.success) throw new HookConfigurationError(`${RULE_PARAMETERS_VARIABLE} is malformed: ${describeIssues(parsed.error, RULE_PARAMETERS_VARIABLE)}.`);
  return { preventionMode, onUnknown, parameters: parsed.data };
}
