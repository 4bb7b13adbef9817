import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-scan-'));
function file(name: string, content: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, content);
  return full;
}

describe('unbundle scan', () => {
  it('scans plain text from stdin as one document and prints a masked report', async () => {
    const result = await runCli(['scan'], { stdin: 'Contact jane.doe@example.com or +44 20 7946 0958.\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /EMAIL\s+8-28\s+email/);
    assert.match(result.stdout, /PHONE\s+32-48/);
    assert.match(result.stdout, /1 document, 2 detections: EMAIL 1, PHONE 1/);
    assert.doesNotMatch(result.stdout, /jane\.doe@example\.com/, 'the report must not echo the value');
  });

  it('--json prints one line per JSONL document with type/start/end only, skipping blank lines', async () => {
    const input = '{"text":"card 4111 1111 1111 1111"}\n\n{"text":"nothing here","id":7}\n{"text":"SSN 123-45-6789"}\n';
    const result = await runCli(['scan', '--json'], { stdin: input });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line)), [
      { detections: [{ type: 'CREDIT_CARD', start: 5, end: 24 }] },
      { detections: [] },
      { detections: [{ type: 'US_SSN', start: 4, end: 15 }] },
    ]);
  });

  it('gives UTF-16 offsets into the original text (emoji, full-width digits)', async () => {
    const text = '😀 mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ';
    const result = await runCli(['scan', '--json'], { stdin: `${JSON.stringify({ text })}\n` });
    const [detection] = (JSON.parse(result.stdout) as { detections: Array<{ start: number; end: number }> }).detections;
    assert.equal(text.slice(detection!.start, detection!.end), 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ');
  });

  it('reads a FILE argument relative to the working directory', async () => {
    file('notes.txt', 'server at 10.0.0.1\n');
    const result = await runCli(['scan', '--json', 'notes.txt'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { detections: [{ type: 'IP_ADDRESS', start: 10, end: 18 }] });
  });

  it('exits 2 naming the file when it does not exist', async () => {
    const result = await runCli(['scan', 'missing.txt'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot read .*missing\.txt: no such file/);
  });

  it('exits 2 naming the line of a broken JSONL document', async () => {
    const result = await runCli(['scan', '--json'], { stdin: '{"text":"ok"}\n{"text": oops}\n' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /line 2 is not a JSON object/);
    const noText = await runCli(['scan'], { stdin: '{"content":"hi"}\n' });
    assert.equal(noText.code, 2);
    assert.match(noText.stderr, /line 1 has no string "text" field \(keys: content\)/);
  });

  it('rejects two FILE arguments and unknown flags with exit 2', async () => {
    assert.equal((await runCli(['scan', 'a', 'b'])).code, 2);
    const unknown = await runCli(['scan', '--jsn']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--jsn/);
  });

  it('prints usage for --help', async () => {
    const result = await runCli(['scan', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: unbundle scan \[--config FILE\] \[--json\] \[FILE\]/);
  });

  it('applies --config: custom detectors, allow-list, types and a person-name file', async () => {
    file('names.txt', '# staff\nMaarit\nKorhonen\n');
    const config = file(
      'policy.yaml',
      [
        'server: { port: 8080 }',
        'policy:',
        '  detectors:',
        '    types: [EMAIL, PERSON]',
        '    custom:',
        "      - { label: EMPLOYEE_ID, pattern: 'EMP-\\d{6}' }",
        '    allow: [support@example.com]',
        '    personNames: { file: names.txt }',
      ].join('\n'),
    );
    const text = 'Maarit Korhonen (EMP-123456) wrote to support@example.com and bob@example.org from 10.0.0.1';
    const result = await runCli(['scan', '--json', '--config', config], { stdin: JSON.stringify({ text }) });
    assert.equal(result.code, 0, result.stderr);
    const found = (JSON.parse(result.stdout) as { detections: Array<{ type: string; start: number; end: number }> }).detections;
    assert.deepEqual(found.map((d) => [d.type, text.slice(d.start, d.end)]), [
      ['PERSON', 'Maarit Korhonen'],
      ['EMPLOYEE_ID', 'EMP-123456'],
      ['EMAIL', 'bob@example.org'],
    ]);
  });

  it('exits 3 with the path and the fix for bad config', async () => {
    const typo = file('typo.yaml', 'policy:\n  detectors:\n    alow: [x]\n');
    let result = await runCli(['scan', '--config', typo], { stdin: '' });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /policy\.detectors\.alow: unknown key "alow" — did you mean "allow"\?/);

    const badRegex = file('regex.yaml', "policy:\n  detectors:\n    custom:\n      - { label: X_ID, pattern: '(unclosed' }\n");
    result = await runCli(['scan', '--config', badRegex], { stdin: '' });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /policy\.detectors\.custom\[0\]\.pattern: not a valid regular expression/);

    const badType = file('type.yaml', 'policy:\n  detectors:\n    types: [EMAIL, PASSPORT]\n');
    result = await runCli(['scan', '--config', badType], { stdin: '' });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /policy\.detectors\.types\[1\]: "PASSPORT" is not a detector type — use one of EMAIL, PHONE/);

    const missing = file('none.yaml', 'server: { port: 1 }\n');
    result = await runCli(['scan', '--config', missing], { stdin: '' });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /policy\.detectors: missing/);

    result = await runCli(['scan', '--config', path.join(dir, 'nope.yaml')], { stdin: '' });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /nope\.yaml[\s\S]*does not exist/);
  });
});
