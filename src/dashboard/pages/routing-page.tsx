import { useState } from 'preact/hooks';
import { explainRoute, type Info, type RouteExplanation } from '../api.ts';
import { DomainMix } from '../components/domain-mix.tsx';
import { EmptyState, ErrorState } from '../components/empty-state.tsx';
import { percent, rate } from '../format.ts';

export function RoutingPage({ info }: { info: Info }) {
  const choices = ['auto', ...info.models];
  const [prompt, setPrompt] = useState('');
  const [model, setModel] = useState('auto');
  const [result, setResult] = useState<RouteExplanation | null>(null);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!prompt.trim()) return;
    try {
      setError(null);
      setResult(await explainRoute(prompt, model));
    } catch (e) {
      setError(e);
    }
  };
  const classifier = result?.classifier;
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Routing</h1>
      </header>
      <form class="card" onSubmit={submit} aria-labelledby="tester-title">
        <h2 id="tester-title">Route tester</h2>
        <p class="muted small">See the decision for a prompt without calling any model.</p>
        <div class="form-row">
          <label>
            Requested model
            <select value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
              {choices.map((id) => (
                <option key={id}>{id}</option>
              ))}
            </select>
          </label>
        </div>
        <label class="block">
          Prompt
          <textarea rows={3} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} data-testid="route-prompt" />
        </label>
        <button type="submit" class="primary" disabled={!prompt.trim()} data-testid="route-send">
          Explain
        </button>
      </form>
      {error ? <ErrorState error={error} /> : null}
      {result ? (
        <div class="grid-2" data-testid="route-result">
          <div class="card">
            <h2>Plan</h2>
            {result.plan.error ? (
              <p class="error-text">{result.plan.error}</p>
            ) : (
              <dl class="kv">
                <dt>Answers</dt>
                <dd>
                  <strong>{result.plan.primary}</strong>
                </dd>
                <dt>Fallbacks</dt>
                <dd>{result.plan.fallbacks?.join(', ') || 'none'}</dd>
                <dt>Reasons</dt>
                <dd>{result.plan.reasons?.join('; ')}</dd>
                {result.plan.domain ? (
                  <>
                    <dt>Domain</dt>
                    <dd>{result.plan.domain}</dd>
                  </>
                ) : null}
              </dl>
            )}
          </div>
          <div class="card">
            <h2>Domain classifier</h2>
            {classifier && !classifier.available ? <EmptyState title="No classifier configured.">{classifier.reason}</EmptyState> : null}
            {classifier?.available ? (
              <>
                <p>
                  <strong>{classifier.prediction.domain}</strong> ({percent(classifier.prediction.confidence)} sure; threshold {percent(classifier.threshold)}) from {classifier.file}
                </p>
                <table>
                  <thead>
                    <tr>
                      <th>Domain</th>
                      <th class="num">Probability</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(classifier.prediction.scores)
                      .sort((a, b) => b[1] - a[1])
                      .map(([domain, p]) => (
                        <tr key={domain}>
                          <td>{domain}</td>
                          <td class="num">{percent(p)}</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
                <p class="small">
                  For: {classifier.for.map((f) => `“${f.feature}” ${rate(f.weight, 2)}`).join(', ') || '—'}
                  <br />
                  Against: {classifier.against.map((f) => `“${f.feature}” ${rate(f.weight, 2)}`).join(', ') || '—'}
                </p>
              </>
            ) : null}
          </div>
        </div>
      ) : null}
      <DomainMix />
    </section>
  );
}
