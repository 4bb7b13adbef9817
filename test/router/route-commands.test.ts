import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { toyDomains, toyExamples } from './toy-domains.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-route-cli-'));
const at = (file: string): string => path.join(dir, file);
const csvCell = (text: string): string => `"${text.replace(/"/g, '""')}"`;

describe('unbundle route train | test | explain', () => {
  before(async () => {
    writeFileSync(at('train.jsonl'), toyExamples(80).map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(at('test.csv'), 'text,domain\n' + toyExamples(15, 42).map((e) => `${csvCell(e.text)},${e.domain}`).join('\n') + '\n');
    const trained = await runCli(['route', 'train', '--data', 'train.jsonl', '--out', 'router.json', '--bits', '14', '--threshold', '0.4'], { cwd: dir });
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /^trained a hashed n-gram classifier on 240 examples in 3 domains/);
    assert.match(trained.stdout, /\n {2}billing {2}80\n {2}code {5}80\n {2}cooking {2}80\n/);
    assert.match(trained.stdout, /calibration: temperature \d+\.\d+ fitted on 24 held-out examples/);
    assert.match(trained.stdout, /wrote .*router\.json \(\d+ KB\), unsure below 0\.4/);
  });

  it('test --json prints one object with accuracy, macroF1 and perDomain', async () => {
    const { code, stdout, stderr } = await runCli(['route', 'test', '--router', at('router.json'), '--data', at('test.csv'), '--json']);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as { accuracy: number; macroF1: number; examples: number; perDomain: Record<string, { recall: number; support: number }>; confusion: { labels: string[] }; latencyMicros: { p50: number; p99: number }; unsure: { threshold: number } };
    assert.equal(stdout.trim().split('\n').length, 1);
    assert.equal(report.examples, 45);
    assert.ok(report.accuracy >= 0.95, `accuracy ${report.accuracy}`);
    assert.ok(report.macroF1 >= 0.95, `macroF1 ${report.macroF1}`);
    assert.deepEqual(Object.keys(report.perDomain).sort(), toyDomains);
    assert.equal(report.perDomain.code!.support, 15);
    assert.deepEqual(report.confusion.labels, toyDomains);
    assert.equal(report.unsure.threshold, 0.4);
    assert.ok(report.latencyMicros.p50 > 0 && report.latencyMicros.p99 >= report.latencyMicros.p50);
  });

  it('test prints a readable report with a confusion matrix, and --min-accuracy gates CI', async () => {
    const text = await runCli(['route', 'test', '--router', 'router.json', '--data', 'test.csv', '--threshold', '0.9'], { cwd: dir });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^examples 45 {3}accuracy \d+\.\d\d% {3}macro-F1 \d\.\d{3}/);
    assert.match(text.stdout, /unsure below 0\.90: \d+ /);
    assert.match(text.stdout, /domain +precision +recall +f1 +support\nbilling /);
    assert.match(text.stdout, /confusion matrix \(rows: true domain, columns: predicted\)\n +billing +code +cooking\nbilling +\d+/);
    const gated = await runCli(['route', 'test', '--router', 'router.json', '--data', 'test.csv', '--min-accuracy', '1', '--json'], { cwd: dir });
    const accuracy = (JSON.parse(gated.stdout) as { accuracy: number }).accuracy;
    assert.equal(gated.code, accuracy < 1 ? 1 : 0);
  });

  it('explain shows the domain, the scores and the n-grams behind them', async () => {
    const { code, stdout, stderr } = await runCli(['route', 'explain', '--router', at('router.json'), '--top', '3', 'my', 'card payment was declined']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^domain: billing\nconfidence: \d\.\d{4}\nscores: billing \d\.\d{4}, /);
    assert.match(stdout, /features for billing \(n-gram, contribution to its score\):\n(  \+\d\.\d{3}  (word|char)  ".+"\n){3}\nfeatures against billing:/);
    const json = await runCli(['route', 'explain', '--router', at('router.json'), '--json', '--threshold', '0.99', 'hello there']);
    const parsed = JSON.parse(json.stdout) as { prediction: { domain: string; best: string; confidence: number }; for: unknown[] };
    assert.equal(parsed.prediction.domain, 'unsure');
    assert.ok(toyDomains.includes(parsed.prediction.best));
    assert.ok(parsed.prediction.confidence < 0.99);
    assert.ok(parsed.for.length <= 8);
  });

  it('bad arguments exit 2 and name the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['route', 'train', '--out', 'x.json'], /--data FILE is required/],
      [['route', 'train', '--data', 'train.jsonl'], /--out FILE is required/],
      [['route', 'train', '--data', 'train.jsonl', '--out', 'x.json', '--threshold', 'high'], /--threshold must be a number from 0 to 1, got "high"/],
      [['route', 'train', '--data', 'train.jsonl', '--out', 'x.json', '--format', 'xml'], /--format must be jsonl or csv, got "xml"/],
      [['route', 'train', '--data', 'train.jsonl', '--out', 'x.json', '--bits', '40'], /--bits must be a whole number from 8 to 24, got "40"/],
      [['route', 'test', '--data', 'test.csv'], /--router FILE is required/],
      [['route', 'explain', '--router', 'router.json'], /give the prompt to explain/],
      [['route', 'explain', '--router', 'router.json', '--colour', 'x'], /Unknown option '--colour'/],
      [['route'], /"unbundle route" needs a subcommand: .*train/],
    ];
    for (const [argv, pattern] of cases) {
      const { code, stderr } = await runCli(argv, { cwd: dir });
      assert.equal(code, 2, `${argv.join(' ')}: ${stderr}`);
      assert.match(stderr, pattern);
    }
  });

  it('a bad data file exits 1 with line numbers; a bad router file exits 3', async () => {
    writeFileSync(at('bad.jsonl'), '{"text":"ok","domain":"a"}\n{"text":"no domain"}\nnot json\n');
    const data = await runCli(['route', 'train', '--data', 'bad.jsonl', '--out', 'x.json'], { cwd: dir });
    assert.equal(data.code, 1);
    assert.match(data.stderr, /bad\.jsonl: 2 bad rows:\n {2}line 2: "domain" must be a non-empty string\n {2}line 3: not valid JSON/);
    writeFileSync(at('not-router.json'), JSON.stringify({ format: 'unbundle-router', version: 9 }));
    const router = await runCli(['route', 'test', '--router', 'not-router.json', '--data', 'test.csv'], { cwd: dir });
    assert.equal(router.code, 3);
    assert.match(router.stderr, /not-router\.json: router file version 9 is not supported/);
    const missing = await runCli(['route', 'explain', '--router', 'nope.json', 'hello'], { cwd: dir });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /Cannot read the router file .*nope\.json: file not found/);
  });

  it('help lists the route commands', async () => {
    const { stdout } = await runCli(['--help']);
    assert.match(stdout, /route explain +Show which domain/);
    assert.match(stdout, /route test +Score a trained router/);
    assert.match(stdout, /route train +Train the domain classifier/);
    assert.ok(readFileSync(at('router.json'), 'utf8').startsWith('{"format":"unbundle-router","version":1'));
  });
});
