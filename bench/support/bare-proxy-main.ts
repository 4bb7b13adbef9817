/**
 * The reference point for proxy overhead: the least a Node proxy can do — node:http in, one
 * undici Pool out, bytes passed through untouched, no parsing, no logging. unbundle's overhead is
 * judged against this and against hitting the upstream directly, in the same run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: bare-proxy-main.ts http://127.0.0.1:PORT');
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    pool
      .request({ method: 'POST', path: req.url ?? '/', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
      .then(async (response) => {
        res.writeHead(response.statusCode, { 'content-type': String(response.headers['content-type'] ?? 'application/json') });
        for await (const chunk of response.body) res.write(chunk);
        res.end();
      })
      .catch(() => {
        res.statusCode = 502;
        res.end();
      });
  });
});
server.listen(0, '127.0.0.1', () => console.log(`bare proxy listening on ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
