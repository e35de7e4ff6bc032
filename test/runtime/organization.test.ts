import { ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { AccessDeniedException, type AccountState, ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { expect } from 'chai';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { clearClientCache } from '../../rules/runtime/clients';
import { ForeignAccountError, MalformedEventError, SafeguardsError } from '../../rules/runtime/errors';
import { createRuleHandler } from '../../rules/runtime/handler';
import {
  MEMBERSHIP_TTL_MS,
  ORGANIZATION_GUARD_ACTIONS,
  ORGANIZATION_MODE_VARIABLE,
  accountGuardFromEnvironment,
  assertOrganizationEvent,
  organizationAccountGuard,
} from '../../rules/runtime/organization';
import { changeEvent, kinesisItemEventStyle } from '../helpers/fixtures';

const MEMBER = '111111111111';
const OTHER_MEMBER = '222222222222';
const FOREIGN = '999999999999';

// Config sends an opaque token; organization mode refuses the TESTMODE one the fixtures default to.
const CONFIG_TOKEN = 'eyJvcmRlcmluZ1RpbWVzdGFtcCI6MTcwMDAwMDAwMDAwMH0=';

const account = (Id: string, State: AccountState = 'ACTIVE') => ({ Id, State, Arn: `arn:aws:organizations::123456789012:account/o-abcdefghij/${Id}` });

describe('runtime/organization (account guard)', () => {
  let orgs: AwsClientStub<OrganizationsClient>;
  let config: AwsClientStub<ConfigServiceClient>;
  let now: number;
  const guard = () => organizationAccountGuard({ client: () => new OrganizationsClient({ region: 'us-east-1' }), clock: () => now });

  beforeEach(() => {
    now = Date.parse('2026-11-22T12:00:00Z');
    orgs = mockClient(OrganizationsClient);
    config = mockClient(ConfigServiceClient);
    config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
    clearClientCache();
    delete process.env[ORGANIZATION_MODE_VARIABLE];
  });
  afterEach(() => {
    orgs.restore();
    config.restore();
    delete process.env[ORGANIZATION_MODE_VARIABLE];
  });

  describe('organizationAccountGuard', () => {
    it('accepts an ACTIVE member found on a later page of ListAccounts', async () => {
      // Arrange
      orgs
        .on(ListAccountsCommand, { NextToken: undefined })
        .resolves({ Accounts: [account(OTHER_MEMBER)], NextToken: 'page-2' })
        .on(ListAccountsCommand, { NextToken: 'page-2' })
        .resolves({ Accounts: [account(MEMBER)] });
      // Act
      await guard()(MEMBER);
      // Assert
      expect(orgs.commandCalls(ListAccountsCommand)).to.have.length(2);
    });

    it('rejects an account outside the organization, naming it', async () => {
      orgs.on(ListAccountsCommand).resolves({ Accounts: [account(MEMBER)] });
      const err = await guard()(FOREIGN).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ForeignAccountError);
      expect((err as Error).message).to.equal(
        `Account ${FOREIGN} is not an active member of this organization. The event is rejected and no evaluation is written.`,
      );
    });

    it('rejects a SUSPENDED member, and reads the retiring Status field when State is absent', async () => {
      orgs.on(ListAccountsCommand).resolves({
        Accounts: [account(MEMBER, 'SUSPENDED'), { Id: OTHER_MEMBER, Status: 'ACTIVE' as const }],
      });
      const check = guard();
      await check(OTHER_MEMBER);
      const err = await check(MEMBER).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ForeignAccountError);
    });

    it('rejects when Organizations fails (access denied), with the cause: an error never means acceptance', async () => {
      const denied = new AccessDeniedException({ message: 'not a delegated administrator', $metadata: {} });
      orgs.on(ListAccountsCommand).rejects(denied);
      const err = await guard()(MEMBER).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ForeignAccountError);
      expect((err as Error).message).to.equal(
        `Could not confirm that account ${MEMBER} is a member of the organization (organizations:ListAccounts failed: AccessDeniedException: not a delegated administrator). The event is rejected and no evaluation is written.`,
      );
      expect((err as Error).cause).to.equal(denied);
    });

    it('rejects a page that is not a ListAccounts answer (an account ID that is not 12 digits)', async () => {
      orgs.on(ListAccountsCommand).resolves({ Accounts: [{ Id: 'not-an-id', State: 'ACTIVE' as const }] });
      const err = await guard()(MEMBER).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ForeignAccountError);
    });

    it('lists once per TTL, and lists again after it expires', async () => {
      orgs.on(ListAccountsCommand).resolves({ Accounts: [account(MEMBER)] });
      const check = guard();
      await check(MEMBER);
      now += MEMBERSHIP_TTL_MS - 1;
      await check(MEMBER);
      await check(FOREIGN).catch(() => undefined);
      expect(orgs.commandCalls(ListAccountsCommand)).to.have.length(1);
      now += 1;
      await check(MEMBER);
      expect(orgs.commandCalls(ListAccountsCommand)).to.have.length(2);
    });

    it('never falls back to an expired list when the new listing fails', async () => {
      orgs.on(ListAccountsCommand).resolvesOnce({ Accounts: [account(MEMBER)] }).rejects(new Error('throttled past retries'));
      const check = guard();
      await check(MEMBER);
      now += MEMBERSHIP_TTL_MS;
      const err = await check(MEMBER).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ForeignAccountError);
      expect((err as Error).message).to.include('throttled past retries');
    });

    it(`calls only ${ORGANIZATION_GUARD_ACTIONS.join(', ')} (the actions the hub roles grant it)`, async () => {
      orgs.on(ListAccountsCommand).resolves({ Accounts: [account(MEMBER)] });
      await guard()(MEMBER);
      const calls = orgs.calls().map((c) => `organizations:${(c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '')}`);
      expect([...new Set(calls)]).to.deep.equal([...ORGANIZATION_GUARD_ACTIONS]);
    });
  });

  describe('assertOrganizationEvent', () => {
    const rule = (accountId: string) => `arn:aws:config:us-east-1:${accountId}:config-rule/config-rule-abc123`;

    it('accepts a Config token and a rule of the event account', () => {
      expect(() => assertOrganizationEvent({ accountId: MEMBER, configRuleArn: rule(MEMBER), resultToken: CONFIG_TOKEN })).not.to.throw();
    });

    it('rejects TESTMODE, naming resultToken', () => {
      expect(() => assertOrganizationEvent({ accountId: MEMBER, configRuleArn: rule(MEMBER), resultToken: 'TESTMODE' })).to.throw(
        MalformedEventError,
        'resultToken is "TESTMODE", which AWS Config never sends. Organization mode accepts only result tokens from AWS Config; the event is rejected and no evaluation is written.',
      );
    });

    it('rejects a rule of another account, naming accountId and configRuleArn', () => {
      expect(() => assertOrganizationEvent({ accountId: MEMBER, configRuleArn: rule(FOREIGN), resultToken: CONFIG_TOKEN }))
        .to.throw(MalformedEventError)
        .with.property('message')
        .that.matches(new RegExp(`^accountId ${MEMBER} differs from the account ${FOREIGN} of configRuleArn `));
    });
  });

  describe(`${ORGANIZATION_MODE_VARIABLE} (read where the handler is created)`, () => {
    const event = (accountId: string, resultToken = CONFIG_TOKEN) =>
      changeEvent(kinesisItemEventStyle({ name: 'vitals', encryption: null, accountId }), {
        accountId,
        resultToken,
        ruleParameters: { executionRoleName: 'HIPAA-Safeguards-Evaluation-us-east-1' },
      });

    it('is off when unset or false, and refuses any other value when the handler is created', () => {
      expect(accountGuardFromEnvironment({})).to.equal(undefined);
      expect(accountGuardFromEnvironment({ [ORGANIZATION_MODE_VARIABLE]: 'false' })).to.equal(undefined);
      expect(accountGuardFromEnvironment({ [ORGANIZATION_MODE_VARIABLE]: 'true' })).to.be.a('function');
      process.env[ORGANIZATION_MODE_VARIABLE] = 'True';
      expect(() => createRuleHandler(kinesisStreamEncrypted)).to.throw(SafeguardsError, `${ORGANIZATION_MODE_VARIABLE} is "True". Expected "true", "false" or unset.`);
    });

    it('evaluates an event of a member account', async () => {
      // Arrange
      process.env[ORGANIZATION_MODE_VARIABLE] = 'true';
      orgs.on(ListAccountsCommand).resolves({ Accounts: [account(MEMBER)] });
      const handler = createRuleHandler(kinesisStreamEncrypted);
      // Act
      const { evaluations } = await handler(event(MEMBER));
      // Assert
      expect(evaluations.map((e) => [e.ComplianceResourceId, e.ComplianceType])).to.deep.equal([['vitals', 'NON_COMPLIANT']]);
      expect(config.commandCalls(PutEvaluationsCommand)).to.have.length(1);
    });

    it('rejects an event of a foreign account before any other call: no verdict, the error names the account', async () => {
      process.env[ORGANIZATION_MODE_VARIABLE] = 'true';
      orgs.on(ListAccountsCommand).resolves({ Accounts: [account(MEMBER)] });
      const handler = createRuleHandler(kinesisStreamEncrypted);
      const err = await handler(event(FOREIGN)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ForeignAccountError);
      expect((err as Error).message).to.include(`Account ${FOREIGN} is not an active member`);
      expect(config.calls()).to.have.length(0);
    });

    it('rejects every event while Organizations cannot be read: no verdict', async () => {
      process.env[ORGANIZATION_MODE_VARIABLE] = 'true';
      orgs.on(ListAccountsCommand).rejects(new AccessDeniedException({ message: 'denied', $metadata: {} }));
      const handler = createRuleHandler(kinesisStreamEncrypted);
      const err = await handler(event(MEMBER)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ForeignAccountError);
      expect((err as Error).message).to.include(`account ${MEMBER}`);
      expect(config.calls()).to.have.length(0);
    });

    it('rejects a TESTMODE result token before any call: no verdict, the error names resultToken', async () => {
      // Arrange
      process.env[ORGANIZATION_MODE_VARIABLE] = 'true';
      orgs.on(ListAccountsCommand).resolves({ Accounts: [account(MEMBER)] });
      const handler = createRuleHandler(kinesisStreamEncrypted);
      // Act
      const err = await handler(event(MEMBER, 'TESTMODE')).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(MalformedEventError);
      expect((err as Error).message).to.match(/^resultToken is "TESTMODE"/);
      expect(config.calls()).to.have.length(0);
      expect(orgs.calls()).to.have.length(0);
    });

    it('rejects an event whose accountId is not the account of configRuleArn, even for a member: no verdict', async () => {
      // Arrange: both accounts are members; the rule is OTHER_MEMBER's, the event claims MEMBER
      process.env[ORGANIZATION_MODE_VARIABLE] = 'true';
      orgs.on(ListAccountsCommand).resolves({ Accounts: [account(MEMBER), account(OTHER_MEMBER)] });
      const forged = { ...event(MEMBER), configRuleArn: (event(OTHER_MEMBER).configRuleArn as string) };
      const handler = createRuleHandler(kinesisStreamEncrypted);
      // Act
      const err = await handler(forged).catch((e: unknown) => e);
      // Assert
      expect(err).to.be.instanceOf(MalformedEventError);
      expect((err as Error).message).to.equal(
        `accountId ${MEMBER} differs from the account ${OTHER_MEMBER} of configRuleArn ${forged.configRuleArn}. Expected the rule's own account; the event is rejected and no evaluation is written.`,
      );
      expect(config.calls()).to.have.length(0);
      expect(orgs.calls()).to.have.length(0);
    });

    it('still accepts TESTMODE in single-account mode (safeguards invoke --test-mode)', async () => {
      const { evaluations } = await createRuleHandler(kinesisStreamEncrypted)(event(MEMBER, 'TESTMODE'));
      expect(evaluations).to.have.length(1);
      expect(config.commandCalls(PutEvaluationsCommand)[0]?.args[0].input).to.deep.include({ TestMode: true });
    });

    it('leaves single-account mode alone: no Organizations call', async () => {
      const { evaluations } = await createRuleHandler(kinesisStreamEncrypted)(changeEvent(kinesisItemEventStyle({ name: 'vitals', encryption: null })));
      expect(evaluations).to.have.length(1);
      expect(orgs.calls()).to.have.length(0);
    });
  });
});
