import { ELASTICACHE_CHANGE_EVENT_NAMES } from './elasticache-change-events';

/**
 * CloudTrail calls (via EventBridge) after which some safeguards must be evaluated again within minutes, because AWS
 * Config will not do it: the type is not recorded (ElastiCache, MemoryDB), or the verdict depends on a resource whose
 * change Config does not tie to the judged one (an RDS parameter group and the instances that use it).
 * The re-evaluation trigger (`rules/triggers/`) serves every entry with one queue and one Lambda: an event of an entry
 * starts the Config rules of the safeguards that judge one of its `resourceTypes` (narrowed to `safeguards` if given).
 */
export interface ChangeSource {
  /** Short id, used in logs and logical IDs: `elasticache`. */
  readonly id: string;
  /** EventBridge `source`: `aws.elasticache`. */
  readonly source: string;
  /** CloudTrail `detail.eventSource`: `elasticache.amazonaws.com`. */
  readonly eventSource: string;
  /** Successful calls after which a verdict may change. */
  readonly eventNames: readonly string[];
  /** The safeguards to start: every one that judges one of these types... */
  readonly resourceTypes: readonly string[];
  /** ...narrowed to these names when given. */
  readonly safeguards?: readonly string[];
}

export const CHANGE_SOURCES: readonly ChangeSource[] = [
  {
    id: 'elasticache',
    source: 'aws.elasticache',
    eventSource: 'elasticache.amazonaws.com',
    eventNames: ELASTICACHE_CHANGE_EVENT_NAMES,
    resourceTypes: ['AWS::ElastiCache::ReplicationGroup', 'AWS::ElastiCache::CacheCluster', 'AWS::ElastiCache::ServerlessCache'],
  },
  {
    // AWS Config records no MemoryDB cluster (only AWS::MemoryDB::SubnetGroup). Operation names from the MemoryDB API
    // model (../shared/reference/F-botocore-service-models/memorydb-2021-01-01.service-2.json).
    id: 'memorydb',
    source: 'aws.memorydb',
    eventSource: 'memorydb.amazonaws.com',
    eventNames: [
      // A new cluster (also a restore from a snapshot); UpdateCluster can attach another ACL (ACLName).
      'CreateCluster',
      'UpdateCluster',
      // Exemption tags.
      'TagResource',
      'UntagResource',
      // The users of an ACL, and a user's authentication or access string, decide memorydb-auth-enabled. CreateACL
      // answers a cluster whose ACL could not be listed; DeleteUser takes the user out of every ACL.
      'CreateACL',
      'UpdateACL',
      'UpdateUser',
      'DeleteUser',
    ],
    resourceTypes: ['AWS::MemoryDB::Cluster'],
  },
  {
    // A parameter or option group change (or the reboot that puts it in force) changes the TLS verdict of every
    // instance and cluster using it, and Config sends no item change for those; each name is an operation of
    // ../shared/reference/F-botocore-service-models/rds-2014-10-31.service-2.json (test/triggers/reevaluate-on-change.test.ts).
    id: 'rds',
    source: 'aws.rds',
    eventSource: 'rds.amazonaws.com',
    eventNames: [
      'ModifyDBParameterGroup',
      'ModifyDBClusterParameterGroup',
      'ResetDBParameterGroup',
      'ResetDBClusterParameterGroup',
      'ModifyOptionGroup',
      'RebootDBInstance',
      'RebootDBCluster',
      'ModifyDBInstance',
      'ModifyDBCluster',
      'CreateDBInstance',
      'CreateDBCluster',
      'StartDBInstance',
      'StartDBCluster',
    ],
    resourceTypes: ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'],
    safeguards: ['rds-tls-enforced'],
  },
];
