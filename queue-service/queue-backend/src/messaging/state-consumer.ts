import type { DataSource } from 'typeorm';
import {
  processOnce,
  type BusConsumer,
  type IncomingMessage,
  type MessageBus,
  type Part,
  type TopicName,
} from '@ticketslave/common';
import {
  applyEventSnapshot,
  applyInventory,
  assignNumbers,
  cancelEvent,
  markOrderStarted,
  releaseSlot,
} from '../data/event-store';

const TOPICS_IN: TopicName[] = [
  'event.published',
  'event.updated',
  'event.cancelled',
  'queue.assigned',
  'inventory.changed',
  'order.created',
  'order.completed',
  'order.expired',
  'order.cancelled',
];
const GROUP = 'queue.state';

/** Everything that changes the queue's durable state, each message applied once (processed_messages). */
export async function handleStateMessage(ds: DataSource, m: IncomingMessage): Promise<void> {
  await processOnce(ds, GROUP, m.envelope.id, async (em) => {
    const env = m.envelope;
    switch (env.type) {
      case 'event.published':
      case 'event.updated':
        return applyEventSnapshot(em, (env as IncomingMessage<'event.published'>['envelope']).payload);
      case 'event.cancelled':
        return cancelEvent(em, (env as IncomingMessage<'event.cancelled'>['envelope']).payload.eventId);
      case 'queue.assigned':
        await assignNumbers(em, (env as IncomingMessage<'queue.assigned'>['envelope']).payload);
        return;
      case 'inventory.changed':
        return applyInventory(em, (env as IncomingMessage<'inventory.changed'>['envelope']).payload);
      case 'order.created': {
        const p = (env as IncomingMessage<'order.created'>['envelope']).payload;
        return markOrderStarted(em, p.admissionId, p.orderId);
      }
      case 'order.completed':
      case 'order.expired':
      case 'order.cancelled': {
        const p = (env as IncomingMessage<'order.completed'>['envelope']).payload;
        return releaseSlot(em, p.admissionId, p.orderId);
      }
      // Not subscribed; listed so a new topic is a compile-time decision here.
      case 'organisation.updated':
      case 'buffer.closed':
      case 'queue.progress':
      case 'queue.admitted':
      case 'queue.turn_near':
      case 'payment.authorized':
      case 'payment.captured':
      case 'payment.voided':
      case 'payment.refunded':
      case 'payment.failed':
      case 'payment.refund_failed':
      case 'payment.disputed':
      case 'refund.requested':
        return;
    }
  });
}

export function stateConsumer(ds: DataSource, bus: MessageBus): Part {
  let consumer: BusConsumer | undefined;
  return {
    name: 'queue-state-consumer',
    start: async () => {
      consumer = await bus.subscribe({
        groupId: GROUP,
        topics: TOPICS_IN,
        handler: (m) => handleStateMessage(ds, m),
        partitionsConsumedConcurrently: 3,
        // Orders free their slots in parallel (one row each); the event's own messages
        // (snapshots, numbers, stock, cancellation) stay in order.
        parallelBy: (m) => {
          const aid = m.topic.startsWith('order.')
            ? (m.envelope.payload as { admissionId?: string }).admissionId
            : undefined;
          return aid ? `admission:${aid}` : 'event';
        },
      });
    },
    stop: async () => consumer?.stop(),
  };
}
