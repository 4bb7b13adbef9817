import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { errorCatalogue, UnbundleError, toUnbundleError } from '../src/errors.ts';

describe('error catalogue', () => {
  it('is documented row for row in docs/errors.md (code, status, retryable)', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');
    const rows = new Map<string, { status: string; retryable: string }>();
    for (const match of doc.matchAll(/^\| `(UNBUNDLE_E_[A-Z_]+)` \| (\S+) \| (yes|no) \|/gm)) rows.set(match[1]!, { status: match[2]!, retryable: match[3]! });
    assert.deepEqual([...rows.keys()].sort(), Object.keys(errorCatalogue).sort(), 'docs/errors.md and src/errors.ts list different codes');
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      const row = rows.get(code)!;
      if (row.status !== '4xx') assert.equal(row.status, String(entry.status), `${code}: documented status`);
      assert.equal(row.retryable, entry.retryable ? 'yes' : 'no', `${code}: documented retryable flag`);
    }
  });

  it('renders the OpenAI error body and keeps the cause', () => {
    const cause = new Error('socket hang up');
    const error = new UnbundleError('UNBUNDLE_E_UPSTREAM_CONNECT', 'cannot reach upstream', { cause, param: 'model' });
    assert.deepEqual(error.toBody(), { error: { message: 'cannot reach upstream', type: 'upstream_error', code: 'UNBUNDLE_E_UPSTREAM_CONNECT', param: 'model' } });
    assert.equal(error.status, 502);
    assert.equal(error.retryable, true);
    assert.equal(error.cause, cause);
  });

  it('wraps foreign errors without losing them', () => {
    const wrapped = toUnbundleError(new TypeError('boom'));
    assert.equal(wrapped.code, 'UNBUNDLE_E_INTERNAL');
    assert.match(wrapped.message, /boom/);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(toUnbundleError(abort).code, 'UNBUNDLE_E_CANCELLED');
  });
});
