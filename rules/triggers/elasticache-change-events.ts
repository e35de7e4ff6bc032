/**
 * CloudTrail events (successful calls only) after which an ElastiCache verdict may change: the `eventNames` of the
 * `elasticache` entry of CHANGE_SOURCES (./change-sources.ts). A module of its own, holding data only, so the trigger
 * (./reevaluate-on-change.ts) can read CHANGE_SOURCES without an import cycle.
 */
export const ELASTICACHE_CHANGE_EVENT_NAMES = [
  'CreateReplicationGroup',
  'CreateCacheCluster',
  'CreateServerlessCache',
  'ModifyReplicationGroup',
  'ModifyCacheCluster',
  // Beyond the node-based calls: serverless settings, exemption tags and RBAC users change verdicts too.
  'ModifyServerlessCache',
  'AddTagsToResource',
  'RemoveTagsFromResource',
  'ModifyUserGroup',
  'ModifyUser',
] as const;
