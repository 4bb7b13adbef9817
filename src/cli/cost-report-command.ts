import { UnbundleError } from '../errors.ts';
import { CostBook } from '../ledger/cost-book.ts';
import { formatCount, formatMoney, renderTable, toCsv } from '../ledger/cost-format.ts';
import { buildCostReport, parseTimeBound, type CostReport, type ReferenceModel } from '../ledger/cost-report.ts';
import { groupByKeys, type GroupBy } from '../ledger/ledger-store.ts';
import { loadLedgerSettings } from '../ledger/load-ledger-settings.ts';
import { openLedgerStore, resolveLedgerLocation } from '../ledger/open-ledger-store.ts';
import { parseCommandArgs, type Command } from './command.ts';

const name = 'cost report';

export const costReportCommand: Command = {
  name,
  summary: 'Spend from the ledger by model, domain, tenant or day, with savings vs an API model',
  usage: `Usage: unbundle cost report [--since 7d] [--until WHEN] [--by model|requested|domain|tenant|key|status|day]
                            [--vs MODEL] [--tenant T] [--model M] [--json | --csv] [--config FILE]

Reads the ledger the server writes: SQLite in UNBUNDLE_DATA_DIR (default ./.unbundle), or Postgres
when UNBUNDLE_DATABASE_URL is set.

Options:
  --since WHEN    start: 30m, 24h, 7d, 2w before now, or a UTC date such as 2025-08-01 (default 7d)
  --until WHEN    end, same forms (default now)
  --by KEY        group by model (default), requested, domain, tenant, key, status or day (UTC)
  --vs MODEL      counterfactual: what the same tokens would have cost on this API model — a
                  price-table name (gpt-4o, claude-sonnet-4, ...) or a model id from the config
  --tenant T      only requests of this tenant
  --model M       only requests answered by this model
  --json          an array of rows (group key, requests, inputTokens, outputTokens, cost, ...)
  --csv           the same rows as CSV with a header row
  --config FILE   portfolio.yaml for ledger settings, prices and currency (env: UNBUNDLE_CONFIG)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      since: { type: 'string', default: '7d' },
      until: { type: 'string' },
      by: { type: 'string', default: 'model' },
      vs: { type: 'string' },
      tenant: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      config: { type: 'string' },
    });
    if (values.json && values.csv) throw usage('choose one of --json and --csv');
    const by = values.by as GroupBy;
    if (!groupByKeys.includes(by)) throw usage(`--by must be one of ${groupByKeys.join(', ')}, got "${values.by}"`);
    const now = Date.now();
    const since = timeFlag('since', values.since, now);
    const until = values.until === undefined ? now : timeFlag('until', values.until, now);
    if (since >= until) throw usage(`--since (${new Date(since).toISOString()}) must be before --until (${new Date(until).toISOString()})`);

    const settings = loadLedgerSettings(values.config, io.env, io.cwd);
    let reference: ReferenceModel | undefined;
    if (values.vs !== undefined) {
      const cost = new CostBook(settings.models, settings.ledger).reference(values.vs);
      if (!cost) {
        throw usage(`--vs "${values.vs}" is neither in the price table nor an API-priced model of the config — try gpt-4o, claude-sonnet-4 or gemini-2.5-flash, or add it under ledger.prices`);
      }
      reference = { ...cost, name: values.vs };
    }
    const store = await openLedgerStore(resolveLedgerLocation(settings.ledger, io.env, io.cwd), { mustExist: true });
    let report: CostReport;
    try {
      const filter = { ...(values.tenant ? { tenant: values.tenant } : {}), ...(values.model ? { model: values.model } : {}) };
      report = await buildCostReport(store, { by, since, until, filter, ...(reference ? { reference } : {}) });
    } finally {
      await store.close();
    }
    if (values.json) io.stdout.write(`${JSON.stringify(report.rows, null, 2)}\n`);
    else if (values.csv) io.stdout.write(toCsv(report.rows, csvColumns(by, reference !== undefined)));
    else io.stdout.write(renderReport(report));
    return 0;
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

function csvColumns(by: GroupBy, withReference: boolean): string[] {
  const columns = [by, 'requests', 'errors', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'unknownUsageRequests', 'cost', 'unknownCostRequests', 'currency', 'computeSeconds', 'avgLatencyMs'];
  if (withReference) columns.push('referenceModel', 'comparableRequests', 'actualCost', 'referenceCost', 'savings', 'savingsPercent');
  return columns;
}

function renderReport(report: CostReport): string {
  const lines = [`Cost by ${report.by}, ${report.since} to ${report.until}\n`];
  if (report.rows.length === 0) return `${lines[0]}No requests in this period.\n`;
  const header = [report.by, 'requests', 'errors', 'input tokens', 'output tokens', 'cost', 'unknown cost'];
  if (report.reference) header.push(`on ${report.reference.name}`, 'savings');
  const render = (row: CostReport['rows'][number], label: string) => {
    const cells = [
      label,
      formatCount(row.requests),
      formatCount(row.errors),
      formatCount(row.inputTokens),
      formatCount(row.outputTokens),
      formatMoney(row.cost, row.currency),
      row.unknownCostRequests > 0 ? `${formatCount(row.unknownCostRequests)} req` : '-',
    ];
    if (report.reference) {
      const percent = row.savingsPercent === null || row.savingsPercent === undefined ? '' : ` (${row.savingsPercent.toFixed(0)}%)`;
      cells.push(formatMoney(row.referenceCost, row.currency), `${formatMoney(row.savings, row.currency)}${row.savings === null ? '' : percent}`);
    }
    return cells;
  };
  const body = report.rows.map((row) => render(row, String(row[report.by] ?? '(none)')));
  body.push(...report.totals.map((row) => render(row, 'total')));
  lines.push(renderTable(header, body));
  const unknownUsage = report.totals.reduce((sum, row) => sum + row.unknownUsageRequests, 0);
  if (unknownUsage > 0) lines.push(`${formatCount(unknownUsage)} request(s) had unknown token counts: they are in "requests" but not in the token sums.\n`);
  if (report.reference) {
    lines.push(
      `"on ${report.reference.name}": the same tokens priced at ${report.reference.source}; only requests with known tokens and cost are compared.\n`,
    );
    if (report.rows.some((row) => row.referenceCost === null)) {
      lines.push(`Rows in another currency than ${report.reference.currency} have no counterfactual: set ledger.exchangeRates and pass --config.\n`);
    }
  }
  return lines.join('');
}
