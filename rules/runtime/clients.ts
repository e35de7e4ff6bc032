import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider, FinalizeRequestMiddleware, MetadataBearer, Pluggable } from '@smithy/types';
import { TimeBudgetExceededError, operationPlugin } from './aws-errors';
import { RATE_LIMIT_MIDDLEWARE, RateLimiter, pacedAdaptiveRetry, rateLimitPlugin } from './limiter';
import { listedRateFor } from './rate-limits';

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
  /**
   * Most requests these clients have in flight at once, whatever asks (listers, lookups, several rules): the run's
   * `--concurrency`. Absent: unbounded (each caller bounds itself).
   */
  readonly maxInFlight?: number;
}

export type ClientConfig = {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  retryMode: 'adaptive';
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
  /** Adaptive retry that leaves the operations the pack's limiter paces to it (`pacedAdaptiveRetry`). */
  retryStrategy?: ReturnType<typeof pacedAdaptiveRetry>;
};

/** Default attempts: Config re-evaluating a whole account causes throttling storms, adaptive mode backs off. */
export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

/**
 * The limiter key of the account the caller's own credentials belong to. Knowing its ID would cost an
 * sts:GetCallerIdentity call per run; one process holds one set of base credentials, so a fixed key is exact.
 */
export const CALLER_ACCOUNT = 'caller';

/** A limiter seeded from the rate table; operations outside it are paced by adaptive retry alone. */
export function newDocumentedLimiter(): RateLimiter {
  return new RateLimiter({ rateOf: listedRateFor });
}

let sharedLimiter = newDocumentedLimiter();

/**
 * The process-wide rate limiter every client created here waits on (issue 11): one token bucket per (account,
 * region, service, operation), seeded with the documented rates of `rate-limits.ts`, shared by every rule, lister
 * and lookup of every run in this process, warm Lambda invocations included, because AWS counts per account, not
 * per caller. Its `stats()` tell calls made and time waited per operation (`scan --verbose`).
 */
export function processLimiter(): RateLimiter {
  return sharedLimiter;
}

/** Replaces the process-wide limiter (tests, benchmarks) and returns the one it replaced. */
export function setProcessLimiter(limiter: RateLimiter): RateLimiter {
  const previous = sharedLimiter;
  sharedLimiter = limiter;
  return previous;
}

/** At most `size` holders at once; the others wait in the order they asked. */
export class Gate {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${size}.`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.held >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    }
  }
}

const IN_FLIGHT_MIDDLEWARE = 'hipaaSafeguardsInFlight';

/**
 * Each attempt holds a slot of the gate from before it waits for its token until its answer: a request never waits
 * for a slot after its token was granted, so requests released together cannot exceed the rate they were paced at.
 */
function inFlightPlugin(gate: Gate): Pluggable<object, MetadataBearer> {
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => (args) => gate.run(() => next(args));
  return {
    applyToStack: (stack) =>
      stack.addRelativeTo(middleware, {
        name: IN_FLIGHT_MIDDLEWARE,
        relation: 'before',
        toMiddleware: RATE_LIMIT_MIDDLEWARE,
        override: true,
      }),
  };
}

type HandleArgs = Parameters<NodeHttpHandler['handle']>;

/**
 * NodeHttpHandler whose attempts also end at the run's deadline (the Lambda's time budget): each attempt waits at
 * most until then, and once it has passed a call fails at once with TimeBudgetExceededError, which the SDK does not
 * retry. So one hanging endpoint cannot take a rule Lambda past its own timeout, retries included.
 */
export class BudgetedHttpHandler extends NodeHttpHandler {
  constructor(
    private readonly requestTimeoutMs: number,
    options: ConstructorParameters<typeof NodeHttpHandler>[0],
    private readonly deadline: () => number | undefined = () => undefined,
  ) {
    super(options);
  }

  override handle(request: HandleArgs[0], options: HandleArgs[1] = {}): ReturnType<NodeHttpHandler['handle']> {
    const deadline = this.deadline();
    if (deadline === undefined) return super.handle(request, options);
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(new TimeBudgetExceededError('The time budget of this run ran out before the call could be made.'));
    return super.handle(request, { ...options, requestTimeout: Math.min(options.requestTimeout ?? this.requestTimeoutMs, left) });
  }
}

/** The HTTP handler every client uses: each attempt fails after its timeouts, so no call can hang a run. */
export function requestHandlerFor(
  target: Pick<ClientTarget, 'requestTimeoutMs' | 'connectionTimeoutMs'>,
  deadline?: () => number | undefined,
): BudgetedHttpHandler {
  const requestTimeout = target.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const options = {
    connectionTimeout: target.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeout,
    // Without this, @smithy/node-http-handler only logs a warning when requestTimeout passes and keeps waiting
    // forever on an endpoint that accepted the connection and never answers (issue 10). With it, the attempt
    // fails with TimeoutError, which the SDK retries as transient within maxAttempts.
    throwOnRequestTimeout: true,
  };
  return new BudgetedHttpHandler(requestTimeout, options, deadline);
}

/** An SDK v3 client class; each rule imports only the classes it calls, so its bundle holds only those. */
export type ClientClass<C> = new (config: ClientConfig) => C;

/**
 * SDK clients for one account and region, created on first use so a cold start pays only for what it calls.
 * @example const kinesis = clientsFor({ region: 'us-east-1' }).get(KinesisClient);
 */
export class AwsClients {
  /** The limiter this target's clients wait on; default: the process-wide one. */
  readonly limiter: RateLimiter;
  /** Account and region the limiter counts this target's calls against. */
  readonly limitKey: { readonly accountId: string; readonly region: string };
  private readonly config: ClientConfig;
  private readonly gate: Gate | undefined;
  private readonly made = new Map<ClientClass<unknown>, unknown>();
  private readonly deadlines = new Map<string, { at: number; appliesTo: (Client: ClientClass<unknown>) => boolean }>();

  constructor(
    readonly target: ClientTarget,
    options: { readonly limiter?: RateLimiter } = {},
  ) {
    this.limiter = options.limiter ?? processLimiter();
    this.limitKey = { accountId: target.accountId ?? CALLER_ACCOUNT, region: target.region };
    this.gate = target.maxInFlight !== undefined ? new Gate(target.maxInFlight) : undefined;
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
        // AssumeRole is a call of the calling account (the hub), not of the account the role is in.
        clientPlugins: [rateLimitPlugin(this.limiter, { accountId: CALLER_ACCOUNT, region: target.region })],
      });
    }
    this.config = { ...base, ...(credentials ? { credentials } : {}) };
  }

  /**
   * Sets (or with `at` undefined, clears) a named deadline, in epoch milliseconds, for the calls of the client
   * classes `appliesTo` accepts: their attempts end by then, later calls fail with TimeBudgetExceededError.
   * Clients are reused across warm invocations: clear what a run set when it ends.
   * @example clients.setDeadline('listing', Date.now() + 60_000, (C) => C !== ConfigServiceClient);
   */
  setDeadline(name: string, at: number | undefined, appliesTo: (Client: ClientClass<unknown>) => boolean = () => true): void {
    if (at === undefined || !Number.isFinite(at)) this.deadlines.delete(name);
    else this.deadlines.set(name, { at, appliesTo });
  }

  private deadlineOf(Client: ClientClass<unknown>): number | undefined {
    const applying = [...this.deadlines.values()].filter((d) => d.appliesTo(Client)).map((d) => d.at);
    return applying.length > 0 ? Math.min(...applying) : undefined;
  }

  /** The one client of this class for the target. */
  get<C>(Client: ClientClass<C>): C {
    let client = this.made.get(Client) as C | undefined;
    if (!client) {
      // One HTTP handler per client class, so a deadline can spare the calls that send verdicts (see setDeadline).
      const requestHandler = requestHandlerFor(this.target, () => this.deadlineOf(Client as ClientClass<unknown>));
      // Adaptive retry for what the rate table does not pace; the table's operations wait on this.limiter alone.
      client = new Client({ ...this.config, requestHandler, retryStrategy: pacedAdaptiveRetry(this.config.maxAttempts) });
      // Every error names its operation; a non-AWS answer is not retried (rules/runtime/aws-errors.ts).
      const stack = (client as { middlewareStack?: { use(p: Pluggable<object, MetadataBearer>): void } }).middlewareStack;
      stack?.use(operationPlugin);
      // Every attempt waits for its operation's token in this target's account and region (issue 11).
      stack?.use(rateLimitPlugin(this.limiter, this.limitKey));
      if (this.gate) stack?.use(inFlightPlugin(this.gate));
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
