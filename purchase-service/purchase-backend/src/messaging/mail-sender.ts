import { queryRows, type Logger, type Part } from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import { ordersOf } from '../domain/orders';
import type { Mailer } from './mailer';
import { periodic } from './periodic';

/** Mails claimed per round; the round sends them at once over the pooled SMTP connections. */
const BATCH = 20;
/** A claimed mail that is neither sent nor failed by then (its instance died) is due again. */
const LEASE_SECONDS = 120;
/** After this many failed attempts a mail is logged as an error on every further retry. */
const ALERT_AFTER_ATTEMPTS = 5;

/** Seconds until the next try after `attempts` failures: 5 s, 10 s, 20 s, … at most an hour. */
export const retryDelaySeconds = (attempts: number): number => Math.min(3600, 5 * 2 ** (attempts - 1));

/**
 * Sends the order confirmations written to `mail_outbox` by the transaction that issued
 * the tickets. Rows are claimed with SKIP LOCKED and a lease, so several purchase
 * instances share the work and a crashed one's claims come back; a failed send is
 * retried with backoff. At least once: a crash between sending and marking sends again.
 * Returns how many mails it claimed.
 */
export async function sendDueMails(ds: DataSource, mailer: Mailer, logger: Logger): Promise<number> {
  const due = await queryRows<{ order_id: string; attempts: number }>(
    ds,
    `UPDATE mail_outbox SET attempts = attempts + 1, next_at = now() + make_interval(secs => $2)
     WHERE order_id IN (
       SELECT order_id FROM mail_outbox WHERE sent_at IS NULL AND next_at <= now()
       ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING order_id, attempts`,
    [BATCH, LEASE_SECONDS],
  );
  await Promise.all(
    due.map(async ({ order_id: orderId, attempts }) => {
      try {
        if (mailer.enabled) await sendConfirmation(ds, mailer, orderId);
        await ds.query(`UPDATE mail_outbox SET sent_at = now(), last_error = NULL WHERE order_id = $1`, [
          orderId,
        ]);
      } catch (err) {
        const retryIn = retryDelaySeconds(attempts);
        await ds.query(
          `UPDATE mail_outbox SET next_at = now() + make_interval(secs => $2), last_error = $3 WHERE order_id = $1`,
          [orderId, retryIn, String((err as Error)?.message ?? err).slice(0, 500)],
        );
        const log = attempts >= ALERT_AFTER_ATTEMPTS ? logger.error.bind(logger) : logger.warn.bind(logger);
        log({ err, orderId, attempts, retryIn }, 'confirmation e-mail failed; will try again');
      }
    }),
  );
  return due.length;
}

async function sendConfirmation(ds: DataSource, mailer: Mailer, orderId: string): Promise<void> {
  const row = await queryRows<{ user_id: string; email: string }>(
    ds,
    `SELECT user_id, email FROM orders WHERE order_id = $1`,
    [orderId],
  );
  const o = row[0];
  if (!o) return;
  const [view] = await ordersOf(ds, o.user_id, orderId);
  const tickets = await queryRows<{ unitId: string; code: string }>(
    ds,
    `SELECT unit_id AS "unitId", code FROM tickets WHERE order_id = $1 AND voided_at IS NULL`,
    [orderId],
  );
  // Refunded (or otherwise no longer paid) before the mail went out: nothing to confirm.
  if (view?.status === 'paid') await mailer.sendTicketsReady(o.email, view, tickets);
}

/**
 * The mail outbox's sender as a Part: a round every `intervalMs`, at once when woken
 * (after a commit that queued a mail), rounds back to back while they come back full.
 */
export function mailSender(
  ds: DataSource,
  mailer: Mailer,
  logger: Logger,
  intervalMs = 1000,
): Part & { wake(): void } {
  const loop = periodic(
    'mail-sender',
    intervalMs,
    async () => {
      while ((await sendDueMails(ds, mailer, logger)) === BATCH);
    },
    logger,
  );
  return {
    ...loop,
    stop: async () => {
      await loop.stop();
      mailer.close();
    },
  };
}
