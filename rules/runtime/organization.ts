import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as z from 'zod/mini';
import { AwsClients } from './clients';
import { ForeignAccountError, MalformedEventError, SafeguardsError } from './errors';
import { TEST_MODE_TOKEN } from './put-evaluations';
// English zod messages (./issues sets them), should this module be used alone.
import './issues';

/**
 * Organization mode: the hub Lambdas evaluate member accounts. AWS Lambda cannot restrict the `config.amazonaws.com`
 * principal to an organization (its permission takes one SourceAccount, and aws:PrincipalOrgID never matches a
 * service principal), so as defence in depth every event is checked here against the organization's accounts before
 * the runtime makes any call for it.
 */

/** Environment variable the hub sets on every rule Lambda (serverless.yml, `mode=organization`). */
export const ORGANIZATION_MODE_VARIABLE = 'HIPAA_SAFEGUARDS_ORGANIZATION';

/** IAM actions the guard calls, from the hub account: kept next to the call for the hub roles (scripts/lib/iam.ts). */
export const ORGANIZATION_GUARD_ACTIONS = ['organizations:ListAccounts'] as const;

/** How long one ListAccounts answer is trusted: a new account is served at most this long after it joins. */
export const MEMBERSHIP_TTL_MS = 5 * 60_000;

/** Organizations `State` (and the `Status` it replaces, retired in 2026): only ACTIVE accounts are served. */
const AccountSchema = /* @__PURE__ */ z.lazy(() => z.object({
  Id: z.string().check(z.regex(/^\d{12}$/)),
  State: z.optional(z.string()),
  Status: z.optional(z.string()),
}));
const ListAccountsPageSchema = /* @__PURE__ */ z.lazy(() => z.object({ Accounts: z.optional(z.array(AccountSchema)) }));

export type AccountGuard = (accountId: string) => Promise<void>;

export interface OrganizationGuardOptions {
  /** The Organizations client; default: one for the Lambda's region (the SDK sends it to the global endpoint). */
  readonly client?: () => OrganizationsClient;
  readonly ttlMs?: number;
  /** Milliseconds since the epoch. */
  readonly clock?: () => number;
}

async function activeAccounts(client: OrganizationsClient): Promise<ReadonlySet<string>> {
  // Loaded on first use: only organization mode needs the Organizations client.
  const { paginateListAccounts } = await import('@aws-sdk/client-organizations');
  const accounts = new Set<string>();
  for await (const raw of paginateListAccounts({ client }, {})) {
    const parsed = ListAccountsPageSchema.safeParse(raw);
    // Named as classic zod names it: the name shows in the ForeignAccountError message.
    if (!parsed.success) throw Object.assign(parsed.error, { name: 'ZodError' });
    const page = parsed.data;
    for (const a of page.Accounts ?? []) if ((a.State ?? a.Status) === 'ACTIVE') accounts.add(a.Id);
  }
  return accounts;
}

/**
 * An account guard for `HandlerOptions.accountGuard`: resolves for ACTIVE accounts of the caller's organization
 * (Organizations ListAccounts, every page, cached for `ttlMs`), and throws ForeignAccountError otherwise. Any
 * failure to read the organization is a rejection, never an acceptance; a stale list is never used.
 * @example const handler = createRuleHandler(safeguard, { accountGuard: organizationAccountGuard() });
 */
export function organizationAccountGuard(options: OrganizationGuardOptions = {}): AccountGuard {
  const ttl = options.ttlMs ?? MEMBERSHIP_TTL_MS;
  const clock = options.clock ?? Date.now;
  const clientOf =
    options.client ??
    (async () => {
      const { OrganizationsClient } = await import('@aws-sdk/client-organizations');
      return new AwsClients({ region: process.env.AWS_REGION ?? 'us-east-1' }).get(OrganizationsClient);
    });
  let client: Promise<OrganizationsClient> | undefined;
  let cached: { accounts: ReadonlySet<string>; fetchedAt: number } | undefined;
  // Concurrent invocations of a warm container share one listing.
  let inFlight: Promise<ReadonlySet<string>> | undefined;

  const members = async (): Promise<ReadonlySet<string>> => {
    if (cached && clock() - cached.fetchedAt < ttl) return cached.accounts;
    cached = undefined;
    client ??= Promise.resolve()
      .then(clientOf)
      .catch((error: unknown) => {
        client = undefined;
        throw error;
      });
    inFlight ??= client.then(activeAccounts).finally(() => {
      inFlight = undefined;
    });
    const accounts = await inFlight;
    cached = { accounts, fetchedAt: clock() };
    return accounts;
  };

  return async (accountId: string): Promise<void> => {
    let accounts: ReadonlySet<string>;
    try {
      accounts = await members();
    } catch (error) {
      const e = error as Error;
      throw new ForeignAccountError(
        `Could not confirm that account ${accountId} is a member of the organization (organizations:ListAccounts failed: ${e.name}: ${e.message}). The event is rejected and no evaluation is written.`,
        { cause: error },
      );
    }
    if (!accounts.has(accountId)) {
      throw new ForeignAccountError(
        `Account ${accountId} is not an active member of this organization. The event is rejected and no evaluation is written.`,
      );
    }
  };
}

/** The fields of a parsed Config rule event that organization mode checks. */
export interface OrganizationEventFields {
  readonly accountId: string;
  readonly configRuleArn: string;
  readonly resultToken: string;
}

/**
 * Organization mode only: Config itself never sends `TESTMODE`, and a rule deployed by the organization conformance
 * pack lives in the account it evaluates, so the account of `configRuleArn` is `accountId`. An event that breaks
 * either came from someone invoking the hub Lambda directly; it throws MalformedEventError (the handler then writes
 * no verdict and makes no AWS call).
 * @example assertOrganizationEvent(parsed); // before the account guard and any AWS call
 */
export function assertOrganizationEvent(event: OrganizationEventFields): void {
  if (event.resultToken === TEST_MODE_TOKEN) {
    throw new MalformedEventError(
      `resultToken is "${TEST_MODE_TOKEN}", which AWS Config never sends. Organization mode accepts only result tokens from AWS Config; the event is rejected and no evaluation is written.`,
    );
  }
  const ruleAccount = event.configRuleArn.split(':')[4];
  if (ruleAccount !== event.accountId) {
    throw new MalformedEventError(
      `accountId ${event.accountId} differs from the account ${ruleAccount ?? '(none)'} of configRuleArn ${event.configRuleArn}. Expected the rule's own account; the event is rejected and no evaluation is written.`,
    );
  }
}

/**
 * The guard the environment asks for: `HIPAA_SAFEGUARDS_ORGANIZATION=true` turns it on, `false` or unset leaves it
 * off. Any other value throws when the handler is created, so a typo cannot switch the check off silently.
 */
export function accountGuardFromEnvironment(env: NodeJS.ProcessEnv = process.env): AccountGuard | undefined {
  const value = env[ORGANIZATION_MODE_VARIABLE];
  if (value === undefined || value === '' || value === 'false') return undefined;
  if (value === 'true') return organizationAccountGuard();
  throw new SafeguardsError(`${ORGANIZATION_MODE_VARIABLE} is "${value}". Expected "true", "false" or unset.`);
}
