import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildRoutingSets, decodeIds, defaultDataDir, encodeIds, loadRoutingSources, makeRoutingSplit, readRoutingSplit, writeRoutingSets } from '../../scripts/build-routing-data.ts';
import { UnbundleError } from '../../src/errors.ts';
import { readLabelledExamples } from '../../src/router/classifier/labelled-data.ts';

test('ids fold into ranges and back', () => {
  const ids = ['7', '3', '4', '5', '10', '81.0', '81.1', '12', '11'];
  assert.equal(encodeIds(ids), '3-5,7,10-12,81.0,81.1');
  assert.deepEqual(decodeIds(encodeIds(ids)).sort(), [...ids].sort());
  assert.deepEqual(decodeIds(''), []);
});

test('the committed split is exactly what the generator draws from its seed', () => {
  const committed = readRoutingSplit();
  assert.deepEqual(makeRoutingSplit(loadRoutingSources(defaultDataDir()), committed.seed), committed);
});

test('the generator writes train, test and holdout JSONL files the CLI loader reads', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'unbundle-routing-data-'));
  const sets = buildRoutingSets(defaultDataDir(), readRoutingSplit());
  writeRoutingSets(sets, out);
  for (const part of ['train', 'test', 'holdout'] as const) {
    const rows = readLabelledExamples(path.join(out, `${part}.jsonl`));
    assert.equal(rows.length, sets[part].length);
    assert.deepEqual(rows[0], { text: sets[part][0]!.text, domain: sets[part][0]!.domain });
  }
  const first = JSON.parse(readFileSync(path.join(out, 'holdout.jsonl'), 'utf8').split('\n')[0]!) as Record<string, string>;
  assert.deepEqual(Object.keys(first), ['text', 'domain', 'source', 'id']);
});

test('a missing data folder or an unknown id is an error that says what to do', () => {
  assert.throws(() => loadRoutingSources('/nonexistent/data'), (e: unknown) => e instanceof UnbundleError && /Routing data source not found: \/nonexistent\/data\/banking77\/train\.csv\. Pass --data-dir/.test(e.message));
  const split = readRoutingSplit();
  const broken = { ...split, sources: { ...split.sources, gsm8k: { domain: 'math', train: '999999' } } };
  assert.throws(() => buildRoutingSets(defaultDataDir(), broken), (e: unknown) => e instanceof UnbundleError && /Split id gsm8k:999999 is not in/.test(e.message));
});
