/**
 * The on-sale invariants, read straight from the services' databases (and the
 * Stripe stand-in's ledger): what must hold however the fans behaved.
 */
import { Client } from 'pg';
import { entrantHash, verifyFairness, type FairnessDocument } from '@ticketslave/common';
import type { StripeStandIn } from '@ticketslave/dev/stripe';

export interface FanFacts {
  userId: string;
  late: boolean;
  /** Arrival rank among buffered (or late) fans: the join receipt's `jat`, then ack order. */
  arrival: number;
  queueNumber: number | null;
  /** Connected and waiting before the turn came: its turn must follow number order. */
  waitedConnected: boolean;
  /** When the join request was sent and answered (driver clock): join order between non-overlapping joins. */
  joinSentAt?: number;
  joinAckAt?: number;
  away?: 'within' | 'after';
  awayReturnedAt?: number;
  /**
   * The fan's queue socket dropped (a drill's outage) and was reopened: a turn that came
   * meanwhile was parked and given back on reconnection with a new turn time, as specified,
   * so its turn time no longer follows number order.
   */
  socketDropped?: boolean;
}

export interface InvariantInput {
  databaseUrl: string;
  eventId: string;
  capacity: Record<string, number>;
  fairness: FairnessDocument | undefined;
  fans: FanFacts[];
  stripe: StripeStandIn;
  soldOutBeforeReturn?: (f: FanFacts) => boolean;
  /** Fans who meant to pay (in the end with a working card): with seats for sale, some must sell. */
  buyers?: number;
}

export interface InvariantReport {
  ok: boolean;
  violations: string[];
  checks: Record<string, string>;
  sold: number;
  soldByCategory: Record<string, number>;
  spearman: number | null;
  spearmanBound: number | null;
}

/** Spearman's rank correlation of two equally long lists without ties. */
export function spearman(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 3) return 0;
  const rank = (v: number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(n);
    idx.forEach(([, i], k) => (r[i] = k + 1));
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (rx[i]! - ry[i]!) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

const MAX_LISTED = 5;
const sample = (xs: unknown[]) =>
  xs
    .slice(0, MAX_LISTED)
    .map((x) => JSON.stringify(x))
    .join(', ') + (xs.length > MAX_LISTED ? ` … (${xs.length})` : '');

export async function checkInvariants(input: InvariantInput): Promise<InvariantReport> {
  const violations: string[] = [];
  const checks: Record<string, string> = {};
  const db = new Client({ connectionString: input.databaseUrl });
  await db.connect();
  const q = async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];
  const ev = input.eventId;
  try {
    // 1. sold ≤ capacity per category (units and valid tickets both).
    const units = await q<{ category_id: string; status: string; n: string }>(
      `SELECT category_id, status, count(*) AS n FROM purchase.units WHERE event_id = $1 GROUP BY 1, 2`,
      [ev],
    );
    const soldByCategory: Record<string, number> = {};
    const unitsByCategory: Record<string, number> = {};
    for (const u of units) {
      unitsByCategory[u.category_id] = (unitsByCategory[u.category_id] ?? 0) + Number(u.n);
      if (u.status === 'sold') soldByCategory[u.category_id] = Number(u.n);
    }
    const ticketsByCat = await q<{ category_id: string; n: string }>(
      `SELECT u.category_id, count(*) AS n FROM purchase.tickets t
       JOIN purchase.units u ON u.event_id = t.event_id AND u.unit_id = t.unit_id
       WHERE t.event_id = $1 AND t.status = 'valid' GROUP BY 1`,
      [ev],
    );
    for (const [cat, cap] of Object.entries(input.capacity)) {
      const sold = soldByCategory[cat] ?? 0;
      const tix = Number(ticketsByCat.find((t) => t.category_id === cat)?.n ?? 0);
      if (unitsByCategory[cat] !== cap)
        violations.push(`category ${cat}: ${unitsByCategory[cat] ?? 0} units for capacity ${cap}`);
      if (sold > cap || tix > cap)
        violations.push(`category ${cat}: sold ${sold} / tickets ${tix} > capacity ${cap}`);
      if (sold !== tix) violations.push(`category ${cat}: ${sold} units sold but ${tix} valid tickets`);
    }
    const sold = Object.values(soldByCategory).reduce((a, b) => a + b, 0);
    checks.capacity = `sold ${JSON.stringify(soldByCategory)} of ${JSON.stringify(input.capacity)}`;

    // 1b. a sale that sells nothing failed: seats were there and fans came to pay for them.
    const offered = Object.values(input.capacity).reduce((a, b) => a + b, 0);
    const buyers = input.buyers ?? input.fans.length;
    if (offered > 0 && buyers > 0 && sold === 0)
      violations.push(`sold nothing: ${offered} seats on sale, ${buyers} fans meant to pay`);
    checks.soldSomething = `sold ${sold} of ${offered} seats, ${buyers} fans meant to pay`;

    // 2. no unit sold twice.
    const twice = await q<{ unit_id: string; n: string }>(
      `SELECT unit_id, count(*) AS n FROM purchase.tickets WHERE event_id = $1 AND status = 'valid'
       GROUP BY 1 HAVING count(*) > 1`,
      [ev],
    );
    if (twice.length) violations.push(`units with several valid tickets: ${sample(twice)}`);
    const soldNoTicket = await q<{ unit_id: string }>(
      `SELECT u.unit_id FROM purchase.units u WHERE u.event_id = $1 AND u.status = 'sold'
       AND NOT EXISTS (SELECT 1 FROM purchase.tickets t WHERE t.event_id = u.event_id AND t.unit_id = u.unit_id
                       AND t.order_id = u.order_id AND t.status = 'valid')`,
      [ev],
    );
    if (soldNoTicket.length)
      violations.push(`sold units without a ticket of their order: ${sample(soldNoTicket)}`);
    checks.noDoubleSale = `${twice.length} units sold twice`;

    // 3. every captured payment has its tickets, every ticket a captured payment.
    const capturedNoTickets = await q<{ order_id: string; items: string; tickets: string }>(
      `SELECT p.order_id, (SELECT count(*) FROM purchase.order_items i WHERE i.order_id = p.order_id) AS items,
              (SELECT count(*) FROM purchase.tickets t WHERE t.order_id = p.order_id AND t.status = 'valid') AS tickets
       FROM payment.payments p WHERE p.event_id = $1 AND p.status = 'captured'`,
      [ev],
    );
    const badCaptured = capturedNoTickets.filter((r) => Number(r.items) === 0 || r.items !== r.tickets);
    if (badCaptured.length)
      violations.push(`captured payments without all their tickets: ${sample(badCaptured)}`);
    const ticketsUnpaid = await q<{ order_id: string; status: string | null }>(
      `SELECT DISTINCT t.order_id, p.status FROM purchase.tickets t
       LEFT JOIN payment.payments p ON p.order_id = t.order_id
       WHERE t.event_id = $1 AND t.status = 'valid' AND (p.status IS DISTINCT FROM 'captured')`,
      [ev],
    );
    if (ticketsUnpaid.length) violations.push(`tickets without a captured payment: ${sample(ticketsUnpaid)}`);
    const paidNoTickets = await q<{ order_id: string; items: string; tickets: string }>(
      `SELECT o.order_id, (SELECT count(*) FROM purchase.order_items i WHERE i.order_id = o.order_id) AS items,
              (SELECT count(*) FROM purchase.tickets t WHERE t.order_id = o.order_id AND t.status = 'valid') AS tickets
       FROM purchase.orders o WHERE o.event_id = $1 AND o.status = 'paid'`,
      [ev],
    );
    const badPaid = paidNoTickets.filter((r) => Number(r.items) === 0 || r.items !== r.tickets);
    if (badPaid.length) violations.push(`paid orders without all their tickets: ${sample(badPaid)}`);
    const captured = capturedNoTickets.length;
    checks.paidIffTickets = `${captured} captured payments, ${badCaptured.length} without tickets, ${ticketsUnpaid.length} ticketed orders unpaid; ${paidNoTickets.length} paid orders, ${badPaid.length} without all tickets`;

    // 4. no authorization left hanging (payment's table and Stripe's own ledger).
    const hanging = await q<{ order_id: string; payment_intent_id: string }>(
      `SELECT order_id, payment_intent_id FROM payment.payments WHERE event_id = $1 AND status = 'authorized'`,
      [ev],
    );
    if (hanging.length) violations.push(`authorizations neither captured nor cancelled: ${sample(hanging)}`);
    const stripeState = input.stripe.state();
    const intents = Object.values(stripeState.paymentIntents ?? {}) as { id: string; status: string }[];
    const stripeHanging = intents.filter((i) => i.status === 'requires_capture');
    if (stripeHanging.length)
      violations.push(`Stripe intents still requires_capture: ${sample(stripeHanging.map((i) => i.id))}`);
    const byStatus: Record<string, number> = {};
    for (const i of intents) byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
    checks.noHangingAuth = `payment.authorized=${hanging.length}; Stripe intents ${JSON.stringify(byStatus)}`;
    const paymentStatuses = await q<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM payment.payments WHERE event_id = $1 GROUP BY 1`,
      [ev],
    );
    const orderStatuses = await q<{ status: string; reason: string | null; n: string }>(
      `SELECT status, reason, count(*) AS n FROM purchase.orders WHERE event_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [ev],
    );
    checks.payments = paymentStatuses.map((r) => `${r.status}=${r.n}`).join(' ');
    checks.orders = orderStatuses
      .map((r) => `${r.status}${r.reason ? `(${r.reason})` : ''}=${r.n}`)
      .join(' ');
    const pending = orderStatuses.filter((r) => r.status === 'pending_payment' || r.status === 'confirmed');
    if (pending.length) violations.push(`orders not settled: ${sample(pending)}`);

    // 5. admissions in queue-number order; parked re-admissions as specified.
    const qfans = await q<{
      user_id: string;
      queue_number: number;
      status: string;
      turn_at: Date | null;
      admitted_at: Date | null;
    }>(
      `SELECT user_id, queue_number, status, turn_at, admitted_at FROM queue.fans WHERE event_id = $1 ORDER BY queue_number`,
      [ev],
    );
    const facts = new Map(input.fans.map((f) => [f.userId, f]));
    // Every numbered fan has a place in the queue, under the number the buffer gave.
    const places = new Map(qfans.map((r) => [r.user_id, r.queue_number]));
    const placeLost = input.fans.filter(
      (f) => f.queueNumber !== null && places.get(f.userId) !== f.queueNumber,
    );
    if (placeLost.length)
      violations.push(
        `queue places lost or renumbered: ${sample(placeLost.map((f) => ({ number: f.queueNumber, queue: places.get(f.userId) ?? null })))}`,
      );
    checks.queuePlaces = `${qfans.length} queue places for ${input.fans.length} fans, ${placeLost.length} lost or renumbered`;
    const ordered = qfans.filter(
      (r) => r.turn_at && facts.get(r.user_id)?.waitedConnected && !facts.get(r.user_id)?.socketDropped,
    );
    const dropped = qfans.filter((r) => r.turn_at && facts.get(r.user_id)?.socketDropped).length;
    const outOfOrder: unknown[] = [];
    for (let i = 1; i < ordered.length; i++) {
      if (ordered[i]!.turn_at! < ordered[i - 1]!.turn_at!)
        outOfOrder.push({
          before: ordered[i - 1]!.queue_number,
          after: ordered[i]!.queue_number,
          dtMs: ordered[i - 1]!.turn_at!.getTime() - ordered[i]!.turn_at!.getTime(),
        });
    }
    if (outOfOrder.length) violations.push(`turns out of number order: ${sample(outOfOrder)}`);
    const admittedBeforeTurn = qfans.filter((r) => r.admitted_at && r.turn_at && r.admitted_at < r.turn_at);
    if (admittedBeforeTurn.length)
      violations.push(`admitted before their turn: ${sample(admittedBeforeTurn)}`);
    const [graceRow] = await q<{ grace: number }>(
      `SELECT away_grace_seconds AS grace FROM queue.queue_events WHERE event_id = $1`,
      [ev],
    );
    const graceMs = (graceRow?.grace ?? 0) * 1000;
    let awayWithin = 0;
    let awayWithinAdmitted = 0;
    // Meant to come back within the grace, but the simulation saw its turn late (it polls
    // the queue, on a busy machine seconds late) and came back after the grace by the
    // queue's clock: lapsed rightly, not counted either way.
    let noticedLate = 0;
    let awayAfter = 0;
    let awayAfterLapsed = 0;
    for (const r of qfans) {
      const f = facts.get(r.user_id);
      if (!f?.away || !f.awayReturnedAt || input.soldOutBeforeReturn?.(f)) continue;
      if (
        f.away === 'within' &&
        r.status === 'lapsed' &&
        r.turn_at &&
        f.awayReturnedAt > r.turn_at.getTime() + graceMs
      ) {
        noticedLate++;
        continue;
      }
      if (f.away === 'within') {
        awayWithin++;
        if (r.status === 'admitted') awayWithinAdmitted++;
        else violations.push(`fan #${r.queue_number} came back within the grace but is ${r.status}`);
      } else {
        awayAfter++;
        if (r.status === 'lapsed') awayAfterLapsed++;
        else violations.push(`fan #${r.queue_number} came back after the grace but is ${r.status}`);
      }
    }
    checks.admissionOrder = `${ordered.length} connected fans' turns in number order (${outOfOrder.length} inversions; ${dropped} turns given back after a dropped socket not ordered); parked back within grace admitted ${awayWithinAdmitted}/${awayWithin}, after grace lapsed ${awayAfterLapsed}/${awayAfter}${noticedLate ? `, ${noticedLate} meant to come back within the grace noticed the turn too late and came back after it (lapsed)` : ''}`;

    // 6. the draw: fairness document, every number reproduced, Spearman, late joiners behind.
    const buffered = input.fans.filter((f) => !f.late && f.queueNumber !== null);
    const late = input.fans.filter((f) => f.late);
    let rho: number | null = null;
    let bound: number | null = null;
    if (!input.fairness) violations.push('no fairness document');
    else {
      const v = verifyFairness(input.fairness);
      if (v.problems.length) violations.push(`verifyFairness: ${v.problems.join('; ')}`);
      if (input.fairness.total !== buffered.length)
        violations.push(`fairness total ${input.fairness.total} ≠ ${buffered.length} buffered fans`);
      const wrong = buffered.filter(
        (f) => v.numbers.get(entrantHash(input.fairness!.salt, f.userId)) !== f.queueNumber,
      );
      if (wrong.length)
        violations.push(`numbers the draw does not reproduce: ${sample(wrong.map((f) => f.queueNumber))}`);
      checks.verifyDraw = `${buffered.length - wrong.length}/${buffered.length} numbers reproduced, problems: ${v.problems.length}`;
    }
    const missing = input.fans.filter((f) => f.queueNumber === null);
    if (missing.length) violations.push(`${missing.length} fans never got a number`);
    if (buffered.length > 2) {
      rho = spearman(
        buffered.map((f) => f.arrival),
        buffered.map((f) => f.queueNumber!),
      );
      bound = 4 / Math.sqrt(buffered.length - 1);
      if (!(Math.abs(rho) < bound))
        violations.push(`Spearman(arrival, number) = ${rho.toFixed(4)}, bound ${bound.toFixed(4)}`);
      checks.spearman = `rho=${rho.toFixed(4)} |rho| < ${bound.toFixed(4)} over ${buffered.length} buffered fans`;
    }
    const maxBuffered = Math.max(0, ...buffered.map((f) => f.queueNumber!));
    const lateAhead = late.filter((f) => f.queueNumber !== null && f.queueNumber <= maxBuffered);
    if (lateAhead.length)
      violations.push(`late joiners ahead of buffered fans: ${sample(lateAhead.map((f) => f.queueNumber))}`);
    // Late joiners in join order: whenever A's join was answered before B's was sent, A is ahead.
    const lateNumbered = late.filter((f) => f.queueNumber !== null && f.joinAckAt !== undefined);
    const byAck = [...lateNumbered].sort((a, b) => a.joinAckAt! - b.joinAckAt!);
    const lateInversions: unknown[] = [];
    for (const b of lateNumbered) {
      for (const a of byAck) {
        if (a.joinAckAt! >= b.joinSentAt!) break;
        if (a.queueNumber! > b.queueNumber!)
          lateInversions.push({ earlier: a.queueNumber, later: b.queueNumber });
      }
    }
    if (lateInversions.length)
      violations.push(`late joiners numbered out of join order: ${sample(lateInversions)}`);
    checks.lateBehind = `${late.length} late joiners, all after #${maxBuffered}: ${lateAhead.length === 0}`;

    return {
      ok: violations.length === 0,
      violations,
      checks,
      sold,
      soldByCategory,
      spearman: rho,
      spearmanBound: bound,
    };
  } finally {
    await db.end();
  }
}
