import type { Command } from './command.ts';

/**
 * Every CLI command, loaded lazily so that `unbundle scan` never pays for node-llama-cpp.
 * One file per command; add a line here to register a new one.
 */
export const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.ts')).serveCommand,
  models: async () => (await import('./models-command.ts')).modelsCommand,
  scan: async () => (await import('./scan-command.ts')).scanCommand,
  'keys create': async () => (await import('./keys-create-command.ts')).keysCreateCommand,
  'keys list': async () => (await import('./keys-list-command.ts')).keysListCommand,
  'keys revoke': async () => (await import('./keys-revoke-command.ts')).keysRevokeCommand,
  audit: async () => (await import('./audit-command.ts')).auditCommand,
  'cost report': async () => (await import('./cost-report-command.ts')).costReportCommand,
  'cost breakeven': async () => (await import('./cost-breakeven-command.ts')).costBreakevenCommand,
  'eval run': async () => (await import('./eval-run-command.ts')).evalRunCommand,
  'eval publish': async () => (await import('./eval-publish-command.ts')).evalPublishCommand,
  'eval list': async () => (await import('./eval-list-command.ts')).evalListCommand,
  'route train': async () => (await import('./route-train-command.ts')).routeTrainCommand,
  'route test': async () => (await import('./route-test-command.ts')).routeTestCommand,
  'route explain': async () => (await import('./route-explain-command.ts')).routeExplainCommand,
  'route train-threshold': async () => (await import('./route-train-threshold-command.ts')).routeTrainThresholdCommand,
  'tune train': async () => (await import('./tune-train-command.ts')).tuneTrainCommand,
  'tune import': async () => (await import('./tune-import-command.ts')).tuneImportCommand,
  'tune data': async () => (await import('./tune-data-command.ts')).tuneDataCommand,
  'tune export': async () => (await import('./tune-export-command.ts')).tuneExportCommand,
  'tune list': async () => (await import('./tune-list-command.ts')).tuneListCommand,
  'tune register': async () => (await import('./tune-register-command.ts')).tuneRegisterCommand,
  'tune promote': async () => (await import('./tune-promote-command.ts')).tunePromoteCommand,
  'tune rollback': async () => (await import('./tune-promote-command.ts')).tuneRollbackCommand,
};
