import { useState } from 'preact/hooks';

/** Asks for the admin key; the key is kept in this tab's sessionStorage only. */
export function LoginScreen({ onLogin, message }: { onLogin: (key: string) => void; message: string | null }) {
  const [key, setKey] = useState('');
  return (
    <main class="login">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onLogin(key.trim());
        }}
      >
        <h1>unbundle dashboard</h1>
        <p>This gateway requires its admin key (the value of UNBUNDLE_ADMIN_KEY).</p>
        <label class="block">
          Admin key
          <input type="password" autocomplete="current-password" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} autofocus data-testid="login-key" />
        </label>
        {message ? (
          <p class="error-text" role="alert">
            {message}
          </p>
        ) : null}
        <button type="submit" class="primary" data-testid="login-submit">
          Log in
        </button>
        <p class="muted small">The key stays in this browser tab (sessionStorage) and is sent only in the Authorization header.</p>
      </form>
    </main>
  );
}
