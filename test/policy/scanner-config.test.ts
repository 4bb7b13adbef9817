import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UnbundleError } from '../../src/errors.ts';
import { createScanner } from '../../src/policy/create-scanner.ts';
import { loadScannerOptions, parseScannerConfig, scannerOptionsFromConfig } from '../../src/policy/scanner-config.ts';

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UnbundleError, String(error));
    assert.equal(error.code, 'UNBUNDLE_E_CONFIG');
    return error.message;
  }
  assert.fail('expected a config error');
}

describe('scanner config (policy.detectors)', () => {
  it('applies defaults: all types, no custom detectors, empty allow-list', () => {
    const config = parseScannerConfig({ policy: { detectors: {} } }, 'inline');
    assert.deepEqual(config, { custom: [], allow: [] });
    assert.equal(createScanner(scannerOptionsFromConfig(config, 'inline.yaml')).types.length, 10);
  });

  it('accepts every documented key', () => {
    const config = parseScannerConfig(
      {
        policy: {
          detectors: {
            types: ['EMAIL', 'SECRET'],
            custom: [{ label: 'TICKET', pattern: 'T-(\\d{5})', flags: 'i', validator: 'luhn', group: 1 }],
            allow: ['a@b.co', { value: 'x', type: 'EMAIL' }, { pattern: '^10\\.', flags: 'i', type: 'IP_ADDRESS' }],
            personNames: { names: ['Ada'] },
            highEntropy: { minLength: 24, minBitsPerChar: 4.2 },
            boundaryWindow: 256,
          },
        },
      },
      'inline',
    );
    const options = scannerOptionsFromConfig(config, 'inline.yaml');
    assert.deepEqual(options.types, ['EMAIL', 'SECRET']);
    assert.deepEqual(options.personNames, ['Ada']);
    assert.deepEqual(options.highEntropy, { minLength: 24, minBitsPerChar: 4.2 });
    assert.equal(options.boundaryWindow, 256);
  });

  it('names the path and the fix for each problem', () => {
    const message = problems(() =>
      parseScannerConfig({ policy: { detectors: { custom: [{ label: 'ok_NOT', pattern: 'x' }], allow: [{ pattern: '[' }], highEntropy: true } } }, 'p.yaml'),
    );
    assert.match(message, /Invalid config in p\.yaml/);
    assert.match(message, /policy\.detectors\.custom\[0\]\.label: must be UPPER_SNAKE_CASE/);
    assert.match(message, /policy\.detectors\.highEntropy/);
    assert.match(message, /policy\.detectors\.allow\[0\]/);
    assert.match(problems(() => parseScannerConfig({ policy: { detectors: { custom: [{ label: 'A', pattern: 'a*' }] } } }, 'p')), /custom\[0\]\.pattern: matches the empty string/);
    assert.match(problems(() => parseScannerConfig({ server: {} }, 'p')), /policy\.detectors: missing/);
    assert.deepEqual(parseScannerConfig({ policy: { rules: {} } }, 'p'), parseScannerConfig({ policy: { detectors: {} } }, 'p'), 'a policy without detectors uses the defaults');
    assert.match(problems(() => parseScannerConfig({ policy: { detectors: { typess: [] } } }, 'p')), /did you mean "types"\?/);
  });

  it('loads YAML from a file, resolving the name file next to it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-policy-'));
    writeFileSync(path.join(dir, 'names.txt'), 'Grace\n\n# comment\nHopper\n');
    writeFileSync(path.join(dir, 'p.yaml'), 'policy:\n  detectors:\n    personNames:\n      file: names.txt\n      names: [Ada]\n');
    assert.deepEqual(loadScannerOptions(path.join(dir, 'p.yaml')).personNames, ['Ada', 'Grace', 'Hopper']);
    writeFileSync(path.join(dir, 'bad.yaml'), 'policy:\n  detectors:\n    personNames: { file: gone.txt }\n');
    assert.match(problems(() => loadScannerOptions(path.join(dir, 'bad.yaml'))), /personNames\.file: .*gone\.txt does not exist/);
    writeFileSync(path.join(dir, 'broken.yaml'), 'policy: [unclosed\n');
    assert.match(problems(() => loadScannerOptions(path.join(dir, 'broken.yaml'))), /not valid YAML/);
  });
});
