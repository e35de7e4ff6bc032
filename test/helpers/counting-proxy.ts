import { Agent, type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { RATE_LIMITS } from '../../rules/runtime/rate-limits';

/**
 * A loopback proxy in front of moto (or any local endpoint) that counts requests per operation, records how many
 * were in flight at once, and optionally answers past a per-operation rate the way AWS throttles: HTTP 400
 * `ThrottlingException` for JSON protocols, `Throttling` in an `ErrorResponse` for query protocols (ElastiCache).
 * Used by the scale benchmarks (issue 11) and by tests of concurrency and throttling.
 *
 * Operations are named `<signing service>:<Operation>` (`kinesis:ListStreams`, `kinesisvideo:ListStreams`,
 * `elasticache:DescribeReplicationGroups`): the service comes from the SigV4 credential scope, the operation from
 * `X-Amz-Target` (JSON), `Action=` (query), or the path of REST-JSON calls (Kinesis Video: `/listStreams`).
 */
export interface CountingProxyOptions {
  /** Requests per second allowed per operation (`kinesis:ListTagsForStream`), burst defaulting to one second's worth. */
  readonly rates?: Readonly<Record<string, { readonly perSecond: number; readonly burst?: number }>>;
  /** Clock for the rates, in ms; tests pass a fake one. */
  readonly now?: () => number;
}

export interface ProxyStats {
  /** Requests per operation, throttled ones included. */
  readonly calls: Record<string, number>;
  /** Requests answered with a throttling error by the proxy, per operation. */
  readonly throttled: Record<string, number>;
  /** Requests the upstream answered with an HTTP error (an operation moto lacks, a missing resource), per operation. */
  readonly failed: Record<string, number>;
  readonly total: number;
  readonly inFlight: number;
  readonly peakInFlight: number;
  /** Requests in flight on average, from the first request counted to the last answer (time-weighted). */
  readonly meanInFlight: number;
  readonly peakInFlightByOperation: Record<string, number>;
}

export interface CountingProxy {
  readonly endpoint: string;
  stats(): ProxyStats;
  /** Forgets the counts (not the rate buckets). */
  resetCounts(): void;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

// SigV4 signing names that differ from the IAM prefixes the rate table uses.
const SIGNING_NAME: Readonly<Record<string, string>> = { tag: 'tagging' };

/** The documented rates of `rules/runtime/rate-limits.ts`, keyed the way the proxy names operations: AWS as documented. */
export function documentedRates(): Record<string, { perSecond: number; burst?: number }> {
  return Object.fromEntries(
    RATE_LIMITS.map((r) => [`${SIGNING_NAME[r.service] ?? r.service}:${r.operation}`, { perSecond: r.perSecond, ...(r.burst ? { burst: r.burst } : {}) }]),
  );
}

/** `<service>:<Operation>` of a request, from its signature scope and its protocol's operation field. */
export function operationOf(headers: IncomingMessage['headers'], url: string, body: Buffer): string {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  const service = scope?.[1] ?? 'unknown';
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return `${service}:${target.slice(target.lastIndexOf('.') + 1)}`;
  const parsed = new URL(url, 'http://proxy');
  const cbor = /\/service\/[^/]+\/operation\/([^/?]+)/.exec(parsed.pathname);
  if (cbor?.[1]) return `${service}:${cbor[1]}`;
  const contentType = String(headers['content-type'] ?? '');
  const action = parsed.searchParams.get('Action') ?? (contentType.includes('x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')).get('Action') : null);
  if (action) return `${service}:${action}`;
  const first = parsed.pathname.split('/').find(Boolean) ?? '';
  return `${service}:${first.charAt(0).toUpperCase()}${first.slice(1)}`;
}

function throttle(res: ServerResponse, operation: string, isQuery: boolean, requestId: string): void {
  if (isQuery) {
    res.writeHead(400, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded for ${operation}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
    return;
  }
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException', 'x-amzn-requestid': requestId });
  res.end(JSON.stringify({ __type: 'ThrottlingException', message: `Rate exceeded for ${operation}` }));
}

/**
 * Starts the proxy on 127.0.0.1 and a free port in front of `target`, which must itself be on loopback.
 * @example const proxy = await startCountingProxy(moto.endpoint); ...; console.log(proxy.stats()); await proxy.close();
 */
export async function startCountingProxy(target: string, options: CountingProxyOptions = {}): Promise<CountingProxy> {
  const upstream = new URL(target);
  if (!LOOPBACK.has(upstream.hostname)) throw new Error(`The counting proxy forwards to loopback only, not ${upstream.hostname}.`);
  const now = options.now ?? (() => Date.now());
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  // Per operation: GCRA reservation time, as a token bucket of `burst` refilling `perSecond`.
  const tat = new Map<string, number>();
  let calls: Record<string, number> = {};
  let throttled: Record<string, number> = {};
  let failed: Record<string, number> = {};
  let peakByOp: Record<string, number> = {};
  const inFlightByOp: Record<string, number> = {};
  let total = 0;
  let inFlight = 0;
  let peak = 0;
  let requestIds = 0;
  // Time-weighted in-flight count: the integral of inFlight over time, from the first request to the last change.
  let area = 0;
  let since: number | undefined;
  let last = 0;
  const changeInFlight = (delta: number) => {
    const t = performance.now();
    if (since !== undefined) area += inFlight * (t - last);
    else since = t;
    last = t;
    inFlight += delta;
  };

  const admit = (operation: string): boolean => {
    const rate = options.rates?.[operation];
    if (!rate) return true;
    const interval = 1000 / rate.perSecond;
    const tolerance = ((rate.burst ?? Math.max(1, Math.floor(rate.perSecond))) - 1) * interval;
    const t = now();
    const next = Math.max(tat.get(operation) ?? t, t);
    if (t < next - tolerance) return false;
    tat.set(operation, next + interval);
    return true;
  };

  const server: Server = createServer((req, res) => {
    changeInFlight(+1);
    peak = Math.max(peak, inFlight);
    let operation: string | undefined;
    res.once('close', () => {
      changeInFlight(-1);
      if (operation) inFlightByOp[operation] = (inFlightByOp[operation] ?? 1) - 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op = operationOf(req.headers, req.url ?? '/', body);
      operation = op;
      total++;
      calls[op] = (calls[op] ?? 0) + 1;
      inFlightByOp[op] = (inFlightByOp[op] ?? 0) + 1;
      peakByOp[op] = Math.max(peakByOp[op] ?? 0, inFlightByOp[op] ?? 0);
      if (!admit(op)) {
        throttled[op] = (throttled[op] ?? 0) + 1;
        const isQuery = req.headers['x-amz-target'] === undefined && String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
        throttle(res, op, isQuery, `throttle-${++requestIds}`);
        return;
      }
      const headers = { ...req.headers };
      delete headers.host;
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (up) => {
          if ((up.statusCode ?? 502) >= 400) failed[op] = (failed[op] ?? 0) + 1;
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`counting proxy: ${e.message}`);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stats: () => ({
      calls: { ...calls },
      throttled: { ...throttled },
      failed: { ...failed },
      total,
      inFlight,
      peakInFlight: peak,
      meanInFlight: since !== undefined && last > since ? area / (last - since) : 0,
      peakInFlightByOperation: { ...peakByOp },
    }),
    resetCounts: () => {
      calls = {};
      throttled = {};
      failed = {};
      peakByOp = {};
      total = 0;
      peak = inFlight;
      area = 0;
      since = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
