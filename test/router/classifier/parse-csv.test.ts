import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvSyntaxError, parseCsv } from '../../../src/router/classifier/parse-csv.ts';

test('parses plain, quoted and empty fields with the line each record starts on', () => {
  const records = parseCsv('text,domain\nhello,a\n"with, comma",b\n,c\n');
  assert.deepEqual(records, [
    { line: 1, fields: ['text', 'domain'] },
    { line: 2, fields: ['hello', 'a'] },
    { line: 3, fields: ['with, comma', 'b'] },
    { line: 4, fields: ['', 'c'] },
  ]);
});

test('keeps newlines and doubled quotes inside quoted fields, and counts lines across them', () => {
  const records = parseCsv('"first\nline, ""quoted""",x\r\nnext,y');
  assert.deepEqual(records, [
    { line: 1, fields: ['first\nline, "quoted"', 'x'] },
    { line: 3, fields: ['next', 'y'] },
  ]);
});

test('skips blank lines, a BOM and a missing final newline; keeps a trailing empty field', () => {
  assert.deepEqual(parseCsv('\uFEFFa,b\n\n\nc,\n'), [
    { line: 1, fields: ['a', 'b'] },
    { line: 4, fields: ['c', ''] },
  ]);
});

test('a quote inside an unquoted field is kept as text', () => {
  assert.deepEqual(parseCsv('say 5" nails,x')[0]!.fields, ['say 5" nails', 'x']);
});

test('an unclosed quote names the line where the field opened', () => {
  assert.throws(() => parseCsv('a,b\nok,1\n"never closed,2\nmore'), (error: unknown) => {
    assert.ok(error instanceof CsvSyntaxError);
    assert.equal(error.line, 3);
    assert.match(error.message, /never closed/);
    return true;
  });
});

test('text after a closing quote is an error with its line', () => {
  assert.throws(() => parseCsv('a,b\n"x"y,1'), (error: unknown) => error instanceof CsvSyntaxError && error.line === 2 && /after a closing quote/.test(error.message));
});
