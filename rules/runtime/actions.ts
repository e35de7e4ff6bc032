/**
 * IAM actions the runtime calls on top of a rule's own listing and lookups, by the notification that makes it
 * call them: kept next to the calls so the least-privilege roles (scripts/lib/iam.ts) cannot drift from them.
 */
export const RUNTIME_ACTIONS = {
  /** Every invocation reports its verdicts. */
  always: ['config:PutEvaluations'],
  /** Oversized change notifications carry no item: the runtime reads it from the history. */
  change: ['config:GetResourceConfigHistory'],
  /** Periodic runs list the resources, and mark ones evaluated before but now gone as NOT_APPLICABLE. */
  periodic: ['config:GetComplianceDetailsByConfigRule'],
  /**
   * Only when the rule parameter importSecurityHubFindings is set (rules/runtime/securityhub.ts): granted only where
   * the deployment enables it (deploy-time option importSecurityHubFindings), BatchUpdateFindings for Workflow.Status only.
   */
  securityHub: ['securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings'],
} as const;

/** The only workflow status rules/runtime/securityhub.ts sets with BatchUpdateFindings. */
export const SECURITY_HUB_WORKFLOW_STATUSES = ['RESOLVED'] as const;

/** What the CloudTrail re-evaluation trigger (rules/triggers/reevaluate-on-change.ts) calls, queue reads aside. */
export const REEVALUATE_ACTIONS = ['config:DescribeConfigRules', 'config:StartConfigRulesEvaluation'] as const;
/** What Lambda's SQS event source needs of the function's role on its queue. */
export const QUEUE_CONSUMER_ACTIONS = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'] as const;
