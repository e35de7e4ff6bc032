import {
  DescribeOrganizationCommand,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
  paginateListDelegatedServicesForAccount,
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
