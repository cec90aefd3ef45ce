import type { Client } from 'pg';

/**
 * Statements the bench database ran, by kind: counts that do not depend on how loaded the
 * machine is (CPU figures do), only on how the work is batched. From pg_stat_statements,
 * when the server preloads it (a scratch server: `shared_preload_libraries =
 * 'pg_stat_statements'`); null otherwise. Top-level statements only: each is a round trip,
 * except the statements of one multi-statement query (the relay's horizon, a hold's
 * `BEGIN; SELECT …`), which share one.
 */
export type StatementCounts = Map<string, { calls: number; rows: number }>;

export async function statementCounts(pg: Client): Promise<StatementCounts | null> {
  try {
    const { rows: on } = await pg.query<{ on: boolean }>(
      `SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%' AS on`,
    );
    if (!on[0]?.on) return null;
    await pg.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const { rows } = await pg.query<{ query: string; calls: string; rows: string }>(
      `SELECT query, calls::text, rows::text FROM pg_stat_statements
       WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    const out: StatementCounts = new Map();
    for (const r of rows) {
      const kind = kindOf(r.query);
      const c = out.get(kind) ?? { calls: 0, rows: 0 };
      c.calls += Number(r.calls);
      c.rows += Number(r.rows);
      out.set(kind, c);
    }
    return out;
  } catch {
    return null;
  }
}

function kindOf(query: string): string {
  const q = query.replace(/\s+/g, ' ').trim();
  if (/^BEGIN$/i.test(q)) return 'BEGIN';
  if (/^COMMIT$/i.test(q)) return 'COMMIT';
  if (/^ROLLBACK$/i.test(q)) return 'ROLLBACK';
  if (/hold_units_batch/.test(q)) return 'hold';
  if (/rate_limit/.test(q)) return 'rate-limit take';
  if (/^INSERT INTO outbox/.test(q)) return 'outbox insert';
  if (/outbox/.test(q)) return `relay: ${q.slice(0, 40)}`;
  return `other: ${q.slice(0, 40)}`;
}

/** Calls (and rows) per hold request between two snapshots, most frequent first. */
export function perRequest(
  before: StatementCounts,
  after: StatementCounts,
  requests: number,
): Record<string, { calls: number; rows: number }> {
  const out: [string, { calls: number; rows: number }][] = [];
  let total = 0;
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { calls: 0, rows: 0 };
    const calls = a.calls - b.calls;
    if (calls <= 0) continue;
    total += calls;
    out.push([kind, { calls: calls / requests, rows: (a.rows - b.rows) / requests }]);
  }
  out.sort((x, y) => y[1].calls - x[1].calls);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return Object.fromEntries([
    ['all statements', { calls: round(total / requests), rows: 0 }],
    ...out.map(([k, v]) => [k, { calls: round(v.calls), rows: round(v.rows) }] as const),
  ]);
}
