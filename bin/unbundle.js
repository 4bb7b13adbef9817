#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so `npm start` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
// Long-running commands (serve) resolve only when they are done; then exit with their code.
process.exitCode = code;
