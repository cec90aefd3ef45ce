import type { Admin, Kafka } from 'kafkajs';
import client from 'prom-client';

/**
 * The consumer group whose committed offsets on each `<topic>.dlq` mark how far an operator has
 * dealt with its dead letters (replayed or dropped, `npm run dlq`). Whatever lies past them waits
 * for a human: that is the depth the services report and the deployment alarms on.
 */
export const DLQ_REPLAY_GROUP = 'ops.dlq-replay';

/** Header naming the consumer group that gave up on a message (a topic has several consumers). */
export const DLQ_GROUP_HEADER = 'dlq-group';

/** One partition of a topic as a consumer group stands on it. */
export interface PartitionProgress {
  partition: number;
  /** The partition's end offset (the next message's). */
  end: number;
  /** Where the group resumes: its committed offset, or the log start where it committed nothing or retention passed it. */
  done: number;
}

/**
 * How far `groupId` has read each partition of each topic (names as given, without the prefix):
 * one ListOffsets per topic and one OffsetFetch. A partition is read to its end when `done >= end`.
 */
export async function groupProgress(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
  prefix = '',
): Promise<Record<string, PartitionProgress[]>> {
  if (topics.length === 0) return {};
  const names = topics.map((t) => prefix + t);
  const [ends, committed] = await Promise.all([
    Promise.all(names.map((t) => admin.fetchTopicOffsets(t))),
    admin.fetchOffsets({ groupId: prefix + groupId, topics: names }),
  ]);
  const done = new Map(
    committed.flatMap((t) =>
      t.partitions.map((p) => [`${t.topic}/${p.partition}`, Number(p.offset)] as const),
    ),
  );
  const out: Record<string, PartitionProgress[]> = {};
  topics.forEach((topic, i) => {
    out[topic] = ends[i]!.map((p) => ({
      partition: p.partition,
      end: Number(p.high),
      done: Math.max(Number(p.low), done.get(`${names[i]}/${p.partition}`) ?? -1),
    }));
  });
  return out;
}

/**
 * Dead letters waiting in each topic (names as given, without the prefix): per partition, the end
 * offset minus the replay group's committed offset, or minus the log start when the group has
 * committed nothing there or retention removed what it had not reached.
 */
export async function deadLettersWaiting(
  admin: Admin,
  dlqTopics: readonly string[],
  prefix = '',
): Promise<Record<string, number>> {
  const progress = await groupProgress(admin, DLQ_REPLAY_GROUP, dlqTopics, prefix);
  return Object.fromEntries(
    Object.entries(progress).map(([topic, parts]) => [
      topic,
      parts.reduce((sum, p) => sum + Math.max(0, p.end - p.done), 0),
    ]),
  );
}

export const DEAD_LETTER_GAUGE = 'ts_kafka_dead_letters_waiting';

/**
 * `ts_kafka_dead_letters_waiting{topic}` on the service's /metrics: read from the broker when
 * scraped (one ListOffsets and one OffsetFetch), so it is as fresh as the scrape. The CloudWatch
 * agent beside each task turns it into the metric the dead-letter alarm watches (deployment/
 * modules/ecs metrics.tf). A broker that does not answer leaves the gauge empty: no figure is
 * better than a stale zero.
 */
export function deadLetterGauge(opts: {
  registry: client.Registry;
  topics: readonly string[];
  read: (topics: readonly string[]) => Promise<Record<string, number>>;
  timeoutMs?: number;
}): client.Gauge<'topic'> {
  const { topics, read } = opts;
  const timeoutMs = opts.timeoutMs ?? 3000;
  return new client.Gauge({
    name: DEAD_LETTER_GAUGE,
    help: 'Dead letters in <topic>.dlq not yet replayed or dropped (end offset minus the ops.dlq-replay group offset)',
    labelNames: ['topic'],
    registers: [opts.registry],
    async collect() {
      this.reset();
      if (topics.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const depths = await Promise.race([
        read(topics).catch(() => undefined),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      for (const [topic, n] of Object.entries(depths ?? {})) this.set({ topic }, n);
    },
  });
}

/** One dead letter as an operator sees it. */
export interface DeadLetter {
  partition: number;
  offset: string;
  key: string | null;
  /** Which consumer group gave up (absent on dead letters older than the header). */
  group?: string;
  error?: string;
  at?: string;
  source?: { partition: string; offset: string };
  value: string;
  headers: Record<string, string>;
}

/** The headers the bus adds when it dead-letters a message; a replay leaves them behind. */
const DLQ_HEADERS = new Set([
  'dlq-error',
  'dlq-source-partition',
  'dlq-source-offset',
  'dlq-at',
  DLQ_GROUP_HEADER,
]);

/**
 * Works through the dead letters of one `<topic>.dlq` that nobody has dealt with yet, in the replay
 * group's name (`ops.dlq-replay`), up to the end offsets at the start:
 * - `show`: lists them, commits nothing;
 * - `replay`: publishes each again to its source topic (same key, value and headers, the dlq-*
 *   ones replaced by `dlq-replayed-from`), then commits past it: every consumer of the topic gets
 *   it again, which the consumers' idempotency makes harmless for those that had handled it;
 * - `drop`: commits past them without publishing (judged worthless, after a look).
 * The depth gauge falls by what is committed.
 */
export async function workThroughDeadLetters(
  kafka: Kafka,
  opts: {
    dlqTopic: string;
    sourceTopic: string;
    prefix?: string;
    mode: 'show' | 'replay' | 'drop';
    limit?: number;
  },
): Promise<DeadLetter[]> {
  const prefix = opts.prefix ?? '';
  const dlq = prefix + opts.dlqTopic;
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  const admin = kafka.admin();
  await admin.connect();
  const groupId = prefix + DLQ_REPLAY_GROUP;
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(dlq),
    admin.fetchOffsets({ groupId, topics: [dlq] }),
  ]);
  const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  /** Per partition: [first waiting offset, end offset). */
  const ranges = new Map(
    ends
      .map(
        (p) => [p.partition, [Math.max(Number(p.low), done.get(p.partition) ?? -1), Number(p.high)]] as const,
      )
      .filter(([, [from, to]]) => to > from),
  );
  const found: DeadLetter[] = [];
  const producer = opts.mode === 'replay' ? kafka.producer({ allowAutoTopicCreation: false }) : undefined;
  const consumer = kafka.consumer({ groupId: `${groupId}.reader`, allowAutoTopicCreation: false });
  try {
    await producer?.connect();
    if (ranges.size > 0) {
      await consumer.connect();
      await consumer.subscribe({ topic: dlq, fromBeginning: true });
      const remaining = new Map(ranges);
      let settle: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (settle = resolve));
      const commits: { topic: string; partition: number; offset: string }[] = [];
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const range = remaining.get(partition);
          if (!range || Number(message.offset) < range[0]) return;
          if (Number(message.offset) >= range[1] || found.length >= limit) {
            remaining.delete(partition);
          } else {
            const headers = Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [
                k,
                String(Array.isArray(v) ? v[0] : (v ?? '')),
              ]),
            );
            const letter: DeadLetter = {
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              group: headers[DLQ_GROUP_HEADER],
              error: headers['dlq-error'],
              at: headers['dlq-at'],
              source:
                headers['dlq-source-offset'] !== undefined
                  ? { partition: headers['dlq-source-partition'] ?? '', offset: headers['dlq-source-offset'] }
                  : undefined,
              value: message.value?.toString() ?? '',
              headers,
            };
            found.push(letter);
            if (producer)
              await producer.send({
                topic: prefix + opts.sourceTopic,
                acks: -1,
                messages: [
                  {
                    key: message.key,
                    value: message.value,
                    headers: {
                      ...Object.fromEntries(Object.entries(headers).filter(([k]) => !DLQ_HEADERS.has(k))),
                      'dlq-replayed-from': `${opts.dlqTopic}/${partition}/${message.offset}`,
                    },
                  },
                ],
              });
            commits.push({ topic: dlq, partition, offset: String(Number(message.offset) + 1) });
            if (Number(message.offset) + 1 >= range[1]) remaining.delete(partition);
          }
          if (remaining.size === 0 || found.length >= limit) settle();
        },
      });
      // A reader of its own seeks each partition to the first waiting offset.
      for (const [partition, [from]] of ranges)
        consumer.seek({ topic: dlq, partition, offset: String(from) });
      await finished;
      if (opts.mode !== 'show') {
        const last = new Map<number, string>();
        for (const c of commits) last.set(c.partition, c.offset);
        for (const [partition, offset] of last)
          await admin.setOffsets({ groupId, topic: dlq, partitions: [{ partition, offset }] });
      }
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return found;
}
