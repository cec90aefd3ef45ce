import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { BusConsumer, IncomingMessage, Logger, MessageBus, Part } from '@ticketslave/common';
import type { QueueConfig } from '../config';
import type { ProgressRelay } from '../ws/progress-relay';

/** Deletes one consumer group; the bus keeps its admin client to itself. */
export type GroupDeleter = (groupId: string) => Promise<void>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A kafkajs admin on the service's brokers, connected only for the deletion. The
 * broker refuses to delete a group that still has members, so a group whose
 * leave has not landed yet is retried a few times.
 */
export function kafkaGroupDeleter(config: QueueConfig, logger: Logger): GroupDeleter {
  return async (groupId) => {
    const kc: KafkaConfig = {
      clientId: `queue-admin-${process.pid}`,
      brokers: config.KAFKA_BROKERS,
      ssl: config.KAFKA_SSL,
      connectionTimeout: 3000,
      retry: { retries: 2, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    };
    if (config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD)
      kc.sasl = {
        mechanism: config.KAFKA_SASL_MECHANISM,
        username: config.KAFKA_SASL_USERNAME,
        password: config.KAFKA_SASL_PASSWORD,
      } as SASLOptions;
    const admin = new Kafka(kc).admin();
    try {
      await admin.connect();
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.deleteGroups([groupId]);
          return;
        } catch (err) {
          const codes = ((err as { groups?: { error?: { type?: string } }[] }).groups ?? []).map(
            (g) => g.error?.type,
          );
          // Already gone (e.g. never committed an offset): nothing to clean up.
          if (codes.length && codes.every((c) => c === 'GROUP_ID_NOT_FOUND')) return;
          if (attempt >= 5) throw err;
          await sleep(300 * attempt);
        }
      }
    } catch (err) {
      logger.warn({ err, groupId }, 'could not delete the progress consumer group; it expires on the broker');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}

/**
 * Every instance reads every `queue.progress` (its own consumer group, newest only),
 * because every instance holds some of the event's sockets. The group is this
 * instance's alone, so it is deleted once the consumer has left it: restarts do not
 * pile up dead `queue.progress.<random>` groups on the broker.
 */
export function progressConsumer(
  bus: MessageBus,
  relay: ProgressRelay,
  deleteGroup?: GroupDeleter,
): Part & { groupId: string } {
  let consumer: BusConsumer | undefined;
  const groupId = `queue.progress.${randomBytes(6).toString('hex')}`;
  return {
    name: 'queue-progress-consumer',
    groupId,
    start: async () => {
      consumer = await bus.subscribe({
        groupId,
        topics: ['queue.progress'],
        fromBeginning: false,
        maxAttempts: 1,
        handler: (m) => relay.onProgress((m as IncomingMessage<'queue.progress'>).envelope.payload),
      });
    },
    stop: async () => {
      if (!consumer) return;
      await consumer.stop();
      consumer = undefined;
      // The bus prefixes group ids exactly as it prefixes topic names.
      await deleteGroup?.(bus.topicName(groupId));
    },
  };
}
