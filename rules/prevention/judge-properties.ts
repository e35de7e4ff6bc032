import type { AwsClients } from '../runtime/clients';
import type { ComplianceType } from '../runtime/compliance';
import type { Lookup } from '../runtime/lookup';
import type { TemplateResource } from './facts';

/**
 * Prevention (issue 12): the contract between the template adapters (check-template, Terraform) and the
 * CloudFormation Lambda Hook. The same `evaluate` of every safeguard judges a resource from its declared
 * properties; a fact that cannot be resolved before deployment gives UNKNOWN, never a silent pass.
 */
export type PreventionCompliance = ComplianceType | 'UNKNOWN';

export interface PropertyVerdict {
  /** Safeguard name (the Config rule name). */
  readonly rule: string;
  readonly resourceType: string;
  readonly compliance: PreventionCompliance;
  readonly annotation: string;
  /** UNKNOWN only: what could not be resolved (property paths with what they depend on, or the facts). Optional. */
  readonly unresolved?: readonly string[];
}

export interface PropertiesInput {
  /** CloudFormation type, e.g. AWS::Kinesis::Stream. */
  readonly resourceType: string;
  /** Logical ID (template) or the hook's target logical ID: names the resource when it has no physical name yet. */
  readonly logicalId: string;
  /** Resolved resource properties, as CloudFormation or the hook request carries them (unknown: parsed inside). */
  readonly properties: unknown;
  /** Rule parameters per rule name, as strings (the way Config passes them). */
  readonly parameters?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Only these rules (default: every catalog rule that judges the type). */
  readonly rules?: readonly string[];
  // Optional additions (issue 12 implementation, rules/prevention/judge.ts):
  /** Credentials for the account: facts the properties cannot give (a KMS key's kind, a source stream, RBAC users) are read there. */
  readonly clients?: AwsClients;
  /** The other resources of the same template, properties resolved: facts are taken from them first. */
  readonly template?: Readonly<Record<string, TemplateResource>>;
  /** A fact source shared across calls (a PreventionLookup), so one run reads each key once; overrides clients/template. */
  readonly facts?: Lookup;
  /** The clock for exemption expiry (default: now). */
  readonly now?: Date;
}

/**
 * Judges one resource's declared properties with every safeguard of the catalog that covers its type.
 * Implemented by the prevention work (issue 12); the hook handler and check-template both call it.
 */
export type JudgeProperties = (input: PropertiesInput) => Promise<PropertyVerdict[]>;
