import type { Condemnation, RemediationLink } from './safeguard';

/** The pack's notification topic in the account and region the remediation runs in (a pack placeholder). */
const NOTIFICATION_TOPIC_ARN = 'arn:{partition}:sns:{region}:{accountId}:{NotificationTopicName}';

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
      TopicArn: NOTIFICATION_TOPIC_ARN,
    },
  };
}

/**
 * Snapshot, then delete, an ElastiCache cache the rule still judges NON_COMPLIANT at run time, only when the document
 * itself re-reads `condemns` on the resource, and it is not exempt, available and younger than MaxAgeHours. When the
 * fact does not hold (an encrypted cache judged for its key), the document notifies the pack's topic and deletes nothing.
 */
export function snapshotAndDeleteRemediation(ruleName: string, automatic: boolean, condemns: Condemnation): RemediationLink {
  return {
    document: 'HIPAA-ElastiCacheSnapshotAndDelete',
    automatic,
    resourceIdParameter: 'ResourceId',
    maximumAutomaticAttempts: 2,
    retryAttemptSeconds: 600,
    parameters: {
      MaxAgeHours: {
        default: '24',
        description: 'Only caches created less than this many hours ago (0 to 720) are deleted; older ones stop the run for a person to act.',
      },
      AllowDeleteWithoutSnapshot: {
        default: 'false',
        description: 'true lets the remediation delete Memcached clusters, which cannot be snapshotted.',
      },
    },
    condemns,
    fixed: { ConfigRuleName: ruleName, Condemnation: condemns },
  };
}
