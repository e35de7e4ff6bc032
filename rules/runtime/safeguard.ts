import type { AwsClients } from './clients';
import type { Verdict } from './compliance';
import type { ConfigurationItem } from './event';
import type { KeyFacts } from './kms';
import { commonParameters, type ParameterSchema, type ParameterValues } from './parameters';

/** The view of a resource every safeguard sees, whatever its source (configuration item or API). */
export interface NormalizedResource {
  /** The ID AWS Config reports (ComplianceResourceId). */
  readonly id: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Builds the normalized view of one AWS resource type, from a configuration item or from the service API.
 * One adapter per type lives in `rules/resources/`.
 */
export interface ResourceAdapter<R extends NormalizedResource> {
  /** CloudFormation-style type, the ComplianceResourceType of its evaluations. */
  readonly resourceType: string;
  /** How annotations name the resource, e.g. `Stream vitals`. */
  label(resource: R): string;
  /** Throws MalformedEventError naming the field when the item lacks what the view needs. */
  fromConfigurationItem(item: ConfigurationItem): R;
  /** Every resource of the type in the clients' account and region, all pages. */
  list(clients: AwsClients): AsyncIterable<R>;
  /** The IAM actions `list` calls, for least-privilege roles. */
  readonly listActions: readonly string[];
}

export const Trigger = { Change: 'change', Periodic: 'periodic' } as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];

export const Severity = { Critical: 'CRITICAL', High: 'HIGH', Medium: 'MEDIUM', Low: 'LOW' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Facts the runtime fetches before `evaluate`, so that `evaluate` stays pure. */
export interface EvaluationContext {
  readonly now: Date;
  readonly keys: ReadonlyMap<string, KeyFacts>;
}

export interface RemediationLink {
  /** SSM document name; the document is remediations/<document>.yaml. */
  readonly document: string;
  /** true: Config runs it on every NON_COMPLIANT resource; false: a person starts it from the console. */
  readonly automatic: boolean;
  /** Document parameter that receives the resource ID (RESOURCE_ID). */
  readonly resourceIdParameter: string;
  /** Config's MaximumAutomaticAttempts, 1 to 25. */
  readonly maximumAutomaticAttempts: number;
  readonly retryAttemptSeconds: number;
  /** Other document parameters, each exposed as a pack parameter with this default. */
  readonly parameters?: Readonly<Record<string, { readonly default: string; readonly description: string }>>;
}

export interface SafeguardDefinition<R extends NormalizedResource, S extends ParameterSchema> {
  readonly name: string;
  /** Describes the compliant state. */
  readonly title: string;
  readonly description: string;
  readonly resource: ResourceAdapter<R>;
  readonly triggers: readonly Trigger[];
  readonly hipaa: readonly string[];
  readonly severity: Severity;
  readonly parameters: S;
  readonly remediation?: RemediationLink;
  /** KMS keys to describe before `evaluate` (none by default: a lookup costs a call). */
  kmsKeysOf?(resource: R, params: ParameterValues<S>): readonly string[];
  /** Extra IAM actions the rule's lookups call (beyond listing and PutEvaluations). */
  readonly lookupActions?: readonly string[];
  /** Pure: the same resource, parameters and context always give the same verdict. */
  evaluate(resource: R, params: ParameterValues<S>, ctx: EvaluationContext): Verdict;
}

export type FullSchema<S extends ParameterSchema> = S & typeof commonParameters;

export interface Safeguard<R extends NormalizedResource = NormalizedResource, S extends ParameterSchema = ParameterSchema>
  extends SafeguardDefinition<R, S> {
  /** The rule's own parameters plus the runtime's common ones. */
  readonly schema: FullSchema<S>;
}

const RULE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Declares a safeguard: metadata plus one pure `evaluate`. The runtime does the rest.
 * @example export const myRule = defineSafeguard({ name: 'my-rule', ..., evaluate: (r) => compliant(`${r.id} ok`) });
 */
export function defineSafeguard<R extends NormalizedResource, S extends ParameterSchema>(
  definition: SafeguardDefinition<R, S>,
): Safeguard<R, S> {
  if (!RULE_NAME.test(definition.name) || definition.name.length > 64) {
    throw new Error(`Safeguard name ${JSON.stringify(definition.name)} must be kebab-case and at most 64 characters.`);
  }
  const clash = Object.keys(definition.parameters).find((p) => Object.hasOwn(commonParameters, p));
  if (clash) throw new Error(`Safeguard ${definition.name} redefines the common parameter ${clash}.`);
  return { ...definition, schema: { ...definition.parameters, ...commonParameters } };
}
