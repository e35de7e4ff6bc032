/**
 * Scale benchmark of `safeguards scan` (issue 11): `npm run bench:scale -- --n 100 [--elasticache 100]`.
 *
 * Starts moto behind the counting proxy (test/helpers/counting-proxy.ts), creates N Kinesis streams and M ElastiCache
 * replication groups (each with its member cluster), then runs, each in its own process so its peak RSS is its own:
 *   1. baseline: the fewest calls that read the same facts (ListStreams pages, tag:GetResources pages of 100 for the
 *      tags, then DescribeStreamSummary per stream), with the SDK directly, 8 streams at a time;
 *   2. `scan()` of kinesis-stream-encrypted (scripts/lib/scan.ts, imported as is) at the same concurrency;
 *   3. `scan()` of one ElastiCache rule, then of all six ElastiCache rules (one shared listing).
 * Pacing is the same on both sides: without --enforce-rates neither waits on a rate limiter (the scan's process-wide
 * limiter is replaced by one that only counts), so wall time compares the work itself; with --enforce-rates the proxy
 * throttles past the documented rates and both the baseline and the scan pace themselves with the documented limiter.
 * Prints calls per operation, the lower bounds, wall time, peak requests in flight, peak RSS, and PASS/FAIL against
 * the issue's targets. Not a test: figures vary with the machine; the call counts do not.
 *
 * Options: --n N (streams, default 100), --elasticache M (replication groups, default 100), --concurrency C (baseline,
 * default 8), --enforce-rates (the proxy throttles past the documented rates of rules/runtime/rate-limits.ts, as AWS would).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, paginateListStreams } from '@aws-sdk/client-kinesis';
import { ResourceGroupsTaggingAPIClient, paginateGetResources } from '@aws-sdk/client-resource-groups-tagging-api';
import { CreateCacheClusterCommand, CreateReplicationGroupCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { DefaultRateLimiter } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { elastiCacheRuleNames, findSafeguard } from '../rules/catalog';
import { newDocumentedLimiter } from '../rules/runtime/clients';
import { RateLimiter, runBounded, withRateLimits } from '../rules/runtime/limiter';
import { UNLIMITED_RATE } from '../rules/runtime/rate-limits';
import { startMoto } from '../scripts/lib/moto-server';
import { scan } from '../scripts/lib/scan';
import { documentedRates, startCountingProxy } from '../test/helpers/counting-proxy';

const REGION = 'us-east-1';
const CALLS_TARGET = 1.05;
const WALL_TARGET = 1.0;
const ELASTICACHE_TARGET = 1.1;
const PAGE = 100;

/** `scan-rule:<name>`: one ElastiCache rule alone, to find what each of the six costs by itself. */
type Job = 'baseline' | 'scan-kinesis' | 'scan-elasticache-one' | 'scan-elasticache-all' | `scan-rule:${string}`;
const JOBS: readonly Job[] = ['baseline', 'scan-kinesis', 'scan-elasticache-one', 'scan-elasticache-all'];

interface Options {
  readonly n: number;
  readonly elasticache: number;
  readonly concurrency: number;
  readonly enforceRates: boolean;
  readonly worker?: { job: Job; endpoint: string };
}

/** The limiter both sides use: the documented rates with --enforce-rates, else one that only counts. */
function benchLimiter(enforceRates: boolean): RateLimiter {
  return enforceRates ? newDocumentedLimiter() : new RateLimiter({ rateOf: () => ({ ...UNLIMITED_RATE }) });
}

function parseOptions(argv: readonly string[]): Options {
  const values: Record<string, string> = {};
  const rest = argv.filter((a) => a !== '--enforce-rates');
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i] ?? '';
    const value = rest[i + 1];
    if (!['--n', '--elasticache', '--concurrency', '--worker', '--endpoint'].includes(flag) || value === undefined) {
      throw new Error(`Unknown argument ${JSON.stringify(flag)}. Expected --n N, --elasticache M, --concurrency C or --enforce-rates.`);
    }
    values[flag.slice(2)] = value;
  }
  const count = (name: string, fallback: number, min: number) => {
    const v = values[name] === undefined ? fallback : Number(values[name]);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer of at least ${min}, not ${values[name]}.`);
    return v;
  };
  const job = values.worker as Job | undefined;
  if (job !== undefined && !JOBS.includes(job) && !(job.startsWith('scan-rule:') && elastiCacheRuleNames.includes(job.slice('scan-rule:'.length)))) throw new Error(`Unknown worker job ${job}.`);
  return {
    n: count('n', 100, 1),
    elasticache: count('elasticache', 100, 0),
    concurrency: count('concurrency', 8, 1),
    enforceRates: argv.includes('--enforce-rates'),
    ...(job && values.endpoint ? { worker: { job, endpoint: values.endpoint } } : {}),
  };
}

const sdkConfig = (endpoint: string) => ({ region: REGION, endpoint, requestHandler: new NodeHttpHandler() });

// ---------------------------------------------------------------------------------------------------------------
// Workers: one job each, in a child process; the last stdout line is its JSON report.

interface WorkerReport {
  readonly wallMs: number;
  readonly maxRssMb: number;
  /** CPU time of the worker process (user + system) over the job: on a shared 2-core machine, moto competes for it. */
  readonly cpuMs: number;
  readonly resources: number;
  readonly failures: number;
  /** scan(): listings made and served again from the run's cache; limiter waits per operation. */
  readonly listings?: { listed: number; replayed: number };
  readonly waitedMs?: Record<string, number>;
  /** Time the SDK's adaptive retry rate limiter (client-side, per client) held requests back, and how often. */
  readonly sdkLimiter: { waits: number; waitedMs: number };
}

type Outcome = Omit<WorkerReport, 'wallMs' | 'maxRssMb' | 'cpuMs' | 'sdkLimiter'>;

/**
 * Counts the waits of the SDK's adaptive retry rate limiter (`DefaultRateLimiter` of @smithy/core/retry), which
 * sleeps through its static `setTimeoutFn`: every client in `retryMode: 'adaptive'` waits there once a throttle has
 * switched its token bucket on. Evidence for the --enforce-rates wall (a second limiter on top of ours).
 */
function countSdkLimiterWaits(): { waits: number; waitedMs: number } {
  const counted = { waits: 0, waitedMs: 0 };
  // A private static in its typings, but the documented seam its own tests use.
  const hook = DefaultRateLimiter as unknown as { setTimeoutFn: (fn: () => void, delay: number) => unknown };
  const original = hook.setTimeoutFn;
  hook.setTimeoutFn = (fn, delay) => {
    counted.waits++;
    counted.waitedMs += delay;
    return original(fn, delay);
  };
  return counted;
}

async function baseline(endpoint: string, concurrency: number, enforceRates: boolean): Promise<Outcome> {
  const kinesis = withRateLimits(new KinesisClient(sdkConfig(endpoint)), benchLimiter(enforceRates), { accountId: 'caller', region: REGION });
  const names = new Set<string>();
  // Like the rule's lister: moto fills StreamSummaries with every stream but StreamNames with one page only.
  for await (const page of paginateListStreams({ client: kinesis, pageSize: PAGE }, {})) {
    for (const name of [...(page.StreamNames ?? []), ...(page.StreamSummaries ?? []).map((s) => s.StreamName ?? '')]) if (name) names.add(name);
  }
  // Tags in bulk, as the rule reads them: 100 streams a page.
  const tagging = withRateLimits(new ResourceGroupsTaggingAPIClient(sdkConfig(endpoint)), benchLimiter(enforceRates), { accountId: 'caller', region: REGION });
  const tagsOf = new Map<string, number>();
  for await (const page of paginateGetResources({ client: tagging, pageSize: PAGE }, { ResourceTypeFilters: ['kinesis:stream'] })) {
    for (const m of page.ResourceTagMappingList ?? []) tagsOf.set((m.ResourceARN ?? '').split('/').at(-1) ?? '', m.Tags?.length ?? 0);
  }
  const { outcomes } = await runBounded(
    names,
    async (name) => {
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      return { encryption: summary.StreamDescriptionSummary?.EncryptionType ?? 'NONE', tags: tagsOf.get(name) ?? 0 };
    },
    { concurrency },
  );
  return { resources: outcomes.filter((o) => o.status === 'fulfilled').length, failures: outcomes.filter((o) => o.status !== 'fulfilled').length };
}

async function scanWith(endpoint: string, rules: readonly string[], concurrency: number, enforceRates: boolean): Promise<Outcome> {
  const { results, failures, stats } = await scan({
    safeguards: rules.map((name) => findSafeguard(name)),
    region: REGION,
    endpoint,
    concurrency,
    limiter: benchLimiter(enforceRates),
    // moto answers the ElastiCache operations it lacks with HTML: a skipped kind, not an error (as `npm start` does).
    nonAwsResponseIsUnsupported: true,
  });
  const waitedMs = Object.fromEntries(Object.entries(stats.operations).map(([op, s]) => [op, Math.round(s.waitedMs)]));
  return { resources: results.length, failures: failures.length, listings: stats.listings, waitedMs };
}

async function runWorker(job: Job, endpoint: string, concurrency: number, enforceRates: boolean): Promise<void> {
  const sdkLimiter = countSdkLimiterWaits();
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const outcome =
    job === 'baseline'
      ? await baseline(endpoint, concurrency, enforceRates)
      : await scanWith(
          endpoint,
          job === 'scan-kinesis'
            ? ['kinesis-stream-encrypted']
            : job === 'scan-elasticache-one'
              ? ['elasticache-encrypted-at-rest']
              : job.startsWith('scan-rule:')
                ? [job.slice('scan-rule:'.length)]
                : elastiCacheRuleNames,
          concurrency,
          enforceRates,
        );
  const cpu = process.cpuUsage(cpuBefore);
  const report: WorkerReport = { wallMs: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, ...outcome, sdkLimiter: { waits: sdkLimiter.waits, waitedMs: Math.round(sdkLimiter.waitedMs) } };
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

function spawnWorker(job: Job, endpoint: string, concurrency: number, enforceRates: boolean): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const args = [...process.execArgv, __filename, '--worker', job, '--endpoint', endpoint, '--concurrency', String(concurrency), ...(enforceRates ? ['--enforce-rates'] : [])];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`worker ${job} exited ${code}: ${out.slice(-2000)}`));
      try {
        resolve(JSON.parse(last) as WorkerReport);
      } catch {
        reject(new Error(`worker ${job} printed no report: ${out.slice(-2000)}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding and the report.

async function seed(endpoint: string, n: number, groups: number): Promise<void> {
  const kinesis = new KinesisClient(sdkConfig(endpoint));
  const streams = await runBounded(
    Array.from({ length: n }, (_, i) => `bench-stream-${String(i).padStart(5, '0')}`),
    (name) => kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })),
    { concurrency: 8 },
  );
  const elasticache = new ElastiCacheClient(sdkConfig(endpoint));
  const caches = await runBounded(
    Array.from({ length: groups }, (_, i) => `bench-rg-${String(i).padStart(5, '0')}`),
    async (id) => {
      const out = await elasticache.send(
        new CreateReplicationGroupCommand({ ReplicationGroupId: id, ReplicationGroupDescription: 'bench', Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.r6g.large' }),
      );
      // moto lists member IDs but creates no member clusters; create them as AWS shows them (they carry the version).
      for (const m of out.ReplicationGroup?.MemberClusters ?? []) {
        await elasticache.send(new CreateCacheClusterCommand({ CacheClusterId: m, ReplicationGroupId: id, Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.r6g.large' }));
      }
    },
    { concurrency: 8 },
  );
  const failed = [...streams.outcomes, ...caches.outcomes].find((o) => o.status === 'rejected');
  if (failed?.status === 'rejected') throw new Error(`Seeding failed: ${failed.reason.message}`);
}

interface Measured extends WorkerReport {
  readonly calls: Record<string, number>;
  /** Calls answered with an HTTP error (operations moto lacks are retried by the SDK until it gives up). */
  readonly failed: Record<string, number>;
  /** Calls the proxy throttled (--enforce-rates). */
  readonly throttled: Record<string, number>;
  readonly total: number;
  readonly peakInFlight: number;
  readonly meanInFlight: number;
}

const sum = (calls: Record<string, number>, service: string) => Object.entries(calls).filter(([op]) => op.startsWith(`${service}:`)).reduce((a, [, c]) => a + c, 0);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const fmt = (v: number, digits = 0) => v.toFixed(digits);

function printRun(label: string, m: Measured): void {
  console.log(`\n${label}`);
  console.log(`  wall ${fmt(m.wallMs)} ms · peak in flight ${m.peakInFlight} (mean ${fmt(m.meanInFlight, 2)}) · CPU ${fmt(m.cpuMs)} ms · peak RSS ${fmt(m.maxRssMb, 1)} MB · resources judged ${m.resources} · failures ${m.failures} · calls ${m.total}`);
  if (m.sdkLimiter.waits > 0) console.log(`  the SDK's adaptive retry limiter held requests back ${m.sdkLimiter.waits} time(s), ${m.sdkLimiter.waitedMs} ms in all`);
  if (m.listings) console.log(`  listings: ${m.listings.listed} made, ${m.listings.replayed} served again from the run's cache`);
  for (const [op, c] of Object.entries(m.calls).sort()) {
    const failed = m.failed[op] ? `   (${m.failed[op]} answered with an error)` : '';
    const throttled = m.throttled[op] ? `   (${m.throttled[op]} throttled)` : '';
    const waited = m.waitedMs?.[op] ? `   (waited ${m.waitedMs[op]} ms on the limiter)` : '';
    console.log(`    ${op.padEnd(44)} ${String(c).padStart(7)}${failed}${throttled}${waited}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Dummy credentials: nothing here may reach a real account.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ENDPOINT_URL;
  if (options.worker) return runWorker(options.worker.job, options.worker.endpoint, options.concurrency, options.enforceRates);

  const { n, elasticache: groups, concurrency } = options;
  const moto = await startMoto();
  const proxy = await startCountingProxy(moto.endpoint, options.enforceRates ? { rates: documentedRates() } : {}).catch(async (e: unknown) => {
    await moto.stop();
    throw e;
  });
  const stop = async () => {
    await proxy.close();
    await moto.stop();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    console.error(`Seeding ${n} Kinesis streams and ${groups} ElastiCache replication groups in moto…`);
    await seed(moto.endpoint, n, groups);
    const measure = async (job: Job): Promise<Measured> => {
      proxy.resetCounts();
      console.error(`Running ${job}…`);
      const report = await spawnWorker(job, proxy.endpoint, concurrency, options.enforceRates);
      const stats = proxy.stats();
      return { ...report, calls: stats.calls, failed: stats.failed, throttled: stats.throttled, total: stats.total, peakInFlight: stats.peakInFlight, meanInFlight: stats.meanInFlight };
    };
    const base = await measure('baseline');
    const kinesisScan = await measure('scan-kinesis');
    const one = groups > 0 ? await measure('scan-elasticache-one') : undefined;
    const six = groups > 0 ? await measure('scan-elasticache-all') : undefined;
    // Each other ElastiCache rule alone: a lookup only one rule needs (DescribeUpdateActions) is in its cost too.
    const alone = new Map<string, Measured>();
    if (one) alone.set('elasticache-encrypted-at-rest', one);
    if (groups > 0) for (const name of elastiCacheRuleNames.filter((r) => !alone.has(r))) alone.set(name, await measure(`scan-rule:${name}`));

    // ListStreams pages as this endpoint answers them (AWS: ceil(N/100); moto: one page holding every summary).
    const pages = base.calls['kinesis:ListStreams'] ?? Math.max(1, Math.ceil(n / PAGE));
    const lowerPerResourceTags = pages + 2 * n;
    // GetResources pages as this endpoint answers them, like ListStreams (AWS: ceil(N/100); moto: one page of every stream).
    const tagPages = base.calls['tagging:GetResources'] ?? Math.max(1, Math.ceil(n / PAGE));
    const lowerBulkTags = pages + n + tagPages;
    const scanCalls = sum(kinesisScan.calls, 'kinesis') + sum(kinesisScan.calls, 'tagging');
    const mode = options.enforceRates ? 'counting proxy enforcing the documented rates; baseline and scan paced by the documented limiter' : 'counting proxy; neither side paced by a rate limiter';
    console.log(`\n=== scan scale: ${n} Kinesis streams, ${groups} ElastiCache replication groups (moto ${moto.endpoint}, ${mode}) ===`);
    printRun(`Baseline: fewest calls (tags in bulk), SDK directly, concurrency ${concurrency}`, base);
    printRun(`scan(): kinesis-stream-encrypted, --concurrency ${concurrency}`, kinesisScan);
    if (one) printRun('scan(): elasticache-encrypted-at-rest (one ElastiCache rule)', one);
    if (six) printRun(`scan(): all ${elastiCacheRuleNames.length} ElastiCache rules`, six);

    console.log('\nTargets (issue 11)');
    console.log(`  lower bound, tags per stream:  ${pages} ListStreams + ${n} DescribeStreamSummary + ${n} ListTagsForStream = ${lowerPerResourceTags}`);
    console.log(`  lower bound, tags in bulk:     ${pages} ListStreams + ${n} DescribeStreamSummary + ${tagPages} tag:GetResources = ${lowerBulkTags}`);
    console.log(`  info: Kinesis + tagging calls ${scanCalls} vs the old per-stream-tags bound ${lowerPerResourceTags}: ratio ${fmt(scanCalls / lowerPerResourceTags, 2)}`);
    console.log(`  ${verdict(scanCalls <= CALLS_TARGET * lowerBulkTags)} Kinesis + tagging calls ${scanCalls} <= ${CALLS_TARGET} x ${lowerBulkTags} (tags in bulk): ratio ${fmt(scanCalls / lowerBulkTags, 2)}`);
    console.log(`  ${verdict(kinesisScan.wallMs <= WALL_TARGET * base.wallMs)} wall ${fmt(kinesisScan.wallMs)} ms <= ${WALL_TARGET} x baseline ${fmt(base.wallMs)} ms: ratio ${fmt(kinesisScan.wallMs / base.wallMs, 2)}`);
    console.log(`  info: peak in flight scan ${kinesisScan.peakInFlight} vs baseline ${base.peakInFlight}; peak RSS scan ${fmt(kinesisScan.maxRssMb, 1)} MB vs baseline ${fmt(base.maxRssMb, 1)} MB`);
    if (one && six) {
      const c1 = sum(one.calls, 'elasticache');
      const c6 = sum(six.calls, 'elasticache');
      console.log(`  ${verdict(c6 <= ELASTICACHE_TARGET * c1)} ElastiCache calls of ${elastiCacheRuleNames.length} rules ${c6} <= ${ELASTICACHE_TARGET} x one rule's ${c1}: ratio ${fmt(c6 / c1, 2)}`);
      const ok1 = c1 - sum(one.failed, 'elasticache');
      const ok6 = c6 - sum(six.failed, 'elasticache');
      console.log(`  ${verdict(ok6 <= ELASTICACHE_TARGET * ok1)} the same, answered calls only (without moto's unimplemented operations and their retries): ${ok6} vs ${ok1}: ratio ${fmt(ok6 / ok1, 2)}`);
      // What the six rules call that the one rule does not, and which rule alone calls it: facts of another rule.
      for (const [op, c] of Object.entries(six.calls).filter(([op]) => op.startsWith('elasticache:') && !(op in one.calls))) {
        const askers = [...alone].filter(([, m]) => (m.calls[op] ?? 0) > 0).map(([name, m]) => `${name} alone makes ${m.calls[op]}`);
        console.log(`  info: ${op} ${c} call(s) in the six rules' run, none in one rule's: a lookup of another rule, asked once per run (${askers.join('; ') || 'no rule alone makes it'})${six.failed[op] ? `; moto answers it with an error (${six.failed[op]})` : ''}`);
      }
      const costs = [...alone].map(([name, m]) => ({ name, calls: sum(m.calls, 'elasticache') })).sort((a, b) => b.calls - a.calls);
      console.log(`  info: each ElastiCache rule alone: ${costs.map((c) => `${c.name} ${c.calls}`).join(', ')}`);
      const top = costs[0];
      if (top) console.log(`  ${verdict(c6 <= ELASTICACHE_TARGET * top.calls)} ElastiCache calls of ${elastiCacheRuleNames.length} rules ${c6} <= ${ELASTICACHE_TARGET} x the costliest rule alone (${top.name}) ${top.calls}: ratio ${fmt(c6 / top.calls, 2)}`);
    }
    if (base.resources !== n || kinesisScan.resources !== n) console.log(`  WARNING: judged ${kinesisScan.resources} streams (baseline ${base.resources}) of ${n}`);
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(2);
});
