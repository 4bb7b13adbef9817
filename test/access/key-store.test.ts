import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, mock } from 'node:test';
import { generateApiKey, keyIdOf } from '../../src/access/api-key.ts';
import { constantTime } from '../../src/access/constant-time-equal.ts';
import { KeyAuthenticator } from '../../src/access/key-authenticator.ts';
import { KeyStore } from '../../src/access/key-store.ts';

function withStore(run: (store: KeyStore, dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-keys-'));
  const store = new KeyStore(dir);
  try {
    run(store, dir);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('constant-time comparison', () => {
  it('is true only for equal inputs, and never throws on unequal lengths', () => {
    assert.equal(constantTime.equal('same-secret', 'same-secret'), true);
    assert.equal(constantTime.equal('same-secret', 'same-secreT'), false);
    assert.equal(constantTime.equal('short', 'a much longer secret'), false);
    assert.equal(constantTime.equal('', 'x'), false);
    assert.equal(constantTime.equal('', ''), true);
    assert.equal(constantTime.equal(Buffer.from('abc'), 'abc'), true);
    assert.equal(constantTime.equalDigests(Buffer.alloc(32, 1), Buffer.alloc(32, 1)), true);
    assert.equal(constantTime.equalDigests(Buffer.alloc(32, 1), Buffer.alloc(31, 1)), false);
  });

  it('is what the key check uses (every presented key goes through it)', () => {
    withStore((store) => {
      const { key } = store.create({ tenant: 'acme' });
      const authenticator = new KeyAuthenticator(store);
      const spy = mock.method(constantTime, 'equalDigests');
      try {
        authenticator.authenticate(key);
        assert.throws(() => authenticator.authenticate(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`), /not valid/);
        assert.equal(spy.mock.callCount(), 2);
        assert.equal(spy.mock.calls[0]!.result, true);
        assert.equal(spy.mock.calls[1]!.result, false);
      } finally {
        spy.mock.restore();
      }
    });
  });
});

describe('API keys and the key store', () => {
  it('keys are ub- + 12 hex id + 43 base64url characters; anything else has no id', () => {
    const { id, key } = generateApiKey();
    assert.match(key, /^ub-[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    assert.equal(keyIdOf(key), id);
    assert.equal(keyIdOf(key.slice(0, -1)), undefined);
    assert.equal(keyIdOf(`sk-${key.slice(3)}`), undefined);
    assert.equal(keyIdOf(`ub-ZZZZZZZZZZZZ${key.slice(15)}`), undefined);
    assert.equal(keyIdOf(`${key.slice(0, -1)}!`), undefined);
  });

  it('stores only a peppered hash: the key appears nowhere on disk; the pepper file is private', () => {
    withStore((store, dir) => {
      const { key, info } = store.create({ tenant: 'acme', name: 'ci' });
      store.close();
      for (const file of ['keys.sqlite', 'keys.sqlite-wal']) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(path.join(dir, file));
        } catch {
          continue;
        }
        assert.equal(bytes.includes(key.slice(15)), false, `${file} holds no key secret`);
      }
      assert.equal(statSync(path.join(dir, 'keys.pepper')).mode & 0o777, 0o600);
      const reopened = new KeyStore(dir);
      try {
        assert.deepEqual(reopened.get(info.id), info);
        assert.equal(Object.hasOwn(reopened.list()[0]!, 'hash'), false, 'listings never carry the hash');
        // Same pepper after reopening: the key still verifies.
        assert.ok(new KeyAuthenticator(reopened).authenticate(key).keyId === info.id);
      } finally {
        reopened.close();
      }
    });
  });

  it('lists by tenant, revokes once (idempotent), and reports unknown ids', () => {
    withStore((store) => {
      const a = store.create({ tenant: 'acme', now: 1_000 }).info;
      store.create({ tenant: 'globex', now: 2_000 });
      assert.deepEqual(store.list({ tenant: 'acme' }).map((k) => k.id), [a.id]);
      assert.equal(store.list().length, 2);
      assert.equal(store.revoke(a.id, 5_000)!.revokedAt, 5_000);
      assert.equal(store.revoke(a.id, 9_000)!.revokedAt, 5_000);
      assert.equal(store.revoke('000000000000'), undefined);
    });
  });

  it('a damaged pepper file fails with a message that says what to do', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-keys-'));
    try {
      new KeyStore(dir).close();
      writeFileSync(path.join(dir, 'keys.pepper'), 'oops');
      assert.throws(() => new KeyStore(dir), /keys\.pepper is damaged .* Restore it from a backup/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
