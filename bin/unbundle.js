#!/usr/bin/env node
// Runs the bundled JavaScript in dist/ (built by scripts/build.mjs on `npm install` and `npm start`;
// `serve` also builds the dashboard into dist/dashboard when stale, see scripts/build-dashboard.mjs).
// In a checkout whose sources changed since the last build, it rebuilds first (esbuild, < 1 s), so
// the CLI never runs stale code; without esbuild it falls back to running the TypeScript via tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'main.js');
const sources = path.join(root, 'src');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

async function loadMain() {
  const stale = existsSync(sources) && (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource(sources));
  if (stale) {
    try {
      const { buildBundle } = await import(pathToFileURL(path.join(root, 'scripts', 'build.mjs')).href);
      await buildBundle();
    } catch {
      const { register } = await import('tsx/esm/api');
      register();
      return import(pathToFileURL(path.join(sources, 'cli', 'main.ts')).href);
    }
  }
  return import(pathToFileURL(bundle).href);
}

// `serve` also serves the dashboard: build it (Vite, a few seconds) when its sources changed.
async function ensureDashboard() {
  try {
    const { dashboardIsStale, buildDashboard } = await import(pathToFileURL(path.join(root, 'scripts', 'build-dashboard.mjs')).href);
    if (dashboardIsStale()) await buildDashboard();
  } catch (error) {
    process.stderr.write(`unbundle: could not build the dashboard (${error.message}); /dashboard will say so. Run "npm run build".\n`);
  }
}

if (process.argv[2] === 'serve') await ensureDashboard();
const { main } = await loadMain();
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
// Long-running commands (serve) resolve only when they are done; then exit with their code.
process.exitCode = code;
