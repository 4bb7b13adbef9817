import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';

export interface Column<Row> {
  key: string;
  label: string;
  /** The value sorted and searched on. */
  value: (row: Row) => string | number | null;
  render?: (row: Row) => ComponentChildren;
  numeric?: boolean;
}

/** A table with sortable headers (buttons, so the keyboard works) and a search box. */
export function DataTable<Row>({ rows, columns, caption, rowKey, search = true }: { rows: Row[]; columns: Column<Row>[]; caption: string; rowKey: (row: Row) => string; search?: boolean }) {
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const [query, setQuery] = useState('');
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    let list = q ? rows.filter((row) => columns.some((c) => String(c.value(row) ?? '').toLowerCase().includes(q))) : rows.slice();
    if (sort) {
      const column = columns.find((c) => c.key === sort.key)!;
      list = list.sort((a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * sort.dir;
      });
    }
    return list;
  }, [rows, columns, sort, query]);
  return (
    <div class="table-wrap">
      {search ? (
        <input class="search" type="search" placeholder={`Search ${caption.toLowerCase()}…`} aria-label={`Search ${caption}`} value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
      ) : null}
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} class={c.numeric ? 'num' : ''} aria-sort={sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                <button type="button" class="sort" onClick={() => setSort(sort?.key === c.key ? { key: c.key, dir: sort.dir === 1 ? -1 : 1 } : { key: c.key, dir: c.numeric ? -1 : 1 })}>
                  {c.label}
                  <span aria-hidden="true">{sort?.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key} class={c.numeric ? 'num' : ''}>
                  {c.render ? c.render(row) : (c.value(row) ?? '—')}
                </td>
              ))}
            </tr>
          ))}
          {shown.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="muted">
                {rows.length === 0 ? 'Nothing yet.' : 'No row matches the search.'}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
