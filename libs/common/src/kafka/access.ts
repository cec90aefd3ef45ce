import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { DLQ_REPLAY_GROUP } from './dead-letters';
import { dlqTopic, TOPIC_NAMES, type TopicName } from './topics';

/** The services that talk over Kafka; each has its own SCRAM user of the same name. */
export const KAFKA_SERVICES = ['feed', 'buffer', 'queue', 'purchase', 'payment'] as const;
export type KafkaService = (typeof KAFKA_SERVICES)[number];

/**
 * Who may produce and who may consume each topic: the one declaration the brokers' ACLs come
 * from (issue 17.13), locally (dev/kafka) and on MSK (the bootstrap, docs/operations.md). A
 * service may write only the topics it produces, read only those it consumes (and write their
 * dead-letter topics), so a compromised feed cannot publish `payment.captured`. A consumer or
 * producer added in code without a line here is refused by the broker in `npm start` and in the
 * authenticated broker's test.
 */
export const TOPIC_ACCESS: Record<TopicName, { producer: KafkaService; consumers: KafkaService[] }> = {
  'organisation.updated': { producer: 'feed', consumers: ['purchase'] },
  'event.published': { producer: 'feed', consumers: ['buffer', 'queue', 'purchase', 'payment'] },
  'event.updated': { producer: 'feed', consumers: ['buffer', 'queue', 'purchase', 'payment'] },
  'event.cancelled': { producer: 'feed', consumers: ['buffer', 'queue', 'purchase', 'payment'] },
  'buffer.closed': { producer: 'buffer', consumers: ['feed'] },
  'queue.assigned': { producer: 'buffer', consumers: ['queue'] },
  'queue.progress': { producer: 'queue', consumers: ['queue'] },
  'queue.admitted': { producer: 'queue', consumers: [] },
  'queue.turn_near': { producer: 'queue', consumers: ['purchase'] },
  'inventory.changed': { producer: 'purchase', consumers: ['feed', 'queue'] },
  'order.created': { producer: 'purchase', consumers: ['queue', 'payment'] },
  'order.completed': { producer: 'purchase', consumers: ['queue', 'payment'] },
  'order.expired': { producer: 'purchase', consumers: ['queue', 'payment'] },
  'order.cancelled': { producer: 'purchase', consumers: ['queue', 'payment'] },
  'payment.authorized': { producer: 'payment', consumers: ['purchase'] },
  'payment.captured': { producer: 'payment', consumers: ['purchase'] },
  'payment.voided': { producer: 'payment', consumers: ['purchase'] },
  'payment.refunded': { producer: 'payment', consumers: ['purchase'] },
  'payment.failed': { producer: 'payment', consumers: ['purchase'] },
  'payment.refund_failed': { producer: 'payment', consumers: ['purchase'] },
  'payment.disputed': { producer: 'payment', consumers: ['purchase'] },
  'refund.requested': { producer: 'purchase', consumers: ['payment'] },
};

export const producedBy = (svc: KafkaService): TopicName[] =>
  TOPIC_NAMES.filter((t) => TOPIC_ACCESS[t].producer === svc);
export const consumedBy = (svc: KafkaService): TopicName[] =>
  TOPIC_NAMES.filter((t) => TOPIC_ACCESS[t].consumers.includes(svc));

/** The topics a service touches, dead-letter topics of what it consumes included (what it creates at start). */
export function topicsOf(svc: KafkaService): string[] {
  return [...new Set([...producedBy(svc), ...consumedBy(svc), ...consumedBy(svc).map(dlqTopic)])];
}

/** One ACL binding, in the shape kafkajs's `admin.createAcls` takes. */
export interface KafkaAcl {
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

/**
 * The ACLs of one service's SCRAM user (`User:<svc>`), with the topic/group prefix tests isolate
 * themselves with ('' in production):
 * - produced topics: WRITE, DESCRIBE, CREATE (services create their missing topics at start);
 * - consumed topics: READ, DESCRIBE, CREATE; their `.dlq`: WRITE, DESCRIBE, CREATE (poison messages);
 * - consumer groups named `<svc>.…` (every group in code is): READ, DESCRIBE, DELETE (queue
 *   deletes its per-instance progress groups);
 * - the operators' replay group `ops.dlq-replay`: DESCRIBE only, to read how far its dead-letter
 *   topics have been dealt with (the `ts_kafka_dead_letters_waiting` gauge).
 * Nothing on the cluster, no wildcard topic: whatever is not listed is refused.
 */
export function serviceAcls(svc: KafkaService, prefix = ''): KafkaAcl[] {
  const principal = `User:${svc}`;
  const allow = (
    resourceType: AclResourceTypes,
    resourceName: string,
    resourcePatternType: ResourcePatternTypes,
    operations: AclOperationTypes[],
  ): KafkaAcl[] =>
    operations.map((operation) => ({
      resourceType,
      resourceName,
      resourcePatternType,
      principal,
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    }));
  const { TOPIC, GROUP } = AclResourceTypes;
  const { LITERAL, PREFIXED } = ResourcePatternTypes;
  const { READ, WRITE, DESCRIBE, CREATE, DELETE } = AclOperationTypes;
  const all = [
    ...producedBy(svc).flatMap((t) => allow(TOPIC, prefix + t, LITERAL, [WRITE, DESCRIBE, CREATE])),
    ...consumedBy(svc).flatMap((t) => [
      ...allow(TOPIC, prefix + t, LITERAL, [READ, DESCRIBE, CREATE]),
      ...allow(TOPIC, prefix + dlqTopic(t), LITERAL, [WRITE, DESCRIBE, CREATE]),
    ]),
    ...allow(GROUP, `${prefix}${svc}.`, PREFIXED, [READ, DESCRIBE, DELETE]),
    ...allow(GROUP, prefix + DLQ_REPLAY_GROUP, LITERAL, [DESCRIBE]),
  ];
  // A topic a service both produces and consumes (queue.progress) is listed once.
  const key = (a: KafkaAcl) => `${a.resourceType}|${a.resourceName}|${a.resourcePatternType}|${a.operation}`;
  return [...new Map(all.map((a) => [key(a), a])).values()];
}
