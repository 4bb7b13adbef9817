import type { Command } from './command.ts';

/**
 * Every CLI command, loaded lazily so that `unbundle scan` never pays for node-llama-cpp.
 * One file per command; add a line here to register a new one.
 */
export const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.ts')).serveCommand,
  models: async () => (await import('./models-command.ts')).modelsCommand,
};
