import { clearClientCache, setProcessLimiter } from '../../rules/runtime/clients';
import { RateLimiter } from '../../rules/runtime/limiter';
import { UNLIMITED_RATE } from '../../rules/runtime/rate-limits';
import { type MotoServer, startMoto } from '../../scripts/lib/moto-server';

let server: Promise<MotoServer> | undefined;

/**
 * One moto server for the whole test run, started on first use and stopped by the root hook below.
 * Call in a `before` hook; it points the SDK at moto and resets moto's state.
 */
export async function useMoto(): Promise<MotoServer> {
  server ??= startMoto();
  const moto = await server;
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  clearClientCache();
  await moto.reset();
  return moto;
}

/**
 * The process-wide rate limiter tests start with: it counts every call but never waits. Tests are about behaviour,
 * and a documented 5 calls a second would make a 250-stream case take a minute; the tests of pacing install a
 * limiter with the documented (or fake) rates themselves (test/runtime/scale.test.ts).
 */
export function countingOnlyLimiter(): RateLimiter {
  return new RateLimiter({ rateOf: () => ({ ...UNLIMITED_RATE }) });
}

export const mochaHooks = {
  beforeEach(): void {
    setProcessLimiter(countingOnlyLimiter());
  },
  async afterAll(): Promise<void> {
    if (server) await (await server).stop();
    server = undefined;
  },
};
