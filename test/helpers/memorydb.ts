import { CreateACLCommand, CreateClusterCommand, CreateUserCommand, MemoryDBClient } from '@aws-sdk/client-memorydb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { MemoryDbCluster } from '../../rules/resources/memorydb';

/**
 * MemoryDB on moto. moto 5.2.1 models clusters (CreateCluster, DescribeClusters, ListTags, TagResource, UpdateCluster)
 * but not ACLs or users: scripts/lib/moto_server.py fakes DescribeACLs, DescribeUsers, CreateACL and CreateUser in
 * moto's own MemoryDB handler (so moto still authorizes them), with the botocore model's shapes and the built-in
 * `default` user and `open-access` ACL. moto's DescribeClusters reports no Engine.
 */
export function memoryDbOn(endpoint: string): MemoryDBClient {
  return new MemoryDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
}

export interface ClusterSpec {
  readonly name: string;
  readonly acl?: string;
  readonly tls?: boolean;
  readonly kmsKeyId?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export async function createMemoryDbCluster(client: MemoryDBClient, c: ClusterSpec): Promise<void> {
  await client.send(
    new CreateClusterCommand({
      ClusterName: c.name,
      NodeType: 'db.t4g.small',
      ACLName: c.acl ?? 'open-access',
      ...(c.tls !== undefined ? { TLSEnabled: c.tls } : {}),
      ...(c.kmsKeyId ? { KmsKeyId: c.kmsKeyId } : {}),
      ...(c.tags ? { Tags: Object.entries(c.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
    }),
  );
}

/** A password user and an ACL holding it (the faked CreateUser/CreateACL of scripts/lib/moto_server.py). */
export async function createPasswordAcl(client: MemoryDBClient, acl: string, users: readonly string[]): Promise<void> {
  for (const u of users.filter((x) => x !== 'default')) {
    await client.send(new CreateUserCommand({ UserName: u, AccessString: 'on ~* +@all', AuthenticationMode: { Type: 'password', Passwords: ['a-long-password-0123456789'] } }));
  }
  await client.send(new CreateACLCommand({ ACLName: acl, UserNames: [...users] }));
}

/** A normalized cluster for evaluate() tests. */
export function memoryDbCluster(o: Partial<MemoryDbCluster> = {}): MemoryDbCluster {
  return {
    id: 'phi-sessions',
    resourceType: 'AWS::MemoryDB::Cluster',
    name: 'phi-sessions',
    arn: 'arn:aws:memorydb:us-east-1:123456789012:cluster/phi-sessions',
    status: 'available',
    engine: 'valkey',
    engineVersion: '7.2',
    tlsEnabled: true,
    aclName: 'app-acl',
    tagsUnreadable: false,
    tags: {},
    ...o,
  };
}
