import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PostgresLedgerStore } from '../../src/ledger/postgres-store.ts';
import { SqliteLedgerStore } from '../../src/ledger/sqlite-store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { dropSchema, makeRow, tempDir, testDatabaseUrl, uniqueSchema } from './ledger-fixtures.ts';

const at = (day: number, hour = 12) => Date.UTC(2025, 7, day, hour);
const window = ['--since', '2025-08-01', '--until', '2025-09-01'];

const seed = [
  makeRow({ id: 'r1', time: at(14), model: 'gpt-4o-mini', tenant: 'acme', domain: 'support', inputTokens: 1000, outputTokens: 500, cost: 0.00045 }),
  makeRow({ id: 'r2', time: at(15), model: 'local', tenant: 'acme', domain: 'legal', inputTokens: 2000, cachedInputTokens: 0, outputTokens: 1000, cost: 0.002, computeMs: 4000, costBasis: 'self-hosted' }),
  makeRow({ id: 'r3', time: at(15, 13), model: 'local', tenant: 'beta', domain: 'legal', inputTokens: 1000, outputTokens: 500, cost: 0.001, computeMs: 2000, costBasis: 'self-hosted' }),
  makeRow({ id: 'r4', time: at(16), model: 'local', tenant: 'beta', inputTokens: undefined, outputTokens: undefined, cost: undefined, status: 'error', costBasis: 'unknown' }),
];

describe('unbundle cost report / breakeven (SQLite)', () => {
  const temp = tempDir();
  const env = { ...process.env, UNBUNDLE_DATA_DIR: temp.dir, UNBUNDLE_DATABASE_URL: '', UNBUNDLE_CONFIG: '' };
  const config = path.join(temp.dir, 'portfolio.yaml');

  before(async () => {
    const store = new SqliteLedgerStore({ path: path.join(temp.dir, 'ledger.sqlite') });
    await store.migrate();
    await store.insertBatch(seed);
    await store.close();
    writeFileSync(
      config,
      [
        'models:',
        '  - id: local',
        '    backend: llamacpp',
        '    path: /nowhere/model.gguf # the cost commands do not need the weights',
        '    selfHosted: { hardwarePrice: 8760, amortisationMonths: 12, machineShare: 0.5, hostingPerMonth: 730, powerWattsLoad: 1000, powerWattsIdle: 200, electricityPerKWh: 0.5 }',
        '  - id: mini',
        '    backend: openai-compatible',
        '    baseURL: https://api.openai.com/v1',
        '    pricing: gpt-4o-mini',
      ].join('\n'),
    );
  });
  after(() => temp.remove());

  it('--json: an array of rows with the group key, requests, tokens and cost', async () => {
    const result = await runCli(['cost', 'report', ...window, '--by', 'model', '--json'], { env });
    assert.equal(result.code, 0, result.stderr);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      rows.map((row) => [row.model, row.requests, row.inputTokens, row.outputTokens, row.unknownCostRequests]),
      [
        ['gpt-4o-mini', 1, 1000, 500, 0],
        ['local', 3, 3000, 1500, 1],
      ],
    );
    assert.ok(Math.abs((rows[1]!.cost as number) - 0.003) < 1e-12);
    assert.equal(rows[1]!.currency, 'USD');
    assert.ok(Math.abs((rows[1]!.computeSeconds as number) - 6) < 1e-9);
  });

  it('groups by tenant, domain and day, and filters', async () => {
    const tenants = JSON.parse((await runCli(['cost', 'report', ...window, '--by', 'tenant', '--json'], { env })).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(tenants.map((row) => [row.tenant, row.requests]), [['acme', 2], ['beta', 2]]);
    const domains = JSON.parse((await runCli(['cost', 'report', ...window, '--by', 'domain', '--json'], { env })).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(domains.map((row) => [row.domain, row.requests]), [['legal', 2], ['support', 1], [null, 1]]);
    const days = JSON.parse((await runCli(['cost', 'report', ...window, '--by', 'day', '--tenant', 'beta', '--json'], { env })).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(days.map((row) => [row.day, row.requests]), [['2025-08-15', 1], ['2025-08-16', 1]]);
  });

  it('--vs adds the counterfactual; the table shows units and totals', async () => {
    const json = await runCli(['cost', 'report', ...window, '--vs', 'gpt-4o', '--json'], { env });
    const local = (JSON.parse(json.stdout) as Array<Record<string, number | string>>).find((row) => row.model === 'local')!;
    // Comparable: r2 + r3 = 3000 input, 1500 output → 3000 × 2.5 + 1500 × 10 = 22,500 per million.
    assert.ok(Math.abs((local.referenceCost as number) - 0.0225) < 1e-12);
    assert.ok(Math.abs((local.savings as number) - (0.0225 - 0.003)) < 1e-12);
    assert.equal(local.comparableRequests, 2);

    const text = await runCli(['cost', 'report', ...window, '--vs', 'gpt-4o'], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Cost by model, 2025-08-01T00:00:00\.000Z to 2025-09-01T00:00:00\.000Z/);
    assert.match(text.stdout, /local\s+3\s+1\s+3,000\s+1,500\s+0\.003 USD\s+1 req\s+0\.0225 USD\s+0\.0195 USD \(87%\)/);
    assert.match(text.stdout, /total\s+4\s+1\s+4,000\s+2,000\s+0\.00345 USD/);
    assert.match(text.stdout, /price table "gpt-4o" as of/);
    assert.match(text.stdout, /1 request\(s\) had unknown token counts/);
  });

  it('--csv writes a header and one line per group', async () => {
    const result = await runCli(['cost', 'report', ...window, '--by', 'tenant', '--csv'], { env });
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines[0], 'tenant,requests,errors,inputTokens,outputTokens,cachedInputTokens,unknownUsageRequests,cost,unknownCostRequests,currency,computeSeconds,avgLatencyMs');
    assert.match(lines[1]!, /^acme,2,0,3000,1500,0,0,0\.00245,0,USD,4,120\.5$/);
    assert.equal(lines.length, 3);
  });

  it('says so when the period holds no requests', async () => {
    const result = await runCli(['cost', 'report', '--since', '2020-01-01', '--until', '2020-02-01'], { env });
    assert.match(result.stdout, /No requests in this period/);
  });

  it('rejects bad arguments with exit code 2 and a message naming the fix', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--by', 'colour'], /--by must be one of model, requested, domain, tenant, key, status, day, got "colour"/],
      [['--since', 'last tuesday'], /--since must look like 30m, 24h, 7d, 2w or a date/],
      [['--since', '1d', '--until', '2d'], /--since .* must be before --until/],
      [['--json', '--csv'], /choose one of --json and --csv/],
      [['--vs', 'gpt-17'], /--vs "gpt-17" is neither in the price table/],
      [['--colour'], /Unknown option '--colour'/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['cost', 'report', ...args], { env });
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
  });

  it('fails clearly when there is no ledger, rather than creating an empty one', async () => {
    const empty = tempDir();
    try {
      const result = await runCli(['cost', 'report'], { env: { ...env, UNBUNDLE_DATA_DIR: empty.dir } });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /no ledger at .*ledger\.sqlite — the server creates it on its first request; point UNBUNDLE_DATA_DIR/);
    } finally {
      empty.remove();
    }
  });

  it('breakeven measures compute time and token mix from the ledger', async () => {
    const result = await runCli(['cost', 'breakeven', '--model', 'local', '--vs', 'gpt-4o', '--config', config, '--since', '2025-08-01', '--json'], { env });
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout) as Record<string, number | Record<string, number>>;
    // Successful requests on local: r2, r3 → 3 s compute, 1500 input + 750 output per request.
    const traffic = body.traffic as Record<string, number>;
    assert.equal(traffic.computeSecondsPerRequest, 3);
    assert.equal(traffic.inputTokensPerRequest, 1500);
    assert.equal(traffic.outputTokensPerRequest, 750);
    // API 1500 × 2.5 + 750 × 10 = 0.01125; base 766.5; marginal (3/3600) × 0.2 → 766.5 / (0.01125 − 0.000166…)
    assert.ok(Math.abs((body.breakevenRequestsPerMonth as number) - 766.5 / (0.01125 - (3 / 3600) * 0.2)) < 1e-6);
    const text = await runCli(['cost', 'breakeven', '--model', 'local', '--vs', 'gpt-4o', '--config', config, '--since', '2025-08-01'], { env });
    assert.match(text.stdout, /Break-even: local \(self-hosted\) vs gpt-4o \(API\)/);
    assert.match(text.stdout, /Self-hosted base per month:\s+766\.5 USD/);
    assert.match(text.stdout, /Break-even volume:\s+69,\d{3} requests\/month/);
    assert.match(text.stdout, /Verdict: self-hosting is cheaper above 69,\d{3} requests\/month/);
  });

  it('breakeven accepts given measurements and explains what is missing', async () => {
    const given = await runCli(
      ['cost', 'breakeven', '--model', 'local', '--vs', 'mini', '--config', config, '--seconds-per-request', '3.6', '--input-tokens', '1000', '--output-tokens', '500', '--json'],
      { env: { ...env, UNBUNDLE_DATA_DIR: '/nonexistent-unbundle' } },
    );
    assert.equal(given.code, 0, given.stderr);
    assert.match((JSON.parse(given.stdout) as { verdict: string }).verdict, /^never: even fully busy/);
    const cases: Array<[string[], RegExp]> = [
      [['--vs', 'gpt-4o'], /--model and --vs are both required/],
      [['--model', 'mini', '--vs', 'gpt-4o', '--config', config], /"mini" has no selfHosted costs/],
      [['--model', 'local', '--vs', 'gpt-4o', '--config', config, '--since', '2030-01-01'], /no measured successful requests on "local"/],
      [['--model', 'local', '--vs', 'gpt-4o', '--config', config, '--seconds-per-request', '0'], /--seconds-per-request must be a positive number/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['cost', 'breakeven', ...args], { env });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});

describe('unbundle cost report (Postgres)', () => {
  const schema = uniqueSchema('ledger_cli');
  const temp = tempDir();
  after(async () => {
    temp.remove();
    await dropSchema(schema);
  });

  it('reads the Postgres ledger named by UNBUNDLE_DATABASE_URL', async () => {
    const store = new PostgresLedgerStore({ url: testDatabaseUrl, schema });
    await store.migrate();
    await store.insertBatch(seed);
    await store.close();
    const config = path.join(temp.dir, 'portfolio.yaml');
    writeFileSync(config, `ledger:\n  postgresSchema: ${schema}\n`);
    const env = { ...process.env, UNBUNDLE_DATABASE_URL: testDatabaseUrl, UNBUNDLE_DATA_DIR: temp.dir };
    const result = await runCli(['cost', 'report', ...window, '--by', 'tenant', '--json', '--config', config], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      (JSON.parse(result.stdout) as Array<Record<string, unknown>>).map((row) => [row.tenant, row.requests, row.inputTokens]),
      [
        ['acme', 2, 3000],
        ['beta', 2, 1000],
      ],
    );
  });
});
