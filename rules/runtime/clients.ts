import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KMSClient } from '@aws-sdk/client-kms';
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/** Where and as whom the pack talks to AWS. */
export interface ClientTarget {
  readonly region: string;
  /** Partition of the account, from the Config rule ARN (aws, aws-us-gov, aws-cn). */
  readonly partition?: string;
  /** Account to assume `roleName` in (organization mode). */
  readonly accountId?: string;
  readonly roleName?: string;
  /** Custom endpoint (moto, LocalStack); otherwise the SDK reads AWS_ENDPOINT_URL* itself. */
  readonly endpoint?: string;
  readonly profile?: string;
  /** Total attempts per call, first try included. */
  readonly maxAttempts?: number;
}

type ClientConfig = {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  retryMode: 'adaptive';
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
};

/** Default attempts: Config re-evaluating a whole account causes throttling storms, adaptive mode backs off. */
export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * SDK clients for one account and region, created on first use so a cold start pays only for what it calls.
 * @example const kinesis = clientsFor({ region: 'us-east-1' }).kinesis();
 */
export class AwsClients {
  private readonly config: ClientConfig;
  private kinesisClient?: KinesisClient;
  private kmsClient?: KMSClient;
  private configClient?: ConfigServiceClient;
  private elastiCacheClient?: ElastiCacheClient;
  private firehoseClient?: FirehoseClient;
  private kinesisVideoClient?: KinesisVideoClient;

  constructor(readonly target: ClientTarget) {
    const maxAttempts = target.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const base = {
      region: target.region,
      retryMode: 'adaptive' as const,
      maxAttempts,
      // HTTP/1.1 everywhere: emulators do not speak HTTP/2 and none of our calls stream.
      requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    };
    const master = target.profile ? fromIni({ profile: target.profile }) : undefined;
    let credentials: AwsCredentialIdentityProvider | undefined = master;
    if (target.roleName && target.accountId) {
      const roleArn = `arn:${target.partition ?? 'aws'}:iam::${target.accountId}:role/${target.roleName}`;
      credentials = fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: 'hipaa-safeguards', DurationSeconds: 900 },
        ...(master ? { masterCredentials: master } : {}),
        clientConfig: { ...base },
      });
    }
    this.config = { ...base, ...(credentials ? { credentials } : {}) };
  }

  kinesis(): KinesisClient {
    return (this.kinesisClient ??= new KinesisClient(this.config));
  }
  kms(): KMSClient {
    return (this.kmsClient ??= new KMSClient(this.config));
  }
  configService(): ConfigServiceClient {
    return (this.configClient ??= new ConfigServiceClient(this.config));
  }
  elastiCache(): ElastiCacheClient {
    return (this.elastiCacheClient ??= new ElastiCacheClient(this.config));
  }
  firehose(): FirehoseClient {
    return (this.firehoseClient ??= new FirehoseClient(this.config));
  }
  kinesisVideo(): KinesisVideoClient {
    return (this.kinesisVideoClient ??= new KinesisVideoClient(this.config));
  }
}

const cache = new Map<string, AwsClients>();

/** Clients for a target, reused across warm Lambda invocations (assumed-role credentials refresh themselves). */
export function clientsFor(target: ClientTarget): AwsClients {
  const key = JSON.stringify(target);
  let clients = cache.get(key);
  if (!clients) {
    clients = new AwsClients(target);
    cache.set(key, clients);
  }
  return clients;
}

/** Tests change endpoints and credentials between cases. */
export function clearClientCache(): void {
  cache.clear();
}
