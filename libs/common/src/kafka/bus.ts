import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type KafkaConfig,
  type KafkaMessage as FetchedMessage,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import client from 'prom-client';
import { currentRequestId, withRequestId, type Logger } from '../logger';
import { deadLettersWaiting, DLQ_GROUP_HEADER, groupProgress, type PartitionProgress } from './dead-letters';
import { parseEnvelope, PoisonMessageError } from './envelope';
import type { Envelope } from './messages';
import { topicsOf, type KafkaService } from './access';
import { OffsetWatermarks } from './offset-watermarks';
import { allTopicSpecs, dlqTopic, messageKey, TOPICS, type TopicName } from './topics';

/**
 * The `msg` of the log line written for every message sent to `<topic>.dlq`. The deployment's
 * dead-letter alarms count these lines in each service's log group (deployment/modules/alarms).
 */
export const DLQ_LOG_MESSAGES = {
  poison: 'poison message sent to DLQ',
  failed: 'message failed, sent to DLQ',
} as const;

/** A message to send. Its Kafka key is the topic's declared one (`messageKey`, topics.ts). */
export interface OutgoingMessage {
  topic: TopicName;
  envelope: Envelope;
  headers?: Record<string, string>;
}

export interface IncomingMessage<T extends TopicName = TopicName> {
  topic: T;
  partition: number;
  offset: string;
  key: string | null;
  envelope: Envelope<T>;
  headers: Record<string, string>;
  /** Call in long handlers so the group does not think this consumer died. */
  heartbeat(): Promise<void>;
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Logical group name; the bus prefixes it like topics. */
  groupId: string;
  topics: TopicName[];
  handler: MessageHandler;
  /** Attempts for an ordinary failure before the message goes to `<topic>.dlq`. */
  maxAttempts?: number;
  retryBaseMs?: number;
  fromBeginning?: boolean;
  /**
   * Partitions this instance handles at once. Default: every partition of the subscribed
   * topics, so one instance keeps up with all it is assigned and each added instance (up
   * to the partition count) takes a share. `maxInFlight` bounds the work either way.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Handle the messages of one partition in parallel, keeping only the order of those
   * with the same key (e.g. the order id); only for handlers whose messages of different
   * keys are independent. Order and payment topics are keyed by order already, but a
   * partition still holds many orders, and a handler waiting on Stripe would otherwise
   * hold up every order behind it on its partition.
   */
  parallelBy?: (message: IncomingMessage) => string | null;
  /**
   * Messages in flight at once in this consumer, all its partitions together (default 32):
   * bounds the database connections and outside calls one consumer can take.
   */
  maxInFlight?: number;
}

export interface BusConsumer {
  stop(): Promise<void>;
}

/**
 * Our messaging port. Services depend on this, not on kafkajs, which keeps a
 * maintained client (@platformatic/kafka, Confluent's) a swap away.
 */
export interface MessageBus {
  start(): Promise<void>;
  stop(): Promise<void>;
  publish(messages: OutgoingMessage[]): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<BusConsumer>;
  /** Resolves when the broker answers; used by /readyz. */
  ping(): Promise<void>;
  ensureTopics(): Promise<void>;
  topicName(topic: string): string;
  /** How far one of this service's consumer groups (its logical name) has read a topic, per partition. */
  progress(groupId: string, topic: TopicName): Promise<PartitionProgress[]>;
}

export interface KafkaBusOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  topicPrefix?: string;
  ssl?: boolean;
  sasl?: { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; username: string; password: string };
  /**
   * The service this bus belongs to: it then creates only its own topics at start (TOPIC_ACCESS),
   * the ones its broker ACLs let it create. Unset (tools, tests): every topic.
   */
  service?: KafkaService;
  /** Where the consumers' metrics go (the service's /metrics registry). */
  registry?: client.Registry;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  '53300',
  '40001',
  '40P01',
]);

/** Failures of infrastructure (DB restarting, connection reset, serialization conflict): retried until they pass, never dead-lettered. */
export function isTransientError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; retriable?: boolean } | undefined;
  if (!e) return false;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  if (e.retriable === true) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|ECONNREFUSED|timeout exceeded when trying to connect/i.test(
    e.message ?? '',
  );
}

// kafkajs 2.2.4 schedules timers with negative durations; Node 24 warns about each one.
// The timers still fire at once as intended, so the warning is noise in every service log.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  const name = warning instanceof Error ? warning.name : type;
  if (name === 'TimeoutNegativeWarning') return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
};

/**
 * Creates topics and waits until the broker serves every partition with a leader.
 * kafkajs's own `waitForLeaders` gives up on the "does not host this topic-partition"
 * answer a KRaft broker sends while new metadata propagates, so we poll ourselves.
 */
export async function createTopicsAndWait(
  admin: Admin,
  topics: { topic: string; numPartitions: number; replicationFactor?: number }[],
  timeoutMs = 60_000,
): Promise<void> {
  if (topics.length === 0) return;
  await admin.createTopics({
    topics: topics.map((t) => ({ replicationFactor: -1, ...t })),
    waitForLeaders: false,
  });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      if (
        meta.length === names.length &&
        meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
      )
        return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`topics not ready after ${timeoutMs} ms: ${names.slice(0, 3).join(', ')}…`);
    await sleep(200);
  }
}

/** How long an idle consumer's fetch waits at the broker, and so at most how long its stop waits for it. */
export const FETCH_MAX_WAIT_MS = 1000;

type KafkaMessage = { key: string; value: string; headers: Record<string, string> };
/** Below the broker's default 1 MB `message.max.bytes`, leaving room for framing. */
const MAX_REQUEST_BYTES = 900_000;

/** How long `subscribe` waits for the consumer group join before going on without it. */
const JOIN_WAIT_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A counting semaphore: at most `n` holders at once, waiters served first come, first served. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = Math.max(1, n);
  }
  take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** How often a `parallelBy` consumer commits what finished (kafkajs's own auto-commit is off there). */
const COMMIT_EVERY_MS = 200;

/**
 * Waits for a slot, heartbeating meanwhile (every second): with every slot taken by slow
 * handlers the fetch loop is parked here, and the group must not think this member died. A
 * heartbeat that fails (a rebalance) ends the wait; the slot, when it comes, is given back.
 */
async function takeSlot(slots: Slots, heartbeat: () => Promise<void>): Promise<void> {
  let got = false;
  const taken = slots.take().then(() => {
    got = true;
  });
  while (!got) {
    await Promise.race([taken, sleep(1000)]);
    if (got) return;
    try {
      await heartbeat();
    } catch (err) {
      void taken.then(() => slots.give());
      throw err;
    }
  }
}

/** Drains a `parallelBy` consumer before it disconnects: stop fetching, finish what runs, commit. */
const drainers = new WeakMap<Consumer, () => Promise<void>>();

export class KafkaBus implements MessageBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly prefix: string;
  private readonly consumers = new Set<Consumer>();
  private pending: { messages: OutgoingMessage[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private stopped = false;
  private readonly metrics: {
    handle: client.Histogram<'group' | 'type'>;
    age: client.Histogram<'group' | 'type'>;
  } | null;

  constructor(private readonly opts: KafkaBusOptions) {
    this.prefix = opts.topicPrefix ?? '';
    this.metrics = opts.registry
      ? {
          handle: new client.Histogram({
            name: 'ts_kafka_handler_seconds',
            help: 'Time a consumer handler took for one message (successful attempts), by group and message type',
            labelNames: ['group', 'type'],
            buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            registers: [opts.registry],
          }),
          age: new client.Histogram({
            name: 'ts_kafka_message_age_seconds',
            help: 'From the message being created (envelope occurredAt) to its handler finishing: outbox, broker and consumer backlog included',
            labelNames: ['group', 'type'],
            buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
            registers: [opts.registry],
          }),
        }
      : null;
    const config: KafkaConfig = {
      clientId: opts.clientId,
      brokers: opts.brokers,
      ssl: opts.ssl ?? false,
      connectionTimeout: 3000,
      requestTimeout: 30000,
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 5000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }) => {
          const { message, ...extra } = log;
          if (level <= logLevel.ERROR) opts.logger.error({ kafka: extra }, `kafka: ${message}`);
          else if (level === logLevel.WARN) opts.logger.warn({ kafka: extra }, `kafka: ${message}`);
        },
    };
    if (opts.sasl) config.sasl = opts.sasl as SASLOptions;
    this.kafka = new Kafka(config);
    // Not kafkajs's experimental idempotent mode: duplicates are handled by consumers.
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.admin = this.kafka.admin({ retry: { retries: 0 } });
  }

  topicName(topic: string): string {
    return this.prefix + topic;
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  async ensureTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const own = this.opts.service
        ? new Set(topicsOf(this.opts.service).map((t) => this.prefix + t))
        : undefined;
      const missing = allTopicSpecs(this.prefix).filter(
        (t) => !existing.has(t.topic) && (own?.has(t.topic) ?? true),
      );
      await createTopicsAndWait(admin, missing);
    } finally {
      await admin.disconnect();
    }
  }

  async ping(): Promise<void> {
    await this.admin.connect();
    await this.admin.describeCluster();
  }

  /**
   * Queues messages and sends them with the next batch. One send is in flight at a
   * time, so the producer is serialized and concurrent callers share round trips.
   */
  publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error('message bus stopped'));
    const requestId = currentRequestId();
    const stamped = messages.map((m) => ({
      ...m,
      headers: { ...(requestId ? { 'x-request-id': requestId } : {}), ...m.headers },
    }));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ messages: stamped, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      try {
        for (const request of this.requestsOf(batch.flatMap((b) => b.messages))) {
          await this.producer.sendBatch({ acks: -1, topicMessages: request });
        }
        batch.forEach((b) => b.resolve());
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
    }
    this.flushing = null;
  }

  /**
   * Splits messages into produce requests of at most MAX_REQUEST_BYTES. Kafka caps a
   * partition's record batch at `message.max.bytes` (1 MB by default), and one event's
   * messages all share a partition: a close publishing 200 large assignment batches
   * must go out in several requests, in order, or the broker refuses the lot forever.
   */
  private requestsOf(messages: OutgoingMessage[]): { topic: string; messages: KafkaMessage[] }[][] {
    const requests: { topic: string; messages: KafkaMessage[] }[][] = [];
    let current = new Map<string, KafkaMessage[]>();
    let bytes = 0;
    const cut = () => {
      if (current.size) requests.push([...current].map(([topic, msgs]) => ({ topic, messages: msgs })));
      current = new Map();
      bytes = 0;
    };
    for (const m of messages) {
      const value = JSON.stringify(m.envelope);
      const key = messageKey(m.topic, m.envelope.payload);
      const size = Buffer.byteLength(value) + key.length + 200;
      if (bytes > 0 && bytes + size > MAX_REQUEST_BYTES) cut();
      const name = this.topicName(m.topic);
      const list = current.get(name) ?? [];
      list.push({ key, value, headers: { 'message-id': m.envelope.id, ...m.headers } });
      current.set(name, list);
      bytes += size;
    }
    cut();
    return requests;
  }

  /**
   * A consumer of the group that lives as long as the subscription: when kafkajs gives up on
   * one (a crash it does not restart itself, e.g. the group coordinator not found), a new one
   * takes its place after a pause, so a service never keeps running with a dead consumer.
   */
  async subscribe(opts: SubscribeOptions): Promise<BusConsumer> {
    const logger = this.opts.logger.child({ consumer: opts.groupId });
    let current: Consumer | undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const replace = () => {
      if (stopped || this.stopped) return;
      logger.error('consumer crashed for good; starting a new one in 5 s');
      timer = setTimeout(() => {
        if (current) {
          this.consumers.delete(current);
          void current.disconnect().catch(() => undefined);
        }
        startOne().catch((err: unknown) => {
          logger.error({ err }, 'could not start a new consumer');
          replace();
        });
      }, 5000);
    };
    const startOne = async () => {
      current = await this.startConsumer(opts, replace);
    };
    await startOne();
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        if (!current) return;
        this.consumers.delete(current);
        await drainers.get(current)?.();
        await current.disconnect();
      },
    };
  }

  private async startConsumer(opts: SubscribeOptions, onDead: () => void): Promise<Consumer> {
    const consumer = this.kafka.consumer({
      groupId: this.prefix + opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      // A fetch waits this long for messages when there are none (it answers as soon as one
      // arrives), and stopping a consumer waits for its fetch in flight: kafkajs' 5 s default
      // spent most of the 8 s stop budget (Lifecycle), and a slow machine ran over it.
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.consumers.add(consumer);
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) onDead();
    });
    await consumer.connect();
    for (const topic of opts.topics)
      await consumer.subscribe({ topic: this.topicName(topic), fromBeginning: opts.fromBeginning ?? true });
    const maxAttempts = opts.maxAttempts ?? 5;
    const base = opts.retryBaseMs ?? 200;
    const logger = this.opts.logger.child({ consumer: opts.groupId });
    const byName = new Map(opts.topics.map((t) => [this.topicName(t), t]));

    /** The envelope of a fetched message, or null when it is not ours or went to the DLQ as poison. */
    const prepare = async (
      rawTopic: string,
      partition: number,
      message: FetchedMessage,
      heartbeat: () => Promise<void>,
    ): Promise<IncomingMessage | null> => {
      const topic = byName.get(rawTopic);
      if (!topic) return null;
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [
          k,
          Array.isArray(v) ? String(v[0]) : String(v ?? ''),
        ]),
      );
      let parsed: Envelope;
      try {
        parsed = parseEnvelope(topic, message.value);
      } catch (err) {
        await this.deadLetter(opts.groupId, topic, partition, message, headers, err);
        logger.error({ err, topic, partition, offset: message.offset }, DLQ_LOG_MESSAGES.poison);
        return null;
      }
      return {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        envelope: parsed,
        headers,
        heartbeat,
      };
    };

    /** Runs the handler until it passes; transient failures retry forever, others go to the DLQ after `maxAttempts`. */
    const deliver = async (incoming: IncomingMessage, message: FetchedMessage): Promise<void> => {
      const { topic, partition, headers } = incoming;
      const heartbeat = () => incoming.heartbeat();
      for (let attempt = 1; ; attempt++) {
        try {
          const started = performance.now();
          await withRequestId(headers['x-request-id'], () => opts.handler(incoming));
          if (this.metrics) {
            const labels = { group: opts.groupId, type: incoming.envelope.type };
            this.metrics.handle.observe(labels, (performance.now() - started) / 1000);
            const age = (Date.now() - Date.parse(incoming.envelope.occurredAt)) / 1000;
            if (Number.isFinite(age)) this.metrics.age.observe(labels, Math.max(0, age));
          }
          return;
        } catch (err) {
          if (this.stopped) throw err;
          const poison =
            err instanceof PoisonMessageError ||
            (err as Error).name === 'ZodError' ||
            (err as { status?: number }).status === 400;
          if (!poison && isTransientError(err)) {
            logger.warn({ err, topic, attempt }, 'transient failure, retrying');
            await sleep(Math.min(5000, base * 2 ** Math.min(attempt, 5)));
            await heartbeat();
            continue;
          }
          if (poison || attempt >= maxAttempts) {
            await this.deadLetter(opts.groupId, topic, partition, message, headers, err);
            logger.error({ err, topic, partition, offset: message.offset, attempt }, DLQ_LOG_MESSAGES.failed);
            return;
          }
          logger.warn({ err, topic, attempt }, 'handler failed, retrying');
          await sleep(base * 2 ** (attempt - 1));
          await heartbeat();
        }
      }
    };

    const partitionsConsumedConcurrently =
      opts.partitionsConsumedConcurrently ?? opts.topics.reduce((n, t) => n + TOPICS[t].partitions, 0);
    const slots = new Slots(opts.maxInFlight ?? 32);
    const { parallelBy } = opts;
    let running: Promise<void>;
    if (!parallelBy) {
      running = consumer.run({
        partitionsConsumedConcurrently,
        eachMessage: async (p) => {
          const { topic, partition, message } = p;
          await slots.take();
          try {
            const incoming = await prepare(topic, partition, message, () => p.heartbeat());
            if (incoming) await deliver(incoming, message);
          } finally {
            slots.give();
          }
        },
      });
    } else {
      // Messages of one key run one after another, in offset order; different keys run at once
      // (within `maxInFlight`), whatever partition or batch they came in. A batch hands its
      // messages on and returns at once: kafkajs fetches a broker's next batches only when all
      // batches of its last fetch returned, so a batch that waited for its slowest message held
      // up every partition of that broker behind one slow Stripe call (issue 21). Offsets are
      // committed here, not by kafkajs (autoCommit off): only up to the first message not yet
      // finished (OffsetWatermarks), so a crash or a rebalance delivers it again, never skips it.
      const chains = new Map<string, Promise<void>>();
      const inFlight = new Set<Promise<void>>();
      const marks = new OffsetWatermarks();
      let commitTimer: NodeJS.Timeout | undefined;
      let committing: Promise<void> = Promise.resolve();
      const commitDue = (): Promise<void> => {
        clearTimeout(commitTimer);
        commitTimer = undefined;
        committing = committing.then(async () => {
          const due = marks.takeDue();
          if (due.length === 0) return;
          try {
            await consumer.commitOffsets(due);
            marks.committedUpTo(due);
          } catch (err) {
            // A rebalance took the partition (its new owner starts from the last commit) or the
            // broker is away: the next commit covers these offsets; until then they may repeat.
            logger.warn(
              { err },
              'committing offsets failed; the messages after the last commit may be delivered again',
            );
          }
        });
        return committing;
      };
      const scheduleCommit = () => {
        commitTimer ??= setTimeout(() => void commitDue(), COMMIT_EVERY_MS);
      };
      // A new generation fetches again from the committed offsets: what runs now may come again.
      consumer.on(consumer.events.GROUP_JOIN, () => marks.restartAll());
      drainers.set(consumer, async () => {
        try {
          consumer.pause(opts.topics.map((t) => ({ topic: this.topicName(t) })));
        } catch {
          // not running (it crashed): nothing more will be fetched anyway
        }
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        await commitDue();
      });
      running = consumer.run({
        partitionsConsumedConcurrently,
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (b) => {
          const { batch } = b;
          // Handlers heartbeat long after their batch returned; a rebalance is kafkajs's to notice.
          const heartbeat = () => b.heartbeat().catch(() => undefined);
          for (const message of batch.messages) {
            if (!b.isRunning() || b.isStale()) break;
            await takeSlot(slots, () => b.heartbeat());
            if (!b.isRunning() || b.isStale()) {
              slots.give();
              break;
            }
            const offset = BigInt(message.offset);
            const incoming = await prepare(batch.topic, batch.partition, message, heartbeat).catch(
              (err: unknown) => {
                slots.give();
                throw err;
              },
            );
            const track = marks.started(batch.topic, batch.partition, offset);
            // The next fetch starts after it; its commit waits for it to finish.
            b.resolveOffset(message.offset);
            if (!incoming) {
              slots.give();
              if (marks.finished(track, offset)) scheduleCommit();
              continue;
            }
            const key = parallelBy(incoming) ?? '';
            // Never rejects (both outcomes are handled here), so the next message of the key runs.
            const settled = (chains.get(key) ?? Promise.resolve())
              .then(() => deliver(incoming, message))
              .then(
                () => {
                  if (marks.finished(track, offset)) scheduleCommit();
                },
                (err: unknown) => {
                  if (this.stopped) return;
                  // Not finished, so never committed past: read it again from here (with what
                  // followed it on its partition: handlers are idempotent).
                  logger.error(
                    { err, topic: incoming.topic, offset: message.offset },
                    'delivery failed; reading the partition again from it',
                  );
                  marks.restart(batch.topic, batch.partition);
                  try {
                    consumer.seek({ topic: batch.topic, partition: batch.partition, offset: message.offset });
                  } catch (seekErr) {
                    // Not running any more: a restart or a new owner reads it again anyway.
                    logger.warn({ err: seekErr }, 'could not seek back; left to the next start');
                  }
                },
              )
              .finally(() => {
                slots.give();
                inFlight.delete(settled);
                if (chains.get(key) === settled) chains.delete(key);
              });
            chains.set(key, settled);
            inFlight.add(settled);
          }
          await b.heartbeat();
        },
      });
    }
    // run() resolves once the group is joined. After a crash of this service the join
    // waits out the dead member's session (30 s): past JOIN_WAIT_MS the service goes on
    // (and serves HTTP) while the join completes; consuming late is lag, not unreadiness.
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      running.catch((err: unknown) => logger.error({ err }, 'consumer failed to start')),
      new Promise((r) => (timeout = setTimeout(r, JOIN_WAIT_MS))),
    ]);
    clearTimeout(timeout);
    return consumer;
  }

  private async deadLetter(
    groupId: string,
    topic: TopicName,
    partition: number,
    { key, value, offset }: Pick<FetchedMessage, 'key' | 'value' | 'offset'>,
    headers: Record<string, string>,
    err: unknown,
  ): Promise<void> {
    await this.producer.send({
      topic: this.topicName(dlqTopic(topic)),
      acks: -1,
      messages: [
        {
          key,
          value,
          headers: {
            ...headers,
            'dlq-error': String((err as Error)?.message ?? err).slice(0, 1000),
            [DLQ_GROUP_HEADER]: groupId,
            'dlq-source-partition': String(partition),
            'dlq-source-offset': offset,
            'dlq-at': new Date().toISOString(),
          },
        },
      ],
    });
  }

  /** Dead letters waiting for an operator in each of these `<topic>.dlq` (dead-letters.ts). */
  async deadLettersWaiting(dlqTopics: readonly string[]): Promise<Record<string, number>> {
    await this.admin.connect();
    return deadLettersWaiting(this.admin, dlqTopics, this.prefix);
  }

  async progress(groupId: string, topic: TopicName): Promise<PartitionProgress[]> {
    await this.admin.connect();
    return (await groupProgress(this.admin, groupId, [topic], this.prefix))[topic] ?? [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    if (this.flushing) await this.flushing.catch(() => undefined);
    await this.producer.disconnect();
    await this.admin.disconnect().catch(() => undefined);
  }
}

/** Partition count of a topic, for tools that read whole topics. */
export const partitionsOf = (topic: TopicName): number => TOPICS[topic].partitions;
