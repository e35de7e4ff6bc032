import { clearClientCache } from '../../rules/runtime/clients';
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

export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (server) await (await server).stop();
    server = undefined;
  },
};
