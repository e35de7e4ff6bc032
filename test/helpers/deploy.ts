import type { Clock } from '../../scripts/lib/deploy/poll';
import type { CommandRunner } from '../../scripts/lib/deploy/plan';

/** A clock whose sleeps return at once and move time forward; `sleeps` lists every wait, in order. */
export function fakeClock(start = Date.parse('2026-11-22T12:00:00Z')): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** Records each command instead of running it. */
export function fakeRunner(): CommandRunner & { runs: { command: string; args: readonly string[] }[] } {
  const runs: { command: string; args: readonly string[] }[] = [];
  const runner = (async (command: string, args: readonly string[]) => {
    runs.push({ command, args });
  }) as CommandRunner & { runs: typeof runs };
  runner.runs = runs;
  return runner;
}

/** The value of `--param=<name>=...` in serverless arguments. */
export function paramOf(args: readonly string[], name: string): string | undefined {
  const prefix = `--param=${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}
