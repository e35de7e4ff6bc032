import { DescribeReplicationGroupsCommand, type ElastiCacheClient, type ReplicationGroup } from '@aws-sdk/client-elasticache';
import type { CallOverride } from '../../scripts/lib/ssm/simulate';

/**
 * What moto 5.2.1 lacks for the ElastiCache remediations, emulated on top of moto's real replication groups (not a test
 * file: mocha loads only *.test.ts).
 *
 * - ModifyReplicationGroup (moto has none): checked against the constraints the botocore model documents
 *   (shared/reference/F-botocore-service-models/elasticache-2015-02-02.service-2.json): TLS is enabled on an existing
 *   group only with TransitEncryptionMode preferred in the same request; required only after preferred; an AUTH token
 *   only with TLS, and SET only after ROTATE. The group is `modifying` (with PendingModifiedValues) for the next
 *   `settleAfterReads` DescribeReplicationGroups answers, then shows the change, as ElastiCache applies changes
 *   asynchronously. Errors carry the model's error names.
 * - DescribeReplicationGroups: moto's answer, with the emulated changes applied.
 * - DescribeCacheClusters of a group's member clusters: moto lists members but creates no cache clusters for them;
 *   answered with the engine and version the test gives (DescribeReplicationGroups reports no engine version).
 */
export interface ModifyEmulation {
  readonly override: CallOverride;
  /** Every ModifyReplicationGroup request, in order (including refused ones). */
  readonly requests: Record<string, unknown>[];
}

const fault = (name: string, message: string) => Object.assign(new Error(message), { name });

export function emulateModifyReplicationGroup(ec: ElastiCacheClient, member: { engine: string; engineVersion: string }, settleAfterReads = 1): ModifyEmulation {
  const applied = new Map<string, Partial<ReplicationGroup>>();
  const pending = new Map<string, { changes: Partial<ReplicationGroup>; pendingValues: Record<string, unknown>; readsLeft: number }>();
  const requests: Record<string, unknown>[] = [];

  const current = async (id: string): Promise<ReplicationGroup> => {
    const real = (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0];
    if (!real) throw fault('ReplicationGroupNotFoundFault', `Replication group ${id} not found.`);
    return { ...real, ...applied.get(id) };
  };

  const describe = async (id: string): Promise<ReplicationGroup> => {
    const group = await current(id);
    const p = pending.get(id);
    if (!p) return group;
    if (p.readsLeft > 0) {
      p.readsLeft--;
      return { ...group, Status: 'modifying', PendingModifiedValues: p.pendingValues };
    }
    applied.set(id, { ...applied.get(id), ...p.changes });
    pending.delete(id);
    return { ...group, ...p.changes };
  };

  const modify = async (params: Record<string, unknown>): Promise<{ ReplicationGroup: ReplicationGroup }> => {
    requests.push(params);
    const id = String(params.ReplicationGroupId);
    const group = await current(id);
    if (pending.has(id) || group.Status !== 'available') {
      throw fault('InvalidReplicationGroupStateFault', `Replication group ${id} must be in available state to modify; it is ${pending.has(id) ? 'modifying' : String(group.Status)}.`);
    }
    const changes: Partial<ReplicationGroup> = {};
    const pendingValues: Record<string, unknown> = {};
    const tlsOn = group.TransitEncryptionEnabled === true;
    if (params.TransitEncryptionEnabled === true && !tlsOn) {
      if (params.TransitEncryptionMode !== 'preferred') {
        throw fault('InvalidParameterCombinationException', 'Enabling in-transit encryption on an existing group needs TransitEncryptionMode preferred in the same request.');
      }
      Object.assign(changes, { TransitEncryptionEnabled: true, TransitEncryptionMode: 'preferred' });
      Object.assign(pendingValues, { TransitEncryptionEnabled: true, TransitEncryptionMode: 'preferred' });
    } else if (params.TransitEncryptionMode === 'required') {
      if (!tlsOn || group.TransitEncryptionMode !== 'preferred') {
        throw fault('InvalidParameterCombinationException', 'TransitEncryptionMode required can be set only after preferred.');
      }
      changes.TransitEncryptionMode = 'required';
      pendingValues.TransitEncryptionMode = 'required';
    }
    if (params.AuthToken !== undefined) {
      const strategy = params.AuthTokenUpdateStrategy ?? 'ROTATE';
      if (!tlsOn) throw fault('InvalidParameterCombinationException', 'AuthToken requires TransitEncryptionEnabled.');
      if (strategy === 'SET' && !group.AuthTokenEnabled) throw fault('InvalidParameterCombinationException', 'AuthTokenUpdateStrategy SET is allowed only after ROTATE.');
      const token = String(params.AuthToken);
      if (token.length < 16 || token.length > 128 || /[/"@%\s]/.test(token)) throw fault('InvalidParameterValueException', 'Invalid AuthToken.');
      Object.assign(changes, { AuthTokenEnabled: true, AuthTokenLastModifiedDate: new Date() });
      pendingValues.AuthTokenStatus = strategy === 'SET' ? 'SETTING' : 'ROTATING';
    }
    pending.set(id, { changes, pendingValues, readsLeft: settleAfterReads });
    return { ReplicationGroup: { ...group, Status: 'modifying', PendingModifiedValues: pendingValues } };
  };

  const override: CallOverride = async (c) => {
    if (c.api === 'ModifyReplicationGroup') return modify(c.params);
    if (c.api === 'DescribeReplicationGroups' && typeof c.params.ReplicationGroupId === 'string') {
      return { ReplicationGroups: [await describe(c.params.ReplicationGroupId)] };
    }
    if (c.api === 'DescribeCacheClusters' && typeof c.params.CacheClusterId === 'string') {
      const all = (await ec.send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups ?? [];
      const group = all.find((g) => g.MemberClusters?.includes(String(c.params.CacheClusterId)));
      if (group) {
        return {
          CacheClusters: [
            { CacheClusterId: c.params.CacheClusterId, ReplicationGroupId: group.ReplicationGroupId, Engine: member.engine, EngineVersion: member.engineVersion, CacheClusterStatus: 'available' },
          ],
        };
      }
    }
    return undefined;
  };
  return { override, requests };
}
