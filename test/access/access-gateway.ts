import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Backend } from '../../src/backends/backend.ts';
import { createLogger } from '../../src/logger.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import type { ModelConfig, PortfolioInput } from '../../src/portfolio/schema.ts';
import { Gateway } from '../../src/server/gateway.ts';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';

export const adminKey = 'admin-secret-for-tests-0123456789';

export interface AccessGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  logs: Array<Record<string, unknown>>;
  backends: Map<string, ScriptedBackend>;
  /** Creates a key in this gateway's store (as `keys create` would). */
  createKey(tenant: string, options?: { name?: string; expiresAt?: number }): { id: string; key: string };
  close(): Promise<void>;
}

export interface AccessGatewayOptions {
  auth?: PortfolioInput['auth'];
  tenants?: PortfolioInput['tenants'];
  server?: PortfolioInput['server'];
  /** Scripted models by id (zone external); default alpha, beta, local-small. */
  modelIds?: string[];
  entries?: Array<{ config: ModelConfig; backend: Backend }>;
  /** Real models in the config, backends created from it (e.g. an openai-compatible fake upstream). */
  models?: PortfolioInput['models'];
  /** Extra env; UNBUNDLE_ADMIN_KEY is set to `adminKey` unless `admin: false`. */
  env?: NodeJS.ProcessEnv;
  admin?: boolean;
  dataDir?: string;
  host?: string;
}

/** A gateway with access control over scripted backends, its own data folder and env. */
export async function startAccessGateway(options: AccessGatewayOptions = {}): Promise<AccessGateway> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'unbundle-access-'));
  const env: NodeJS.ProcessEnv = { UNBUNDLE_DATA_DIR: dataDir, ...(options.admin === false ? {} : { UNBUNDLE_ADMIN_KEY: adminKey }), ...options.env };
  const backends = new Map<string, ScriptedBackend>();
  const entries = options.models !== undefined ? [] : options.entries ?? (options.modelIds ?? ['alpha', 'beta', 'local-small']).map((id) => {
    const backend = new ScriptedBackend(id, { text: `${id} answers.` });
    backends.set(id, backend);
    return { config: scriptedConfig(id), backend };
  });
  const portfolio = portfolioFromObject({ server: { port: 0, ...options.server }, auth: options.auth, tenants: options.tenants, models: options.models });
  const models = options.models !== undefined ? await ModelRegistry.create(portfolio, env) : ModelRegistry.fromBackends(entries);
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const gateway = new Gateway({ portfolio, models, logger: createLogger('info', stream), env, cwd: dataDir });
  let url: string;
  try {
    ({ url } = await gateway.listen(0, options.host ?? '127.0.0.1'));
  } catch (error) {
    await gateway.access.close();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    gateway,
    url,
    dataDir,
    env,
    logs,
    backends,
    createKey(tenant, keyOptions = {}) {
      const { key, info } = gateway.access.keyStore.create({ tenant, ...keyOptions });
      return { id: info.id, key };
    },
    async close() {
      await gateway.shutdown(500);
      await models.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs a chat completion with the given headers; returns status, headers and parsed body. */
export async function chat(url: string, headers: Record<string, string>, body: Record<string, unknown> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }], ...body }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}
