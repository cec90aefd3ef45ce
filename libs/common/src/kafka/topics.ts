/**
 * Every Kafka topic of the platform, declared once. Partition counts are read by the
 * start-up topic creation, by the Terraform MSK module's test and by the docs.
 * Key = event id everywhere, so one event's messages stay in order on one partition.
 */
export const TOPICS = {
  'event.published': { partitions: 6 },
  'event.updated': { partitions: 6 },
  'event.cancelled': { partitions: 6 },
  'buffer.closed': { partitions: 6 },
  'queue.assigned': { partitions: 12 },
  'queue.progress': { partitions: 6 },
  'queue.admitted': { partitions: 12 },
  'inventory.changed': { partitions: 6 },
  'order.created': { partitions: 12 },
  'order.completed': { partitions: 12 },
  'order.expired': { partitions: 12 },
  'order.cancelled': { partitions: 12 },
  'payment.authorized': { partitions: 12 },
  'payment.captured': { partitions: 12 },
  'payment.voided': { partitions: 12 },
  'payment.refunded': { partitions: 12 },
  'payment.failed': { partitions: 12 },
} as const satisfies Record<string, { partitions: number }>;

export type TopicName = keyof typeof TOPICS;
export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

/** Dead-letter topics mirror their source's partition count. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** Every topic to create, DLQs included, with an optional prefix (tests isolate themselves with one). */
export function allTopicSpecs(prefix = ''): { topic: string; numPartitions: number }[] {
  return TOPIC_NAMES.flatMap((name) => [
    { topic: prefix + name, numPartitions: TOPICS[name].partitions },
    { topic: prefix + dlqTopic(name), numPartitions: TOPICS[name].partitions },
  ]);
}
