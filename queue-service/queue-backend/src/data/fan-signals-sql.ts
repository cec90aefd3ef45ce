import type { Queryable } from '@ticketslave/common';

/** Channel on which instances tell each other about single fans (their sockets may be anywhere). */
export const FAN_CHANNEL = 'queue_fans';

export type FanSignal =
  | { t: 'turn'; e: string; u: string; c: string }
  | { t: 'lapsed'; e: string; u: string }
  /** `a`: when the replacing socket connected (ms); only older sockets give way to it. */
  | { t: 'replaced'; e: string; u: string; c: string; a?: number }
  | { t: 'cancelled'; e: string };

/**
 * NOTIFY is transactional: instances hear about a turn exactly when it commits.
 * Payloads are capped at 8000 bytes, so signals go in chunks.
 */
export async function notifyFans(db: Queryable, signals: FanSignal[]): Promise<void> {
  let chunk: FanSignal[] = [];
  let size = 2;
  const flush = async () => {
    if (chunk.length) await db.query(`SELECT pg_notify($1, $2)`, [FAN_CHANNEL, JSON.stringify(chunk)]);
    chunk = [];
    size = 2;
  };
  for (const s of signals) {
    const len = JSON.stringify(s).length + 1;
    if (size + len > 7000) await flush();
    chunk.push(s);
    size += len;
  }
  await flush();
}
