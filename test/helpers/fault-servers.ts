import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type Socket, createServer as createTcpServer } from 'node:net';

/**
 * Loopback servers that misbehave the way real networks do, for fault-injection tests. Each listens on 127.0.0.1
 * only, counts what reached it, and `close()` ends every open connection, so an `afterEach` always cleans up.
 */
export interface FaultServer {
  readonly endpoint: string;
  /** Requests (HTTP) or connections (silent server) that reached it. */
  readonly hits: () => number;
  /** Operations seen, `Action=` (query) or the `X-Amz-Target` suffix (JSON). */
  readonly operations: string[];
  close(): Promise<void>;
}

async function listen(server: Server | ReturnType<typeof createTcpServer>, sockets: Set<Socket>): Promise<string> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('The fault server has no port.');
  return `http://127.0.0.1:${address.port}`;
}

function closer(server: { close(cb: () => void): unknown }, sockets: Set<Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/** Accepts every TCP connection and never answers: the endpoint that hung `scan` and `invoke` forever. */
export async function startSilentServer(): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.on('data', () => undefined); // read and ignore the request
    socket.on('error', () => undefined);
  });
  const endpoint = await listen(server, sockets);
  return { endpoint, hits: () => connections, operations: [], close: closer(server, sockets) };
}

/** The operation a request calls: `X-Amz-Target: Kinesis_20131202.ListStreams` or a query body `Action=...`. */
export function operationOfRequest(req: IncomingMessage, body: string): string {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  return new URLSearchParams(body).get('Action') ?? '';
}

type Answer = (op: string, res: ServerResponse) => boolean;

/**
 * An HTTP server that answers each request with `answer` (return false to forward it to `forwardTo`, e.g. moto).
 * @example await startAnsweringServer((op, res) => op === 'ListStreams' && htmlPage(500)(res), moto.endpoint)
 */
export async function startAnsweringServer(answer: Answer, forwardTo?: string): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const operations: string[] = [];
  let hits = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits++;
      const body = Buffer.concat(chunks);
      const op = operationOfRequest(req, body.toString('utf8'));
      operations.push(op);
      if (answer(op, res)) return;
      if (!forwardTo) {
        res.writeHead(599).end();
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
      fetch(`${forwardTo}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body: body.length ? body : undefined })
        .then(async (r) => {
          const out = Buffer.from(await r.arrayBuffer());
          const skip = new Set(['content-encoding', 'content-length', 'transfer-encoding']);
          res.writeHead(r.status, Object.fromEntries([...r.headers.entries()].filter(([k]) => !skip.has(k))));
          res.end(out);
        })
        .catch((e: Error) => res.writeHead(502).end(e.message));
    });
  });
  const endpoint = await listen(server, sockets);
  return { endpoint, hits: () => hits, operations, close: closer(server, sockets) };
}

/** Answers an HTML error page, as a proxy, a load balancer or an emulator lacking the API does. */
export function htmlPage(status: number): (res: ServerResponse) => true {
  return (res) => {
    res.writeHead(status, { 'content-type': 'text/html' }).end(`<!doctype html><html><title>${status}</title><h1>Error ${status}</h1></html>`);
    return true;
  };
}

/** A query-protocol (XML) AWS error, such as ElastiCache answers: `<ErrorResponse><Error><Code>...`. */
export function queryError(status: number, code: string, message: string): (res: ServerResponse) => true {
  return (res) => {
    res
      .writeHead(status, { 'content-type': 'text/xml' })
      .end(
        `<ErrorResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault-1</RequestId></ErrorResponse>`,
      );
    return true;
  };
}

/** A JSON-protocol AWS error, such as Kinesis answers: `{"__type": "..."}`. */
export function jsonError(status: number, type: string, message: string): (res: ServerResponse) => true {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: type, message }));
    return true;
  };
}

/** A loopback port nothing listens on (taken, then released): connections are refused. */
export async function closedPort(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('No port assigned.');
  return `http://127.0.0.1:${address.port}`;
}
