/**
 * IAM actions the runtime calls on top of a rule's own listing and lookups, by the notification that makes it
 * call them: kept next to the calls so the least-privilege roles (scripts/lib/iam.ts) cannot drift from them.
 */
export const RUNTIME_ACTIONS = {
  /** Every invocation reports its verdicts, and imports them to Security Hub when importSecurityHubFindings is set. */
  always: ['config:PutEvaluations', 'securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings'],
  /** Oversized change notifications carry no item: the runtime reads it from the history. */
  change: ['config:GetResourceConfigHistory'],
  /** Periodic runs list the resources, and mark ones evaluated before but now gone as NOT_APPLICABLE. */
  periodic: ['config:GetComplianceDetailsByConfigRule'],
} as const;
