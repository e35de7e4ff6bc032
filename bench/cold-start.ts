/**
 * Cold-start benchmark of the packaged rule Lambdas (`npm run package -- --param=packTemplateS3Uri=s3://any-bucket/pack.yaml`,
 * then `npm run bench`).
 *
 * For every .serverless/*.zip: the zip size, and the init = the time a fresh node process spends requiring the bundled
 * handler file and reading `handler`, timed inside that process (wall and CPU), so the interpreter's own start, the
 * same for any function, adds no noise. Side by side, in the same run, the RDK-style Python baseline timed the same
 * way: importing boto3 and creating the config and kinesis clients. Medians of interleaved runs, so drift on the
 * machine hits both sides alike. Not a test: it prints PASS/FAIL.
 *
 * The floor of each rule (issue 11): a bundle holding only the SDK clients the rule needs, built with the same esbuild
 * options as the packaged rules (serverless.yml): the client of each service its IAM actions name and the command of
 * each action (listing, lookups, the runtime's Config calls), fromTemporaryCredentials (organization mode) and the
 * HTTP handler, and nothing of the pack. Target: rule init <= 1.2 x that floor's init.
 *
 * Options: --runs N (default 21), --dir DIR (default .serverless).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const TARGET_RATIO = 0.25;
const FLOOR_RATIO = 1.2;

/**
 * The SDK package of each client class the runtime builds (`CLIENT_SERVICES` maps the class to its IAM prefix). The
 * floor holds, for every IAM prefix a rule's actions name, that client: a prefix without one stops the benchmark
 * (a floor silently missing a client the rule builds would be too low).
 */
const PACKAGE_OF_CLIENT: Readonly<Record<string, string>> = {
  KinesisClient: '@aws-sdk/client-kinesis',
  FirehoseClient: '@aws-sdk/client-firehose',
  KinesisVideoClient: '@aws-sdk/client-kinesis-video',
  ElastiCacheClient: '@aws-sdk/client-elasticache',
  KMSClient: '@aws-sdk/client-kms',
  ConfigServiceClient: '@aws-sdk/client-config-service',
  ResourceGroupsTaggingAPIClient: '@aws-sdk/client-resource-groups-tagging-api',
  STSClient: '@aws-sdk/client-sts',
  OrganizationsClient: '@aws-sdk/client-organizations',
  SecurityHubClient: '@aws-sdk/client-securityhub',
  KafkaClient: '@aws-sdk/client-kafka',
  OpenSearchClient: '@aws-sdk/client-opensearch',
  OpenSearchServerlessClient: '@aws-sdk/client-opensearchserverless',
  RDSClient: '@aws-sdk/client-rds',
  MemoryDBClient: '@aws-sdk/client-memorydb',
  SQSClient: '@aws-sdk/client-sqs',
  SNSClient: '@aws-sdk/client-sns',
};

function clientOf(service: string): readonly [string, string] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, synchronous load inside a CommonJS script
  const { CLIENT_SERVICES } = require('../rules/runtime/rate-limits') as typeof import('../rules/runtime/rate-limits');
  const cls = Object.keys(CLIENT_SERVICES).find((c) => CLIENT_SERVICES[c] === service);
  const pkg = cls ? PACKAGE_OF_CLIENT[cls] : undefined;
  if (!cls || !pkg) throw new Error(`No SDK client package for IAM prefix "${service}": add its client to PACKAGE_OF_CLIENT in bench/cold-start.ts.`);
  return [pkg, cls];
}

/**
 * The floor bundle's source for a rule: the client of every service its IAM actions name, and the command (and
 * paginator, where the SDK has one) of each action, kept reachable so the bundler cannot drop them. The actions are
 * the rule's own (listing and lookups) and the runtime's for its triggers (PutEvaluations, the periodic sweep, the
 * oversized-item read): the SDK code the rule cannot run without, and nothing of the pack.
 */
function floorSource(ruleName: string): string | undefined {
  // Loaded here only: the catalog is TypeScript, run through tsx like this script.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, synchronous load of the catalog inside a CommonJS script
  const { catalog } = require('../rules/catalog') as typeof import('../rules/catalog');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
  const { RUNTIME_ACTIONS } = require('../rules/runtime/actions') as typeof import('../rules/runtime/actions');
  const rule = catalog.find((s) => s.name === ruleName);
  if (!rule) return undefined;
  const actions = new Set<string>([
    ...RUNTIME_ACTIONS.always,
    ...(rule.triggers.includes('change') ? RUNTIME_ACTIONS.change : []),
    ...(rule.triggers.includes('periodic') ? RUNTIME_ACTIONS.periodic : []),
    ...rule.resource.listActions,
    ...(rule.lookupActions ?? []),
  ]);
  const imports = new Map<string, Set<string>>();
  for (const action of actions) {
    const [service = '', operation = ''] = action.split(':');
    const [pkg, cls] = clientOf(service);
    const names = imports.get(pkg) ?? new Set([cls]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- which exports the package has, read at build time
    const exported = require(pkg) as Record<string, unknown>;
    for (const name of [`${operation}Command`, `paginate${operation}`]) if (name in exported) names.add(name);
    imports.set(pkg, names);
  }
  const all = [...imports.values()].flatMap((n) => [...n]);
  return [
    // ESM imports, as the rules' sources import: the bundler keeps these and drops what nothing reaches.
    ...[...imports].map(([pkg, names]) => `import { ${[...names].join(', ')} } from ${JSON.stringify(pkg)};`),
    `import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';`,
    `import { NodeHttpHandler } from '@smithy/node-http-handler';`,
    `export const handler = async () => [${all.join(', ')}, fromTemporaryCredentials, NodeHttpHandler].length;`,
  ].join('\n');
}
const TARGET_ZIP_BYTES = 250 * 1024;
const PYTHON_BASELINE =
  'import boto3; boto3.client("config", region_name="us-east-1"); boto3.client("kinesis", region_name="us-east-1")';

interface Options {
  readonly runs: number;
  readonly dir: string;
}

function parseOptions(argv: readonly string[]): Options {
  let runs = 21;
  let dir = '.serverless';
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--runs' && value) {
      runs = Number(value);
      i++;
    } else if (argv[i] === '--dir' && value) {
      dir = value;
      i++;
    } else {
      throw new Error(`Unknown argument ${JSON.stringify(argv[i])}. Expected --runs N or --dir DIR.`);
    }
  }
  if (!Number.isInteger(runs) || runs < 3) throw new Error(`--runs must be an integer of at least 3, not ${runs}.`);
  return { runs, dir: resolve(dir) };
}

const BARE_ENV = () => ({ PATH: process.env.PATH ?? '', HOME: tmpdir(), LANG: 'C.UTF-8' });

/**
 * Wall and CPU (user + system, all threads) milliseconds a fresh process spent on `init`, timed inside it; a failed
 * run aborts the benchmark (its time would mean nothing). A bare environment: no AWS_* settings or NODE_OPTIONS from
 * the caller may change what init does.
 */
interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}
function sample(command: string, args: readonly string[], cwd: string): Sample {
  const run = spawnSync(command, args, { cwd, env: BARE_ENV(), encoding: 'utf8' });
  const parsed = run.status === 0 ? (JSON.parse(run.stdout.trim().split('\n').at(-1) ?? 'null') as unknown) : undefined;
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr || run.error?.message || run.stdout}`);
  }
  return { wallMs: parsed[0] as number, cpuMs: parsed[1] as number };
}
function nodeInit(init: string, cwd: string): Sample {
  const script = `const {performance}=require('node:perf_hooks');const c0=process.cpuUsage();const t0=performance.now();${init};const t1=performance.now();const c=process.cpuUsage(c0);process.stdout.write(JSON.stringify([t1-t0,(c.user+c.system)/1000]))`;
  return sample(process.execPath, ['-e', script], cwd);
}
function pythonInit(init: string, cwd: string): Sample {
  const script = `import json,time\nt0=time.perf_counter();c0=time.process_time()\n${init}\nprint(json.dumps([(time.perf_counter()-t0)*1000,(time.process_time()-c0)*1000]))`;
  return sample('python3', ['-c', script], cwd);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

interface Measured {
  readonly name: string;
  readonly zipBytes: number;
  readonly initMs: number;
  /** Init of the bundle holding only the rule's SDK clients; undefined for a zip that is not a catalog rule. */
  readonly floorMs: number | undefined;
  /** The same two in CPU time (user + system) above `node -e 0`'s. */
  readonly cpuMs: number;
  readonly floorCpuMs: number | undefined;
}

async function buildFloor(ruleName: string, dir: string): Promise<string | undefined> {
  const contents = floorSource(ruleName);
  if (!contents) return undefined;
  const { build } = await import('esbuild');
  const outfile = join(dir, `${ruleName}.floor.js`);
  // The options of serverless.yml's custom.esbuild.
  await build({
    stdin: { contents, resolveDir: resolve(__dirname, '..'), loader: 'js' },
    outfile,
    format: 'cjs',
    bundle: true,
    minify: true,
    keepNames: true,
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/client-securityhub', '@aws-sdk/client-organizations'],
    logLevel: 'error',
  });
  return outfile;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  let zips: string[];
  try {
    zips = readdirSync(options.dir).filter((f) => f.endsWith('.zip')).sort();
  } catch {
    zips = [];
  }
  if (zips.length === 0) throw new Error(`No rule zips in ${options.dir}. Run npm run package -- --param=packTemplateS3Uri=s3://any-bucket/pack.yaml first.`);

  // Unpacked outside the repository, so the bundle cannot borrow anything from node_modules.
  const work = mkdtempSync(join(tmpdir(), 'hipaa-bench-'));
  try {
    const rules = zips.map((zip) => {
      const name = basename(zip, '.zip');
      const dir = join(work, name);
      const unzip = spawnSync('unzip', ['-q', join(options.dir, zip), '-d', dir], { encoding: 'utf8' });
      if (unzip.status !== 0) throw new Error(`unzip ${zip} failed: ${unzip.stderr || unzip.error?.message}`);
      // Each zip holds one bundled handler (rules/<name>.js, or rules/triggers/<name>.js for triggers).
      const entries = spawnSync('unzip', ['-Z1', join(options.dir, zip)], { encoding: 'utf8' }).stdout.trim().split('\n');
      const entry = entries.find((e) => e.endsWith(`/${name}.js`));
      if (!entry) throw new Error(`${zip} holds no ${name}.js (entries: ${entries.join(', ')}).`);
      const script = `const h = require(${JSON.stringify(join(dir, entry))}).handler; if (typeof h !== 'function') process.exit(3)`;
      return { name, zipBytes: statSync(join(options.dir, zip)).size, script, samples: [] as Sample[], floorScript: undefined as string | undefined, floorSamples: [] as Sample[] };
    });
    for (const r of rules) {
      const floor = await buildFloor(r.name, work);
      if (floor) r.floorScript = `const h = require(${JSON.stringify(floor)}).handler; if (typeof h !== 'function') process.exit(3)`;
    }

    const python: Sample[] = [];
    process.stderr.write(`Measuring ${rules.length} rule(s) and the boto3 baseline, ${options.runs} runs each`);
    for (let i = 0; i < options.runs; i++) {
      for (const r of rules) {
        r.samples.push(nodeInit(r.script, work));
        if (r.floorScript) r.floorSamples.push(nodeInit(r.floorScript, work));
      }
      python.push(pythonInit(PYTHON_BASELINE, work));
      process.stderr.write('.');
    }
    process.stderr.write('\n');

    const wall = (samples: readonly Sample[]) => median(samples.map((x) => x.wallMs));
    const cpu = (samples: readonly Sample[]) => median(samples.map((x) => x.cpuMs));
    const pythonInitMs = wall(python);
    const measured: Measured[] = rules.map((r) => ({
      name: r.name,
      zipBytes: r.zipBytes,
      initMs: wall(r.samples),
      floorMs: r.floorSamples.length ? wall(r.floorSamples) : undefined,
      cpuMs: cpu(r.samples),
      floorCpuMs: r.floorSamples.length ? cpu(r.floorSamples) : undefined,
    }));

    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    const cpuToFloor = (m: Measured) => (m.floorCpuMs !== undefined ? m.cpuMs / m.floorCpuMs : undefined);
    const rows = [
      ['rule', 'zip KiB', `zip <= ${TARGET_ZIP_BYTES / 1024}`, 'init ms', 'ratio', `ratio <= ${TARGET_RATIO}`, 'floor ms', 'init/floor', `<= ${FLOOR_RATIO}`, 'cpu ms', 'floor cpu', 'cpu/floor', `<= ${FLOOR_RATIO}`],
      ...measured.map((m) => {
        const ratio = m.initMs / pythonInitMs;
        const toFloor = m.floorMs !== undefined ? m.initMs / m.floorMs : undefined;
        return [
          m.name,
          (m.zipBytes / 1024).toFixed(1),
          verdict(m.zipBytes <= TARGET_ZIP_BYTES),
          m.initMs.toFixed(1),
          ratio.toFixed(3),
          verdict(ratio <= TARGET_RATIO),
          m.floorMs?.toFixed(1) ?? '-',
          toFloor?.toFixed(2) ?? '-',
          toFloor === undefined ? '-' : verdict(toFloor <= FLOOR_RATIO),
          m.cpuMs.toFixed(1),
          m.floorCpuMs?.toFixed(1) ?? '-',
          cpuToFloor(m)?.toFixed(2) ?? '-',
          cpuToFloor(m) === undefined ? '-' : verdict((cpuToFloor(m) ?? 0) <= FLOOR_RATIO),
        ];
      }),
    ];
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
    for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')}\n`);
    process.stdout.write(
      `\nbaseline (RDK-style Python, boto3 config + kinesis clients): init ${pythonInitMs.toFixed(1)} ms wall, ${cpu(python).toFixed(1)} ms CPU` +
        ` (timed inside each process; ${process.version}; ${options.runs} runs, medians)\n`,
    );
    process.stdout.write(`floor: a bundle of only the rule's SDK clients (+ fromTemporaryCredentials, NodeHttpHandler), same esbuild options; its require timed the same way, wall and CPU (user + system)\n`);
    const failed = measured.some(
      (m) => m.zipBytes > TARGET_ZIP_BYTES || m.initMs / pythonInitMs > TARGET_RATIO || (m.floorMs !== undefined && m.initMs / m.floorMs > FLOOR_RATIO) || (cpuToFloor(m) ?? 0) > FLOOR_RATIO,
    );
    process.stdout.write(`overall: ${verdict(!failed)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 2;
});
