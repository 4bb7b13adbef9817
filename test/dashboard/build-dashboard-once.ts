import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths.ts';

/** Builds dist/dashboard when src/dashboard changed since the last build, so no test reads a stale UI. */
export async function buildDashboardIfStale(): Promise<string> {
  const { dashboardIsStale, buildDashboard, dashboardOut } = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'build-dashboard.mjs')).href)) as {
    dashboardIsStale(): boolean;
    buildDashboard(): Promise<void>;
    dashboardOut: string;
  };
  if (dashboardIsStale()) await buildDashboard();
  return dashboardOut;
}
