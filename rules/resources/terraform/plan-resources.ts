/**
 * Terraform adapters (prevention, issue 12): a resource of a `terraform show -json` plan, in the AWS provider's
 * attribute names, as the CloudFormation properties of the same resource, which the CloudFormation builders of
 * rules/resources/cloudformation/ turn into the normalized view. This module is the only place that knows the
 * provider's attribute names; translating into the CloudFormation shape (rather than a third view builder) keeps one
 * set of documented defaults and one UNKNOWN mechanism for both infrastructure-as-code sources.
 *
 * Values unknown until apply arrive as markers (rules/prevention/markers.ts), made by the plan reader from
 * `after_unknown` and the configuration's references; attributes the configuration leaves out are absent here, so
 * the service default applies exactly as for CloudFormation.
 */

type Values = Readonly<Record<string, unknown>>;

/** One translated resource; undefined when the resource is not judged (a cluster that is a replication group member). */
export interface TranslatedResource {
  readonly resourceType: string;
  readonly properties: Record<string, unknown>;
  /**
   * A resource policy the Terraform resource sets inline (`policy` of aws_sqs_queue / aws_sns_topic), which
   * CloudFormation declares as a resource of its own: the plan reader adds it as `resourceType` naming this resource
   * (`targetProperty`: `!Ref` of its logical ID) with `document` as its PolicyDocument.
   */
  readonly inlinePolicy?: { readonly resourceType: string; readonly targetProperty: string; readonly document: unknown };
}

const present = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
const first = (v: unknown): Values | undefined => (Array.isArray(v) ? (v[0] as Values | undefined) : undefined);
const set = (out: Record<string, unknown>, key: string, v: unknown) => {
  if (present(v)) out[key] = v;
};

/** `tags_all` (tags plus the provider's default_tags, what AWS ends up with), else `tags`, as a CloudFormation Tags list. */
function tagsOf(v: Values): { Key: string; Value: string }[] {
  const tags = (v.tags_all ?? v.tags ?? {}) as Record<string, unknown>;
  return typeof tags === 'object' && tags !== null ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value: String(Value ?? '') })) : [];
}

/** `tags_all`, else `tags`, as a CloudFormation tag map (AWS::MSK::* take Tags as a map). */
function tagMapOf(v: Values): Record<string, string> {
  return Object.fromEntries(tagsOf(v).map((t) => [t.Key, t.Value]));
}

/** The CloudFormation type each judged Terraform type stands for. */
export const TERRAFORM_TYPES: Readonly<Record<string, string>> = {
  aws_kinesis_stream: 'AWS::Kinesis::Stream',
  aws_kinesis_firehose_delivery_stream: 'AWS::KinesisFirehose::DeliveryStream',
  aws_kinesis_video_stream: 'AWS::KinesisVideo::Stream',
  aws_elasticache_replication_group: 'AWS::ElastiCache::ReplicationGroup',
  aws_elasticache_cluster: 'AWS::ElastiCache::CacheCluster',
  aws_elasticache_serverless_cache: 'AWS::ElastiCache::ServerlessCache',
  aws_elasticache_user_group: 'AWS::ElastiCache::UserGroup',
  aws_elasticache_user: 'AWS::ElastiCache::User',
  aws_msk_cluster: 'AWS::MSK::Cluster',
  aws_msk_serverless_cluster: 'AWS::MSK::ServerlessCluster',
  aws_memorydb_cluster: 'AWS::MemoryDB::Cluster',
  aws_memorydb_acl: 'AWS::MemoryDB::ACL',
  aws_memorydb_user: 'AWS::MemoryDB::User',
  aws_sqs_queue: 'AWS::SQS::Queue',
  aws_sqs_queue_policy: 'AWS::SQS::QueuePolicy',
  aws_sns_topic: 'AWS::SNS::Topic',
  aws_sns_topic_policy: 'AWS::SNS::TopicPolicy',
  aws_db_instance: 'AWS::RDS::DBInstance',
  aws_rds_cluster: 'AWS::RDS::DBCluster',
  aws_docdb_cluster: 'AWS::DocDB::DBCluster',
  aws_neptune_cluster: 'AWS::Neptune::DBCluster',
  aws_db_parameter_group: 'AWS::RDS::DBParameterGroup',
  aws_rds_cluster_parameter_group: 'AWS::RDS::DBClusterParameterGroup',
  aws_docdb_cluster_parameter_group: 'AWS::DocDB::DBClusterParameterGroup',
  aws_neptune_cluster_parameter_group: 'AWS::Neptune::DBClusterParameterGroup',
  aws_db_option_group: 'AWS::RDS::OptionGroup',
  aws_kms_key: 'AWS::KMS::Key',
  aws_opensearch_domain: 'AWS::OpenSearchService::Domain',
  aws_opensearchserverless_collection: 'AWS::OpenSearchServerless::Collection',
  aws_opensearchserverless_security_policy: 'AWS::OpenSearchServerless::SecurityPolicy',
  aws_kms_alias: 'AWS::KMS::Alias',
};

/**
 * Translates one planned resource. Provider defaults: `encryption_type` NONE (aws_kinesis_stream), `engine` redis
 * (aws_elasticache_replication_group), `is_enabled` true (aws_kms_key); Firehose's source is `kinesis_source_configuration`
 * (KinesisStreamAsSource) or `msk_source_configuration` (MSKAsSource), otherwise DirectPut. aws_opensearch_domain:
 * `encrypt_at_rest`, `node_to_node_encryption`, `domain_endpoint_options` map onto the CloudFormation options.
 */
export function translateTerraform(type: string, v: Values): TranslatedResource | undefined {
  const resourceType = TERRAFORM_TYPES[type];
  if (!resourceType) return undefined;
  const p: Record<string, unknown> = {};
  switch (type) {
    case 'aws_kinesis_stream':
      set(p, 'Name', v.name);
      if (String(v.encryption_type ?? 'NONE') !== 'NONE') p.StreamEncryption = { EncryptionType: v.encryption_type, ...(present(v.kms_key_id) ? { KeyId: v.kms_key_id } : {}) };
      p.Tags = tagsOf(v);
      break;
    case 'aws_kinesis_firehose_delivery_stream': {
      set(p, 'DeliveryStreamName', v.name);
      const source = first(v.kinesis_source_configuration);
      if (source) {
        p.DeliveryStreamType = 'KinesisStreamAsSource';
        p.KinesisStreamSourceConfiguration = { KinesisStreamARN: source.kinesis_stream_arn, RoleARN: source.role_arn };
      } else if (first(v.msk_source_configuration)) p.DeliveryStreamType = 'MSKAsSource';
      else p.DeliveryStreamType = 'DirectPut';
      const sse = first(v.server_side_encryption);
      if (sse && sse.enabled === true) {
        p.DeliveryStreamEncryptionConfigurationInput = { KeyType: sse.key_type ?? 'AWS_OWNED_CMK', ...(present(sse.key_arn) ? { KeyARN: sse.key_arn } : {}) };
      }
      p.Tags = tagsOf(v);
      break;
    }
    case 'aws_kinesis_video_stream':
      set(p, 'Name', v.name);
      set(p, 'KmsKeyId', v.kms_key_id);
      p.Tags = tagsOf(v);
      break;
    case 'aws_elasticache_replication_group':
      set(p, 'ReplicationGroupId', v.replication_group_id);
      set(p, 'Engine', v.engine);
      set(p, 'EngineVersion', v.engine_version);
      set(p, 'CacheNodeType', v.node_type);
      set(p, 'AtRestEncryptionEnabled', v.at_rest_encryption_enabled);
      set(p, 'KmsKeyId', v.kms_key_id);
      set(p, 'TransitEncryptionEnabled', v.transit_encryption_enabled);
      set(p, 'TransitEncryptionMode', v.transit_encryption_mode);
      set(p, 'AuthToken', v.auth_token);
      set(p, 'UserGroupIds', v.user_group_ids);
      set(p, 'GlobalReplicationGroupId', v.global_replication_group_id);
      p.Tags = tagsOf(v);
      break;
    case 'aws_elasticache_cluster':
      // A member of a replication group is judged with its group.
      if (present(v.replication_group_id)) return undefined;
      set(p, 'ClusterName', v.cluster_id);
      set(p, 'Engine', v.engine);
      set(p, 'EngineVersion', v.engine_version);
      set(p, 'CacheNodeType', v.node_type);
      set(p, 'TransitEncryptionEnabled', v.transit_encryption_enabled);
      p.Tags = tagsOf(v);
      break;
    case 'aws_elasticache_serverless_cache':
      set(p, 'ServerlessCacheName', v.name);
      set(p, 'Engine', v.engine);
      set(p, 'MajorEngineVersion', v.major_engine_version);
      set(p, 'KmsKeyId', v.kms_key_id);
      set(p, 'UserGroupId', v.user_group_id);
      p.Tags = tagsOf(v);
      break;
    case 'aws_elasticache_user_group':
      set(p, 'UserGroupId', v.user_group_id);
      p.UserIds = v.user_ids ?? [];
      break;
    case 'aws_elasticache_user': {
      set(p, 'UserId', v.user_id);
      set(p, 'UserName', v.user_name);
      set(p, 'AccessString', v.access_string);
      set(p, 'NoPasswordRequired', v.no_password_required);
      set(p, 'Passwords', v.passwords);
      const mode = first(v.authentication_mode);
      if (mode && present(mode.type)) p.AuthenticationMode = { Type: mode.type };
      break;
    }
    case 'aws_msk_cluster': {
      // encryption_info { encryption_at_rest_kms_key_arn, encryption_in_transit { client_broker, in_cluster } }; the
      // provider's defaults (TLS, true) are AWS's, so a block left out translates to properties left out.
      set(p, 'ClusterName', v.cluster_name);
      const info = first(v.encryption_info);
      const transit = first(info?.encryption_in_transit);
      const encryption: Record<string, unknown> = {};
      if (info && present(info.encryption_at_rest_kms_key_arn)) encryption.EncryptionAtRest = { DataVolumeKMSKeyId: info.encryption_at_rest_kms_key_arn };
      if (transit) {
        const t: Record<string, unknown> = {};
        set(t, 'ClientBroker', transit.client_broker);
        set(t, 'InCluster', transit.in_cluster);
        encryption.EncryptionInTransit = t;
      }
      if (Object.keys(encryption).length > 0) p.EncryptionInfo = encryption;
      p.Tags = tagMapOf(v);
      break;
    }
    case 'aws_msk_serverless_cluster':
      set(p, 'ClusterName', v.cluster_name);
      p.Tags = tagMapOf(v);
      break;
    case 'aws_opensearch_domain': {
      // Blocks the configuration leaves out are absent from the plan: CreateDomain's defaults apply, as for CloudFormation.
      set(p, 'DomainName', v.domain_name);
      set(p, 'EngineVersion', v.engine_version);
      const atRest = first(v.encrypt_at_rest);
      if (atRest) p.EncryptionAtRestOptions = { ...(present(atRest.enabled) ? { Enabled: atRest.enabled } : {}), ...(present(atRest.kms_key_id) ? { KmsKeyId: atRest.kms_key_id } : {}) };
      const n2n = first(v.node_to_node_encryption);
      if (n2n && present(n2n.enabled)) p.NodeToNodeEncryptionOptions = { Enabled: n2n.enabled };
      const endpoint = first(v.domain_endpoint_options);
      if (endpoint) {
        p.DomainEndpointOptions = {
          ...(present(endpoint.enforce_https) ? { EnforceHTTPS: endpoint.enforce_https } : {}),
          ...(present(endpoint.tls_security_policy) ? { TLSSecurityPolicy: endpoint.tls_security_policy } : {}),
        };
      }
      p.Tags = tagsOf(v);
      break;
    }
    // OpenSearch Serverless: the collection's key comes from the encryption policy that covers its name (an
    // aws_opensearchserverless_security_policy of type encryption in the same plan, else UNKNOWN); only its name and tags
    // are read from the collection.
    case 'aws_opensearchserverless_collection':
      set(p, 'Name', v.name);
      p.Tags = tagsOf(v);
      break;
    case 'aws_opensearchserverless_security_policy':
      set(p, 'Name', v.name);
      set(p, 'Type', v.type);
      set(p, 'Policy', v.policy);
      break;
    case 'aws_memorydb_cluster':
      // `tls_enabled` absent: true, as for CloudFormation (cloudformation/memorydb.ts); `kms_key_arn` absent: the default key.
      set(p, 'ClusterName', v.name);
      set(p, 'ACLName', v.acl_name);
      set(p, 'TLSEnabled', v.tls_enabled);
      set(p, 'KmsKeyId', v.kms_key_arn);
      set(p, 'Engine', v.engine);
      set(p, 'EngineVersion', v.engine_version);
      p.Tags = tagsOf(v);
      break;
    case 'aws_memorydb_acl':
      set(p, 'ACLName', v.name);
      p.UserNames = v.user_names ?? [];
      break;
    case 'aws_memorydb_user': {
      set(p, 'UserName', v.user_name);
      set(p, 'AccessString', v.access_string);
      const mode = first(v.authentication_mode);
      if (mode && present(mode.type)) p.AuthenticationMode = { Type: mode.type };
      break;
    }
    // SQS: sqs_managed_sse_enabled left out is the service default (SSE-SQS for new queues), as in CloudFormation.
    case 'aws_sqs_queue': {
      set(p, 'QueueName', v.name);
      set(p, 'KmsMasterKeyId', v.kms_master_key_id);
      set(p, 'SqsManagedSseEnabled', v.sqs_managed_sse_enabled);
      p.Tags = tagsOf(v);
      const document = typeof v.policy === 'string' && v.policy.trim() !== '' ? v.policy : undefined;
      return { resourceType, properties: p, ...(document ? { inlinePolicy: { resourceType: 'AWS::SQS::QueueInlinePolicy', targetProperty: 'Queue', document } } : {}) };
    }
    case 'aws_sqs_queue_policy':
      p.Queues = present(v.queue_url) ? [v.queue_url] : [];
      set(p, 'PolicyDocument', v.policy);
      break;
    case 'aws_sns_topic': {
      set(p, 'TopicName', v.name);
      set(p, 'KmsMasterKeyId', v.kms_master_key_id);
      p.Tags = tagsOf(v);
      const document = typeof v.policy === 'string' && v.policy.trim() !== '' ? v.policy : undefined;
      return { resourceType, properties: p, ...(document ? { inlinePolicy: { resourceType: 'AWS::SNS::TopicInlinePolicy', targetProperty: 'TopicArn', document } } : {}) };
    }
    case 'aws_sns_topic_policy':
      p.Topics = present(v.arn) ? [v.arn] : [];
      set(p, 'PolicyDocument', v.policy);
      break;
    case 'aws_db_instance':
      set(p, 'DBInstanceIdentifier', v.identifier);
      set(p, 'Engine', v.engine);
      set(p, 'EngineVersion', v.engine_version);
      // Provider default storage_encrypted false (the CloudFormation default too).
      set(p, 'StorageEncrypted', v.storage_encrypted);
      set(p, 'KmsKeyId', v.kms_key_id);
      set(p, 'DBParameterGroupName', v.parameter_group_name);
      set(p, 'OptionGroupName', v.option_group_name);
      // A replica or a restore takes its encryption from the source (rules/resources/cloudformation/rds.ts: UNKNOWN).
      set(p, 'SourceDBInstanceIdentifier', v.replicate_source_db);
      set(p, 'DBSnapshotIdentifier', v.snapshot_identifier);
      if (present(v.restore_to_point_in_time)) p.SourceDBInstanceIdentifier = first(v.restore_to_point_in_time)?.source_db_instance_identifier ?? 'restore_to_point_in_time';
      // An Aurora or DocumentDB instance (aws_rds_cluster_instance is a separate type) never appears here; a
      // Multi-AZ DB cluster member does not either.
      p.Tags = tagsOf(v);
      break;
    case 'aws_rds_cluster':
    case 'aws_docdb_cluster':
    case 'aws_neptune_cluster':
      set(p, 'DBClusterIdentifier', v.cluster_identifier);
      if (type === 'aws_rds_cluster') set(p, 'Engine', v.engine);
      set(p, 'EngineVersion', v.engine_version);
      set(p, 'StorageEncrypted', v.storage_encrypted);
      set(p, 'KmsKeyId', v.kms_key_arn ?? v.kms_key_id);
      // aws_neptune_cluster names it neptune_cluster_parameter_group_name.
      set(p, 'DBClusterParameterGroupName', v.db_cluster_parameter_group_name ?? v.neptune_cluster_parameter_group_name);
      set(p, 'SnapshotIdentifier', v.snapshot_identifier);
      set(p, 'SourceDBClusterIdentifier', v.replication_source_identifier);
      set(p, 'GlobalClusterIdentifier', v.global_cluster_identifier);
      p.Tags = tagsOf(v);
      break;
    case 'aws_db_parameter_group':
    case 'aws_rds_cluster_parameter_group':
    case 'aws_docdb_cluster_parameter_group':
    case 'aws_neptune_cluster_parameter_group': {
      const nameProperty = type === 'aws_db_parameter_group' ? 'DBParameterGroupName' : type === 'aws_rds_cluster_parameter_group' ? 'DBClusterParameterGroupName' : 'Name';
      set(p, nameProperty, v.name);
      set(p, 'Family', v.family);
      // `parameter` blocks: [{ name, value, apply_method }] -> the CloudFormation Parameters map.
      p.Parameters = Object.fromEntries((Array.isArray(v.parameter) ? (v.parameter as Values[]) : []).map((x) => [String(x.name), x.value]));
      break;
    }
    case 'aws_db_option_group':
      set(p, 'OptionGroupName', v.name);
      p.OptionConfigurations = (Array.isArray(v.option) ? (v.option as Values[]) : []).map((o) => ({
        OptionName: o.option_name,
        OptionSettings: (Array.isArray(o.option_settings) ? (o.option_settings as Values[]) : []).map((x) => ({ Name: x.name, Value: x.value })),
      }));
      break;
    case 'aws_kms_key':
      if (v.is_enabled === false) p.Enabled = false;
      break;
    case 'aws_kms_alias':
      set(p, 'AliasName', v.name);
      set(p, 'TargetKeyId', v.target_key_id);
      break;
  }
  return { resourceType, properties: p };
}
