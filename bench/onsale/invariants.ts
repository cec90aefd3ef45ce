/**
 * The on-sale invariants: what must hold however the fans behaved, read straight from the
 * services' databases, the Stripe stand-in's ledger (reconcile.ts) and what the fans saw
 * (their answers and outcomes; seats held twice, sampled while the sale runs). A change to
 * the platform's money or hold path must keep every one of them; each is a violation that
 * fails the run, never only a count.
 */
import { Client } from 'pg';
import {
  entrantHash,
  parseFairnessDocument,
  runDraw,
  verifyDraw,
  type DrandChainInfo,
} from '@ticketslave/draw';
import type { StateQuery, StripeStandInSnapshot } from '@ticketslave/dev/stripe';
import { reconcileStripe } from './reconcile';

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
   * When the returning fan's socket was open (the queue had accepted it): on a loaded machine
   * seconds after awayReturnedAt, and the moment the queue can judge the return by.
   */
  awayConnectedAt?: number;
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
  /** The fairness document as served (JSON). */
  fairness: unknown;
  /** The beacon stand-in's chain: trusted as `verify-draw --chain-info` would be told to. */
  beaconChain?: DrandChainInfo;
  /** The commitment the buffer published while the buffer was open (GET /buffer/api/events/:id). */
  commitmentBeforeClose: string | undefined;
  fans: FanFacts[];
  stripe: { state(query: StateQuery): Promise<Pick<StripeStandInSnapshot, 'paymentIntents' | 'refunds'>> };
  soldOutBeforeReturn?: (f: FanFacts) => boolean;
  /** Fans who meant to pay (in the end with a working card): with seats for sale, some must sell. */
  buyers?: number;
  /** How each fan's part ended (simulate.ts's outcome names), counted. */
  outcomes: Record<string, number>;
  /** Every answer the fans got, by API name and HTTP status (0: no answer). */
  statuses: Record<string, Record<string, number>>;
  /**
   * A fault drill: a service or the broker was down on purpose and patient fans retried
   * through it, so refused connections and 502/503/504 answers are the fault itself.
   */
  outage?: boolean;
  /** Seats in two live orders, sampled during the sale (startHeldTwiceSampler). */
  heldTwice: HeldTwiceReport;
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

/**
 * How a fan's part in the sale may end without the platform having failed them; any other
 * outcome (a 5xx or no answer, a checkout that could not be opened, a valid card refused
 * on a live order, a declining card accepted, an order left unsettled, a dropped socket…)
 * is a violation.
 */
export const FAIR_OUTCOMES: Readonly<Record<string, string>> = {
  order_paid: 'paid and got the tickets',
  order_expired: 'the hold ran out before the payment settled (the money went back)',
  order_refunded: 'captured as the hold ran out, refunded',
  released: 'released the hold',
  let_expire: 'let the hold expire',
  checkout_then_expire: 'opened the checkout and left',
  pay_after_expiry: 'paid after the hold had run out: refused',
  no_seats: 'nothing left in the wanted quantity',
  sold_out: 'sold out before the turn',
  not_served_sold_out: 'sold out before the turn',
  claim_sold_out: 'sold out as the turn came',
  lapsed: 'away past the grace',
  claim_turn_lapsed: 'away past the grace',
};

/** Answers that are the fault in a drill (patient fans retried them), a violation otherwise. */
const OUTAGE_STATUSES = new Set(['0', '502', '503', '504']);

/** Every 5xx or unanswered request, and every fan failed by the platform. */
export function fanViolations(
  outcomes: Record<string, number>,
  statuses: Record<string, Record<string, number>>,
  outage = false,
): { violations: string[]; summary: string } {
  const violations: string[] = [];
  const failedAnswers: Record<string, number> = {};
  for (const [api, byStatus] of Object.entries(statuses))
    for (const [status, n] of Object.entries(byStatus)) {
      const code = Number(status);
      if ((code >= 500 || code === 0) && !(outage && OUTAGE_STATUSES.has(status)))
        failedAnswers[`${api} ${status}`] = n;
    }
  if (Object.keys(failedAnswers).length)
    violations.push(
      `server errors or no answer${outage ? " (beyond the drill's outage)" : ''}: ${JSON.stringify(failedAnswers)}`,
    );
  const failed = Object.entries(outcomes).filter(([o]) => !(o in FAIR_OUTCOMES));
  if (failed.length)
    violations.push(`fans failed by the platform: ${JSON.stringify(Object.fromEntries(failed))}`);
  const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
  return {
    violations,
    summary: `${total - failed.reduce((a, [, n]) => a + n, 0)}/${total} fans ended fairly; ${Object.keys(failedAnswers).length} API×status with 5xx or no answer`,
  };
}

export interface HeldTwiceReport {
  samples: number;
  /** The most units in two live orders at once, and live-order units pointing at another order. */
  doubled: number;
  astray: number;
  /** The most units one fan had in live orders at once, and the event's limit. */
  maxPerFan: number;
  perUserLimit: number | null;
}

/** Units in two live orders at once, a live order's unit pointing at another order, the most units one fan holds. */
const HELD_TWICE_SQL = `
  WITH live AS (
    SELECT i.unit_id, o.order_id, o.user_id FROM purchase.order_items i
    JOIN purchase.orders o ON o.order_id = i.order_id
    WHERE o.event_id = $1 AND o.status IN ('pending_payment', 'confirmed', 'paid'))
  SELECT (SELECT count(*) FROM (SELECT unit_id FROM live GROUP BY 1 HAVING count(*) > 1) d)::int AS doubled,
         (SELECT count(*) FROM live l JOIN purchase.units u ON u.event_id = $1 AND u.unit_id = l.unit_id
           WHERE u.order_id IS DISTINCT FROM l.order_id)::int AS astray,
         (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM live GROUP BY user_id) f)::int AS per_fan,
         (SELECT per_user_limit FROM purchase.events WHERE event_id = $1) AS per_user_limit`;

/**
 * Samples, about once a second until `stop()`, whether a seat is held twice or a fan holds
 * more than the limit at that moment: the final state alone would not show a double hold
 * that a sweeper later undid.
 */
export function startHeldTwiceSampler(
  databaseUrl: string,
  eventId: string,
  everyMs = 1000,
): { stop(): Promise<HeldTwiceReport> } {
  const report: HeldTwiceReport = { samples: 0, doubled: 0, astray: 0, maxPerFan: 0, perUserLimit: null };
  let running = true;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const loop = (async () => {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      while (running) {
        const r = await db.query<{
          doubled: number;
          astray: number;
          per_fan: number;
          per_user_limit: number | null;
        }>(HELD_TWICE_SQL, [eventId]);
        const row = r.rows[0]!;
        report.samples++;
        report.doubled = Math.max(report.doubled, row.doubled);
        report.astray = Math.max(report.astray, row.astray);
        report.maxPerFan = Math.max(report.maxPerFan, row.per_fan);
        report.perUserLimit = row.per_user_limit;
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, everyMs);
        });
      }
    } finally {
      await db.end();
    }
  })().catch((err: unknown) => (failure = err instanceof Error ? err : new Error(String(err))));
  return {
    stop: async () => {
      running = false;
      wake?.();
      await loop;
      if (failure) throw failure;
      return report;
    },
  };
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

    // 4. no authorization left hanging, and Stripe's ledger agrees with payment and purchase.
    const hanging = await q<{ order_id: string; payment_intent_id: string }>(
      `SELECT order_id, payment_intent_id FROM payment.payments WHERE event_id = $1 AND status = 'authorized'`,
      [ev],
    );
    if (hanging.length) violations.push(`authorizations neither captured nor cancelled: ${sample(hanging)}`);
    const paymentRows = await q<{
      order_id: string;
      payment_intent_id: string;
      amount_minor: number;
      status: string;
    }>(`SELECT order_id, payment_intent_id, amount_minor, status FROM payment.payments WHERE event_id = $1`, [
      ev,
    ]);
    const orderRows = await q<{
      order_id: string;
      status: string;
      amount_minor: number;
      items: number;
      valid: number;
    }>(
      `SELECT o.order_id, o.status, o.amount_minor,
              (SELECT count(*) FROM purchase.order_items i WHERE i.order_id = o.order_id)::int AS items,
              (SELECT count(*) FROM purchase.tickets t WHERE t.order_id = o.order_id AND t.status = 'valid')::int AS valid
       FROM purchase.orders o WHERE o.event_id = $1`,
      [ev],
    );
    const money = reconcileStripe(
      await input.stripe.state({ only: ['paymentIntents', 'refunds'] }),
      ev,
      paymentRows.map((r) => ({
        orderId: r.order_id,
        paymentIntentId: r.payment_intent_id,
        amountMinor: r.amount_minor,
        status: r.status,
      })),
      orderRows.map((r) => ({
        orderId: r.order_id,
        status: r.status,
        amountMinor: r.amount_minor,
        items: r.items,
        validTickets: r.valid,
      })),
    );
    violations.push(...money.violations);
    checks.stripeReconciled = `payment.authorized=${hanging.length}; ${money.summary}`;

    // 4b. the per-fan limit, on the tickets in the end (sampled on live orders during the sale).
    const overLimit = await q<{ user_id: string; n: number; lim: number }>(
      `SELECT t.user_id, count(*)::int AS n, e.per_user_limit AS lim FROM purchase.tickets t
       JOIN purchase.events e ON e.event_id = t.event_id
       WHERE t.event_id = $1 AND t.status = 'valid' GROUP BY 1, 3 HAVING count(*) > e.per_user_limit`,
      [ev],
    );
    if (overLimit.length) violations.push(`fans with more tickets than the limit: ${sample(overLimit)}`);
    const h = input.heldTwice;
    if (h.samples === 0) violations.push('seats held twice: never sampled during the sale');
    if (h.doubled > 0 || h.astray > 0)
      violations.push(
        `seats held twice during the sale: ${JSON.stringify({ doubled: h.doubled, astray: h.astray })}`,
      );
    if (h.perUserLimit !== null && h.maxPerFan > h.perUserLimit)
      violations.push(`a fan held ${h.maxPerFan} seats at once, limit ${h.perUserLimit}`);
    checks.heldTwice = `${h.samples} samples during the sale: at most ${h.doubled} units in two live orders, ${h.astray} live-order units pointing elsewhere, ${h.maxPerFan} units held by one fan (limit ${h.perUserLimit ?? '?'})`;
    checks.perFanLimit = `${overLimit.length} fans over the limit in valid tickets`;

    // 4c. every fan's answers and ending.
    const fansSeen = fanViolations(input.outcomes, input.statuses, input.outage);
    violations.push(...fansSeen.violations);
    checks.fans = fansSeen.summary;

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
    // the queue, on a busy machine seconds late) or its socket opened late, and came back
    // after the grace by the queue's clock: lapsed rightly, not counted either way.
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
        (f.awayConnectedAt ?? f.awayReturnedAt) > r.turn_at.getTime() + graceMs
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
    let doc: ReturnType<typeof parseFairnessDocument> | undefined;
    try {
      doc = input.fairness === undefined ? undefined : parseFairnessDocument(input.fairness);
    } catch (e) {
      violations.push(`the fairness document cannot be read: ${(e as Error).message}`);
    }
    if (!doc) violations.push('no fairness document');
    else {
      const v = await verifyDraw(doc, {
        trustChains: input.beaconChain ? [{ info: input.beaconChain, source: 'the beacon stand-in' }] : [],
      });
      const failed = v.checks.filter((c) => c.status === 'fail');
      if (failed.length)
        violations.push(`verify-draw: ${failed.map((c) => `${c.id}: ${c.detail}`).join('; ')}`);
      if (doc.total !== buffered.length)
        violations.push(`fairness total ${doc.total} ≠ ${buffered.length} buffered fans`);
      const drawn = await runDraw({
        version: doc.version,
        seed: doc.seed,
        beacon: doc.version === 'draw-v2' ? doc.beacon.randomness : doc.beacon,
        entrantHashes: doc.entrantHashes,
      });
      const numberOf = new Map(drawn.order.map((h, i) => [h, i + 1]));
      const wrong = buffered.filter((f) => numberOf.get(entrantHash(doc.salt, f.userId)) !== f.queueNumber);
      if (wrong.length)
        violations.push(`numbers the draw does not reproduce: ${sample(wrong.map((f) => f.queueNumber))}`);
      checks.verifyDraw = `${doc.version}, ${buffered.length - wrong.length}/${buffered.length} numbers reproduced, failed checks: ${failed.length}`;
      // Read as a plain field: every draw version's document carries its commitment at the top.
      const committed = (input.fairness as { commitment?: unknown }).commitment;
      if (!input.commitmentBeforeClose) violations.push('no commitment was published before the close');
      else if (committed !== input.commitmentBeforeClose)
        violations.push(
          `the fairness document's commitment ${String(committed)} is not the one published before the close (${input.commitmentBeforeClose})`,
        );
      checks.commitment = `published before the close ${input.commitmentBeforeClose ?? 'none'}, in the document ${String(committed)}`;
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
