/**
 * The periodic Lambda at scale (issue 11): `npm run bench:lambda -- --n 300 [--budget-s 900] [--concurrency 8]`.
 *
 * Starts moto behind the counting proxy enforcing the documented per-operation rates (rules/runtime/rate-limits.ts;
 * past them it answers with AWS's throttling errors), creates N Kinesis streams, and runs the kinesis-stream-encrypted
 * handler once on a ScheduledNotification (TESTMODE result token: moto implements PutEvaluations for TestMode only),
 * with a Lambda context whose remaining time starts at --budget-s (900: Lambda's 15-minute maximum). The handler is
 * the deployed one, with its process-wide documented limiter. moto lacks GetComplianceDetailsByConfigRule (the
 * vanished-resource sweep): it is answered in-process with "nothing evaluated before", and said so.
 *
 * Prints wall time, calls per operation (throttled ones too), time waited on the limiter, PutEvaluations against
 * ceil(N/100), peak RSS, and, when N is below 10,000, an extrapolation to 10,000 streams from the measured calls per
 * stream and the documented rates, labelled as such. Not a test: it prints PASS/FAIL.
 */
import { performance } from 'node:perf_hooks';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { kinesisStreamEncrypted } from '../rules/kinesis-stream-encrypted';
import { processLimiter } from '../rules/runtime/clients';
import { createRuleHandler } from '../rules/runtime/handler';
import { runBounded } from '../rules/runtime/limiter';
import { rateFor } from '../rules/runtime/rate-limits';
import { startMoto } from '../scripts/lib/moto-server';
import { documentedRates, startCountingProxy } from '../test/helpers/counting-proxy';
import { scheduledEvent } from '../test/helpers/fixtures';
import { interceptConfig } from '../test/helpers/intercept';

const REGION = 'us-east-1';
const TARGET_N = 10_000;
const LAMBDA_MAX_S = 900;

function parseOptions(argv: readonly string[]): { n: number; budgetS: number; concurrency: number } {
  const values: Record<string, number> = { n: 300, 'budget-s': LAMBDA_MAX_S, concurrency: 8 };
  for (let i = 0; i < argv.length; i += 2) {
    const name = (argv[i] ?? '').replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!(name in values) || !Number.isInteger(value) || value < 1) {
      throw new Error(`Unknown or invalid argument ${JSON.stringify(argv[i])}. Expected --n N, --budget-s S or --concurrency C (positive integers).`);
    }
    values[name] = value;
  }
  return { n: values.n ?? 300, budgetS: values['budget-s'] ?? LAMBDA_MAX_S, concurrency: values.concurrency ?? 8 };
}

async function main(): Promise<void> {
  const { n, budgetS, concurrency } = parseOptions(process.argv.slice(2));
  // Dummy credentials: nothing here may reach a real account.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ENDPOINT_URL;
  const moto = await startMoto();
  const proxy = await startCountingProxy(moto.endpoint, { rates: documentedRates() });
  try {
    console.error(`Seeding ${n} Kinesis streams in moto…`);
    const kinesis = new KinesisClient({ region: REGION, endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
    const seeded = await runBounded(
      Array.from({ length: n }, (_, i) => `lambda-stream-${String(i).padStart(5, '0')}`),
      (name) => kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })),
      { concurrency: 8 },
    );
    const failed = seeded.outcomes.find((o) => o.status === 'rejected');
    if (failed?.status === 'rejected') throw new Error(`Seeding failed: ${failed.reason.message}`);

    // moto lacks GetComplianceDetailsByConfigRule: the sweep finds nothing evaluated before.
    const config = interceptConfig({ GetComplianceDetailsByConfigRule: () => ({ EvaluationResults: [] }) });
    proxy.resetCounts();
    console.error(`Running the periodic kinesis-stream-encrypted handler (budget ${budgetS} s, concurrency ${concurrency}, documented rates enforced)…`);
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
    const stats = proxy.stats();
    const puts = stats.calls['config:PutEvaluations'] ?? 0;
    const waits = processLimiter().stats();

    console.log(`\n=== periodic Lambda: kinesis-stream-encrypted, ${n} streams (moto ${moto.endpoint}, counting proxy enforcing the documented rates) ===`);
    console.log(`  wall ${wallS.toFixed(1)} s of a ${budgetS} s budget · peak in flight ${stats.peakInFlight} · peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB · evaluations sent ${sent}`);
    if (error) console.log(`  the invocation failed: ${error.name}: ${error.message.slice(0, 300)}`);
    for (const [op, c] of Object.entries(stats.calls).sort()) {
      const waited = Object.entries(waits).find(([k]) => k.endsWith(`/${op}`))?.[1].waitedMs ?? 0;
      const throttled = stats.throttled[op] ? `   (${stats.throttled[op]} throttled)` : '';
      console.log(`    ${op.padEnd(36)} ${String(c).padStart(7)}   waited ${(waited / 1000).toFixed(1)} s on the limiter (summed over requests)${throttled}`);
    }
    console.log('  (GetComplianceDetailsByConfigRule, the sweep, was answered in-process: moto lacks it)');
    const want = Math.ceil(n / 100);
    console.log(`\n  ${puts === want ? 'PASS' : 'FAIL'} PutEvaluations ${puts} = ceil(${n}/100) = ${want}`);
    console.log(`  ${!error && wallS <= budgetS ? 'PASS' : 'FAIL'} the run finished within its ${budgetS} s budget (${wallS.toFixed(1)} s)`);

    if (n < TARGET_N) {
      // The slowest operation sets the pace: each runs at most at its documented rate, in parallel with the others.
      const perOp = Object.entries(stats.calls)
        .filter(([op]) => op.startsWith('kinesis:'))
        .map(([op, c]) => {
          const [service = '', operation = ''] = op.split(':');
          const calls = op === 'kinesis:ListStreams' ? Math.ceil(TARGET_N / 100) : (c / n) * TARGET_N;
          return { op, calls, seconds: calls / rateFor(service, operation).perSecond };
        });
      const floor = Math.max(...perOp.map((o) => o.seconds));
      const withoutTags = Math.max(...perOp.filter((o) => o.op !== 'kinesis:ListTagsForStream').map((o) => o.seconds));
      console.log(`\n  EXTRAPOLATED, not measured: ${TARGET_N} streams at the documented rates (calls per stream as measured here)`);
      for (const o of perOp) console.log(`    ${o.op.padEnd(36)} ${o.calls.toFixed(0).padStart(7)} calls   >= ${o.seconds.toFixed(0)} s at ${rateFor(...(o.op.split(':') as [string, string])).perSecond}/s`);
      console.log(`  ${floor <= LAMBDA_MAX_S ? 'PASS' : 'FAIL'} rate floor ${floor.toFixed(0)} s <= ${LAMBDA_MAX_S} s with one ListTagsForStream per stream`);
      console.log(`  info: without per-stream ListTagsForStream (tags in bulk, tag:GetResources 100 a page, or Config-recorded items) the floor is ${withoutTags.toFixed(0)} s`);
      console.log(`  info: measured ${(wallS / Math.max(1, floor * (n / TARGET_N))).toFixed(2)} x its own rate floor at N=${n}`);
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
