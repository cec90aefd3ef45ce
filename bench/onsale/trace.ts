/**
 * Where a paid order's time goes (issue 21): every paid order of the run traced through
 * each hop of the money path, from timestamps the platform already leaves behind.
 *
 * - the fan's clock: card paid on the Stripe stand-in, told that the tickets exist;
 * - the stand-in's webhook deliveries (first attempt sent, 2xx received);
 * - each message's envelope `occurredAt` (written in the producer's transaction: the
 *   moment the step that emits it was done) and its Kafka timestamp (the relay's send);
 * - purchase's `tickets.issued_at`.
 *
 * All on one machine, so one clock. Printed as offsets from "card paid", per point in
 * pipeline order: the step between two consecutive points is where that time went.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import type { StripeStandIn } from '@ticketslave/dev/stripe';

export interface PaidOrder {
  orderId: string;
  /** Wall clock (ms) when the stand-in accepted the card. */
  paidAt: number;
  /** Wall clock (ms) when the fan's page learnt the tickets exist (or the order's end). */
  toldAt?: number;
}

export interface TracePoint {
  /** What happened at this point of the path. */
  point: string;
  /** The point before it on its chain: the step is measured from there. */
  after: string | null;
  n: number;
  /** Offsets from "card paid" (ms). */
  p50: number;
  p99: number;
  /** Median of this point minus the previous point, order by order: the step's own time. */
  stepP50: number;
  stepP99: number;
}

export interface TraceReport {
  orders: number;
  points: TracePoint[];
  /** One order followed through every point (the one with the median "fan told" time). */
  example: { orderId: string; offsets: Record<string, number> } | null;
}

/** Envelope times and Kafka times of one topic's messages, by order id. */
async function readOrderTopics(
  brokers: string[],
  prefix: string,
  eventId: string,
  topics: string[],
): Promise<Map<string, Map<string, { occurredAt: number; sentAt: number }>>> {
  const kafka = new Kafka({ clientId: 'bench-onsale-trace', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, Map<number, bigint>>();
  for (const t of topics) {
    const offsets = await admin.fetchTopicOffsets(prefix + t);
    ends.set(prefix + t, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
  }
  await admin.disconnect();
  const out = new Map<string, Map<string, { occurredAt: number; sentAt: number }>>();
  const consumer = kafka.consumer({ groupId: `${prefix}bench-trace-${process.pid}-${Date.now()}` });
  await consumer.connect();
  for (const t of topics) await consumer.subscribe({ topic: prefix + t, fromBeginning: true });
  const remaining = new Set<string>();
  for (const [topic, parts] of ends)
    for (const [p, high] of parts) if (high > 0n) remaining.add(`${topic}|${p}`);
  await new Promise<void>((resolve) => {
    if (remaining.size === 0) return resolve();
    const timer = setTimeout(resolve, 60_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const type = batch.topic.slice(prefix.length);
        let byOrder = out.get(type);
        if (!byOrder) out.set(type, (byOrder = new Map()));
        for (const m of batch.messages) {
          const env = JSON.parse(m.value?.toString() ?? '{}') as {
            occurredAt?: string;
            payload?: { orderId?: string; eventId?: string };
          };
          const orderId = env.payload?.orderId;
          if (orderId && env.payload?.eventId === eventId && !byOrder.has(orderId))
            byOrder.set(orderId, {
              occurredAt: Date.parse(env.occurredAt ?? ''),
              sentAt: Number(m.timestamp),
            });
        }
        const high = ends.get(batch.topic)?.get(batch.partition) ?? 0n;
        if (BigInt(batch.lastOffset()) + 1n >= high) remaining.delete(`${batch.topic}|${batch.partition}`);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * The points of the path, in the order an order passes them. `points` names the
 * message-derived ones as `<topic>` (envelope written) and `<topic> → Kafka` (relay sent);
 * the caller lists them in its pipeline's order.
 */
export async function traceOrders(opts: {
  brokers: string[];
  prefix: string;
  databaseUrl: string;
  eventId: string;
  stripe: StripeStandIn;
  paid: PaidOrder[];
  /**
   * The path's points in the order an order passes them: the fan's critical path first,
   * then any branch off it, each branch starting at a point of an earlier chain (that row
   * is not repeated; the branch's first step is measured from it).
   */
  chains: string[][];
}): Promise<TraceReport> {
  const all = [...new Set(opts.chains.flat())];
  const topics = [
    ...new Set(all.map((p) => p.replace(/ → Kafka$/, '')).filter((p) => /^[a-z]+\.[a-z]+$/.test(p))),
  ];
  const messages = await readOrderTopics(opts.brokers, opts.prefix, opts.eventId, topics);
  const db = new Client({ connectionString: opts.databaseUrl });
  await db.connect();
  const issued = new Map<string, number>();
  try {
    const rows = await db.query<{ order_id: string; at: Date }>(
      `SELECT order_id, min(issued_at) AS at FROM purchase.tickets WHERE event_id = $1 GROUP BY 1`,
      [opts.eventId],
    );
    for (const r of rows.rows) issued.set(r.order_id, new Date(r.at).getTime());
  } finally {
    await db.end();
  }
  // The webhook that authorized the order: the first event of its checkout that payment
  // can authorize from (charge.succeeded, else amount_capturable_updated, else checkout.session.completed).
  const webhook = new Map<string, { sent: number; acked: number }>();
  const authorizing = [
    'charge.succeeded',
    'payment_intent.amount_capturable_updated',
    'checkout.session.completed',
  ];
  const { events } = await opts.stripe.state({ only: ['events'], eventTypes: authorizing });
  for (const type of authorizing) {
    for (const e of events) {
      if (e.event.type !== type) continue;
      const obj = e.event.data.object as { metadata?: { orderId?: string } };
      const orderId = obj.metadata?.orderId;
      if (!orderId || webhook.has(orderId) || !e.delivery.deliveredAt) continue;
      webhook.set(orderId, {
        sent: e.delivery.firstSentAt ?? e.delivery.deliveredAt,
        acked: e.delivery.deliveredAt,
      });
    }
  }
  const at = (o: PaidOrder, point: string): number | undefined => {
    switch (point) {
      case 'card paid':
        return o.paidAt;
      case 'webhook sent':
        return webhook.get(o.orderId)?.sent;
      case 'webhook acked':
        return webhook.get(o.orderId)?.acked;
      case 'tickets issued':
        return issued.get(o.orderId);
      case 'fan told':
        return o.toldAt;
    }
    const kafka = point.endsWith(' → Kafka');
    const m = messages.get(point.replace(/ → Kafka$/, ''))?.get(o.orderId);
    return m ? (kafka ? m.sentAt : m.occurredAt) : undefined;
  };
  const traced = opts.paid.filter((o) => all.every((p) => at(o, p) !== undefined));
  const points: TracePoint[] = [];
  for (const chain of opts.chains) {
    chain.forEach((point, i) => {
      if (points.some((p) => p.point === point)) return;
      const offsets = traced.map((o) => at(o, point)! - o.paidAt);
      const steps = i === 0 ? offsets.map(() => 0) : traced.map((o) => at(o, point)! - at(o, chain[i - 1]!)!);
      points.push({
        point,
        after: i === 0 ? null : chain[i - 1]!,
        n: traced.length,
        p50: Math.round(quantile(offsets, 0.5)),
        p99: Math.round(quantile(offsets, 0.99)),
        stepP50: Math.round(quantile(steps, 0.5)),
        stepP99: Math.round(quantile(steps, 0.99)),
      });
    });
  }
  const byTold = [...traced].sort((a, b) => (a.toldAt ?? 0) - a.paidAt - ((b.toldAt ?? 0) - b.paidAt));
  const median = byTold[Math.floor(byTold.length / 2)];
  return {
    orders: traced.length,
    points,
    example: median
      ? {
          orderId: median.orderId,
          offsets: Object.fromEntries(all.map((p) => [p, Math.round(at(median, p)! - median.paidAt)])),
        }
      : null,
  };
}
