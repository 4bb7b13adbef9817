import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { UnbundleError } from '../errors.ts';
import type { RequestContext } from './request-context.ts';

/**
 * Serves the built dashboard (dist/dashboard, made by scripts/build-dashboard.mjs) at /dashboard:
 * files are read once and kept in memory with a gzip copy; content-hashed files under assets/ are
 * cached for a year, index.html is revalidated every time so a rebuild shows at once.
 */

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const securityHeaders: Record<string, string> = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  etag: string;
  mtimeMs: number;
}

/** The package root: the folder above src/ (run from TypeScript) or dist/ (run from the bundle). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export const defaultAssetsDir = (): string => path.join(packageRoot(), 'dist', 'dashboard');

const caches = new Map<string, Map<string, Asset>>();

function load(file: string, cache: Map<string, Asset>): Asset | undefined {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  const cached = cache.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs) return cached;
  const body = readFileSync(file);
  const type = contentTypes[path.extname(file)] ?? 'application/octet-stream';
  const compressible = type.startsWith('text/') || type.includes('json') || type.includes('svg');
  const asset: Asset = { body, gzip: compressible && body.length > 1024 ? gzipSync(body) : undefined, type, etag: `"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`, mtimeMs: stat.mtimeMs };
  cache.set(file, asset);
  return asset;
}

export function serveDashboardAsset(ctx: RequestContext, urlPath: string, assetsDir = defaultAssetsDir()): void {
  const { req, res } = ctx;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    throw new UnbundleError('UNBUNDLE_E_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${urlPath}; the dashboard is read with GET.`);
  }
  let cache = caches.get(assetsDir);
  if (!cache) caches.set(assetsDir, (cache = new Map()));
  const index = path.join(assetsDir, 'index.html');
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath.slice('/dashboard'.length).replace(/^\/+/, ''));
  } catch {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `${urlPath} is not a valid path.`);
  }
  const file = path.resolve(assetsDir, relative);
  if (file !== assetsDir && !file.startsWith(assetsDir + path.sep)) throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No dashboard file ${urlPath}.`);
  const isAsset = relative.startsWith('assets/');
  let asset = relative === '' ? undefined : load(file, cache);
  if (!asset) {
    if (isAsset) throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No dashboard file ${urlPath}; reload the page (the dashboard may have been rebuilt).`);
    asset = load(index, cache);
  }
  if (!asset) {
    throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `The dashboard is not built (no ${index}). Run "npm run build" (or start with "npm start", which builds it).`);
  }
  for (const name in securityHeaders) res.setHeader(name, securityHeaders[name]!);
  res.setHeader('content-type', asset.type);
  res.setHeader('cache-control', isAsset ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('etag', asset.etag);
  res.setHeader('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === asset.etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) res.setHeader('content-encoding', 'gzip');
  res.statusCode = 200;
  res.setHeader('content-length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}
