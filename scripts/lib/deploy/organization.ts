import {
  AccessDeniedException,
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  type OrganizationsClient,
  UpdatePolicyCommand,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
  paginateListDelegatedServicesForAccount,
  paginateListPolicies,
  paginateListRoots,
  paginateListTargetsForPolicy,
} from '@aws-sdk/client-organizations';
import { PrerequisiteError } from './errors';

/** Service principals the delegated administrator must be registered for. */
export const DelegatedService = {
  /** Organization conformance packs and rules. */
  Config: 'config-multiaccountsetup.amazonaws.com',
  /** Service-managed StackSets called as DELEGATED_ADMIN. */
  StackSets: 'member.org.stacksets.cloudformation.amazonaws.com',
} as const;

export interface OrganizationFacts {
  readonly id: string;
  readonly managementAccount: string;
}

export async function describeOrganization(client: OrganizationsClient): Promise<OrganizationFacts> {
  const out = await client.send(new DescribeOrganizationCommand({}));
  const org = out.Organization;
  if (!org?.Id || !org.MasterAccountId) throw new PrerequisiteError('DescribeOrganization returned no organization ID or management account.');
  // Organization conformance packs and service-managed StackSets need all features, not consolidated billing only.
  if (org.FeatureSet !== 'ALL') {
    throw new PrerequisiteError(`Organization ${org.Id} has feature set ${org.FeatureSet}; enable all features (organizations enable-all-features).`);
  }
  return { id: org.Id, managementAccount: org.MasterAccountId };
}

/** Throws naming each missing registration and the command that makes it, unless the account is the management account. */
export async function checkDelegatedAdmin(client: OrganizationsClient, account: string, org: OrganizationFacts): Promise<void> {
  if (account === org.managementAccount) return;
  const registered = new Set<string>();
  for await (const page of paginateListDelegatedServicesForAccount({ client }, { AccountId: account })) {
    for (const s of page.DelegatedServices ?? []) if (s.ServicePrincipal) registered.add(s.ServicePrincipal);
  }
  const missing = Object.values(DelegatedService).filter((s) => !registered.has(s));
  if (missing.length > 0) {
    throw new PrerequisiteError(
      `Account ${account} is not a delegated administrator for ${missing.join(' and ')}. From the management account run: ${missing
        .map((s) => `aws organizations register-delegated-administrator --account-id ${account} --service-principal ${s}`)
        .join('; ')}.`,
    );
  }
}

/** Accounts of the organization that are ACTIVE (Organizations `State`, or the `Status` it replaces). */
export async function activeAccounts(client: OrganizationsClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListAccounts({ client }, {})) {
    for (const a of page.Accounts ?? []) if (a.Id && (a.State ?? a.Status) === 'ACTIVE') ids.push(a.Id);
  }
  return ids.sort();
}

/** Every account under an OU or root, child OUs included (a StackSet targeting an OU deploys to all of them). */
export async function accountsUnder(client: OrganizationsClient, parentId: string): Promise<string[]> {
  const accounts: string[] = [];
  const queue = [parentId];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for await (const page of paginateListAccountsForParent({ client }, { ParentId: parent })) {
      for (const a of page.Accounts ?? []) if (a.Id) accounts.push(a.Id);
    }
    for await (const page of paginateListChildren({ client }, { ParentId: parent, ChildType: 'ORGANIZATIONAL_UNIT' })) {
      for (const c of page.Children ?? []) if (c.Id) queue.push(c.Id);
    }
  }
  return [...new Set(accounts)].sort();
}

/** IAM actions `ensureServiceControlPolicy` calls: what a resource-based delegation policy must allow a delegated administrator. */
export const SCP_MANAGEMENT_ACTIONS = [
  'organizations:ListRoots',
  'organizations:ListPolicies',
  'organizations:DescribePolicy',
  'organizations:CreatePolicy',
  'organizations:UpdatePolicy',
  'organizations:ListTargetsForPolicy',
  'organizations:AttachPolicy',
] as const;

export interface ScpRequest {
  readonly name: string;
  readonly description: string;
  readonly content: string;
  /** The OU or root it is attached to. */
  readonly targetId: string;
  /** The account making the calls, named in errors. */
  readonly caller: string;
}

export interface ScpOutcome {
  readonly policyId: string;
  readonly policy: 'created' | 'updated' | 'unchanged';
  readonly attachment: 'attached' | 'already attached';
}

/**
 * Creates the named service control policy or brings its content up to date, then attaches it to the target unless it
 * already is. Idempotent. SCPs must be enabled in the root (an organization-wide decision left to a person); the
 * management account may always call these operations, a delegated administrator only where the organization's
 * resource-based delegation policy allows them (AccessDenied otherwise, turned into a PrerequisiteError that says so).
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html
 */
export async function ensureServiceControlPolicy(client: OrganizationsClient, req: ScpRequest): Promise<ScpOutcome> {
  try {
    for await (const page of paginateListRoots({ client }, {})) {
      for (const root of page.Roots ?? []) {
        const scp = root.PolicyTypes?.find((t) => t.Type === 'SERVICE_CONTROL_POLICY');
        if (scp?.Status !== 'ENABLED') {
          throw new PrerequisiteError(
            `Service control policies are not enabled in root ${root.Id ?? '?'}, so the exemption policy would have no effect. From the management account run: aws organizations enable-policy-type --root-id ${root.Id ?? '<root>'} --policy-type SERVICE_CONTROL_POLICY.`,
          );
        }
      }
    }
    let policyId: string | undefined;
    for await (const page of paginateListPolicies({ client }, { Filter: 'SERVICE_CONTROL_POLICY' })) {
      policyId ??= page.Policies?.find((p) => p.Name === req.name)?.Id;
    }
    let policy: ScpOutcome['policy'];
    if (!policyId) {
      const out = await client.send(new CreatePolicyCommand({ Name: req.name, Description: req.description, Type: 'SERVICE_CONTROL_POLICY', Content: req.content }));
      policyId = out.Policy?.PolicySummary?.Id;
      if (!policyId) throw new PrerequisiteError(`CreatePolicy returned no policy ID for ${req.name}.`);
      policy = 'created';
    } else {
      const current = await client.send(new DescribePolicyCommand({ PolicyId: policyId }));
      const same = current.Policy?.Content === req.content && current.Policy.PolicySummary?.Description === req.description;
      if (!same) await client.send(new UpdatePolicyCommand({ PolicyId: policyId, Description: req.description, Content: req.content }));
      policy = same ? 'unchanged' : 'updated';
    }
    let attached = false;
    for await (const page of paginateListTargetsForPolicy({ client }, { PolicyId: policyId })) {
      if (page.Targets?.some((t) => t.TargetId === req.targetId)) attached = true;
    }
    if (!attached) await client.send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: req.targetId }));
    return { policyId, policy, attachment: attached ? 'already attached' : 'attached' };
  } catch (error) {
    if (error instanceof AccessDeniedException) {
      throw new PrerequisiteError(
        `Account ${req.caller} may not manage service control policies (${error.message}). Run deploy-org with --exemption-approvers from the management account, or let the management account delegate ${SCP_MANAGEMENT_ACTIONS.join(', ')} for SERVICE_CONTROL_POLICY to ${req.caller} with a resource-based delegation policy (aws organizations put-resource-policy). No spoke or hub was deployed.`,
        { cause: error },
      );
    }
    throw error;
  }
}
