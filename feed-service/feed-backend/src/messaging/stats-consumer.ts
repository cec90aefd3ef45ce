import { processOnce, type Part, type ServiceKit, type BaseConfig } from '@ticketslave/common';

const GROUP = 'feed.event-stats';

/** Keeps what the event page shows from other services: stock (purchase) and the buffer's commitment. */
export function eventStatsConsumer(
  kit: ServiceKit<BaseConfig>,
  onChange: () => void = () => undefined,
): Part {
  let consumer: { stop(): Promise<void> } | undefined;
  return {
    name: 'event-stats-consumer',
    start: async () => {
      consumer = await kit.bus.subscribe({
        groupId: GROUP,
        topics: ['inventory.changed', 'buffer.closed'],
        handler: async (m) => {
          const env = m.envelope;
          // The public pages show stock and commitments: they are dropped once the change is committed.
          try {
            await processOnce(kit.ds, GROUP, env.id, async (em) => {
              if (env.type === 'inventory.changed') {
                const p = env.payload as { eventId: string; available: number; held: number; sold: number };
                // Per-key order is commit order, but a redelivery of an older message must not win.
                await em.query(
                  `INSERT INTO event_stats (event_id, available, held, sold, stock_at) VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (event_id) DO UPDATE SET available = $2, held = $3, sold = $4, stock_at = $5
                   WHERE event_stats.stock_at IS NULL OR event_stats.stock_at <= $5`,
                  [p.eventId, p.available, p.held, p.sold, env.occurredAt],
                );
              } else if (env.type === 'buffer.closed') {
                const p = env.payload as { eventId: string; total: number; commitment: string };
                await em.query(
                  `INSERT INTO event_stats (event_id, buffer_total, commitment, buffer_closed_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (event_id) DO UPDATE SET buffer_total = $2, commitment = $3, buffer_closed_at = $4`,
                  [p.eventId, p.total, p.commitment, env.occurredAt],
                );
              }
            });
          } finally {
            onChange();
          }
        },
      });
    },
    stop: async () => consumer?.stop(),
  };
}
