import { notifyOutbox, type Logger, type OutboxRelay, type Queryable } from '@ticketslave/common';

/**
 * Wakes the outbox relay after commits that did not NOTIFY themselves (holds). A NOTIFY
 * serialises commits server-wide, and every relay round briefly stops the outbox's
 * writers (its write lock), so the hot path leaves NOTIFY out and this sends one after
 * the fact, coalesced: at most one per `minIntervalMs`, covering every commit before
 * it. If the process dies before it is sent, the relay's poll finds the rows. When this
 * process's own relay leads (`localRelay`), it is woken in memory instead: no round trip.
 */
export function coalescedOutboxNotify(
  db: Queryable,
  logger: Logger,
  minIntervalMs = 50,
  localRelay?: Pick<OutboxRelay, 'wakeIfLeader'>,
): () => void {
  let scheduled = false;
  let last = 0;
  const send = () => {
    last = Date.now();
    scheduled = false;
    if (localRelay?.wakeIfLeader()) return;
    notifyOutbox(db).catch((err: unknown) => logger.warn({ err }, 'outbox notify failed'));
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(send, Math.max(0, last + minIntervalMs - Date.now())).unref();
  };
}
