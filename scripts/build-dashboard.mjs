// Builds the dashboard (src/dashboard: Preact + uPlot) with Vite into dist/dashboard, which the
// gateway serves at /dashboard. `dashboardIsStale()` lets bin/unbundle.js and the tests rebuild
// only when a source file is newer than the last build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dashboardSources = path.join(root, 'src', 'dashboard');
export const dashboardOut = path.join(root, 'dist', 'dashboard');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

export function dashboardIsStale() {
  if (!existsSync(dashboardSources)) return false;
  const index = path.join(dashboardOut, 'index.html');
  return !existsSync(index) || statSync(index).mtimeMs < Math.max(newest(dashboardSources), statSync(fileURLToPath(import.meta.url)).mtimeMs);
}

export async function buildDashboard() {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: dashboardSources,
    base: '/dashboard/',
    logLevel: 'warn',
    publicDir: false,
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: dashboardOut,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 300,
    },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildDashboard();
