import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider, MetadataBearer, Pluggable } from '@smithy/types';
import { operationPlugin } from './aws-errors';

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
  /** Base credentials (the CLI's --profile); default: the SDK's provider chain (the Lambda role). */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Total attempts per call, first try included. */
  readonly maxAttempts?: number;
  /** Milliseconds one attempt may wait for its answer before it fails (and is retried). Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Milliseconds one attempt may wait for the TCP connection. Default 5 s. */
  readonly connectionTimeoutMs?: number;
}

export type ClientConfig = {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  retryMode: 'adaptive';
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
};

/** Default attempts: Config re-evaluating a whole account causes throttling storms, adaptive mode backs off. */
export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

/** The HTTP handler every client uses: each attempt fails after its timeouts, so no call can hang a run. */
export function requestHandlerFor(target: Pick<ClientTarget, 'requestTimeoutMs' | 'connectionTimeoutMs'>): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: target.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeout: target.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // Without this, @smithy/node-http-handler only logs a warning when requestTimeout passes and keeps waiting
    // forever on an endpoint that accepted the connection and never answers (issue 10). With it, the attempt
    // fails with TimeoutError, which the SDK retries as transient within maxAttempts.
    throwOnRequestTimeout: true,
  });
}

/** An SDK v3 client class; each rule imports only the classes it calls, so its bundle holds only those. */
export type ClientClass<C> = new (config: ClientConfig) => C;

/**
 * SDK clients for one account and region, created on first use so a cold start pays only for what it calls.
 * @example const kinesis = clientsFor({ region: 'us-east-1' }).get(KinesisClient);
 */
export class AwsClients {
  private readonly config: ClientConfig;
  private readonly made = new Map<ClientClass<unknown>, unknown>();

  constructor(readonly target: ClientTarget) {
    const maxAttempts = target.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const base = {
      region: target.region,
      retryMode: 'adaptive' as const,
      maxAttempts,
      // HTTP/1.1 everywhere: emulators do not speak HTTP/2 and none of our calls stream.
      requestHandler: requestHandlerFor(target),
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    };
    let credentials: AwsCredentialIdentityProvider | undefined = target.credentials;
    if (target.roleName && target.accountId) {
      const roleArn = `arn:${target.partition ?? 'aws'}:iam::${target.accountId}:role/${target.roleName}`;
      credentials = fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: 'hipaa-safeguards', DurationSeconds: 900 },
        ...(target.credentials ? { masterCredentials: target.credentials } : {}),
        clientConfig: { ...base },
      });
    }
    this.config = { ...base, ...(credentials ? { credentials } : {}) };
  }

  /** The one client of this class for the target. */
  get<C>(Client: ClientClass<C>): C {
    let client = this.made.get(Client) as C | undefined;
    if (!client) {
      client = new Client(this.config);
      // Every error names its operation; a non-AWS answer is not retried (rules/runtime/aws-errors.ts).
      (client as { middlewareStack?: { use(p: Pluggable<object, MetadataBearer>): void } }).middlewareStack?.use(operationPlugin);
      this.made.set(Client, client);
    }
    return client;
  }
}

const cache = new Map<string, AwsClients>();

/** Clients for a target, reused across warm Lambda invocations (assumed-role credentials refresh themselves). */
export function clientsFor(target: ClientTarget): AwsClients {
  const key = JSON.stringify({ ...target, credentials: target.credentials ? 'custom' : undefined });
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
