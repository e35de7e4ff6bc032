/**
 * Start-up benchmark of the `safeguards` CLI (`npm run bench`, or `npm run bench:cli` alone).
 *
 * Wall-clock time of `safeguards --help` through bin/safeguards.js (the compiled dist/cli.js, which `npm run prepare`
 * builds), next to the floor of a bare `node -e 0`, and, for scale, the same command run from the TypeScript sources
 * through tsx (what bin/ did before the build). Medians of interleaved runs, so drift on the machine hits every
 * side alike. Not a test: it prints PASS/FAIL against the target.
 *
 * Options: --runs N (default 21), --source-runs N (default 5; 0 skips the tsx comparison).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'bin', 'safeguards.js');
/** "Well under half a second" (issue 10). */
const TARGET_MS = 500;

function parseOptions(argv: readonly string[]): { runs: number; sourceRuns: number } {
  let runs = 21;
  let sourceRuns = 5;
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--runs' && Number.isInteger(value) && value >= 3) runs = value;
    else if (argv[i] === '--source-runs' && Number.isInteger(value) && value >= 0) sourceRuns = value;
    else throw new Error(`Unknown or invalid argument ${JSON.stringify(argv[i])}. Expected --runs N (>= 3) or --source-runs N (>= 0).`);
  }
  return { runs, sourceRuns };
}

/** Milliseconds of one run; a failed run aborts the benchmark (its time would mean nothing). */
function timeRun(args: readonly string[]): number {
  const start = performance.now();
  // A bare environment: no AWS_* settings or NODE_OPTIONS from the caller may change start-up.
  const run = spawnSync(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), LANG: 'C.UTF-8' }, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr || run.error?.message}`);
  return ms;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function main(): void {
  const { runs, sourceRuns } = parseOptions(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing. Run npm run prepare first.');
  const floor: number[] = [];
  const help: number[] = [];
  const sources: number[] = [];
  process.stderr.write(`Measuring safeguards --help, ${runs} runs`);
  for (let i = 0; i < runs; i++) {
    floor.push(timeRun(['-e', '0']));
    help.push(timeRun([BIN, '--help']));
    if (i < sourceRuns) sources.push(timeRun(['--import', 'tsx', join(ROOT, 'scripts', 'cli.ts'), '--help']));
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const m = median(help);
  const rows = [
    ['command', 'median ms', 'above node -e 0'],
    ['node -e 0 (floor)', median(floor).toFixed(1), ''],
    ['safeguards --help (dist/cli.js)', m.toFixed(1), (m - median(floor)).toFixed(1)],
    ...(sources.length ? [['safeguards --help from sources (tsx)', median(sources).toFixed(1), (median(sources) - median(floor)).toFixed(1)]] : []),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')}\n`);
  process.stdout.write(`\n${process.version}; ${runs} runs (${sources.length} from sources), medians. target: --help < ${TARGET_MS} ms: ${m < TARGET_MS ? 'PASS' : 'FAIL'}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 2;
}
