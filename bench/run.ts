/**
 * `npm run bench [-- name...]`: runs every bench/*.bench.ts (or those whose file name contains one
 * of the given words) one after another. Each bench exports `run()` and prints ratios measured
 * side by side in the same run — never a lone absolute time, since this machine is shared.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)))
  .sort();

if (files.length === 0) {
  console.error(`no bench matches ${filters.join(', ')}; available: ${readdirSync(here).filter((f) => f.endsWith('.bench.ts')).join(', ')}`);
  process.exit(2);
}
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const bench = (await import(path.join(here, file))) as { run: () => Promise<void> };
  await bench.run();
}
process.exit(0);
