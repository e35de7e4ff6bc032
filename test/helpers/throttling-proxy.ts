import { type Server, createServer } from 'node:http';

/**
 * A loopback proxy in front of moto that answers the first `times` requests for `operation` with HTTP 400
 * ThrottlingException, as AWS does under load, then forwards everything. Proves SDK retries for real.
 */
export async function startThrottlingProxy(target: string, operation: string, times: number) {
  let throttled = 0;
  let seen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target_ = String(req.headers['x-amz-target'] ?? '');
      if (target_.endsWith(`.${operation}`)) {
        seen++;
        if (throttled < times) {
          throttled++;
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `throttle-${throttled}` });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
      fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body: body.length ? body : undefined })
        .then(async (r) => {
          const out = Buffer.from(await r.arrayBuffer());
          res.writeHead(r.status, Object.fromEntries([...r.headers.entries()].filter(([k]) => k !== 'content-encoding' && k !== 'content-length' && k !== 'transfer-encoding')));
          res.end(out);
        })
        .catch((e: Error) => {
          res.writeHead(502);
          res.end(e.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stats: () => ({ throttled, seen }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
