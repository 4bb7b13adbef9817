import { adapterAdminRoutes } from './adapter-admin-routes.ts';
import type { AdminRoute } from './admin-route.ts';
import { configAdminRoutes } from './config-admin-routes.ts';
import { costRoutes } from './cost-routes.ts';
import { dashboardAdminRoutes } from './dashboard-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { keyAdminRoutes } from './key-admin-routes.ts';
import { tenantAdminRoutes } from './tenant-admin-routes.ts';

/**
 * Every admin endpoint, all behind the admin key (src/server/admin/handle-admin.ts checks it
 * before any handler runs). Another area adds its endpoints with one line here, e.g.
 * `...costAdminRoutes,` from a file of its own exporting `AdminRoute[]`.
 */
export const adminRoutes: AdminRoute[] = [
  ...keyAdminRoutes,
  ...tenantAdminRoutes,
  ...configAdminRoutes,
  ...costRoutes,
  ...adapterAdminRoutes,
  ...dashboardAdminRoutes,
  ...auditRoutes,
];
