/**
 * A fake OpenAI upstream for the chaos bench, in its own process. Argument: the share of calls
 * that fail (0..1), at random (seeded): 5xx and 429 errors, hangs, connection resets, malformed
 * JSON, and streams cut before their first token. SIGUSR1 switches it to "every stream is cut
 * after its first tokens", SIGUSR2 to "every call hangs".
 */
import { seededRandom } from '../../src/util/seeded-random.ts';
import { startFakeOpenAIUpstream, type FakeBehavior } from '../../test/fakes/fake-openai-upstream.ts';

const failRate = Number(process.argv[2] ?? 0);
const random = seededRandom(Number(process.argv[3] ?? 42));
const faults: FakeBehavior[] = [
  { kind: 'error', status: 500 },
  { kind: 'error', status: 503 },
  { kind: 'error', status: 429, headers: { 'retry-after-ms': '50' } },
  { kind: 'hang' },
  { kind: 'reset' },
  { kind: 'malformed' },
  { kind: 'cut', afterTokens: 1 },
];
const hang: FakeBehavior = { kind: 'hang' };
const cutMidway: FakeBehavior = { kind: 'cut', afterTokens: 3 };
let mode: 'chaos' | 'cut' | 'hang' = 'chaos';

const upstream = await startFakeOpenAIUpstream({ record: false });
upstream.setChooser(() => {
  if (mode === 'hang') return hang;
  if (mode === 'cut') return cutMidway;
  return random() < failRate ? faults[Math.floor(random() * faults.length)] : undefined;
});
console.log(`upstream listening on ${upstream.port}`);
process.on('SIGUSR1', () => {
  mode = 'cut';
});
process.on('SIGUSR2', () => {
  mode = 'hang';
});
process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
