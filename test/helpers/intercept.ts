import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import sinon from 'sinon';

type Fake = (input: Record<string, unknown>) => unknown;
interface Sendable {
  prototype: { send(command: never): Promise<unknown> };
}

/**
 * Spies on every call of an SDK client class and answers the commands named in `fakes` itself; the rest go to
 * the real endpoint (moto). For APIs moto lacks; each test that uses it says which.
 */
export function interceptClient(client: Sendable, fakes: Record<string, Fake>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const original = client.prototype.send as (this: unknown, command: unknown) => Promise<unknown>;
  const stub = sinon.stub(client.prototype, 'send').callsFake(function (this: unknown, command: unknown) {
    const cmd = command as { constructor: { name: string }; input: Record<string, unknown> };
    const name = cmd.constructor.name.replace(/Command$/, '');
    calls.push({ command: name, input: cmd.input });
    const fake = fakes[name];
    return fake ? Promise.resolve().then(() => fake(cmd.input)) : original.call(this, command);
  } as never);
  return {
    calls,
    of: (command: string) => calls.filter((c) => c.command === command).map((c) => c.input),
    restore: () => stub.restore(),
  };
}

/** Config APIs moto lacks: GetComplianceDetailsByConfigRule, GetResourceConfigHistory for Kinesis. */
export function interceptConfig(fakes: Record<string, Fake>) {
  return interceptClient(ConfigServiceClient, fakes);
}
