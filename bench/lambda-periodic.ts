/**
 * The periodic Lambda at scale (issue 11): `npm run bench:lambda -- --n 300 [--source api|config] [--budget-s 900] [--concurrency 8]`.
 *
 * Starts moto behind the counting proxy enforcing the documented per-operation rates (rules/runtime/rate-limits.ts;
 * past them it answers with AWS's throttling errors), creates N Kinesis streams, and runs the kinesis-stream-encrypted
 * handler once on a ScheduledNotification (TESTMODE result token: moto implements PutEvaluations for TestMode only),
 * with a Lambda context whose remaining time starts at --budget-s (900: Lambda's 15-minute maximum). The handler is
 * the deployed one, with its process-wide documented limiter. moto lacks GetComplianceDetailsByConfigRule (the
 * vanished-resource sweep): it is answered in-process with "nothing evaluated before", and said so.
 *
 * --source api (default): no configuration recorder in moto, so the handler (which asks for Config as the source on
 * periodic runs) notes "not recorded" and lists through the Kinesis API, tags in bulk with tag:GetResources.
 * --source config: a recorder recording all supported types is started in moto (so the handler's own recorder check
 * passes, through the proxy), and SelectResourceConfig is a FAKE answered in-process: moto answers advanced queries only
 * with results set inside its own process (see test/runtime/config-source.test.ts, which fakes it the same way). The
 * fake returns one row per seeded stream in the advanced-query shape (configuration and tags; SDK/botocore
 * config/2014-11-12 SelectResourceConfigResponse: Results, a list of JSON strings, NextToken), 100 a page, and paces
 * its pages at the rate table's rate for SelectResourceConfig (undocumented: DEFAULT_RATE), as the proxy paces the others.
 * The run reads no Kinesis API then, so the streams exist only as the fake's rows (moto is not seeded) and N = 10,000
 * can be run directly.
 *
 * Prints wall time, calls per operation (throttled ones too), time waited on the limiter, PutEvaluations against
 * ceil(N/100), peak RSS, and, when N is below 10,000, an extrapolation to 10,000 streams from the measured calls per
 * stream and the documented rates, labelled as such. Not a test: it prints PASS/FAIL.
 */
import { performance } from 'node:perf_hooks';
import { PutConfigurationRecorderCommand, PutDeliveryChannelCommand, StartConfigurationRecorderCommand, ConfigServiceClient } from '@aws-sdk/client-config-service';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { kinesisStreamEncrypted } from '../rules/kinesis-stream-encrypted';
import { processLimiter } from '../rules/runtime/clients';
import { createRuleHandler } from '../rules/runtime/handler';
import { runBounded } from '../rules/runtime/limiter';
import { rateFor } from '../rules/runtime/rate-limits';
import { startMoto } from '../scripts/lib/moto-server';
import { documentedRates, startCountingProxy } from '../test/helpers/counting-proxy';
import { ACCOUNT, scheduledEvent } from '../test/helpers/fixtures';
import { interceptConfig } from '../test/helpers/intercept';

const REGION = 'us-east-1';
const TARGET_N = 10_000;
const LAMBDA_MAX_S = 900;

type Source = 'api' | 'config';

function parseOptions(argv: readonly string[]): { n: number; budgetS: number; concurrency: number; source: Source } {
  const values: Record<string, number> = { n: 300, 'budget-s': LAMBDA_MAX_S, concurrency: 8 };
  let source: Source = 'api';
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--source') {
      const v = argv[i + 1];
      if (v !== 'api' && v !== 'config') throw new Error(`--source must be api or config, not ${JSON.stringify(v)}.`);
      source = v;
      continue;
    }
    const name = (argv[i] ?? '').replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!(name in values) || !Number.isInteger(value) || value < 1) {
      throw new Error(`Unknown or invalid argument ${JSON.stringify(argv[i])}. Expected --n N, --budget-s S or --concurrency C (positive integers), or --source api|config.`);
    }
    values[name] = value;
  }
  return { n: values.n ?? 300, budgetS: values['budget-s'] ?? LAMBDA_MAX_S, concurrency: values.concurrency ?? 8, source };
}

const streamName = (i: number) => `lambda-stream-${String(i).padStart(5, '0')}`;

/** The advanced-query row AWS Config would hold for an unencrypted, untagged stream (as in test/runtime/config-source.test.ts). */
function configRow(name: string): string {
  const arn = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`;
  return JSON.stringify({
    resourceId: name,
    resourceName: name,
    resourceType: 'AWS::Kinesis::Stream',
    arn,
    accountId: ACCOUNT,
    awsRegion: REGION,
    configurationItemStatus: 'OK',
    configurationItemCaptureTime: new Date().toISOString(),
    configuration: { Name: name, Arn: arn },
    tags: [],
  });
}

/** FAKE SelectResourceConfig (moto cannot answer it from outside its process): 100 rows a page, paced at its rate. */
function fakeSelectResourceConfig(n: number) {
  const perPage = 100;
  const { perSecond } = rateFor('config', 'SelectResourceConfig');
  let next = 0;
  let pages = 0;
  return {
    pages: () => pages,
    answer: async (input: Record<string, unknown>) => {
      const now = performance.now();
      const at = Math.max(now, next);
      next = at + 1000 / perSecond;
      if (at > now) await new Promise((r) => setTimeout(r, at - now));
      pages += 1;
      const from = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
      const to = Math.min(n, from + perPage);
      return { Results: Array.from({ length: to - from }, (_, i) => configRow(streamName(from + i))), ...(to < n ? { NextToken: String(to) } : {}) };
    },
  };
}

async function main(): Promise<void> {
  const { n, budgetS, concurrency, source } = parseOptions(process.argv.slice(2));
  // Dummy credentials: nothing here may reach a real account.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ENDPOINT_URL;
  const moto = await startMoto();
  const proxy = await startCountingProxy(moto.endpoint, { rates: documentedRates() });
  try {
    if (source === 'api') {
      console.error(`Seeding ${n} Kinesis streams in moto…`);
      const kinesis = new KinesisClient({ region: REGION, endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
      const seeded = await runBounded(
        Array.from({ length: n }, (_, i) => streamName(i)),
        (name) => kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })),
        { concurrency: 8 },
      );
      const failed = seeded.outcomes.find((o) => o.status === 'rejected');
      if (failed?.status === 'rejected') throw new Error(`Seeding failed: ${failed.reason.message}`);
    }
    // --source config reads no Kinesis API: the streams exist only as the fake's rows, so moto is not seeded.

    if (source === 'config') {
      const c = new ConfigServiceClient({ region: REGION, endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
      await c.send(new PutConfigurationRecorderCommand({ ConfigurationRecorder: { name: 'default', roleARN: `arn:aws:iam::${ACCOUNT}:role/config`, recordingGroup: { allSupported: true } } }));
      await c.send(new PutDeliveryChannelCommand({ DeliveryChannel: { name: 'default', s3BucketName: 'config-bucket' } }));
      await c.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    }
    const select = fakeSelectResourceConfig(n);
    // moto lacks GetComplianceDetailsByConfigRule: the sweep finds nothing evaluated before.
    const config = interceptConfig({
      GetComplianceDetailsByConfigRule: () => ({ EvaluationResults: [] }),
      ...(source === 'config' ? { SelectResourceConfig: select.answer } : {}),
    });
    proxy.resetCounts();
    console.error(`Running the periodic kinesis-stream-encrypted handler (source ${source}, budget ${budgetS} s, concurrency ${concurrency}, documented rates enforced)…`);
    const start = performance.now();
    const context = { getRemainingTimeInMillis: () => budgetS * 1000 - (performance.now() - start) };
    let error: Error | undefined;
    let sent = 0;
    try {
      const out = await createRuleHandler(kinesisStreamEncrypted, { endpoint: proxy.endpoint, concurrency })(scheduledEvent(), context);
      sent = out.evaluations.length;
    } catch (e) {
      error = e as Error;
    }
    const wallS = (performance.now() - start) / 1000;
    config.restore();
    const proxied = proxy.stats();
    // The fake's pages never reach the proxy: count them with the rest, marked as faked.
    const stats = source === 'config' ? { ...proxied, calls: { ...proxied.calls, 'config:SelectResourceConfig': select.pages() } } : proxied;
    const puts = stats.calls['config:PutEvaluations'] ?? 0;
    const waits = processLimiter().stats();

    const sourceLabel = source === 'config' ? 'source AWS Config: recorder in moto, SelectResourceConfig FAKED in-process and paced at its rate' : 'source the Kinesis API, tags in bulk';
    console.log(`\n=== periodic Lambda: kinesis-stream-encrypted, ${n} streams, ${sourceLabel} (moto ${moto.endpoint}, counting proxy enforcing the documented rates) ===`);
    console.log(`  wall ${wallS.toFixed(1)} s of a ${budgetS} s budget · peak in flight ${stats.peakInFlight} · peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB · evaluations sent ${sent}`);
    if (error) console.log(`  the invocation failed: ${error.name}: ${error.message.slice(0, 300)}`);
    for (const [op, c] of Object.entries(stats.calls).sort()) {
      const waited = Object.entries(waits).find(([k]) => k.endsWith(`/${op}`))?.[1].waitedMs ?? 0;
      const throttled = stats.throttled[op] ? `   (${stats.throttled[op]} throttled)` : '';
      console.log(`    ${op.padEnd(36)} ${String(c).padStart(7)}   waited ${(waited / 1000).toFixed(1)} s on the limiter (summed over requests)${throttled}`);
    }
    console.log('  (GetComplianceDetailsByConfigRule, the sweep, was answered in-process: moto lacks it)');
    if (source === 'config') console.log('  (config:SelectResourceConfig was FAKED in-process, paced at its rate-table rate: moto answers it only from inside its process)');
    const want = Math.ceil(n / 100);
    console.log(`\n  ${puts === want ? 'PASS' : 'FAIL'} PutEvaluations ${puts} = ceil(${n}/100) = ${want}`);
    console.log(`  ${!error && wallS <= budgetS ? 'PASS' : 'FAIL'} the run finished within its ${budgetS} s budget (${wallS.toFixed(1)} s)`);
    if (source === 'config') console.log(`  ${!error && wallS <= 60 ? 'PASS' : 'FAIL'} with Config as the source, under a minute (${wallS.toFixed(1)} s; SelectResourceConfig faked)`);

    if (n < TARGET_N) {
      // Each operation runs at most at its documented rate, in parallel with the others; the slowest sets the floor.
      // Paged operations (listing pages, tag pages, Config pages, PutEvaluations batches) scale as ceil(N/100); the
      // rest (DescribeStreamSummary, recorder reads) as measured per stream, or once per run.
      const paged = new Set(['kinesis:ListStreams', 'tagging:GetResources', 'config:SelectResourceConfig', 'config:PutEvaluations']);
      const once = new Set(['config:DescribeConfigurationRecorders', 'config:DescribeConfigurationRecorderStatus']);
      const perOp = Object.entries(stats.calls).map(([op, c]) => {
        const [service = '', operation = ''] = op.split(':');
        const calls = paged.has(op) ? Math.ceil(TARGET_N / 100) : once.has(op) ? c : (c / n) * TARGET_N;
        return { op, calls, perSecond: rateFor(service, operation).perSecond, seconds: calls / rateFor(service, operation).perSecond };
      });
      const floor = Math.max(...perOp.map((o) => o.seconds));
      const measuredFloor = Math.max(...Object.entries(stats.calls).map(([op, c]) => c / rateFor(...(op.split(':') as [string, string])).perSecond));
      const factor = wallS / Math.max(1e-9, measuredFloor);
      const target = source === 'config' ? 60 : LAMBDA_MAX_S;
      console.log(`\n  EXTRAPOLATED, not measured: ${TARGET_N} streams at the documented rates (calls per stream as measured here; paged operations ceil(N/100))`);
      for (const o of perOp) console.log(`    ${o.op.padEnd(40)} ${o.calls.toFixed(0).padStart(7)} calls   >= ${o.seconds.toFixed(0).padStart(4)} s at ${o.perSecond}/s`);
      console.log(`  info: measured wall ${wallS.toFixed(1)} s = ${factor.toFixed(2)} x its own rate floor ${measuredFloor.toFixed(1)} s at N=${n}`);
      console.log(`  ${floor <= target ? 'PASS' : 'FAIL'} (extrapolated) rate floor ${floor.toFixed(0)} s <= ${target} s for ${TARGET_N} streams; at the measured ${factor.toFixed(2)} x floor: ${(floor * factor).toFixed(0)} s`);
    }
  } finally {
    await proxy.close();
    await moto.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(2);
});
