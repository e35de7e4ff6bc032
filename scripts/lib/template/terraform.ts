/**
 * Terraform plans (`terraform show -json plan.out`) as a template check-template can judge: every resource of the
 * types the Terraform adapters translate (rules/resources/terraform/plan-resources.ts), from `planned_values`
 * (root and child modules), with the values `after_unknown` marks as known only after apply turned into markers: a
 * reference to another planned resource (`aws_kms_key.phi.arn`) becomes `«!GetAtt aws_kms_key_phi.arn»`, so its facts
 * come from that resource as in a CloudFormation template; anything else is `«known after apply»` (UNKNOWN where it
 * decides a verdict).
 * @see https://developer.hashicorp.com/terraform/internals/json-format
 */
import { marker, refMarker } from '../../../rules/prevention/markers';
import { TERRAFORM_TYPES, translateTerraform } from '../../../rules/resources/terraform/plan-resources';

interface PlannedResource {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly values?: Record<string, unknown>;
}
interface PlannedModule {
  readonly resources?: PlannedResource[];
  readonly child_modules?: PlannedModule[];
}
interface ConfigModule {
  readonly resources?: { address: string; expressions?: Record<string, unknown> }[];
  readonly module_calls?: Record<string, { module?: ConfigModule }>;
}

export function isTerraformPlan(t: Record<string, unknown>): boolean {
  return typeof t.format_version === 'string' && (t.planned_values !== undefined || t.resource_changes !== undefined);
}

/** A Terraform address as a logical ID markers can name: `module.app.aws_kms_key.phi["a"]` → `module_app_aws_kms_key_phi__a__`. */
export const logicalIdOf = (address: string) => address.replace(/[^A-Za-z0-9]/g, '_');

function plannedResources(m: PlannedModule | undefined): PlannedResource[] {
  if (!m) return [];
  return [...(m.resources ?? []), ...(m.child_modules ?? []).flatMap(plannedResources)];
}

function configExpressions(m: ConfigModule | undefined, prefix = ''): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!m) return out;
  for (const r of m.resources ?? []) out.set(`${prefix}${r.address}`, r.expressions ?? {});
  for (const [name, call] of Object.entries(m.module_calls ?? {})) {
    for (const [k, v] of configExpressions(call.module, `${prefix}module.${name}.`)) out.set(k, v);
  }
  return out;
}

/**
 * Fills in what `after_unknown` marks unknown, walking values, unknown marks and configuration expressions together.
 * `resolveRef` turns a configuration reference into a marker for a planned resource.
 */
function withUnknowns(values: unknown, unknown: unknown, exprs: unknown, resolveRef: (refs: readonly string[]) => string | undefined): unknown {
  if (unknown === true) {
    // Not in the configuration: an attribute the provider computes, i.e. the service's default (a video stream's key).
    if (exprs === undefined) return undefined;
    const refs = (exprs as { references?: unknown } | undefined)?.references;
    return (Array.isArray(refs) ? resolveRef(refs.map(String)) : undefined) ?? marker('known after apply');
  }
  if (Array.isArray(unknown)) {
    const vs = Array.isArray(values) ? values : [];
    const es = Array.isArray(exprs) ? exprs : [];
    return unknown.map((u, i) => withUnknowns(vs[i], u, Array.isArray(exprs) ? (es[i] ?? es[0]) : exprs, resolveRef));
  }
  if (unknown !== null && typeof unknown === 'object') {
    const vs = (values ?? {}) as Record<string, unknown>;
    const es = (exprs ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = { ...vs };
    for (const [k, u] of Object.entries(unknown)) out[k] = withUnknowns(vs[k], u, es[k], resolveRef);
    return out;
  }
  return values;
}

/**
 * The plan as a CloudFormation-shaped template (Resources keyed by logical IDs made from addresses), with the
 * Terraform address of each logical ID for the rows.
 */
export function planAsTemplate(plan: Record<string, unknown>): { template: Record<string, unknown>; addresses: Record<string, string> } {
  const planned = plannedResources((plan.planned_values as { root_module?: PlannedModule } | undefined)?.root_module).filter((r) => (r.mode ?? 'managed') === 'managed');
  const changes = new Map(
    ((plan.resource_changes ?? []) as { address: string; change?: { after_unknown?: unknown } }[]).map((c) => [c.address, c.change?.after_unknown ?? {}]),
  );
  const exprs = configExpressions((plan.configuration as { root_module?: ConfigModule } | undefined)?.root_module);
  const addresses = new Set(planned.map((r) => r.address));
  const resolveRef = (refs: readonly string[]) => {
    // References come most specific first: `aws_kms_key.phi.arn`, then `aws_kms_key.phi`.
    for (const ref of refs) {
      for (const address of addresses) {
        if (ref.startsWith(`${address}.`)) return refMarker(logicalIdOf(address), ref.slice(address.length + 1));
        if (ref === address) return refMarker(logicalIdOf(address));
      }
    }
    return undefined;
  };
  const resources: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const r of planned) {
    if (!Object.hasOwn(TERRAFORM_TYPES, r.type)) continue;
    const configAddress = r.address.replace(/\[[^\]]*\]/g, '');
    const values = withUnknowns(r.values ?? {}, changes.get(r.address) ?? {}, exprs.get(configAddress) ?? {}, resolveRef) as Record<string, unknown>;
    const translated = translateTerraform(r.type, values);
    if (!translated) continue;
    const id = logicalIdOf(r.address);
    resources[id] = { Type: translated.resourceType, Properties: translated.properties };
    names[id] = r.address;
    if (translated.inlinePolicy) {
      // An inline policy (aws_sqs_queue.policy, aws_sns_topic.policy) as the policy resource CloudFormation would declare.
      const { resourceType, targetProperty, document } = translated.inlinePolicy;
      resources[`${id}__policy`] = { Type: resourceType, Properties: { [targetProperty]: refMarker(id), PolicyDocument: document } };
      names[`${id}__policy`] = `${r.address} (policy)`;
    }
  }
  return { template: { Resources: resources }, addresses: names };
}
