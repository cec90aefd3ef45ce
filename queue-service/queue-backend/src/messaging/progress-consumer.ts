import { randomBytes } from 'node:crypto';
import type { BusConsumer, IncomingMessage, MessageBus, Part } from '@ticketslave/common';
import type { ProgressRelay } from '../ws/progress-relay';

/**
 * Every instance reads every `queue.progress` (its own consumer group, newest only),
 * because every instance holds some of the event's sockets.
 */
export function progressConsumer(bus: MessageBus, relay: ProgressRelay): Part {
  let consumer: BusConsumer | undefined;
  return {
    name: 'queue-progress-consumer',
    start: async () => {
      consumer = await bus.subscribe({
        groupId: `queue.progress.${randomBytes(6).toString('hex')}`,
        topics: ['queue.progress'],
        fromBeginning: false,
        maxAttempts: 1,
        handler: (m) => relay.onProgress((m as IncomingMessage<'queue.progress'>).envelope.payload),
      });
    },
    stop: async () => consumer?.stop(),
  };
}
