import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/portfolio/config-error.ts';
import { loadPortfolioFile, portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';

// The shared test models live beside the repository (CI lays ../shared next to the clone).
const stories = path.resolve(import.meta.dirname, '../../../shared/models/stories260K.gguf');
const adapter = path.resolve(import.meta.dirname, '../../../shared/models/stories260K-random-lora.gguf');

function problemsOf(raw: unknown): string[] {
  try {
    portfolioFromObject(raw as never, 'portfolio.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('the config was accepted');
}

describe('portfolio config validation: the exact messages users get', () => {
  const table: Array<[string, unknown, string[]]> = [
    ['misspelt key', { models: [{ id: 'a', backend: 'llamacpp', pth: stories }] }, ['models[0].path: missing — this field is required (a string)', 'models[0].pth: unknown key "pth" — did you mean "path"?']],
    ['unknown backend', { models: [{ id: 'a', backend: 'llamacp', path: stories }] }, ['models[0].backend: the text "llamacp" is not a known backend — use one of: llamacpp, openai-compatible, anthropic, gemini (did you mean "llamacpp"?)']],
    ['missing backend', { models: [{ id: 'a', path: stories }] }, ['models[0].backend: missing — set it to one of: llamacpp, openai-compatible, anthropic, gemini']],
    ['port as text', { server: { port: '80' } }, ['server.port: expected a number, got the text "80"']],
    ['port out of range', { server: { port: 70000 } }, ['server.port: must be at most 65535, got 70000']],
    ['misspelt section', { servr: {} }, ['servr: unknown key "servr" — did you mean "server"?']],
    ['bad URL', { models: [{ id: 'a', backend: 'openai-compatible', baseURL: 'notaurl' }] }, ['models[0].baseURL: must be a full http:// or https:// URL such as http://127.0.0.1:8000/v1 (or set provider: openai, mistral, ollama, …) (got the text "notaurl")']],
    ['URL of another scheme', { models: [{ id: 'a', backend: 'openai-compatible', baseURL: 'ftp://x/v1' }] }, ['models[0].baseURL: must be a full http:// or https:// URL such as http://127.0.0.1:8000/v1 (or set provider: openai, mistral, ollama, …) (got the text "ftp://x/v1")']],
    ['unknown gpu', { models: [{ id: 'a', backend: 'llamacpp', path: stories, gpu: 'rocm' }] }, ['models[0].gpu: must be false (CPU only), auto (a GPU when one is found), cuda, vulkan or metal']],
    ['context size typo', { models: [{ id: 'a', backend: 'llamacpp', path: stories, contextSize: 999999999 }] }, ['models[0].contextSize: must be at most 16777216, got 999999999']],
    ['secret in the file', { models: [{ id: 'a', backend: 'openai-compatible', baseURL: 'http://x/v1', apiKey: 'sk-123' }] }, ['models[0].apiKey: secrets never go in the config file — put the key in an environment variable and name it with apiKeyEnv (e.g. apiKeyEnv: OPENAI_API_KEY)']],
    ['secret in apiKeyEnv is not echoed', { models: [{ id: 'a', backend: 'openai-compatible', baseURL: 'http://x/v1', apiKeyEnv: 'sk-123' }] }, ['models[0].apiKeyEnv: must be the NAME of an environment variable (secrets never go in the config file itself)']],
    [
      'upstream headers that would break the request',
      { models: [{ id: 'a', backend: 'openai-compatible', baseURL: 'http://x/v1', headers: { 'x ok': '1', Host: 'elsewhere', 'x-two-lines': 'a\r\nx-injected: 1' } }] },
      [
        'models[0].headers.x ok: "x ok" is not a valid HTTP header name — use letters, digits and - (no spaces or colons)',
        'models[0].headers.Host: unbundle sets host itself — remove it from headers',
        'models[0].headers.x-two-lines: a header value must be one line (no line breaks or NUL)',
      ],
    ],
    ['models not a list', { models: 'x' }, ['models: expected an array, got the text "x"']],
    ['missing model file', { models: [{ id: 'a', backend: 'llamacpp', path: '/nope.gguf' }] }, ["models[0].path: file not found: /nope.gguf — check the path (relative paths are resolved from the config file's folder)"]],
    ['adapter given as the model', { models: [{ id: 'a', backend: 'llamacpp', path: adapter }] }, [`models[0].path: ${adapter} is a LoRA adapter, not a model — set path to its base model's .gguf and give this file as lora:`]],
    ['model given as the adapter', { models: [{ id: 'a', backend: 'llamacpp', path: stories, lora: stories }] }, [`models[0].lora: ${stories} is a model, not a LoRA adapter — lora: takes an adapter .gguf made for the model in path`]],
    ['duplicate ids', { models: [{ id: 'a', backend: 'llamacpp', path: stories }, { id: 'a', backend: 'llamacpp', path: stories }] }, ['models[1].id: duplicate model id "a" (also models[0].id): give each model its own id']],
    ['id with a space', { models: [{ id: 'bad id', backend: 'llamacpp', path: stories }] }, ['models[0].id: must start with a letter or digit and use only letters, digits, ".", "_", ":", "/" and "-" (at most 128 characters) (got the text "bad id")']],
    ['zero parallel', { models: [{ id: 'a', backend: 'llamacpp', path: stories, parallel: 0 }] }, ['models[0].parallel: must be more than 0, got 0']],
    ['zone with spaces', { models: [{ id: 'a', backend: 'llamacpp', path: stories, zone: 'Public Cloud' }] }, ['models[0].zone: must be local, self-hosted, external, or a lower-case name such as eu-cloud (got the text "Public Cloud")']],
  ];
  for (const [name, raw, expected] of table) {
    it(name, () => assert.deepEqual(problemsOf(raw), expected));
  }

  it('fills defaults and freezes the result', () => {
    const portfolio = portfolioFromObject({ models: [{ id: 'stories', backend: 'llamacpp', path: stories }, { id: 'up', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9100/v1' }] });
    assert.deepEqual(portfolio.server, { host: '127.0.0.1', port: 8080, bodyLimit: 4194304, shutdownGraceMs: 10000, requestTimeoutMs: 600000, headersTimeoutMs: 10000, bodyTimeoutMs: 60000, fastHttp: true, logLevel: 'info' });
    const [local, remote] = portfolio.models;
    assert.equal(local!.zone, 'local');
    assert.equal(remote!.zone, 'external');
    assert.equal(local!.backend === 'llamacpp' && local!.parallel, 4);
    assert.ok(Object.isFrozen(portfolio.models[0]));
  });

  it('reads YAML from a file, resolves paths from its folder, and reports syntax errors by line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-config-'));
    const file = path.join(dir, 'portfolio.yaml');
    writeFileSync(file, `server: { port: 9000 }\nmodels:\n  - id: stories\n    backend: llamacpp\n    path: ${path.relative(dir, stories)}\n`);
    const { portfolio } = loadPortfolioFile(file);
    assert.equal(portfolio.server.port, 9000);
    assert.equal(portfolio.models[0]!.backend === 'llamacpp' && portfolio.models[0]!.path, stories);

    writeFileSync(file, 'server:\n  port: 9000\n models: []\n');
    assert.throws(() => loadPortfolioFile(file), (error: unknown) => error instanceof ConfigError && /YAML syntax error at line 3/.test(error.message));
    writeFileSync(file, 'server: {}\nserver: {}\n');
    assert.throws(() => loadPortfolioFile(file), (error: unknown) => error instanceof ConfigError && /line 2.*unique/i.test(error.message));
    assert.throws(() => loadPortfolioFile(path.join(dir, 'missing.yaml')), /cannot read the config file: file not found/);
  });
});
