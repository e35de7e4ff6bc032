import type { ComplianceType } from '../runtime/compliance';

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
}

/**
 * Judges one resource's declared properties with every safeguard of the catalog that covers its type.
 * Implemented by the prevention work (issue 12); the hook handler and check-template both call it.
 */
export type JudgeProperties = (input: PropertiesInput) => Promise<PropertyVerdict[]>;
