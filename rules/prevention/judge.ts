import { catalog } from '../catalog';
import { fitAnnotation, markUserText, notApplicable } from '../runtime/compliance';
import { checkExemption } from '../runtime/exemptions';
import { judge, type JudgeContext, newJudgeContext } from '../runtime/judge';
import { parseParameters } from '../runtime/parameters';
import type { NormalizedResource, Safeguard } from '../runtime/safeguard';
import { IncompleteResourceError, type NodeBasedCache } from '../resources/elasticache';
import type { Lookup } from '../runtime/lookup';
import { type PropertyReads, cfnTags } from '../resources/cloudformation/common';
import { UnresolvedFactError } from './errors';
import { PreventionLookup } from './facts';
import { MARKER, hasMarker } from './markers';
import type { JudgeProperties, PropertiesInput, PropertyVerdict } from './judge-properties';

/**
 * Defaults only the account knows, filled in when the fact source may read it: a node-based cache created without
 * EngineVersion gets the engine's default version (DescribeCacheEngineVersions DefaultOnly). Offline the view keeps
 * the field missing, and the rules that need it say UNKNOWN.
 */
async function withAccountDefaults(view: NormalizedResource, lookup: Lookup): Promise<NormalizedResource> {
  if (!(lookup instanceof PreventionLookup) || !lookup.hasAccount) return view;
  const cache = view as Partial<NodeBasedCache>;
  if ((cache.kind !== 'replicationGroup' && cache.kind !== 'cacheCluster') || !cache.missingFields?.includes('EngineVersion') || !cache.engine) return view;
  const version = await lookup.defaultEngineVersion(cache.engine);
  if (!version) return view;
  return { ...cache, engineVersion: version, engineVersions: [version], missingFields: cache.missingFields.filter((f) => f !== 'EngineVersion') } as NodeBasedCache;
}

/** Rules whose adapter judges `resourceType`, in catalog order. */
export function safeguardsFor(resourceType: string, rules?: readonly string[]): Safeguard[] {
  return catalog.filter((s) => judgedTypes(s).includes(resourceType) && (!rules || rules.includes(s.name)));
}

/** The CloudFormation types a safeguard judges before deployment: its Config types and any other its adapter builds from. */
export function judgedTypes(s: Safeguard): readonly string[] {
  return [...s.resource.resourceTypes, ...(s.resource.cloudFormationTypes ?? [])];
}

/** Every CloudFormation type some safeguard judges. */
export const preventionResourceTypes: readonly string[] = [...new Set(catalog.flatMap((s) => judgedTypes(s)))];

/**
 * The property paths that decide a verdict and hold a value unknown before deployment (a marker), each with what it
 * depends on: `Engine (parameter EngineName (no Default))`. Identifier paths (a key ID, a stream ARN) may hold one:
 * their facts are resolved on their own.
 */
export function unresolvedProperties(properties: unknown, reads: PropertyReads): string[] {
  const found: string[] = [];
  const visit = (value: unknown, path: readonly string[], at: string) => {
    if (hasMarker(value)) {
      found.push(`${at} (${MARKER.exec(value)?.[1] ?? ''})`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v) => visit(v, path, at));
      return;
    }
    const [head, ...rest] = path;
    if (head === undefined || value === null || typeof value !== 'object') return;
    visit((value as Record<string, unknown>)[head], rest, at ? `${at}.${head}` : head);
  };
  for (const [path, use] of Object.entries(reads)) if (use === 'value') visit(properties, path.split('.'), '');
  return [...new Set(found)];
}

/** The names a reason quotes (ARNs, aliases, markers, IDs with digits): what a long annotation shortens first. */
const namesIn = (text: string) => text.split(/\s+/).filter((w) => /[:/«»]|\d/.test(w));

const unknownVerdict = (rule: string, resourceType: string, label: string, what: string, citation: string, unresolved: readonly string[]): PropertyVerdict => ({
  rule,
  resourceType,
  compliance: 'UNKNOWN',
  // What could not be resolved is cut before the verdict's own words; the resource's name before that.
  annotation: fitAnnotation(markUserText(`${label} cannot be judged before deployment: ${what}. Set it in the template or check with account credentials. ${citation}`, [...namesIn(what), label.split(' ').at(-1) ?? ''])),
  unresolved,
});

/**
 * Judges one resource's declared properties with every safeguard of the catalog that covers its type: the
 * implementation of the `JudgeProperties` contract the CloudFormation hook and `safeguards check-template` share.
 * The adapter's `fromCloudFormation` builds the same view the detect path builds; the runtime's `judge` applies
 * exemption tags and `exemptResourceIds` and runs each safeguard's own `gather` (against PreventionLookup) and `evaluate`.
 * Throws MalformedPropertiesError (properties CloudFormation would reject) and InvalidParameterError (a bad rule
 * parameter, the caller's error); any fact that cannot be resolved gives UNKNOWN naming it.
 * @example await judgeProperties({ resourceType: 'AWS::Kinesis::Stream', logicalId: 'Phi', properties: { Name: 'phi' } })
 */
export const judgeProperties: JudgeProperties = async (input: PropertiesInput): Promise<PropertyVerdict[]> => {
  const safeguards = safeguardsFor(input.resourceType, input.rules);
  const adapter = safeguards[0]?.resource;
  if (!adapter?.fromCloudFormation) return [];
  // Parameters first: a misspelt parameter must fail before anything is judged.
  const prepared = safeguards.map((s) => ({ s, params: parseParameters(s.schema, input.parameters?.[s.name] ?? {}) }));
  const label = `${input.resourceType} ${input.logicalId}`;
  const unresolved = unresolvedProperties(input.properties, adapter.cloudFormationReads?.[input.resourceType] ?? {});
  if (unresolved.length > 0) {
    // An exemption tag still holds (tags are text; a marker there is fine): exempt resources are not judged at all.
    const tags = cfnTags.safeParse((input.properties as { Tags?: unknown } | null)?.Tags);
    const exemption = checkExemption({ id: input.logicalId, resourceType: input.resourceType, tags: tags.success ? tags.data : {} }, [], input.now ?? new Date());
    if (exemption.kind === 'exempt') {
      return prepared.map(({ s }) => ({ rule: s.name, resourceType: input.resourceType, ...notApplicable(fitAnnotation(markUserText(`${label} ${exemption.note}. ${s.hipaa.join(', ')}`, exemption.userTexts))) }));
    }
    const what = `${unresolved.join(', ')} ${unresolved.length > 1 ? 'are' : 'is'} not known`;
    return prepared.map(({ s }) => unknownVerdict(s.name, input.resourceType, label, what, s.hipaa.join(', '), unresolved));
  }
  let view: NormalizedResource;
  try {
    view = adapter.fromCloudFormation({ resourceType: input.resourceType, logicalId: input.logicalId, properties: input.properties });
  } catch (error) {
    if (!(error instanceof UnresolvedFactError)) throw error;
    return prepared.map(({ s }) => unknownVerdict(s.name, input.resourceType, label, `${error.what} is not known`, s.hipaa.join(', '), [error.what]));
  }
  const lookup = input.facts ?? new PreventionLookup({ ...(input.template ? { template: input.template } : {}), ...(input.clients ? { clients: input.clients } : {}) });
  const clients = input.clients ?? lookup.clients;
  view = await withAccountDefaults(view, lookup);
  // One resource, no listing: the judge's listing cache stays empty; the template-aware lookup replaces the account's.
  const ctx: JudgeContext = { ...newJudgeContext(clients, input.now ?? new Date(), { concurrency: 1 }), lookup };
  const verdicts: PropertyVerdict[] = [];
  for (const { s, params } of prepared) {
    const citation = s.hipaa.join(', ');
    const name = s.resource.label(view);
    try {
      const verdict = await judge(s, view, params, ctx);
      verdicts.push({ rule: s.name, resourceType: input.resourceType, ...verdict });
    } catch (error) {
      if (error instanceof UnresolvedFactError) {
        verdicts.push(unknownVerdict(s.name, input.resourceType, name, `${error.what} is not known`, citation, [error.what]));
      } else if (error instanceof IncompleteResourceError) {
        // The view left a field unknown that this rule needs (an EngineVersion the service picks at creation).
        const field = view.resourceType === 'AWS::ElastiCache::ServerlessCache' ? 'MajorEngineVersion' : error.message.includes('CacheNodeType') ? 'CacheNodeType' : 'EngineVersion';
        const what = `${field} is not set, so ElastiCache picks its default at creation, which only the account knows`;
        verdicts.push(unknownVerdict(s.name, input.resourceType, name, what, citation, [field]));
      } else {
        throw error;
      }
    }
  }
  return verdicts;
};
