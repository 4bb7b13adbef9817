import type { Portfolio } from '../../portfolio/schema.ts';
import type { AdminRoute } from './admin-route.ts';

/**
 * The effective config (defaults filled in). Secrets are never in it — the config names
 * environment variables, not their values — and upstream `headers` values are hidden as well,
 * since a header is where a key ends up when someone ignores the docs.
 */
export function publicConfig(portfolio: Portfolio): unknown {
  return {
    ...portfolio,
    models: portfolio.models.map((model) => {
      if (model.backend !== 'openai-compatible') return model;
      const headers: Record<string, string> = {};
      for (const name of Object.keys(model.headers)) headers[name] = '[redacted]';
      return { ...model, headers };
    }),
  };
}

export const configAdminRoutes: AdminRoute[] = [
  {
    method: 'GET',
    path: '/admin/config',
    summary: 'the effective config, defaults filled in, without secrets',
    handle(request) {
      return { body: publicConfig(request.gateway.options.portfolio) };
    },
  },
];
