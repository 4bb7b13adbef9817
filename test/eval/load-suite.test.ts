import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSuite, parseSuiteJsonl, suiteToJsonl } from '../../src/eval/load-suite.ts';
import { parseCsv } from '../../src/eval/csv.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-suite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const jsonl = (...lines: unknown[]) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n');
const header = { suite: { name: 'capitals', metrics: ['exact-match', { metric: 'contains', label: 'mentions' }] } };

describe('suite JSONL', () => {
  it('reads the header line and the items, with default ids and both input shapes', () => {
    const suite = parseSuiteJsonl(
      jsonl(header, { input: 'Capital of France?', reference: 'Paris', domain: 'geo' }, '', { id: 'de', input: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Capital of Germany?' }], reference: ['Berlin'], metadata: { level: 1 } }),
      'capitals.jsonl',
    );
    assert.equal(suite.header.name, 'capitals');
    assert.deepEqual(suite.metrics.map((metric) => metric.label), ['exact-match', 'mentions']);
    assert.equal(suite.primary, 'exact-match');
    assert.deepEqual(suite.items.map((item) => item.id), ['line-2', 'de']);
    assert.deepEqual(suite.skipped, []);
  });

  it('reports every broken item by line and field, and refuses the suite', () => {
    const text = jsonl(
      header,
      { input: 'ok', reference: 'fine' },
      '{"input": "unterminated',
      { input: '', reference: 'x' },
      { input: 'no reference' },
      { input: 'typo', refernce: 'x', reference: 'y' },
      { input: [{ role: 'robot', content: 'hi' }], reference: 'x' },
      { input: 42, reference: 'x' },
      { id: 'line-2', input: 'duplicate id', reference: 'x' },
      { input: 'q', reference: 'x', domain: 5 },
      { reference: 'x' },
    );
    assert.throws(
      () => parseSuiteJsonl(text, 'bad.jsonl'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'UNBUNDLE_E_DATA');
        assert.match(error.message, /bad\.jsonl:3: \(line\): not valid JSON/);
        assert.match(error.message, /bad\.jsonl:4: input: must not be empty/);
        assert.match(error.message, /bad\.jsonl:5: reference: required by this metric.*\(metric exact-match\)/);
        assert.match(error.message, /bad\.jsonl:6: refernce: unknown field — check the spelling, or put extra data under "metadata"/);
        assert.match(error.message, /bad\.jsonl:7: input\[0\]\.role: .*"system"\|"user"\|"assistant"/);
        assert.match(error.message, /bad\.jsonl:10: domain: expected string, got number/);
        assert.match(error.message, /bad\.jsonl:11: input: required/);
        assert.match(error.message, /bad\.jsonl:8: input: must be a prompt string or a list of/);
        assert.match(error.message, /bad\.jsonl:9: id: "line-2" is already the id of line 2/);
        assert.match(error.message, /--skip-invalid/);
        return true;
      },
    );
  });

  it('skips broken items only when asked, and says which', () => {
    const suite = parseSuiteJsonl(jsonl(header, { input: 'ok', reference: 'fine' }, { input: 'no reference' }), 'x.jsonl', { skipInvalid: true });
    assert.equal(suite.items.length, 1);
    assert.deepEqual(suite.skipped.map((issue) => [issue.line, issue.field]), [[3, 'reference'], [3, 'reference']]);
  });

  it('refuses a suite with no valid item even when skipping', () => {
    assert.throws(() => parseSuiteJsonl(jsonl(header, { input: 'x' }), 'x.jsonl', { skipInvalid: true }), /no valid items/);
    assert.throws(() => parseSuiteJsonl(jsonl(header), 'x.jsonl'), /no valid items/);
  });

  it('checks the header: first line, metric names, options, labels and primary', () => {
    assert.throws(() => parseSuiteJsonl(jsonl({ input: 'x' }), 'h.jsonl'), /h\.jsonl:1: the first line must be the suite header/);
    assert.throws(() => parseSuiteJsonl('', 'h.jsonl'), /first line must be the suite header/);
    const bad = (suite: unknown) => () => parseSuiteJsonl(jsonl({ suite }, { input: 'x', reference: 'y' }), 'h.jsonl');
    assert.throws(bad({ name: 'n', metrics: ['exact-matsh'] }), /header\.metrics\[0\]: unknown metric "exact-matsh"; known: exact-match/);
    assert.throws(bad({ name: 'n', metrics: [{ metric: 'numeric', absoluteTolerance: 'x' }] }), /header\.metrics\[0\]\.absoluteTolerance/);
    assert.throws(bad({ name: 'n', metrics: ['contains', 'contains'] }), /"contains" appears twice: give one of them a "label"/);
    assert.throws(bad({ name: 'n', metrics: ['contains'], primary: 'exact-match' }), /header\.primary: "exact-match" is not one of the metrics/);
    assert.throws(bad({ name: 'n', metrics: [] }), /header\.metrics: name at least one metric/);
    assert.throws(bad({ name: 'bad name!', metrics: ['contains'] }), /header\.name: must start with a letter or digit/);
    assert.throws(bad({ name: 'n', metrics: ['contains'], metric: 'x' }), /header\.metric: unknown field/);
  });

  it('round-trips through suiteToJsonl', () => {
    const suite = parseSuiteJsonl(jsonl(header, { input: 'Capital of Italy?', reference: 'Rome', domain: 'geo' }), 'r.jsonl');
    const again = parseSuiteJsonl(suiteToJsonl(suite), 'again.jsonl');
    assert.deepEqual(again.items, suite.items);
    assert.deepEqual(again.header, suite.header);
  });
});

describe('suite files', () => {
  it('loads a YAML header that names its items file', async () => {
    writeFileSync(path.join(dir, 'items.jsonl'), jsonl({ input: 'What is 6 x 7?', reference: '42' }, { input: '2 + 2?', reference: 4 }));
    writeFileSync(path.join(dir, 'suite.yaml'), 'name: arithmetic\nmetrics:\n  - metric: numeric\n    absoluteTolerance: 0.5\nitems: items.jsonl\n');
    const suite = await loadSuite(path.join(dir, 'suite.yaml'));
    assert.equal(suite.header.name, 'arithmetic');
    assert.deepEqual(suite.items.map((item) => item.reference), ['42', '4']);
    assert.equal((await suite.metrics[0]!.score('about 41.6', suite.items[0]!, {})).score, 1);
  });

  it('loads a JSONL suite and reports unreadable files clearly', async () => {
    writeFileSync(path.join(dir, 'one.jsonl'), jsonl(header, { input: 'q', reference: 'a' }));
    assert.equal((await loadSuite(path.join(dir, 'one.jsonl'))).items.length, 1);
    await assert.rejects(loadSuite(path.join(dir, 'missing.jsonl')), { code: 'UNBUNDLE_E_DATA', message: /cannot read the suite file .*missing\.jsonl: file not found/ });
    writeFileSync(path.join(dir, 'noitems.yaml'), 'name: x\nmetrics: [contains]\n');
    await assert.rejects(loadSuite(path.join(dir, 'noitems.yaml')), /needs "items: <file>\.jsonl"/);
    writeFileSync(path.join(dir, 'broken.yaml'), 'name: [x\n');
    await assert.rejects(loadSuite(path.join(dir, 'broken.yaml')), /broken\.yaml:\d+: not valid YAML/);
  });
});

describe('CSV', () => {
  it('parses quotes, doubled quotes, embedded newlines and CRLF, keeping start lines', () => {
    const records = parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",z\n\nlast,\n');
    assert.deepEqual(records, [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
      { line: 6, fields: ['last', ''] },
    ]);
    assert.deepEqual(parseCsv(''), []);
    assert.deepEqual(parseCsv('\uFEFFé,ü'), [{ line: 1, fields: ['é', 'ü'] }]);
  });
});
