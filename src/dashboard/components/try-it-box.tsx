import { useState } from 'preact/hooks';
import { tryChat, type ChatAnswer } from '../api.ts';
import { ms } from '../format.ts';

/** Sends one prompt through the normal /v1/chat/completions and shows the answer with its headers. */
export function TryItBox({ models, autoRouting }: { models: string[]; autoRouting: boolean }) {
  const choices = autoRouting ? ['auto', ...models] : models;
  const [model, setModel] = useState(choices[0] ?? '');
  const [prompt, setPrompt] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [maxTokens, setMaxTokens] = useState(64);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<ChatAnswer | null>(null);

  const send = async (event: Event) => {
    event.preventDefault();
    if (!prompt.trim() || !model) return;
    setBusy(true);
    try {
      setAnswer(await tryChat(model, prompt, apiKey, maxTokens));
    } catch (error) {
      setAnswer({ status: 0, text: '', headers: [], ms: 0, error: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card try-it" onSubmit={send} aria-labelledby="try-title">
      <h2 id="try-title">Try it</h2>
      <div class="form-row">
        <label>
          Model
          <select value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)} data-testid="try-model">
            {choices.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Max tokens
          <input type="number" min={1} max={4096} value={maxTokens} onInput={(e) => setMaxTokens(Number((e.target as HTMLInputElement).value) || 64)} />
        </label>
        <label>
          API key <span class="muted">(only if the gateway requires one; not stored)</span>
          <input type="password" autocomplete="off" value={apiKey} onInput={(e) => setApiKey((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      {!autoRouting ? <p class="muted small">“auto” routing is not configured on this gateway; pick a model.</p> : null}
      <label class="block">
        Prompt
        <textarea rows={3} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} data-testid="try-prompt" placeholder="Ask something…" />
      </label>
      <button type="submit" class="primary" disabled={busy || !prompt.trim()} data-testid="try-send">
        {busy ? 'Sending…' : 'Send'}
      </button>
      {answer ? (
        <div class="answer" data-testid="try-answer" aria-live="polite">
          <div class="muted small">
            HTTP {answer.status} in {ms(answer.ms)}
          </div>
          {answer.error ? <p class="error-text">{answer.error}</p> : <pre class="answer-text">{answer.text || '(empty answer)'}</pre>}
          <dl class="headers" data-testid="try-headers">
            {answer.headers.map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        </div>
      ) : null}
    </form>
  );
}
