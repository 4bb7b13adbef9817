import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { UnbundleError } from '../../../src/errors.ts';
import { detectFormat, parseLabelledExamples, readLabelledExamples } from '../../../src/router/classifier/labelled-data.ts';

function dataError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UnbundleError, String(error));
    assert.equal(error.code, 'UNBUNDLE_E_DATA');
    assert.match(error.message, pattern);
    return true;
  });
}

test('JSONL: reads text and domain, trims the domain, ignores extra fields and blank lines', () => {
  const content = '{"text":"hello there","domain":" support ","id":1}\n\n{"text":"def f(): pass","domain":"code"}\n';
  assert.deepEqual(parseLabelledExamples(content, 'x.jsonl', 'jsonl'), [
    { text: 'hello there', domain: 'support' },
    { text: 'def f(): pass', domain: 'code' },
  ]);
});

test('JSONL: every bad line is reported with its number', () => {
  const content = ['{"text":"ok","domain":"a"}', '{not json', '[1,2]', '{"text":"","domain":"a"}', '{"text":"x"}', '{"text":"y","domain":"unsure"}'].join('\n');
  dataError(() => parseLabelledExamples(content, 'bad.jsonl', 'jsonl'), /bad\.jsonl: 5 bad rows:\n {2}line 2: not valid JSON[^\n]*\n {2}line 3: expected a JSON object[^\n]*\n {2}line 4: "text" must be a non-empty string\n {2}line 5: "domain" must be a non-empty string\n {2}line 6: "unsure" is reserved/);
});

test('JSONL: more than ten bad lines are summarised', () => {
  const content = Array.from({ length: 12 }, () => '{"text":"x"}').join('\n');
  dataError(() => parseLabelledExamples(content, 'many.jsonl', 'jsonl'), /12 bad rows:[\s\S]*line 10:[\s\S]*… and 2 more$/);
});

test('CSV: finds the text and domain columns by header name, in any order, with quoted commas', () => {
  const content = 'id,Domain,Text\n1,support,"my card, it was declined"\n2,code,"line one\nline two"\n';
  assert.deepEqual(parseLabelledExamples(content, 'x.csv', 'csv'), [
    { text: 'my card, it was declined', domain: 'support' },
    { text: 'line one\nline two', domain: 'code' },
  ]);
});

test('CSV: a missing header column, a short row and a syntax error are explained', () => {
  dataError(() => parseLabelledExamples('prompt,label\nx,y\n', 'h.csv', 'csv'), /h\.csv: the first line must be a header naming the "text" and "domain" columns \(found: "prompt", "label"\)/);
  dataError(() => parseLabelledExamples('text,domain\nhello,a\nno comma here\n,b\n', 's.csv', 'csv'), /2 bad rows:\n {2}line 3: 1 field but the header has 2; quote a text[^\n]*\n {2}line 4: "text" must be a non-empty string/);
  dataError(() => parseLabelledExamples('text,domain\n"open,a\n', 'q.csv', 'csv'), /q\.csv: CSV syntax error at line 2: a quoted field is never closed/);
});

test('an empty file says what shape it needs', () => {
  dataError(() => parseLabelledExamples('\n\n', 'e.jsonl', 'jsonl'), /no examples found; the file needs one \{"text": \.\.\., "domain": \.\.\.\} object per line/);
  dataError(() => parseLabelledExamples('text,domain\n', 'e.csv', 'csv'), /no examples found; the file needs a header "text,domain"/);
});

test('the format follows the extension, else the content', () => {
  assert.equal(detectFormat('a.csv', '{"text"'), 'csv');
  assert.equal(detectFormat('a.JSONL', 'text,domain'), 'jsonl');
  assert.equal(detectFormat('a.txt', '  {"text":"x"}'), 'jsonl');
  assert.equal(detectFormat('a.txt', 'text,domain'), 'csv');
});

test('readLabelledExamples reads files and names a missing one', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-labelled-'));
  const file = path.join(dir, 'examples.csv');
  writeFileSync(file, 'text,domain\nhi,a\n');
  assert.deepEqual(readLabelledExamples(file), [{ text: 'hi', domain: 'a' }]);
  dataError(() => readLabelledExamples(path.join(dir, 'nope.jsonl')), /Cannot read the data file .*nope\.jsonl: file not found/);
});
