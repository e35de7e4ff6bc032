import type { RemediationLink } from './safeguard';

/**
 * Remediations that several safeguards share, defined once so the rules that use them cannot drift apart.
 */

/**
 * Tell a person through the deployment's notification topic: for resources that cannot be fixed in place.
 * ResourceType is left to the document (Auto), which finds the kind the rule judged.
 */
export function notifyPersonRemediation(ruleName: string): RemediationLink {
  return {
    document: 'HIPAA-NotifyNonCompliantResource',
    automatic: true,
    resourceIdParameter: 'ResourceId',
    // Each run sends a message: one attempt per NON_COMPLIANT verdict.
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
    fixed: {
      ConfigRuleName: ruleName,
      // The deployment creates the topic in every account and region; the security team subscribes to it.
      TopicArn: 'arn:{partition}:sns:{region}:{accountId}:{NotificationTopicName}',
    },
  };
}

/**
 * Snapshot, then delete, an ElastiCache cache the rule still judges NON_COMPLIANT at run time, only when it is not
 * exempt, available and younger than MaxAgeHours.
 */
export function snapshotAndDeleteRemediation(ruleName: string, automatic: boolean): RemediationLink {
  return {
    document: 'HIPAA-ElastiCacheSnapshotAndDelete',
    automatic,
    resourceIdParameter: 'ResourceId',
    maximumAutomaticAttempts: 2,
    retryAttemptSeconds: 600,
    parameters: {
      MaxAgeHours: {
        default: '24',
        description: 'Only caches created less than this many hours ago are deleted; older ones stop the run for a person to act.',
      },
      AllowDeleteWithoutSnapshot: {
        default: 'false',
        description: 'true lets the remediation delete Memcached clusters, which cannot be snapshotted.',
      },
    },
    fixed: { ConfigRuleName: ruleName },
  };
}
