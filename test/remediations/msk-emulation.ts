import { type ClientBroker, type Cluster, type ClusterState, DescribeClusterV2Command, type KafkaClient } from '@aws-sdk/client-kafka';
import type { CallOverride } from '../../scripts/lib/ssm/simulate';

/**
 * (Not a test file: mocha loads only *.test.ts.) moto 5.2.1 creates, lists and describes MSK clusters (DescribeClusterV2, with their EncryptionInfo and Tags), but
 * has no UpdateSecurity (it answers HTTP 500) and leaves every cluster CREATING. Only those are emulated here, on top
 * of moto's real DescribeClusterV2 answer, with the shapes of botocore's kafka/2018-11-14 model:
 * - State: ACTIVE once created (what AWS reports after creation);
 * - UpdateSecurity: requires the cluster's CurrentVersion and an ACTIVE cluster (BadRequestException otherwise), and
 *   answers { ClusterArn, ClusterOperationArn }; the cluster is UPDATING for the next DescribeClusterV2 answer, then
 *   ACTIVE with the new ClientBroker and a new CurrentVersion, as MSK applies it asynchronously.
 * - `aliases`: moto names serverless clusters `...:serverless-cluster/<uuid>`; AWS names every cluster
 *   `...:cluster/<name>/<uuid>` (Service Authorization Reference, resource type `cluster`), the format the document
 *   accepts, so a test may describe a moto cluster under its AWS-format ARN.
 */
export function emulateUpdateSecurity(kafka: KafkaClient, aliases: Record<string, string> = {}) {
  const requests: Record<string, unknown>[] = [];
  const applied = new Map<string, { clientBroker: ClientBroker; version: string }>();
  const pending = new Map<string, { clientBroker: ClientBroker; readsLeft: number }>();
  let stateOverride: ClusterState | undefined;
  const real = async (arn: string): Promise<Cluster> => {
    const c = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: aliases[arn] ?? arn }))).ClusterInfo;
    if (!c) throw Object.assign(new Error(`Cluster ${arn} not found.`), { name: 'NotFoundException' });
    const a = applied.get(arn);
    const withState: Cluster = { ...c, State: stateOverride ?? 'ACTIVE' };
    if (!a || !withState.Provisioned) return withState;
    const transit = withState.Provisioned.EncryptionInfo?.EncryptionInTransit ?? {};
    return {
      ...withState,
      CurrentVersion: a.version,
      Provisioned: { ...withState.Provisioned, EncryptionInfo: { ...withState.Provisioned.EncryptionInfo, EncryptionInTransit: { ...transit, ClientBroker: a.clientBroker } } },
    };
  };
  const describe = async (arn: string): Promise<Cluster> => {
    const c = await real(arn);
    const p = pending.get(arn);
    if (!p) return c;
    if (p.readsLeft-- > 0) return { ...c, State: 'UPDATING' };
    applied.set(arn, { clientBroker: p.clientBroker, version: `${c.CurrentVersion ?? 'v'}-1` });
    pending.delete(arn);
    return real(arn);
  };
  const override: CallOverride = async (call) => {
    if (call.api === 'DescribeClusterV2') return { ClusterInfo: await describe(String(call.params.ClusterArn)) };
    if (call.api === 'UpdateSecurity') {
      requests.push(call.params);
      const arn = String(call.params.ClusterArn);
      const c = await real(arn);
      if (c.State !== 'ACTIVE' || pending.has(arn)) throw Object.assign(new Error('The cluster must be ACTIVE.'), { name: 'BadRequestException' });
      if (call.params.CurrentVersion !== c.CurrentVersion) throw Object.assign(new Error('The CurrentVersion does not match.'), { name: 'BadRequestException' });
      const broker = (call.params.EncryptionInfo as { EncryptionInTransit?: { ClientBroker?: ClientBroker } } | undefined)?.EncryptionInTransit?.ClientBroker;
      if (broker) pending.set(arn, { clientBroker: broker, readsLeft: 1 });
      return { ClusterArn: arn, ClusterOperationArn: `${arn.replace(':cluster/', ':cluster-operation/')}/op-1` };
    }
    return undefined;
  };
  return { override, requests, setState: (s: ClusterState | undefined) => (stateOverride = s) };
}

