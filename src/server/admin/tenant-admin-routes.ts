import type { AdminRoute } from './admin-route.ts';

/** Tenants as configured, with the portfolio models each may use (resolved from the globs). */
export const tenantAdminRoutes: AdminRoute[] = [
  {
    method: 'GET',
    path: '/admin/tenants',
    summary: 'configured tenants: allowed models (resolved), zones, limits',
    handle(request) {
      const data = request.gateway.access.tenants.list().map((tenant) => ({ ...tenant.config, allowedModels: [...tenant.allowed] }));
      return { body: { object: 'list', data } };
    },
  },
];
