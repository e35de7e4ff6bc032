import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { expect } from 'chai';
import sinon from 'sinon';
import { elastiCacheAuthEnabled } from '../../rules/elasticache-auth-enabled';
import { elastiCacheCurrentGenerationNodes } from '../../rules/elasticache-current-generation-nodes';
import { elastiCacheEncryptedAtRest } from '../../rules/elasticache-encrypted-at-rest';
import { elastiCacheEncryptedInTransit } from '../../rules/elasticache-encrypted-in-transit';
import { elastiCacheEngineHipaaEligible } from '../../rules/elasticache-engine-hipaa-eligible';
import { elastiCacheSecurityUpdatesApplied } from '../../rules/elasticache-security-updates-applied';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { main } from '../../scripts/cli';
import { type ScanResult, exitCodeOf, scan } from '../../scripts/lib/scan';
import type { MotoServer } from '../../scripts/lib/moto-server';
import { createCluster, createGroup, elastiCacheOn, fakeMissingElastiCacheApis, sdkServerlessCache, sdkUpdateAction } from '../helpers/elasticache';
import { useMoto } from '../helpers/moto';

const RULES: readonly Safeguard[] = [
  elastiCacheEncryptedAtRest,
  elastiCacheEncryptedInTransit,
  elastiCacheAuthEnabled,
  elastiCacheEngineHipaaEligible,
  elastiCacheSecurityUpdatesApplied,
  elastiCacheCurrentGenerationNodes,
];

const TOKEN = 'a-very-long-auth-token-1234';

/** A small hospital account: compliant and failing groups, a 3.2.6 group, a Valkey cluster-mode group, Memcached. */
async function seed(endpoint: string) {
  const ec = elastiCacheOn(endpoint);
  await createGroup(ec, { id: 'phi-ok', version: '7.1.0', nodeType: 'cache.r7g.large', atRest: true, transit: true, mode: 'required', authToken: TOKEN });
  await createGroup(ec, { id: 'phi-preferred', version: '6.2.6', nodeType: 'cache.m5.large', atRest: true, transit: true, mode: 'preferred' });
  await createGroup(ec, { id: 'legacy-409', version: '4.0.9', nodeType: 'cache.r3.large' });
  await createGroup(ec, { id: 'wp-326', version: '3.2.6', nodeType: 'cache.m4.large', atRest: true, transit: true, authToken: TOKEN });
  await createGroup(ec, { id: 'valkey-cm', engine: 'valkey', clusterMode: true, atRest: true, transit: true, mode: 'required', authToken: TOKEN });
  await createGroup(ec, { id: 'sandbox', version: '7.1.0', tags: { 'hipaa-safeguards:exempt': 'CHG-77 synthetic data' } });
  await createCluster(ec, { id: 'mc-sessions', engine: 'memcached', transit: true });
}

/** rule → resource → compliance, for comparing whole scans. */
function table(results: readonly ScanResult[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const r of results) (out[r.rule] ??= {})[r.resourceId] = r.compliance;
  return out;
}

const C = 'COMPLIANT';
const NC = 'NON_COMPLIANT';
const NA = 'NOT_APPLICABLE';
/** The verdicts every rule but the update rule reaches on moto alone (no serverless cache there). */
const ON_MOTO = {
  'elasticache-encrypted-at-rest': { 'phi-ok': C, 'phi-preferred': C, 'legacy-409': NC, 'wp-326': C, 'valkey-cm': C, sandbox: NA, 'mc-sessions': NC },
  'elasticache-encrypted-in-transit': { 'phi-ok': C, 'phi-preferred': NC, 'legacy-409': NC, 'wp-326': C, 'valkey-cm': C, sandbox: NA, 'mc-sessions': C },
  'elasticache-auth-enabled': { 'phi-ok': C, 'phi-preferred': NC, 'legacy-409': NC, 'wp-326': C, 'valkey-cm': C, sandbox: NA, 'mc-sessions': NA },
  'elasticache-engine-hipaa-eligible': { 'phi-ok': C, 'phi-preferred': C, 'legacy-409': NC, 'wp-326': C, 'valkey-cm': C, sandbox: NA, 'mc-sessions': NC },
  'elasticache-current-generation-nodes': { 'phi-ok': C, 'phi-preferred': C, 'legacy-409': NC, 'wp-326': C, 'valkey-cm': C, sandbox: NA, 'mc-sessions': C },
  // An exempt resource needs no update actions, so it keeps its verdict while the lookup fails for the others.
  'elasticache-security-updates-applied': { sandbox: NA },
};

describe('safeguards scan: ElastiCache', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  beforeEach(async () => {
    moto = await useMoto();
    await seed(moto.endpoint);
  });
  afterEach(() => sinon.restore());

  it('prints every verdict moto allows, reports the APIs moto lacks per rule and kind, and exits 2', async () => {
    // Act
    const { results, failures } = await scan({ safeguards: RULES, region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
    // Assert
    expect(table(results)).to.deep.equal(ON_MOTO);
    expect(failures.map((f) => `${f.rule} ${f.resourceType}${f.resourceId ? ` ${f.resourceId}` : ''}`)).to.deep.equal([
      'elasticache-encrypted-at-rest AWS::ElastiCache::ServerlessCache',
      'elasticache-encrypted-in-transit AWS::ElastiCache::ServerlessCache',
      'elasticache-auth-enabled AWS::ElastiCache::ServerlessCache',
      'elasticache-engine-hipaa-eligible AWS::ElastiCache::ServerlessCache',
      // DescribeUpdateActions fails for each resource that needs it; the exempt one is still judged.
      'elasticache-security-updates-applied AWS::ElastiCache::ReplicationGroup phi-ok',
      'elasticache-security-updates-applied AWS::ElastiCache::ReplicationGroup phi-preferred',
      'elasticache-security-updates-applied AWS::ElastiCache::ReplicationGroup legacy-409',
      'elasticache-security-updates-applied AWS::ElastiCache::ReplicationGroup wp-326',
      'elasticache-security-updates-applied AWS::ElastiCache::ReplicationGroup valkey-cm',
      'elasticache-security-updates-applied AWS::ElastiCache::CacheCluster mc-sessions',
      'elasticache-security-updates-applied AWS::ElastiCache::ServerlessCache',
      'elasticache-current-generation-nodes AWS::ElastiCache::ServerlessCache',
    ]);
    // moto answers unknown actions with an HTML 500 page: a non-AWS response, named by its operation, not retried.
    const operations = [...new Set(failures.map((f) => f.operation))];
    expect(operations).to.deep.equal(['ElastiCache.DescribeServerlessCaches', 'ElastiCache.DescribeUpdateActions']);
    for (const f of failures) {
      expect(f.error).to.equal(`${f.operation}: the endpoint returned a non-AWS response (HTTP 500, text/html; charset=utf-8).`);
    }
    expect(exitCodeOf(results, failures)).to.equal(2);
  });

  it('reports the kinds moto lacks as SKIPPED, not ERROR, when told the endpoint is such an emulator (exit 1)', async () => {
    // Act
    const { results, failures, skipped } = await scan({ safeguards: RULES, region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1, nonAwsResponseIsUnsupported: true });
    // Assert: the serverless listing is skipped for every rule, and the update rule's kinds for its lookup
    expect(table(results)).to.deep.equal(ON_MOTO);
    expect(failures).to.deep.equal([]);
    expect(skipped.map((k) => `${k.rule} ${k.resourceType} ${k.operation}`)).to.have.members([
      ...RULES.map((r) => `${r.name} AWS::ElastiCache::ServerlessCache ElastiCache.DescribeServerlessCaches`),
      'elasticache-security-updates-applied AWS::ElastiCache::ReplicationGroup ElastiCache.DescribeUpdateActions',
      'elasticache-security-updates-applied AWS::ElastiCache::CacheCluster ElastiCache.DescribeUpdateActions',
    ]);
    expect(skipped).to.have.length(RULES.length + 2);
    expect(skipped[0]?.reason).to.equal(
      'ElastiCache.DescribeServerlessCaches: the endpoint returned a non-AWS response (HTTP 500, text/html; charset=utf-8): taken as not offered by this endpoint.',
    );
    expect(exitCodeOf(results, failures)).to.equal(1);
  });

  it('exits 1, not 2, when only skips occurred besides NON_COMPLIANT verdicts', async () => {
    const { results, failures } = await scan({
      safeguards: [elastiCacheEncryptedAtRest],
      region: 'us-east-1',
      endpoint: moto.endpoint,
      maxAttempts: 1,
      nonAwsResponseIsUnsupported: true,
    });
    expect(failures).to.deep.equal([]);
    expect(exitCodeOf(results, failures)).to.equal(1);
  });

  it('gives the right verdict for every rule and kind once the missing APIs answer (mocked from the botocore model)', async () => {
    // Arrange
    const overdue = new Date('2026-10-01T00:00:00Z');
    fakeMissingElastiCacheApis({
      serverless: [sdkServerlessCache({ ServerlessCacheName: 'claims', UserGroupId: undefined })],
      updateActions: [
        sdkUpdateAction({ ServiceUpdateName: 'elasticache-20260901-001', ReplicationGroupId: 'legacy-409', ServiceUpdateRecommendedApplyByDate: overdue }),
        sdkUpdateAction({ ServiceUpdateName: 'elasticache-20261201-002', ReplicationGroupId: 'phi-ok', ServiceUpdateRecommendedApplyByDate: new Date('2027-01-15T00:00:00Z') }),
      ],
    });
    // Act
    const { results, failures } = await scan({ safeguards: RULES, region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1, now: new Date('2026-11-22T12:00:00Z') });
    // Assert
    expect(failures).to.deep.equal([]);
    expect(table(results)).to.deep.equal({
      'elasticache-encrypted-at-rest': { ...ON_MOTO['elasticache-encrypted-at-rest'], claims: C },
      'elasticache-encrypted-in-transit': { ...ON_MOTO['elasticache-encrypted-in-transit'], claims: C },
      'elasticache-auth-enabled': { ...ON_MOTO['elasticache-auth-enabled'], claims: NC },
      'elasticache-engine-hipaa-eligible': { ...ON_MOTO['elasticache-engine-hipaa-eligible'], claims: C },
      'elasticache-security-updates-applied': { 'phi-ok': C, 'phi-preferred': C, 'legacy-409': NC, 'wp-326': C, 'valkey-cm': C, sandbox: NA, 'mc-sessions': C, claims: NA },
      'elasticache-current-generation-nodes': { ...ON_MOTO['elasticache-current-generation-nodes'], claims: NA },
    });
    expect(results.find((r) => r.rule === 'elasticache-security-updates-applied' && r.resourceId === 'legacy-409')?.annotation).to.equal(
      'Replication group legacy-409 has 1 overdue security update(s): elasticache-20260901-001 due 2026-10-01 (not-applied). Apply with BatchApplyUpdateAction. 45 CFR 164.308(a)(1)(ii)(B)',
    );
    expect(results.find((r) => r.rule === 'elasticache-auth-enabled' && r.resourceId === 'sandbox')?.annotation).to.equal(
      'Replication group sandbox is exempt by tag hipaa-safeguards:exempt (CHG-77 synthetic data). 45 CFR 164.312(d)',
    );
    expect(exitCodeOf(results, failures)).to.equal(1);
  });

  it('safeguards scan (CLI) prints the verdicts on stdout, the moto error on stderr, and exits 2', async () => {
    // Act
    let out = '';
    let err = '';
    const code = await main(['scan', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--rules', 'elasticache-encrypted-in-transit', '--format', 'json'], {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    // Assert
    expect(code).to.equal(2);
    const doc = JSON.parse(out) as { results: ScanResult[]; failures: { resourceType: string }[]; summary: { failures: number; nonCompliant: number; exitCode: number } };
    const results = doc.results;
    // NON_COMPLIANT verdicts and a failed kind: the document says both.
    expect(doc.failures.map((f) => f.resourceType)).to.deep.equal(['AWS::ElastiCache::ServerlessCache']);
    expect(doc.summary).to.deep.include({ failures: 1, nonCompliant: 2, exitCode: 2 });
    expect(table(results)).to.deep.equal({ 'elasticache-encrypted-in-transit': ON_MOTO['elasticache-encrypted-in-transit'] });
    expect(results.find((r) => r.resourceId === 'phi-preferred')?.annotation).to.equal(
      'Replication group phi-preferred still accepts plaintext connections (TransitEncryptionMode preferred). Set TransitEncryptionMode to required once every client uses TLS. 45 CFR 164.312(e)(2)(ii)',
    );
    expect(err).to.contain(
      'ERROR elasticache-encrypted-in-transit (AWS::ElastiCache::ServerlessCache): ElastiCache.DescribeServerlessCaches: the endpoint returned a non-AWS response (HTTP 500, text/html; charset=utf-8).',
    );
  });

  it('keeps every other verdict when one standalone cluster\'s answer lacks EngineVersion: only the rule that needs it fails, for that cluster', async () => {
    // Arrange: a Redis standalone cluster whose DescribeCacheClusters item comes back without EngineVersion
    await createCluster(elastiCacheOn(moto.endpoint), { id: 'redis-partial', engine: 'redis', version: '7.1', transit: true, authToken: TOKEN });
    const original = ElastiCacheClient.prototype.send as (this: unknown, c: unknown) => Promise<unknown>;
    sinon.stub(ElastiCacheClient.prototype, 'send').callsFake(async function (this: unknown, c: unknown) {
      const name = (c as { constructor: { name: string } }).constructor.name;
      if (name === 'DescribeServerlessCachesCommand') return { ServerlessCaches: [] };
      if (name === 'DescribeUpdateActionsCommand') return { UpdateActions: [] };
      const out = (await original.call(this, c)) as { CacheClusters?: { CacheClusterId?: string; EngineVersion?: string }[] };
      for (const cluster of out.CacheClusters ?? []) if (cluster.CacheClusterId === 'redis-partial') delete cluster.EngineVersion;
      return out;
    } as never);
    // Act
    const { results, failures } = await scan({ safeguards: RULES, region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1 });
    // Assert
    const judged = table(results);
    for (const rule of RULES) {
      expect(judged[rule.name], rule.name).to.include.keys('mc-sessions');
      if (rule !== elastiCacheEngineHipaaEligible) expect(judged[rule.name], rule.name).to.include.keys('redis-partial');
    }
    expect(judged['elasticache-engine-hipaa-eligible']).to.not.have.property('redis-partial');
    expect(failures).to.deep.equal([
      {
        rule: 'elasticache-engine-hipaa-eligible',
        resourceType: 'AWS::ElastiCache::CacheCluster',
        resourceId: 'redis-partial',
        operation: 'ElastiCache.DescribeCacheClusters',
        error:
          'ElastiCache.DescribeCacheClusters: IncompleteResourceError: Cache cluster redis-partial cannot be judged: DescribeCacheClusters did not report its EngineVersion, which this rule needs. The other rules still judge it.',
      },
    ]);
    expect(exitCodeOf(results, failures)).to.equal(2);
  });
});
