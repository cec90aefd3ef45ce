import { processOnce, type MessageBus, type Part } from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import type { BusConsumer } from '@ticketslave/common';
import { newSecrets } from '../domain/buffer';
import type { PgBufferStore } from '../data/pg-buffer-store';

const CONSUMER = 'buffer.events';

/** Keeps the buffer's copy of each event (times, status, owner) from feed's snapshots. */
export function eventConsumerPart(deps: { bus: MessageBus; ds: DataSource; store: PgBufferStore }): Part {
  let consumer: BusConsumer | undefined;
  return {
    name: 'event-consumer',
    start: async () => {
      consumer = await deps.bus.subscribe({
        groupId: CONSUMER,
        topics: ['event.published', 'event.updated', 'event.cancelled'],
        handler: async (m) => {
          await processOnce(deps.ds, CONSUMER, m.envelope.id, async (em) => {
            const env = m.envelope;
            if (env.type === 'event.cancelled') {
              await deps.store.cancelEventIn(em, (env.payload as { eventId: string }).eventId);
              return;
            }
            if (env.type === 'event.published' || env.type === 'event.updated')
              await deps.store.upsertEventIn(
                em,
                env.payload as Parameters<PgBufferStore['upsertEventIn']>[1],
                newSecrets,
              );
          });
        },
      });
    },
    stop: async () => {
      await consumer?.stop();
    },
  };
}
