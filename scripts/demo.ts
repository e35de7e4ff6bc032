/**
 * `npm start`: the pack's main job on an embedded account. Starts moto server on loopback, seeds Kinesis streams
 * that show every verdict, scans them with the same rules the Lambdas run and prints the table, runs each
 * automatic remediation document through the SSM simulator, scans again and prints the second table, stops moto.
 */
import { AddTagsToStreamCommand, CreateStreamCommand, StartStreamEncryptionCommand, waitUntilStreamExists, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { kinesisStreamEncrypted } from '../rules/kinesis-stream-encrypted';
import { AwsClients } from '../rules/runtime/clients';
import { type MotoServer, startMoto } from './lib/moto-server';
import { remediateWithSimulator } from './lib/remediate';
import { type ScanResult, exitCodeOf, formatTable, scan } from './lib/scan';

const REGION = 'us-east-1';

interface SeedStream {
  readonly name: string;
  readonly keyId?: string;
  readonly tags?: Record<string, string>;
  readonly story: string;
}

export async function seedKinesis(endpoint: string, now: Date = new Date()): Promise<SeedStream[]> {
  const clients = new AwsClients({ region: REGION, endpoint });
  const kinesis = clients.get(KinesisClient);
  const kms = clients.get(KMSClient);
  const key = await kms.send(new CreateKeyCommand({ Description: 'PHI streams' }));
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/phi-streams', TargetKeyId: key.KeyMetadata?.KeyId }));
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  const streams: SeedStream[] = [
    { name: 'phi-vitals-raw', story: 'unencrypted' },
    { name: 'phi-claims', keyId: 'alias/aws/kinesis', story: 'AWS managed key' },
    { name: 'phi-lab-results', keyId: 'alias/phi-streams', story: 'customer key through an alias' },
    { name: 'research-sandbox', tags: { 'hipaa-safeguards:exempt': 'CHG-4711 synthetic data only' }, story: 'exempt' },
    {
      name: 'legacy-hl7-feed',
      tags: { 'hipaa-safeguards:exempt': 'CHG-1002 migration', 'hipaa-safeguards:exempt-until': yesterday },
      story: 'expired exemption',
    },
  ];
  for (const s of streams) {
    await kinesis.send(new CreateStreamCommand({ StreamName: s.name, ShardCount: 1 }));
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName: s.name });
    if (s.keyId) await kinesis.send(new StartStreamEncryptionCommand({ StreamName: s.name, EncryptionType: 'KMS', KeyId: s.keyId }));
    if (s.tags) await kinesis.send(new AddTagsToStreamCommand({ StreamName: s.name, Tags: s.tags }));
  }
  return streams;
}

async function main(): Promise<number> {
  // moto accepts any credentials; never send a user's real ones to the emulator.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'moto',
    AWS_SECRET_ACCESS_KEY: 'moto',
    AWS_SESSION_TOKEN: 'moto',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env.AWS_PROFILE;
  let moto: MotoServer | undefined;
  try {
    process.stderr.write('Starting moto server on loopback…\n');
    moto = await startMoto();
    const endpoint = moto.endpoint;
    const progress = (m: string) => process.stderr.write(`${m}\n`);
    const seeded = await seedKinesis(endpoint);
    process.stderr.write(`Seeded ${seeded.length} streams: ${seeded.map((s) => `${s.name} (${s.story})`).join(', ')}.\n`);
    // requireCustomerManagedKey shows the pack's stricter check: an AWS managed key is not enough.
    const parameters = { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } };
    const runScan = async (title: string): Promise<{ results: ScanResult[]; code: number }> => {
      // The Kinesis safeguard: moto models everything it calls (ElastiCache serverless caches and update actions, and
      // Kinesis Video tags, it does not; `safeguards scan --endpoint-url` reports those gaps per rule).
      const { results, failures } = await scan({ safeguards: [kinesisStreamEncrypted], region: REGION, endpoint, parameters, onProgress: progress });
      process.stdout.write(`\n${title}\n\n${formatTable(results)}\n`);
      for (const f of failures) process.stderr.write(`ERROR ${f.rule} (${f.resourceType}): ${f.error}\n`);
      return { results, code: exitCodeOf(results, failures) };
    };
    const before = await runScan('Scan of the embedded account (requireCustomerManagedKey=true)');
    // The remediation uses the customer key, as a pack deployed with requireCustomerManagedKey would be told to.
    const outcomes = await remediateWithSimulator({
      results: before.results,
      endpoint,
      region: REGION,
      roleArn: 'arn:aws:iam::123456789012:role/HIPAA-Safeguards-Remediation',
      documentParameters: { 'kinesis-stream-encrypted': { KmsKeyId: 'alias/phi-streams' } },
      onProgress: progress,
    });
    process.stdout.write('\nRemediations run through the SSM Automation simulator\n\n');
    for (const o of outcomes) {
      process.stdout.write(`${o.document}  ${o.resourceId}  ${o.status}${o.failure ? `  (${o.failure})` : ''}\n`);
    }
    const after = await runScan('Scan after remediation');
    return before.code === 2 || after.code === 2 || outcomes.some((o) => o.status === 'Failed') ? 2 : 0;
  } finally {
    await moto?.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`Error: ${(error as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
