import { UnbundleError } from '../errors.ts';
import { CostBook } from '../ledger/cost-book.ts';
import { breakeven, type TrafficShape } from '../ledger/cost-breakeven.ts';
import { formatCount, formatMoney } from '../ledger/cost-format.ts';
import { parseTimeBound } from '../ledger/cost-report.ts';
import { loadLedgerSettings } from '../ledger/load-ledger-settings.ts';
import { measuredTraffic } from '../ledger/measured-traffic.ts';
import { openLedgerStore, resolveLedgerLocation } from '../ledger/open-ledger-store.ts';
import { parseCommandArgs, type Command } from './command.ts';

const name = 'cost breakeven';

export const costBreakevenCommand: Command = {
  name,
  summary: 'At what monthly volume a self-hosted model is cheaper than an API model',
  usage: `Usage: unbundle cost breakeven --model ID --vs MODEL [--config FILE] [--since 30d]
                               [--seconds-per-request S] [--input-tokens N] [--output-tokens N] [--json]

Compares the self-hosted model ID (its selfHosted costs in the config) with the API model MODEL,
using the compute time and token mix per request measured in the ledger over --since.

Options:
  --model ID                 a model of the config with selfHosted costs
  --vs MODEL                 an API model: price-table name (gpt-4o-mini, ...) or a config model id
  --config FILE              portfolio.yaml (env: UNBUNDLE_CONFIG)
  --since WHEN               measurement window (default 30d)
  --seconds-per-request S    use this compute time instead of the measured one
  --input-tokens N           use this many input tokens per request instead of the measured mix
  --output-tokens N          use this many output tokens per request instead of the measured mix
  --json                     the result as JSON
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(name, argv, {
      model: { type: 'string' },
      vs: { type: 'string' },
      config: { type: 'string' },
      since: { type: 'string', default: '30d' },
      'seconds-per-request': { type: 'string' },
      'input-tokens': { type: 'string' },
      'output-tokens': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.model === undefined || values.vs === undefined) throw usage('--model and --vs are both required');
    const since = parseTimeBound(values.since, Date.now());
    if (since === undefined) throw usage(`--since must look like 7d, 24h or a date such as 2025-08-01, got "${values.since}"`);

    const settings = loadLedgerSettings(values.config, io.env, io.cwd);
    const book = new CostBook(settings.models, settings.ledger);
    const selfHosted = book.modelCost(values.model);
    if (selfHosted.kind !== 'self-hosted') {
      throw usage(`--model "${values.model}" has no selfHosted costs in ${settings.source} — add a selfHosted section to that model (docs/costs.md)`);
    }
    const api = book.reference(values.vs);
    if (!api) throw usage(`--vs "${values.vs}" is neither in the price table nor an API-priced model of the config`);

    const manual = {
      seconds: numberFlag('seconds-per-request', values['seconds-per-request']),
      input: numberFlag('input-tokens', values['input-tokens']),
      output: numberFlag('output-tokens', values['output-tokens']),
    };
    let traffic: TrafficShape;
    let measuredNote: string;
    if (manual.seconds !== undefined && manual.input !== undefined && manual.output !== undefined) {
      traffic = { computeSecondsPerRequest: manual.seconds, inputTokensPerRequest: manual.input, outputTokensPerRequest: manual.output };
      measuredNote = 'given on the command line';
    } else {
      const store = await openLedgerStore(resolveLedgerLocation(settings.ledger, io.env, io.cwd), { mustExist: true });
      let measured;
      try {
        measured = await measuredTraffic(store, values.model, since);
      } finally {
        await store.close();
      }
      if (!measured) {
        throw usage(
          `the ledger has no measured successful requests on "${values.model}" since ${new Date(since).toISOString()} — serve some traffic first, or pass --seconds-per-request, --input-tokens and --output-tokens`,
        );
      }
      traffic = {
        computeSecondsPerRequest: manual.seconds ?? measured.traffic.computeSecondsPerRequest,
        inputTokensPerRequest: manual.input ?? measured.traffic.inputTokensPerRequest,
        cachedInputTokensPerRequest: manual.input === undefined ? (measured.traffic.cachedInputTokensPerRequest ?? 0) : 0,
        outputTokensPerRequest: manual.output ?? measured.traffic.outputTokensPerRequest,
      };
      measuredNote = `measured over ${formatCount(measured.requests)} successful request(s) since ${new Date(since).toISOString()}`;
    }
    let result;
    try {
      result = breakeven(selfHosted, api, traffic);
    } catch (error) {
      throw usage((error as Error).message);
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ model: values.model, vs: values.vs, traffic, ...result }, null, 2)}\n`);
      return 0;
    }
    const money = (value: number) => formatMoney(value, result.currency);
    const lines = [
      `Break-even: ${values.model} (self-hosted) vs ${values.vs} (API)`,
      `Per request (${measuredNote}): ${traffic.computeSecondsPerRequest.toPrecision(3)} s compute, ${formatCount(traffic.inputTokensPerRequest)} input + ${formatCount(traffic.outputTokensPerRequest)} output tokens`,
      `  API cost per request:                 ${money(result.apiCostPerRequest)}`,
      `  Self-hosted base per month:           ${money(result.selfHostedMonthlyBase)} (fixed share + idle power)`,
      `  Self-hosted extra power per request:  ${money(result.selfHostedMarginalPerRequest)}`,
      `  Self-hosted per request, fully busy:  ${money(result.selfHostedCostPerRequestAtFullLoad)}`,
      `  Capacity at the measured speed:       ${formatCount(result.capacityRequestsPerMonth)} requests/month`,
    ];
    if (result.breakevenRequestsPerMonth !== undefined) {
      lines.push(
        `  Break-even volume:                    ${formatCount(Math.ceil(result.breakevenRequestsPerMonth))} requests/month (${formatCount(result.breakevenTokensPerMonth ?? 0)} tokens/month)`,
      );
    }
    lines.push(`Verdict: ${result.verdict}`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

function usage(message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${name}: ${message}.`);
}

function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (flag === 'seconds-per-request' && n === 0)) {
    throw usage(`--${flag} must be a ${flag === 'seconds-per-request' ? 'positive' : 'non-negative'} number, got "${value}"`);
  }
  return n;
}
