import { DescribeCacheEngineVersionsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { AwsClients } from '../runtime/clients';
import { KMS_KEY_CACHE_PREFIX, type KeyFacts, isAwsManagedAlias, kmsKeyEntry } from '../runtime/kms';
import { Lookup } from '../runtime/lookup';
import { BUILT_IN_DEFAULT_USER_ID, type UserFacts, type UserGroupFacts } from '../resources/elasticache';
import type { SourceStreamFacts } from '../resources/kinesis-stream';
import { userFactsFromCloudFormation, userGroupFactsFromCloudFormation } from '../resources/cloudformation/elasticache';
import { kinesisStreamFromCloudFormation } from '../resources/cloudformation/kinesis-stream';
import { BUILT_IN_DEFAULT_USER as MEMORYDB_DEFAULT_USER, type AclFacts, type MemoryDbUserFacts } from '../resources/memorydb';
import { aclFactsFromCloudFormation, userFactsFromCloudFormation as memoryDbUserFromCloudFormation } from '../resources/cloudformation/memorydb';
import { queuePolicyTemplateKey } from '../resources/sqs-queue';
import { topicPolicyTemplateKey } from '../resources/sns-topic';
import { PARAMETER_GROUP_TYPES, optionGroupFactsFromCloudFormation, parameterGroupFactsFromCloudFormation } from '../resources/cloudformation/rds';
import type { OptionGroupFacts, ParameterGroupFacts } from '../resources/rds';
import { type CollectionEncryption, collectionPolicyKey } from '../resources/opensearch';
import { SECURITY_POLICY_CFN_TYPE, encryptionFromPolicy } from '../resources/cloudformation/opensearch';
import { UnresolvedFactError } from './errors';
import { hasMarker, parseRefMarker } from './markers';

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};
const QUEUE_POLICY_PREFIX = queuePolicyTemplateKey('');
const COLLECTION_POLICY_PREFIX = collectionPolicyKey('');
const TOPIC_POLICY_PREFIX = topicPolicyTemplateKey('');
/** The template resources that set a queue's or topic's policy, and the property that names it. */
const POLICY_SOURCES = {
  queue: [
    { type: 'AWS::SQS::QueuePolicy', property: 'Queues' },
    { type: 'AWS::SQS::QueueInlinePolicy', property: 'Queue' },
  ],
  topic: [
    { type: 'AWS::SNS::TopicPolicy', property: 'Topics' },
    { type: 'AWS::SNS::TopicInlinePolicy', property: 'TopicArn' },
  ],
} as const;

/** IAM actions the prevention lookup calls beyond the rules' own lookups (the hook Lambda's role holds them). */
export const PREVENTION_LOOKUP_ACTIONS = ['elasticache:DescribeCacheEngineVersions'] as const;

/** Another resource of the same template, properties resolved: where facts come from before deployment. */
export interface TemplateResource {
  readonly type: string;
  readonly properties: unknown;
}

export interface PreventionFactsOptions {
  /** The template's resources by logical ID (check-template); absent for a hook request judged on its own. */
  readonly template?: Readonly<Record<string, TemplateResource>>;
  /** Credentials for the account: what the template cannot tell is read from it, as the detect path does. */
  readonly clients?: AwsClients;
}

/**
 * The `Lookup` the safeguards' own `gather` runs against before deployment, so `gather` and `evaluate` are reused
 * unchanged. Every fact is answered, in order:
 * 1. from the template: a key declared as AWS::KMS::Key is customer managed (Enabled unless `Enabled: false`,
 *    PendingImport with `Origin: EXTERNAL`); an AWS::KMS::Alias leads to its target; `alias/aws/...` is AWS managed by
 *    name; a `!Ref`/`!GetAtt` to a Kinesis stream gives the stream's declared encryption; RBAC user groups and users
 *    declared in the template give their users and authentication; the built-in `default` user is no-password and on;
 *    MemoryDB ACLs and users declared in the template likewise (its built-in `default` user too);
 *    a resource being created has no pending service update;
 * 2. from the account, when `clients` are given (the run's usual cached reads);
 * 3. otherwise UnresolvedFactError naming the fact: the verdict is UNKNOWN, never a pass.
 */
let offline: AwsClients | undefined;

/**
 * Clients that exist only because a Lookup and a JudgeContext hold some: offline, PreventionLookup answers or throws
 * before any of them is used (one attempt, should one ever be).
 */
export function offlineClients(): AwsClients {
  return (offline ??= new AwsClients({ region: 'us-east-1', maxAttempts: 1 }));
}

export class PreventionLookup extends Lookup {
  private readonly template: Readonly<Record<string, TemplateResource>>;
  private readonly online: boolean;

  constructor(options: PreventionFactsOptions = {}) {
    super(options.clients ?? offlineClients());
    this.template = options.template ?? {};
    this.online = options.clients !== undefined;
  }

  /** The declared resource a `«!Ref X»` / `«!GetAtt X.Attr»` value names, if its type is `type`. */
  private declared(value: string, ...types: string[]): { logicalId: string; resource: TemplateResource } | undefined {
    const ref = parseRefMarker(value);
    const resource = ref ? this.template[ref.logicalId] : undefined;
    return ref && resource && types.includes(resource.type) ? { logicalId: ref.logicalId, resource } : undefined;
  }

  /** The declared resource of `type` whose `property` is literally `value` (a user group named by its ID). */
  private declaredBy(type: string, property: string, value: string): { logicalId: string; resource: TemplateResource } | undefined {
    for (const [logicalId, resource] of Object.entries(this.template)) {
      const props = (resource.properties ?? {}) as Record<string, unknown>;
      if (resource.type === type && props[property] === value) return { logicalId, resource };
    }
    return undefined;
  }

  /** Reads from the account (through the run's cache), or UnresolvedFactError naming `what` offline. */
  private fromAccount<T>(key: string, what: string, value: string, load: () => Promise<T>): Promise<T> {
    // A marker names something that does not exist yet (or only in another stack): no account can answer it.
    if (!this.online || hasMarker(value)) return Promise.reject(new UnresolvedFactError(what));
    return super.cached(key, load);
  }

  /** Whether facts the template cannot give may be read from the account. */
  get hasAccount(): boolean {
    return this.online;
  }

  /**
   * The version ElastiCache gives a cache created without EngineVersion: the engine's default version in the region
   * (elasticache:DescribeCacheEngineVersions with DefaultOnly), or undefined offline or when the answer names none.
   */
  defaultEngineVersion(engine: string): Promise<string | undefined> {
    if (!this.online) return Promise.resolve(undefined);
    return super.cached(`elasticache:default-engine-version:${engine}`, async () => {
      const out = await this.clients.get(ElastiCacheClient).send(new DescribeCacheEngineVersionsCommand({ Engine: engine, DefaultOnly: true }));
      return out.CacheEngineVersions?.find((v) => v.EngineVersion)?.EngineVersion;
    });
  }

  /** A key's facts (kms.ts `kmsKeyFacts` asks for them by cache key): the template first, then the account. */
  private kmsKeyAt(keyId: string, depth: number): Promise<KeyFacts> {
    if (isAwsManagedAlias(keyId)) return Promise.resolve({ kind: 'awsManagedAlias', keyId });
    const key = this.declared(keyId, 'AWS::KMS::Key');
    if (key) {
      const props = (key.resource.properties ?? {}) as { Enabled?: unknown; Origin?: unknown };
      const enabled = props.Enabled !== false && String(props.Enabled).toLowerCase() !== 'false';
      // A key with imported material waits for it: KMS reports PendingImport until then.
      const state = !enabled ? 'Disabled' : props.Origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled';
      // Its ARN exists only after deployment: the marker stands in, so allowedKmsKeyArns (existing keys) never lists it.
      return Promise.resolve({ kind: 'resolved', keyId, arn: keyId, manager: 'CUSTOMER', state });
    }
    const alias = this.declared(keyId, 'AWS::KMS::Alias') ?? (keyId.startsWith('alias/') ? this.declaredBy('AWS::KMS::Alias', 'AliasName', keyId) : undefined);
    const target = (alias?.resource.properties as { TargetKeyId?: unknown } | undefined)?.TargetKeyId;
    if (alias && typeof target === 'string' && depth < 3) {
      return this.kmsKeyAt(target, depth + 1).then((facts) => ({ ...facts, keyId }));
    }
    if (!this.online || hasMarker(keyId)) return Promise.reject(new UnresolvedFactError(`whether KMS key ${keyId} is customer managed`));
    // kms:DescribeKey through the run's cache, as the detect path reads it.
    return super.cached(...kmsKeyEntry(this.clients, keyId));
  }

  /**
   * The reads `gather` makes through `cached` (rules/resources/*: source streams, RBAC groups and users, pending
   * updates) are answered by their cache key, so the detect path's own helpers run unchanged.
   */
  override cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (key.startsWith(KMS_KEY_CACHE_PREFIX)) return this.kmsKeyAt(key.slice(KMS_KEY_CACHE_PREFIX.length), 0) as Promise<T>;
    if (key.startsWith('kinesis-stream:')) return this.sourceStream(key.slice('kinesis-stream:'.length), key, load as () => Promise<SourceStreamFacts>) as Promise<T>;
    if (key.startsWith('elasticache:user-group:')) return this.userGroup(key.slice('elasticache:user-group:'.length), key, load as () => Promise<UserGroupFacts>) as Promise<T>;
    if (key.startsWith('elasticache:user:')) return this.user(key.slice('elasticache:user:'.length), key, load as () => Promise<UserFacts>) as Promise<T>;
    if (key.startsWith('memorydb:acl:')) return this.memoryDbAcl(key.slice('memorydb:acl:'.length), key, load as () => Promise<AclFacts>) as Promise<T>;
    if (key.startsWith('memorydb:user:')) return this.memoryDbUser(key.slice('memorydb:user:'.length), key, load as () => Promise<MemoryDbUserFacts>) as Promise<T>;
    for (const scope of ['instance', 'cluster'] as const) {
      const prefix = `rds:${scope === 'instance' ? 'db' : 'cluster'}-parameter-group:`;
      if (key.startsWith(prefix)) return this.parameterGroup(scope, key.slice(prefix.length), key, load as () => Promise<ParameterGroupFacts>) as Promise<T>;
    }
    if (key.startsWith('rds:option-group:')) return this.optionGroup(key.slice('rds:option-group:'.length), key, load as () => Promise<OptionGroupFacts>) as Promise<T>;
    // A cache the template creates has no service update actions yet: nothing is pending.
    if (key === 'elasticache:pending-security-updates') return Promise.resolve([] as unknown as T);
    if (key.startsWith(COLLECTION_POLICY_PREFIX)) return this.collectionEncryption(key.slice(COLLECTION_POLICY_PREFIX.length)) as Promise<T>;
    if (key.startsWith(QUEUE_POLICY_PREFIX)) return this.templatePolicy('queue', key.slice(QUEUE_POLICY_PREFIX.length)) as Promise<T>;
    if (key.startsWith(TOPIC_POLICY_PREFIX)) return this.templatePolicy('topic', key.slice(TOPIC_POLICY_PREFIX.length)) as Promise<T>;
    return this.fromAccount(key, `the fact ${key}`, '', load);
  }

  /**
   * The resource policy of a queue or topic the template declares: the one policy resource of the template that names
   * it (`!Ref`/`!GetAtt` of its logical ID in QueuePolicy.Queues, QueueInlinePolicy.Queue, TopicPolicy.Topics,
   * TopicInlinePolicy.TopicArn). None, or several (each replaces the others, in an order only deployment decides): the
   * policy is defined elsewhere or undecided, so the fact is UNKNOWN, never a pass and never a guess.
   */
  private templatePolicy(kind: 'queue' | 'topic', logicalId: string): Promise<string | Record<string, unknown>> {
    const sources = POLICY_SOURCES[kind];
    const found: { logicalId: string; document: unknown }[] = [];
    for (const [id, resource] of Object.entries(this.template)) {
      const property = sources.find((p) => p.type === resource.type)?.property;
      if (!property) continue;
      const props = (resource.properties ?? {}) as Record<string, unknown>;
      const targets = ([] as unknown[]).concat(props[property] ?? []);
      if (targets.some((t) => typeof t === 'string' && parseRefMarker(t)?.logicalId === logicalId)) found.push({ logicalId: id, document: props.PolicyDocument });
    }
    const names = sources.map((p) => p.type.split('::').at(-1)).join(' or ');
    if (found.length === 0) return Promise.reject(new UnresolvedFactError(`the policy of ${kind} ${logicalId} (no ${names} here names it: it is defined elsewhere)`));
    if (found.length > 1) return Promise.reject(new UnresolvedFactError(`which ${kind} policy of ${logicalId} applies (${found.map((f) => f.logicalId).join(', ')} each replace the others)`));
    const [only] = found;
    const document = only?.document;
    // A string is the policy as JSON text (CloudFormation takes either); a Terraform policy known only after apply is a marker, not JSON.
    if (typeof document === 'string' && isJson(document)) return Promise.resolve(document);
    if (document !== null && typeof document === 'object' && !Array.isArray(document)) return Promise.resolve(document as Record<string, unknown>);
    return Promise.reject(new UnresolvedFactError(`the PolicyDocument of ${only?.logicalId ?? logicalId}`));
  }

  /**
   * The key of an OpenSearch Serverless collection the template declares without EncryptionConfig: the one
   * AWS::OpenSearchServerless::SecurityPolicy of Type `encryption` in the template whose Rules cover
   * `collection/<name>`. None (a policy defined elsewhere, also when the account could be read: the pack does not read
   * security policies), or several: UNKNOWN naming the fact, never a pass.
   */
  private collectionEncryption(name: string): Promise<CollectionEncryption> {
    const found: { logicalId: string; encryption: CollectionEncryption }[] = [];
    for (const [logicalId, resource] of Object.entries(this.template)) {
      if (resource.type !== SECURITY_POLICY_CFN_TYPE) continue;
      const props = (resource.properties ?? {}) as Record<string, unknown>;
      if (props.Type !== 'encryption') continue;
      const encryption = encryptionFromPolicy(props.Policy, name);
      if (encryption) found.push({ logicalId, encryption });
    }
    if (found.length === 0) {
      return Promise.reject(new UnresolvedFactError(`the encryption policy of collection ${name} (none here covers it: defined elsewhere)`));
    }
    if (found.length > 1) return Promise.reject(new UnresolvedFactError(`which encryption policy of collection ${name} applies (${found.map((f) => f.logicalId).join(', ')} all cover it)`));
    return Promise.resolve((found[0] as { encryption: CollectionEncryption }).encryption);
  }

  /**
   * An RDS parameter group: declared in the template (its `Parameters` map; by `!Ref` or by name), else read from the
   * account; offline, a group defined elsewhere is UNKNOWN naming it.
   */
  private parameterGroup(scope: 'instance' | 'cluster', name: string, key: string, load: () => Promise<ParameterGroupFacts>): Promise<ParameterGroupFacts> {
    const types = PARAMETER_GROUP_TYPES[scope];
    const group =
      this.declared(name, ...Object.keys(types)) ??
      Object.entries(types)
        .map(([type, property]) => this.declaredBy(type, property, name))
        .find((g) => g !== undefined);
    if (group) return Promise.resolve(parameterGroupFactsFromCloudFormation(name, { resourceType: group.resource.type, logicalId: group.logicalId, properties: group.resource.properties }));
    return this.fromAccount(key, `the parameters of ${scope === 'instance' ? 'DB' : 'DB cluster'} parameter group ${name} (not declared in this template)`, name, load);
  }

  private optionGroup(name: string, key: string, load: () => Promise<OptionGroupFacts>): Promise<OptionGroupFacts> {
    const group = this.declared(name, 'AWS::RDS::OptionGroup') ?? this.declaredBy('AWS::RDS::OptionGroup', 'OptionGroupName', name);
    if (group) return Promise.resolve(optionGroupFactsFromCloudFormation(name, { resourceType: 'AWS::RDS::OptionGroup', logicalId: group.logicalId, properties: group.resource.properties }));
    return this.fromAccount(key, `the options of option group ${name} (not declared in this template)`, name, load);
  }

  private sourceStream(arn: string, key: string, load: () => Promise<SourceStreamFacts>): Promise<SourceStreamFacts> {
    const stream = this.declared(arn, 'AWS::Kinesis::Stream');
    if (stream) {
      const view = kinesisStreamFromCloudFormation({ resourceType: 'AWS::Kinesis::Stream', logicalId: stream.logicalId, properties: stream.resource.properties });
      return Promise.resolve({ kind: 'read', arn, encryptionType: view.encryptionType, ...(view.keyId ? { keyId: view.keyId } : {}) });
    }
    return this.fromAccount(key, `the encryption of source stream ${arn}`, arn, load);
  }

  private userGroup(id: string, key: string, load: () => Promise<UserGroupFacts>): Promise<UserGroupFacts> {
    const group = this.declared(id, 'AWS::ElastiCache::UserGroup') ?? this.declaredBy('AWS::ElastiCache::UserGroup', 'UserGroupId', id);
    if (group) {
      return Promise.resolve(userGroupFactsFromCloudFormation(id, { resourceType: 'AWS::ElastiCache::UserGroup', logicalId: group.logicalId, properties: group.resource.properties }));
    }
    return this.fromAccount(key, `the users of RBAC user group ${id}`, id, load);
  }

  private memoryDbAcl(name: string, key: string, load: () => Promise<AclFacts>): Promise<AclFacts> {
    const acl = this.declared(name, 'AWS::MemoryDB::ACL') ?? this.declaredBy('AWS::MemoryDB::ACL', 'ACLName', name);
    if (acl) return Promise.resolve(aclFactsFromCloudFormation(name, { resourceType: 'AWS::MemoryDB::ACL', logicalId: acl.logicalId, properties: acl.resource.properties }));
    return this.fromAccount(key, `the users of MemoryDB ACL ${name}`, name, load);
  }

  private memoryDbUser(name: string, key: string, load: () => Promise<MemoryDbUserFacts>): Promise<MemoryDbUserFacts> {
    const user = this.declared(name, 'AWS::MemoryDB::User') ?? this.declaredBy('AWS::MemoryDB::User', 'UserName', name);
    if (user) {
      return Promise.resolve(memoryDbUserFromCloudFormation(name, { resourceType: 'AWS::MemoryDB::User', logicalId: user.logicalId, properties: user.resource.properties }));
    }
    if (name === MEMORYDB_DEFAULT_USER && !this.online) {
      // Every account has it: no password, switched on, all commands (the only user of the open-access ACL).
      return Promise.resolve({ kind: 'resolved', name, authenticationType: 'no-password', enabled: true, status: 'active' });
    }
    return this.fromAccount(key, `the authentication of MemoryDB user ${name}`, name, load);
  }

  private user(id: string, key: string, load: () => Promise<UserFacts>): Promise<UserFacts> {
    const user = this.declared(id, 'AWS::ElastiCache::User') ?? this.declaredBy('AWS::ElastiCache::User', 'UserId', id);
    if (user) {
      return Promise.resolve(userFactsFromCloudFormation(id, { resourceType: 'AWS::ElastiCache::User', logicalId: user.logicalId, properties: user.resource.properties }));
    }
    if (id === BUILT_IN_DEFAULT_USER_ID && !this.online) {
      // Every account has it: user name default, no password, access string "on ~* +@all" (ElastiCache user guide, RBAC).
      return Promise.resolve({ kind: 'resolved', id, name: 'default', authenticationType: 'no-password', enabled: true });
    }
    return this.fromAccount(key, `the authentication of RBAC user ${id}`, id, load);
  }
}
