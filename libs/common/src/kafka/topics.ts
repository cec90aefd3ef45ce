/**
 * Every Kafka topic of the platform, declared once: its partition count and its key.
 * Partition counts are read by the start-up topic creation, by the Terraform MSK
 * module's test and by the docs. The key is the payload field the bus keys each
 * message by (producers do not choose it), so what is ordered is decided here:
 *
 * - `eventId`: one event's messages stay in order on one partition. Needed where the
 *   design orders an event's messages: snapshots and cancellation (versions, and a
 *   cancellation after the last snapshot), the close and its numbers, the queue's progress
 *   and admissions, stock figures (latest wins).
 * - `organisationId`: an organisation's snapshots (versions) stay in order.
 * - `orderId`: one order's messages stay in order; different orders spread over every
 *   partition. Orders and payments are independent of each other, and a big on-sale is
 *   one event: keyed by event, its whole money flow queued on one partition behind its
 *   own slowest message (issue 21).
 *
 * Nothing is ordered across topics (each topic has its own partitions): consumers of
 * several topics tolerate any interleaving (status-checked updates, see each consumer).
 */
export const TOPICS = {
  'organisation.updated': { partitions: 6, key: 'organisationId' },
  'event.published': { partitions: 6, key: 'eventId' },
  'event.updated': { partitions: 6, key: 'eventId' },
  'event.cancelled': { partitions: 6, key: 'eventId' },
  'buffer.closed': { partitions: 6, key: 'eventId' },
  'queue.assigned': { partitions: 12, key: 'eventId' },
  'queue.progress': { partitions: 6, key: 'eventId' },
  'queue.admitted': { partitions: 12, key: 'eventId' },
  'queue.turn_near': { partitions: 6, key: 'eventId' },
  'inventory.changed': { partitions: 6, key: 'eventId' },
  'order.created': { partitions: 12, key: 'orderId' },
  'order.completed': { partitions: 12, key: 'orderId' },
  'order.expired': { partitions: 12, key: 'orderId' },
  'order.cancelled': { partitions: 12, key: 'orderId' },
  'payment.authorized': { partitions: 12, key: 'orderId' },
  'payment.captured': { partitions: 12, key: 'orderId' },
  'payment.voided': { partitions: 12, key: 'orderId' },
  'payment.refunded': { partitions: 12, key: 'orderId' },
  'payment.failed': { partitions: 12, key: 'orderId' },
  'payment.refund_failed': { partitions: 12, key: 'orderId' },
  'payment.disputed': { partitions: 12, key: 'orderId' },
  'refund.requested': { partitions: 12, key: 'orderId' },
} as const satisfies Record<string, { partitions: number; key: 'eventId' | 'orderId' | 'organisationId' }>;

export type TopicName = keyof typeof TOPICS;
export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

/**
 * The Kafka key of a message: its payload's declared key field (see TOPICS). Throws on a
 * payload without it, which the topic's schema already rules out.
 */
export function messageKey(topic: TopicName, payload: unknown): string {
  const field = TOPICS[topic].key;
  const key = (payload as Record<string, unknown> | null)?.[field];
  if (typeof key !== 'string' || key === '') throw new Error(`${topic}: payload has no ${field} to key by`);
  return key;
}

/** Dead-letter topics mirror their source's partition count. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** Every topic to create, DLQs included, with an optional prefix (tests isolate themselves with one). */
export function allTopicSpecs(prefix = ''): { topic: string; numPartitions: number }[] {
  return TOPIC_NAMES.flatMap((name) => [
    { topic: prefix + name, numPartitions: TOPICS[name].partitions },
    { topic: prefix + dlqTopic(name), numPartitions: TOPICS[name].partitions },
  ]);
}
