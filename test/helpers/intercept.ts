import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import sinon from 'sinon';

type Send = (this: ConfigServiceClient, command: unknown) => Promise<unknown>;
type Fake = (input: Record<string, unknown>) => unknown;

/**
 * Spies on every Config call and answers the commands named in `fakes` itself; the rest go to the real endpoint
 * (moto). For Config APIs moto lacks (GetComplianceDetailsByConfigRule, GetResourceConfigHistory for Kinesis).
 */
export function interceptConfig(fakes: Record<string, Fake>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const original = ConfigServiceClient.prototype.send as unknown as Send;
  const stub = sinon.stub(ConfigServiceClient.prototype, 'send').callsFake(function (this: ConfigServiceClient, command: unknown) {
    const cmd = command as { constructor: { name: string }; input: Record<string, unknown> };
    const name = cmd.constructor.name.replace(/Command$/, '');
    calls.push({ command: name, input: cmd.input });
    const fake = fakes[name];
    return fake ? Promise.resolve(fake(cmd.input)) : original.call(this, command);
  } as never);
  return {
    calls,
    of: (command: string) => calls.filter((c) => c.command === command).map((c) => c.input),
    restore: () => stub.restore(),
  };
}
