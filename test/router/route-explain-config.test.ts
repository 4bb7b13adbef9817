import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { saveRouter } from '../../src/router/classifier/router-file.ts';
import { trainDomainClassifier } from '../../src/router/classifier/train-domain-classifier.ts';
import { loadThresholdRouter } from '../../src/router/threshold/threshold-router-file.ts';
import { seededRandom } from '../../src/util/seeded-random.ts';
import { runCli } from '../helpers/run-cli.ts';
import { toyExamples } from './toy-domains.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-route-explain-'));
const at = (file: string): string => path.join(dir, file);
const codePrompt = 'Why my python function throws an exception in the parser?';

/** Outcomes where the weak model fails proofs and gets trivia right; the strong model gets 90%. */
function outcomesCsv(count: number): string {
  const random = seededRandom(3);
  const rows = ['prompt,small-model,big-model'];
  for (let i = 0; i < count; i++) {
    const hard = i % 2 === 0;
    const text = hard ? `write a proof that sequence ${i} converges` : `what is the capital of country ${i}`;
    rows.push(`"${text}",${random() < (hard ? 0.05 : 0.95) ? 'True' : 'False'},${random() < 0.9 ? 'True' : 'False'}`);
  }
  return rows.join('\n') + '\n';
}

describe('unbundle route explain --config | route train-threshold', () => {
  before(async () => {
    saveRouter(trainDomainClassifier(toyExamples(60), { features: { bits: 14 } }), at('router.json'));
    writeFileSync(at('outcomes.csv'), outcomesCsv(400));
    const trained = await runCli(['route', 'train-threshold', '--outcomes', 'outcomes.csv', '--strong-share', '0.5', '--out', 'threshold.json', '--bits', '14'], { cwd: dir });
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /^trained a threshold router on 400 graded prompts in \d+\.\d s\n {2}weak small-model: \d+\.\d% right, strong big-model: \d+\.\d% right\nwrote .*threshold\.json: threshold -?\d\.\d{4} .* sends 50% of held-out prompts to the strong model\n$/);
    writeFileSync(at('portfolio.yaml'), [
      'models:',
      '  - { id: big, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1", pricing: gpt-4o, quality: { code: 0.95, billing: 0.9 } }',
      '  - { id: coder, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1", domains: [code], quality: { code: 0.85 }, pricePerMTok: 0.2 }',
      '  - { id: support, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1", domains: [billing] }',
      'router:',
      '  classifier: router.json',
      '  default: big',
      '  rules:',
      '    - { name: legal, when: { headers: { x-unbundle-team: legal }, metadata: { tier: gold } }, exclude: [coder] }',
      '  virtualModels:',
      '    auto-cheap: { strategy: cheapest, minQuality: 0.8 }',
      '    auto-tr: { strategy: threshold, weak: coder, strong: big, file: threshold.json }',
    ].join('\n') + '\n');
    writeFileSync(at('plain.yaml'), 'models:\n  - { id: big, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }\n');
  });

  it('prints the rule, domain, scored candidates, route, fallbacks and reason', async () => {
    const { code, stdout, stderr } = await runCli(['route', 'explain', '--config', 'portfolio.yaml', '--model', 'auto-cheap', codePrompt], { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^requested: auto-cheap \(cheapest with quality >= 0\.8\)\nrule: none matched \(1 rule\)\ndomain: code\nconfidence: \d\.\d{4}\nscores: code \d\.\d{4}, /);
    assert.match(stdout, /candidates for code:\n {2}model +quality +price\/MTok +latency ms +meets target\n {2}coder +0\.85 +0\.2000 +\? +yes\n {2}big +0\.95 +4\.3750 +\? +yes\n/);
    assert.match(stdout, /\nroute: coder\nfallbacks: big\nreason: domain code \(\d\.\d\d\); cheapest with quality>=0\.80; coder q=0\.85 price=0\.200\n/);
    assert.match(stdout, /price unknown \(ranked last by price\): support — set pricePerMTok or pricing\n$/);
  });

  it('--header, --metadata and --json: rules see them; one JSON object with the plan', async () => {
    const { code, stdout, stderr } = await runCli(['route', 'explain', '--config', at('portfolio.yaml'), '--header', 'X-Unbundle-Team=legal', '--metadata', 'tier=gold', '--json', codePrompt]);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout) as { plan: { primary: string; requested: string; reasons: string[]; domain: string }; rule: string; candidates: Array<{ id: string }> };
    assert.equal(out.plan.requested, 'auto');
    assert.equal(out.rule, 'legal');
    assert.equal(out.plan.primary, 'big');
    assert.deepEqual(out.candidates.map((c) => c.id), ['big']);
    assert.deepEqual(out.plan.reasons.slice(0, 2), ['rule legal', 'exclude coder']);
    const withoutMetadata = JSON.parse((await runCli(['route', 'explain', '--config', at('portfolio.yaml'), '--header', 'x-unbundle-team=legal', '--json', codePrompt])).stdout) as { rule: string | null };
    assert.equal(withoutMetadata.rule, null);
  });

  it('a threshold virtual model routes hard prompts to the strong model, easy ones to the weak', async () => {
    const router = loadThresholdRouter(at('threshold.json'));
    assert.equal(router.weakModel, 'small-model');
    const hard = await runCli(['route', 'explain', '--config', 'portfolio.yaml', '--model', 'auto-tr', '--json', 'write a proof that sequence 9999 converges'], { cwd: dir });
    assert.equal(hard.code, 0, hard.stderr);
    const hardPlan = (JSON.parse(hard.stdout) as { plan: { primary: string; fallbacks: string[]; reasons: string[] } }).plan;
    assert.equal(hardPlan.primary, 'big');
    assert.deepEqual(hardPlan.fallbacks, ['coder']);
    assert.match(hardPlan.reasons.at(-1)!, /^weak advantage -?\d\.\d{3} < -?\d\.\d{3}: strong$/);
    const easy = await runCli(['route', 'explain', '--config', 'portfolio.yaml', '--model', 'auto-tr', 'what is the capital of country 9999'], { cwd: dir });
    assert.match(easy.stdout, /requested: auto-tr \(threshold router \(weak coder, strong big, threshold -?\d\.\d{3}\)\)/);
    assert.match(easy.stdout, /\nroute: coder\nfallbacks: big\n/);
  });

  it('errors: no routing in the portfolio exits 3; bad pairs and missing prompt exit 2; bad threshold files exit 3', async () => {
    const plain = await runCli(['route', 'explain', '--config', 'plain.yaml', 'hello'], { cwd: dir });
    assert.equal(plain.code, 3);
    assert.match(plain.stderr, /configures no routing: add domains or quality to its models, or a router: block/);
    const pair = await runCli(['route', 'explain', '--config', 'portfolio.yaml', '--header', 'novalue', 'hello'], { cwd: dir });
    assert.equal(pair.code, 2);
    assert.match(pair.stderr, /--header must look like key=value, got "novalue"/);
    const none = await runCli(['route', 'explain', 'hello'], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--router FILE is required .* or --config portfolio\.yaml/);
    const share = await runCli(['route', 'train-threshold', '--outcomes', 'outcomes.csv', '--out', 'x.json'], { cwd: dir });
    assert.equal(share.code, 2);
    assert.match(share.stderr, /--strong-share P is required/);
    writeFileSync(at('threshold.json'), '{"format":"unbundle-threshold-router","version":2}');
    const broken = await runCli(['route', 'explain', '--config', 'portfolio.yaml', 'hello'], { cwd: dir });
    assert.equal(broken.code, 3);
    assert.match(broken.stderr, /threshold\.json: not a version 1 threshold-router file .* retrain it with "unbundle route train-threshold"/);
  });
});
