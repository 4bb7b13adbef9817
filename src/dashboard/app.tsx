import { useEffect, useState } from 'preact/hooks';
import { AdminOffError, AuthError, adminKey, getInfo, setAdminKey, type Info } from './api.ts';
import { EmptyState, ErrorState } from './components/empty-state.tsx';
import { LoginScreen } from './components/login-screen.tsx';
import { CostsPage } from './pages/costs-page.tsx';
import { EvaluationsPage } from './pages/evaluations-page.tsx';
import { OverviewPage } from './pages/overview-page.tsx';
import { PortfolioPage } from './pages/portfolio-page.tsx';
import { RoutingPage } from './pages/routing-page.tsx';
import { SovereigntyPage } from './pages/sovereignty-page.tsx';
import { SpecialistsPage } from './pages/specialists-page.tsx';

const pages = [
  { id: 'overview', label: 'Overview' },
  { id: 'portfolio', label: 'Portfolio' },
  { id: 'routing', label: 'Routing' },
  { id: 'costs', label: 'Costs' },
  { id: 'sovereignty', label: 'Sovereignty' },
  { id: 'evaluations', label: 'Evaluations' },
  { id: 'specialists', label: 'Specialists' },
] as const;
type PageId = (typeof pages)[number]['id'];

function pageFromHash(): PageId {
  const id = location.hash.replace(/^#\/?/, '');
  return pages.some((p) => p.id === id) ? (id as PageId) : 'overview';
}

function initialTheme(): 'light' | 'dark' {
  const saved = localStorage.getItem('unbundle.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const [page, setPage] = useState<PageId>(pageFromHash());
  const [info, setInfo] = useState<Info | null>(null);
  const [login, setLogin] = useState<{ message: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [theme, setTheme] = useState(initialTheme);

  const load = () =>
    getInfo().then(
      (i) => {
        setInfo(i);
        setLogin(null);
        setError(null);
      },
      (e) => {
        if (e instanceof AuthError) setLogin({ message: adminKey() ? 'The stored key was refused: log in again.' : null });
        else setError(e);
      },
    );

  useEffect(() => {
    void load();
    const onHash = () => setPage(pageFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('unbundle.theme', theme);
  }, [theme]);

  useEffect(() => {
    document.title = `${pages.find((p) => p.id === page)!.label} · unbundle`;
  }, [page]);

  const needLogin = () => {
    setAdminKey(null);
    setInfo(null);
    setLogin({ message: 'Your session ended or the key changed: log in again.' });
  };

  if (login) {
    return (
      <LoginScreen
        message={login.message}
        onLogin={(key) => {
          setAdminKey(key);
          void getInfo().then(
            (i) => {
              setInfo(i);
              setLogin(null);
            },
            (e) => {
              setAdminKey(null);
              setLogin({ message: e instanceof Error ? e.message : String(e) });
            },
          );
        }}
      />
    );
  }
  if (error instanceof AdminOffError) {
    return (
      <main class="content" data-testid="admin-off">
        <h1>unbundle dashboard</h1>
        <EmptyState title="The admin API is off on this gateway, so the dashboard has no data to show.">
          {error.message} The dashboard reads everything through the admin API, behind the same admin key; restart the gateway with the key set, then reload this page and log in with it.
        </EmptyState>
      </main>
    );
  }
  if (error) return <main class="content"><ErrorState error={error} /></main>;
  if (!info) return <main class="content"><p class="muted">Loading…</p></main>;

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">unbundle</span>
        <nav aria-label="Pages">
          {pages.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={page === p.id ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <div class="top-actions">
          <button type="button" class="ghost" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
          {info.adminKeyRequired ? (
            <button type="button" class="ghost" onClick={() => { setAdminKey(null); setInfo(null); setLogin({ message: null }); }}>
              Log out
            </button>
          ) : null}
        </div>
      </header>
      <main id="main" class="content" tabIndex={-1}>
        {page === 'overview' && <OverviewPage info={info} onAuth={needLogin} />}
        {page === 'portfolio' && <PortfolioPage info={info} />}
        {page === 'routing' && <RoutingPage info={info} />}
        {page === 'costs' && <CostsPage info={info} />}
        {page === 'sovereignty' && <SovereigntyPage info={info} />}
        {page === 'evaluations' && <EvaluationsPage />}
        {page === 'specialists' && <SpecialistsPage />}
      </main>
    </div>
  );
}
