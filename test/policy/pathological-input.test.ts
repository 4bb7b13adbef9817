import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScanner } from '../../src/policy/create-scanner.ts';

/**
 * The scanner reads text clients send, so no input may make it slow: each case below once took
 * seconds (a regex backtracking over a run of spaces, a search restarting from the top). Scan time
 * must stay roughly linear; the bound is loose enough for a busy CI machine.
 */

const n = 40_000;
const cases: Record<string, string> = {
  'spaces after a street': `14 Crown Street${' '.repeat(n)}x`,
  'spaces and a newline after a street': `14 Crown Street,${' '.repeat(n)}\n${' '.repeat(n)}x`,
  'newlines after a military box': `PSC 1234, Box 5678${'\n'.repeat(n)}x`,
  'no-break spaces between digits': '1\u00A0'.repeat(n),
  'digit groups': '1 '.repeat(n),
  'dotted digits': '1.'.repeat(n),
  'a long random token': 'a1'.repeat(n),
  'repeated key prefixes': 'sk-'.repeat(n),
  'colons': '1:'.repeat(n),
  'spelled ats': `${'a at '.repeat(n / 4)} dot `,
  'private-key footers': '-----END RSA PRIVATE KEY-----'.repeat(n / 30),
  'private-key headers without footers': '-----BEGIN RSA PRIVATE KEY-----'.repeat(n / 10),
  'credential names': 'password: '.repeat(n / 5),
  'street prefixes': `${'Via Roma '.repeat(n / 5)}12`,
  'zero-width run': `${'\u200B'.repeat(n)}4111111111111111`,
};

describe('pathological input', () => {
  const scanner = createScanner({ personNames: ['Ada'] });
  for (const [name, text] of Object.entries(cases)) {
    it(`${name} (${text.length} chars) scans in well under a second`, () => {
      const start = performance.now();
      scanner.scan(text);
      const ms = performance.now() - start;
      assert.ok(ms < 1000, `${name}: ${ms.toFixed(0)} ms`);
    });
  }
});
