import type { ComponentChildren } from 'preact';

/** What a panel shows when its data does not exist (yet): what is missing and what to do. */
export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" role="status">
      <strong>{title}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

export function ErrorState({ error }: { error: unknown }) {
  return (
    <div class="error-box" role="alert">
      <strong>Could not load this view.</strong> {error instanceof Error ? error.message : String(error)}
    </div>
  );
}
