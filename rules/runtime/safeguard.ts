import type { AwsClients } from './clients';
import type { Verdict } from './compliance';
import type { ConfigurationItem } from './event';
import type { Lookup } from './lookup';
import type { CloudFormationResource, PropertyReads } from '../resources/cloudformation/common';
import { commonParameters, type ParameterSchema, type ParameterValues } from './parameters';

/** The view of a resource every safeguard sees, whatever its source (configuration item or API). */
export interface NormalizedResource {
  /** The ID AWS Config reports (ComplianceResourceId). */
  readonly id: string;
  /** The ComplianceResourceType its evaluation carries. */
  readonly resourceType: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A listed resource the API described too incompletely to build any view of (no engine, say): a failure of that
 * resource only. Listers yield it instead of throwing, so one bad item does not cost the verdicts of its whole kind.
 */
export class UnreadableResource {
  constructor(
    readonly resourceType: string,
    readonly id: string,
    readonly error: Error,
  ) {}
}

/**
 * How one listing read its resources (issue 11), for the log and `scan --verbose`: where the configuration came from
 * and how the tags were read, with the reason when it is not the first choice.
 */
export interface ListingNote {
  readonly resourceType: string;
  /** `config`: the configuration items AWS Config recorded; `api`: the service API. */
  readonly source: 'config' | 'api';
  /**
   * `bulk`: tag:GetResources; `per-resource`: one tag call per resource; `config`: with the configuration items;
   * `listing`: in the listing's own answer (MSK ListClustersV2 returns each cluster's Tags).
   */
  readonly tags: 'bulk' | 'per-resource' | 'config' | 'listing';
  /** Why, when the listing fell back (AccessDenied on tag:GetResources, the type not recorded by AWS Config). */
  readonly reason?: string;
}

const SOURCE_WORDS = { config: 'configuration from AWS Config', api: 'configuration from the service API' } as const;
const TAG_WORDS = { bulk: 'tags in bulk (tag:GetResources)', 'per-resource': 'tags per resource', config: 'tags with the configuration items', listing: 'tags with the listing' } as const;

/**
 * One line for a listing's note, for the log and `scan --verbose`.
 * @example describeListingNote(note) // 'AWS::Kinesis::Stream: configuration from the service API, tags in bulk (tag:GetResources)'
 */
export function describeListingNote(note: ListingNote): string {
  return `${note.resourceType}: ${SOURCE_WORDS[note.source]}, ${TAG_WORDS[note.tags]}${note.reason ? ` (${note.reason})` : ''}`;
}

/** What a run gives its listings besides the clients; every field optional, so `list(clients)` keeps working. */
export interface ListOptions {
  /**
   * Most calls a lister may have in flight at once when it reads resources one by one (describe, tags): the run's
   * `--concurrency`. `readEach` (rules/runtime/read-each.ts) reads with it and yields in listing order. Default 1.
   */
  readonly concurrency?: number;
  /** Receives the listing's note once its sources are chosen, before the first resource. */
  readonly onNote?: (note: ListingNote) => void;
  /**
   * Read from what AWS Config recorded where the account's recorder records the type continuously (periodic runs:
   * issue 11), the service API otherwise. Off by default: the listing then reads the service API only, as before.
   */
  readonly preferConfig?: boolean;
  /**
   * With `preferConfig`: AWS Config must be the source (`scan --source config`). A type the recorder does not record
   * continuously, or one the pack reads only from the service API, fails its listing with a reason instead of
   * falling back to the service API.
   */
  readonly requireConfig?: boolean;
}

/** The name the shared listing cache and the judge use for a listing's options. */
export type ListContext = ListOptions;

/**
 * Lists every resource of one type in an account and region, all pages.
 *
 * A run lists each lister once and replays its items to every rule that judges them (rules/runtime/listing-cache.ts):
 * a lister is the same listing when it is the same object (keep listers as constants of their adapter, as
 * `listers: [{ resourceType, list }]` does) or has the same `cacheKey`. So `list` must yield the same items whoever
 * asks: no rule parameter may change what it lists (filter in `evaluate`, or give such a lister its own `cacheKey`).
 * The first caller's options (source preference, note receiver) choose how the shared listing reads.
 */
export interface Lister<R extends NormalizedResource> {
  readonly resourceType: string;
  /** Names the listing when the object is not stable (a lister built per call): equal keys share one listing. */
  readonly cacheKey?: string;
  /** The lister can read from AWS Config (`configFirst`); others read the service API only. */
  readonly readsConfig?: boolean;
  list(clients: AwsClients, options?: ListOptions): AsyncIterable<R | UnreadableResource>;
}

/**
 * Builds the normalized view of the resources a safeguard judges, from a configuration item or from the
 * service API. One adapter per resource family lives in `rules/resources/`; a family may span several types
 * (ElastiCache replication groups, clusters and serverless caches), each listed on its own so one failing API
 * costs only its own kind.
 */
export interface ResourceAdapter<R extends NormalizedResource> {
  /** Every ComplianceResourceType the adapter reports, in listing order. */
  readonly resourceTypes: readonly string[];
  /**
   * The types of `resourceTypes` AWS Config records, when not all of them: a change-triggered rule's Scope names only
   * these (MSK serverless clusters are judged periodically and before deployment, but Config records AWS::MSK::Cluster
   * only). Absent: every type of `resourceTypes`.
   */
  readonly recordedTypes?: readonly string[];
  /** How annotations name the resource, e.g. `Stream vitals`. */
  label(resource: R): string;
  /** For types AWS Config records. Throws MalformedEventError naming the field when the item lacks what the view needs. */
  fromConfigurationItem?(item: ConfigurationItem): R;
  /**
   * Prevention (issue 12): the same view from CloudFormation resource properties, a template's (intrinsics resolved)
   * or a hook request's. Throws MalformedPropertiesError naming the field, UnresolvedFactError when the properties
   * defer to something only known after deployment. Builders live in rules/resources/cloudformation/.
   */
  fromCloudFormation?(resource: CloudFormationResource): R;
  /**
   * The CloudFormation types `fromCloudFormation` builds from, when they differ from the Config types above
   * (CloudFormation's AWS::OpenSearchService::Domain is Config's AWS::OpenSearch::Domain; AWS::DocDB::DBCluster and
   * AWS::Neptune::DBCluster become AWS::RDS::DBCluster views besides the RDS types). Absent: `resourceTypes`.
   */
  readonly cloudFormationTypes?: readonly string[];
  /** Per resource type, the CloudFormation property paths `fromCloudFormation` reads (checked against the registry schemas). */
  readonly cloudFormationReads?: Readonly<Record<string, PropertyReads>>;
  readonly listers: readonly Lister<R>[];
  /** The IAM actions the listers call, for least-privilege roles. */
  readonly listActions: readonly string[];
}

export const Trigger = { Change: 'change', Periodic: 'periodic' } as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];

export const Severity = { Critical: 'CRITICAL', High: 'HIGH', Medium: 'MEDIUM', Low: 'LOW' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** What `evaluate` may use besides the resource and parameters: the clock and the facts `gather` fetched. */
export interface EvaluationContext<F = undefined> {
  readonly now: Date;
  readonly facts: F;
}

/**
 * The facts that condemn an ElastiCache cache's data, so that a destructive remediation may delete it. A verdict for
 * any other reason (a KMS key, a setting that can change in place, anything uncertain) never leads to a deletion.
 * HIPAA-ElastiCacheSnapshotAndDelete re-reads the fact at run time; its Condemnation parameter lists these values.
 */
export const Condemnation = {
  /** AtRestEncryptionEnabled is false: the data sits unencrypted and cannot be encrypted in place. */
  AtRestEncryptionDisabled: 'AtRestEncryptionDisabled',
  /** The engine is outside the AWS BAA (Memcached, Redis OSS before 4.0.10 other than 3.2.6). */
  EngineNotHipaaEligible: 'EngineNotHipaaEligible',
} as const;
export type Condemnation = (typeof Condemnation)[keyof typeof Condemnation];

export interface RemediationLink {
  /** SSM document name; the document is remediations/<document>.yaml. */
  readonly document: string;
  /** true: Config runs it on every NON_COMPLIANT resource; false: a person starts it from the console. */
  readonly automatic: boolean;
  /** Document parameter that receives the resource ID (RESOURCE_ID). */
  readonly resourceIdParameter: string;
  /**
   * The one type the document remediates when the rule judges several (the RemediationConfiguration's ResourceType):
   * the others get no remediation (OpenSearch: domains only, never a serverless collection). Absent: the rule's only
   * type, or every type when it has several.
   */
  readonly resourceType?: string;
  /** Config's MaximumAutomaticAttempts, 1 to 25. */
  readonly maximumAutomaticAttempts: number;
  readonly retryAttemptSeconds: number;
  /** Other document parameters, each exposed as a pack parameter with this default (empty: the document's default). */
  readonly parameters?: Readonly<Record<string, { readonly default: string; readonly description: string }>>;
  /** Document parameters with one right value for this rule (the rule name, the resource type): not pack parameters. */
  readonly fixed?: Readonly<Record<string, string>>;
  /**
   * Destructive documents only: the one fact for which this rule's verdict may lead to a deletion. The document is
   * given it (fixed Condemnation) and re-reads it at run time; test/catalog.test.ts requires it for every document
   * that deletes, and checks it against the document's allowed values.
   */
  readonly condemns?: Condemnation;
}

export interface SafeguardDefinition<R extends NormalizedResource, S extends ParameterSchema, F = undefined> {
  readonly name: string;
  /** Describes the compliant state. */
  readonly title: string;
  readonly description: string;
  readonly resource: ResourceAdapter<R>;
  readonly triggers: readonly Trigger[];
  readonly hipaa: readonly string[];
  readonly severity: Severity;
  readonly parameters: S;
  readonly remediation?: RemediationLink;
  /**
   * Reads what `evaluate` needs beyond the resource (a KMS key, a source stream), through the run's cached
   * `Lookup`. Only when the parameters need it: a lookup costs a call. Absent: `facts` is undefined.
   */
  gather?(resource: R, params: ParameterValues<S>, lookup: Lookup): Promise<F>;
  /** IAM actions `gather` calls (beyond listing and the Config calls), for the rule's least-privilege role. */
  readonly lookupActions?: readonly string[];
  /** Pure: the same resource, parameters and context always give the same verdict. */
  evaluate(resource: R, params: ParameterValues<S>, ctx: EvaluationContext<F>): Verdict;
}

export type FullSchema<S extends ParameterSchema> = S & typeof commonParameters;

export interface Safeguard<R extends NormalizedResource = NormalizedResource, S extends ParameterSchema = ParameterSchema, F = unknown>
  extends SafeguardDefinition<R, S, F> {
  /** The rule's own parameters plus the runtime's common ones. */
  readonly schema: FullSchema<S>;
}

const RULE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Declares a safeguard: metadata plus one pure `evaluate`. The runtime does the rest.
 * @example export const myRule = defineSafeguard({ name: 'my-rule', ..., evaluate: (r) => compliant(`${r.id} ok`) });
 */
export function defineSafeguard<R extends NormalizedResource, S extends ParameterSchema, F = undefined>(
  definition: SafeguardDefinition<R, S, F>,
): Safeguard<R, S, F> {
  if (!RULE_NAME.test(definition.name) || definition.name.length > 64) {
    throw new Error(`Safeguard name ${JSON.stringify(definition.name)} must be kebab-case and at most 64 characters.`);
  }
  const clash = Object.keys(definition.parameters).find((p) => Object.hasOwn(commonParameters, p));
  if (clash) throw new Error(`Safeguard ${definition.name} redefines the common parameter ${clash}.`);
  return { ...definition, schema: { ...definition.parameters, ...commonParameters } };
}

/** The CloudFormation types an adapter judges before deployment (prevention, the hook): its own list, else its Config types. */
export function cloudFormationTypesOf(adapter: Pick<ResourceAdapter<NormalizedResource>, 'resourceTypes' | 'cloudFormationTypes'>): readonly string[] {
  return adapter.cloudFormationTypes ?? adapter.resourceTypes;
}
