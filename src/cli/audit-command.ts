import { UnbundleError } from '../errors.ts';
import { renderTable } from '../ledger/cost-format.ts';
import { parseTimeBound } from '../ledger/cost-report.ts';
import { readAuditLog } from '../ledger/read-audit-log.ts';
import type { AuditFilter, AuditRecord } from '../policy/audit-sink.ts';
import { dataClasses, isDataClass } from '../policy/data-class.ts';
import type { PolicyDecision } from '../policy/request-policy.ts';
import { exitCodes, parseCommandArgs, type Command, type CommandIO } from './command.ts';

const name = 'audit';
const decisions: readonly PolicyDecision[] = ['allowed', 'routed', 'redacted', 'blocked'];

export const auditCommand: Command = {
  name,
  summary: 'List the data-policy audit log: data class, detectors, zones and decision per request',
  usage: `Usage: unbundle audit [--since 24h] [--until WHEN] [--class CLASS] [--tenant T] [--decision D]
                      [--json] [--config FILE] [--file FILE]

Reads the audit log the server appends when a policy is configured, from the same place: the
JSONL file policy.audit.file when set; else the ledger store (ledger.sqlite in UNBUNDLE_DATA_DIR,
default ./.unbundle, or Postgres when UNBUNDLE_DATABASE_URL is set); with ledger.enabled: false,
audit.jsonl in the data dir. Records hold labels and counts, never values.

Options:
  --since WHEN    start: 30m, 24h, 7d, 2w before now, or a UTC date such as 2025-08-01 (default 24h)
  --until WHEN    end, same forms (default now)
  --class CLASS   only requests of this data class: ${dataClasses.join(', ')}
  --tenant T      only requests of this tenant
  --decision D    only ${decisions.join(', ')}
  --json          one JSON record per line
  --config FILE   portfolio.yaml, for policy.audit.file and the ledger section (env: UNBUNDLE_CONFIG)
  --file FILE     the audit JSONL file itself
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      since: { type: 'string', default: '24h' },
      until: { type: 'string' },
      class: { type: 'string' },
      tenant: { type: 'string' },
      decision: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
      file: { type: 'string' },
    });
    const now = Date.now();
    const filter: AuditFilter = { since: timeFlag('since', values.since, now), until: values.until === undefined ? now + 1 : timeFlag('until', values.until, now) };
    if (values.class !== undefined) {
      if (!isDataClass(values.class)) throw usage(`--class must be one of ${dataClasses.join(', ')}, got "${values.class}"`);
      filter.dataClass = values.class;
    }
    if (values.decision !== undefined) {
      if (!(decisions as readonly string[]).includes(values.decision)) throw usage(`--decision must be one of ${decisions.join(', ')}, got "${values.decision}"`);
      filter.decision = values.decision as PolicyDecision;
    }
    if (values.tenant !== undefined) filter.tenant = values.tenant;
    const read = await readAuditLog({ ...(values.file !== undefined ? { file: values.file } : {}), ...(values.config !== undefined ? { config: values.config } : {}), env: io.env, cwd: io.cwd, filter });
    if ('missing' in read) {
      io.stderr.write(`unbundle audit: no audit log at ${read.missing} — the server writes it once a policy is configured and requests arrive; point --file, --config, UNBUNDLE_DATA_DIR or UNBUNDLE_DATABASE_URL at the one the server uses.\n`);
      return exitCodes.unavailable;
    }
    const { records } = read;
    if (values.json) io.stdout.write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    else io.stdout.write(render(records, filter));
    return exitCodes.ok;
  },
};

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}.`);
}

function timeFlag(flag: string, value: string, now: number): number {
  const time = parseTimeBound(value, now);
  if (time === undefined) throw usage(`--${flag} must look like 30m, 24h, 7d, 2w or a date such as 2025-08-01, got "${value}"`);
  return time;
}

function render(records: AuditRecord[], filter: AuditFilter): string {
  const period = `${new Date(filter.since!).toISOString()} to ${new Date(Math.min(filter.until!, Date.now())).toISOString()}`;
  if (records.length === 0) return `Audit log, ${period}: no matching requests.\n`;
  const rows = records.map((r) => [
    r.time,
    r.requestId,
    r.tenant ?? '-',
    r.dataClass,
    r.decision,
    r.zones.join(',') || '-',
    Object.entries(r.detectors).map(([label, count]) => `${label}×${count}`).join(' ') || '-',
    r.code ?? '',
  ]);
  const byDecision = decisions.map((d) => [d, records.filter((r) => r.decision === d).length] as const).filter(([, n]) => n > 0).map(([d, n]) => `${d} ${n}`);
  return `Audit log, ${period}\n${renderTable(['time', 'request', 'tenant', 'class', 'decision', 'zones', 'detectors', 'error'], rows)}${records.length} request(s): ${byDecision.join(', ')}\n`;
}
