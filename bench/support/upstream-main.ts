/** Runs the fake OpenAI upstream in its own process for benchmarks (zero-delay `ok` answers). */
import { startFakeOpenAIUpstream } from '../../test/fakes/fake-openai-upstream.ts';

const upstream = await startFakeOpenAIUpstream({ record: false });
console.log(`upstream listening on ${upstream.port}`);
process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
