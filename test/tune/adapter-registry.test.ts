import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import { AdapterRegistry, parseAdapterRef } from '../../src/tune/registry/adapter-registry.ts';
import { applyPromotions, PromotionBook, promoteAdapter, rollbackAdapter } from '../../src/tune/registry/promote-adapter.ts';
import { storiesGreedy, storiesPrompt } from '../backends/llamacpp/test-models.ts';
import { sharedModel } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';
import { tempDir } from './helpers/banking-sample.ts';

const base = sharedModel('stories260K.gguf');
const lora = sharedModel('stories260K-random-lora.gguf');

async function complete(url: string): Promise<string> {
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'stories', prompt: storiesPrompt, max_tokens: 40, temperature: 0 }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { choices: Array<{ text: string }> }).choices[0]!.text;
}

describe('adapter registry', () => {
  it('versions adapters with hashes and provenance; tune register / tune list show them', async () => {
    const dir = tempDir();
    const registry = new AdapterRegistry(path.join(dir, 'adapters'));
    const first = await registry.register({ name: 'support', source: 'registered', adapterFile: lora, baseFile: base, validationLoss: 2.5 });
    assert.equal(first.version, 1);
    assert.equal(first.base.sha256, '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d');
    assert.equal(first.sha256, '3eec6952860eabcbd5798a688ee18b9ed8ae283e443f4ad4b882c595d1f5a78b');
    assert.ok(existsSync(first.file) && first.file !== lora, 'the registry keeps its own copy');

    const viaCli = await runCli(['tune', 'register', lora, '--name', 'support', '--base', base, '--eval', 'accuracy=0.91', '--registry', 'adapters', '--json'], { cwd: dir });
    assert.equal(viaCli.code, 0, viaCli.stderr);
    assert.equal(JSON.parse(viaCli.stdout).version, 2);
    assert.equal(registry.resolve('support').version, 2);
    assert.equal(registry.resolve('support@1').validationLoss, 2.5);
    assert.throws(() => registry.resolve('support@7'), /has no version 7; versions: 1, 2/);
    assert.throws(() => registry.resolve('nope'), /No adapter named "nope".*Registered: support/);
    assert.throws(() => parseAdapterRef('bad name'), /not an adapter reference/);

    const listed = await runCli(['tune', 'list', '--registry', 'adapters'], { cwd: dir });
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^ADAPTER\s+SOURCE\s+BASE/m);
    assert.match(listed.stdout, /support@1\s+registered\s+stories260K\.gguf\s+270cba1bd510 .* 2\.5000/);
    assert.match(listed.stdout, /support@2 .* accuracy=0\.91/);
    const missing = await runCli(['tune', 'register', 'nope.gguf', '--name', 'x', '--base', base, '--registry', 'adapters'], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /adapter file .*nope\.gguf does not exist/);
  });
});

describe('promotion without restart', () => {
  let started: StartedGateway | undefined;
  after(async () => started?.close());

  it('serves a promoted adapter at once, rolls back to the base, and re-applies promotions after a restart', async () => {
    const dir = tempDir();
    const adapters = new AdapterRegistry(path.join(dir, 'adapters'));
    const book = new PromotionBook(path.join(dir, 'promotions.json'));
    await adapters.register({ name: 'rnd', source: 'registered', adapterFile: lora, baseFile: base });
    started = await startGatewayFromConfig({ models: [{ id: 'stories', backend: 'llamacpp', path: base, threads: 1, contextSize: 256 }] });
    const models = started.gateway.options.models;

    const plain = await complete(started.url);
    assert.equal(plain, storiesGreedy.slice(0, plain.length));

    const record = await promoteAdapter(models, adapters, book, 'stories', 'rnd');
    assert.equal(record.adapter, 'rnd@1');
    assert.equal((models.get('stories')!.config as { lora?: string }).lora, adapters.resolve('rnd').file);
    const adapted = await complete(started.url);
    assert.notEqual(adapted, plain, 'the random LoRA changes the greedy continuation');

    const restored = await rollbackAdapter(models, book, 'stories');
    assert.equal(restored.adapter, null);
    assert.equal(await complete(started.url), plain);
    await assert.rejects(rollbackAdapter(models, book, 'stories'), /no earlier promotion to roll back to/);

    // Promote again, then "restart": a fresh registry from the same config applies the book.
    await promoteAdapter(models, adapters, book, 'stories', 'rnd@1');
    const state = JSON.parse(readFileSync(book.file, 'utf8'));
    assert.deepEqual(state.models.stories.map((r: { adapter: string | null }) => r.adapter), [null, 'rnd@1']);
    const fresh = await ModelRegistry.create(portfolioFromObject({ models: [{ id: 'stories', backend: 'llamacpp', path: base, threads: 1, contextSize: 256 }] }));
    try {
      const applied = await applyPromotions(fresh, book);
      assert.deepEqual(applied.map((r) => r.adapter), ['rnd@1']);
      assert.equal((fresh.get('stories')!.config as { lora?: string }).lora, adapters.resolve('rnd').file);
    } finally {
      await fresh.close();
    }
  });

  it('refuses an adapter trained on another base, and keeps serving the old one', async () => {
    const dir = tempDir();
    const adapters = new AdapterRegistry(path.join(dir, 'adapters'));
    await adapters.register({ name: 'rnd', source: 'registered', adapterFile: lora, baseFile: base });
    const other = await ModelRegistry.create(portfolioFromObject({ models: [{ id: 'tiny', backend: 'llamacpp', path: sharedModel('llama-2-tiny-random.gguf'), threads: 1, contextSize: 256 }] }));
    try {
      await assert.rejects(promoteAdapter(other, adapters, new PromotionBook(path.join(dir, 'p.json')), 'tiny', 'rnd'), /was trained on stories260K\.gguf .* but model "tiny" serves .*llama-2-tiny-random\.gguf/);
      assert.equal((other.get('tiny')!.config as { lora?: string }).lora, undefined);
      await assert.rejects(promoteAdapter(other, adapters, new PromotionBook(path.join(dir, 'p.json')), 'ghost', 'rnd'), /No model "ghost"/);
    } finally {
      await other.close();
    }
  });
});
