/** One headline figure with its label and a short note on where it comes from. */
export function StatCard({ label, value, note, testId }: { label: string; value: string; note?: string; testId?: string }) {
  return (
    <div class="card stat" data-testid={testId}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {note ? <div class="stat-note">{note}</div> : null}
    </div>
  );
}
