import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { MemoryDBClient } from '@aws-sdk/client-memorydb';
import { expect } from 'chai';
import sinon from 'sinon';
import { memoryDbAuthEnabled } from '../../rules/memorydb-auth-enabled';
import { memoryDbEncryptedAtRest } from '../../rules/memorydb-encrypted-at-rest';
import { memoryDbEncryptedInTransit } from '../../rules/memorydb-encrypted-in-transit';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { type ScanResult, exitCodeOf, scan } from '../../scripts/lib/scan';
import { createMemoryDbCluster, createPasswordAcl, memoryDbOn } from '../helpers/memorydb';
import { useMoto } from '../helpers/moto';

/**
 * `safeguards scan` of the MemoryDB rules against moto: clusters, tags and tag:GetResources are moto's; the ACLs and
 * users are the ones scripts/lib/moto_server.py fakes in moto's MemoryDB handler (moto 5.2.1 lacks DescribeACLs and
 * DescribeUsers), with the built-in `default` user and `open-access` ACL.
 */
const RULES: readonly Safeguard[] = [memoryDbEncryptedInTransit, memoryDbAuthEnabled, memoryDbEncryptedAtRest];
const C = 'COMPLIANT';
const NC = 'NON_COMPLIANT';
const NA = 'NOT_APPLICABLE';

function table(results: readonly ScanResult[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const r of results) (out[r.rule] ??= {})[r.resourceId] = r.compliance;
  return out;
}

describe('safeguards scan: MemoryDB', function () {
  this.timeout(120_000);
  afterEach(() => sinon.restore());

  it('judges a small hospital account: one verdict per cluster and rule, exemptions honoured, ACLs and users read once, exit 1', async () => {
    // Arrange
    const moto = await useMoto();
    const md = memoryDbOn(moto.endpoint);
    const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const key = (await kms.send(new CreateKeyCommand({ Description: 'PHI' }))).KeyMetadata?.Arn ?? '';
    await createPasswordAcl(md, 'phi-acl', ['phi-app']);
    await createMemoryDbCluster(md, { name: 'phi-ok', acl: 'phi-acl', kmsKeyId: key });
    await createMemoryDbCluster(md, { name: 'default-key', acl: 'phi-acl' });
    await createMemoryDbCluster(md, { name: 'open', acl: 'open-access', kmsKeyId: key });
    await createMemoryDbCluster(md, { name: 'plain', tls: false });
    await createMemoryDbCluster(md, { name: 'sandbox', tls: false, tags: { 'hipaa-safeguards:exempt': 'CHG-77 synthetic data' } });
    const send = sinon.spy(MemoryDBClient.prototype, 'send');
    // Act
    const { results, failures } = await scan({ safeguards: RULES, region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
    // Assert
    expect(failures).to.deep.equal([]);
    expect(table(results)).to.deep.equal({
      'memorydb-encrypted-in-transit': { 'phi-ok': C, 'default-key': C, open: C, plain: NC, sandbox: NA },
      'memorydb-auth-enabled': { 'phi-ok': C, 'default-key': C, open: NC, plain: NC, sandbox: NA },
      'memorydb-encrypted-at-rest': { 'phi-ok': C, 'default-key': NC, open: C, plain: NC, sandbox: NA },
    });
    expect(results.find((r) => r.rule === 'memorydb-auth-enabled' && r.resourceId === 'open')?.annotation).to.equal(
      'MemoryDB cluster open (engine not reported, version 7.1) accepts clients without authentication (ACL open-access). Attach an ACL of password or IAM users. 45 CFR 164.312(d)',
    );
    expect(results.find((r) => r.resourceId === 'sandbox')?.annotation).to.contain('CHG-77 synthetic data');
    // One listing for the three rules; the ACLs and users once for the run.
    const commands = send.getCalls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
    expect(commands.filter((c) => c === 'DescribeClusters')).to.have.length(1);
    expect(commands.filter((c) => c === 'DescribeACLs')).to.have.length(1);
    expect(commands.filter((c) => c === 'DescribeUsers')).to.have.length(1);
    expect(commands.filter((c) => c === 'ListTags')).to.have.length(0);
    expect(exitCodeOf(results, failures)).to.equal(1);
  });
});
