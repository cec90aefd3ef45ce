import { randomBytes, randomUUID } from 'node:crypto';
import {
  allTopicSpecs,
  baseConfigShape,
  createLogger,
  createTopicsAndWait,
  envelope,
  ENVELOPE_VERSION,
  kafkaConnection,
  KafkaBus,
  loadConfig,
  type Envelope,
  type IncomingMessage,
  type KafkaService,
} from '@ticketslave/common';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaLoginEnv } from '../platform/service-env';
import { startScramTestBroker, type ScramTestBroker } from './scram-broker';
import { DEV_KAFKA_ADMIN, devKafkaLogin } from './users';

/** The Kafka error code behind a kafkajs error, however deep it is wrapped. */
function errorCode(err: unknown): string {
  const seen: string[] = [];
  type Wrapped = { type?: string; message?: string; originalError?: Wrapped; cause?: Wrapped };
  for (let e = err as Wrapped | undefined; e && seen.length < 10; e = e.originalError ?? e.cause)
    seen.push(e.type ?? '', e.message ?? '');
  const text = seen.join(' ');
  if (/TOPIC_AUTHORIZATION_FAILED|Topic authorization failed/i.test(text))
    return 'TOPIC_AUTHORIZATION_FAILED';
  if (/GROUP_AUTHORIZATION_FAILED|Group authorization failed/i.test(text))
    return 'GROUP_AUTHORIZATION_FAILED';
  return text;
}

/**
 * Least privilege on Kafka (issue 17.13), on a broker of its own that authenticates with
 * SCRAM-SHA-512 and authorizes with the StandardAuthorizer, with the users and ACLs `npm start`
 * gives its broker (dev/kafka/users.ts, from libs/common TOPIC_ACCESS). Each bus connects the
 * way a service does: its environment (service-env's kafkaLoginEnv) through its config schema
 * and `kafkaConnection`.
 */
describe('Kafka with SCRAM users and ACLs per service', () => {
  let broker: ScramTestBroker;
  const prefix = `acl${randomBytes(3).toString('hex')}.`;
  const buses: KafkaBus[] = [];

  const busOf = async (svc: KafkaService, login = devKafkaLogin(svc)): Promise<KafkaBus> => {
    const config = loadConfig(
      svc,
      {
        KAFKA_BROKERS: baseConfigShape.KAFKA_BROKERS,
        KAFKA_TOPIC_PREFIX: baseConfigShape.KAFKA_TOPIC_PREFIX,
        KAFKA_SSL: baseConfigShape.KAFKA_SSL,
        KAFKA_SASL_MECHANISM: baseConfigShape.KAFKA_SASL_MECHANISM,
        KAFKA_SASL_USERNAME: baseConfigShape.KAFKA_SASL_USERNAME,
        KAFKA_SASL_PASSWORD: baseConfigShape.KAFKA_SASL_PASSWORD,
      },
      { KAFKA_BROKERS: broker.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, ...kafkaLoginEnv(login) },
    );
    const bus = new KafkaBus({
      clientId: `${svc}-acl-test`,
      logger: createLogger(svc, 'silent'),
      service: svc,
      ...kafkaConnection(config),
    });
    buses.push(bus);
    await bus.start();
    return bus;
  };

  beforeAll(async () => {
    broker = await startScramTestBroker(prefix);
    // Every topic up front, as the super user: this file tests who may use them.
    const admin = new Kafka({
      clientId: 'acl-test-admin',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-512', ...DEV_KAFKA_ADMIN },
    }).admin();
    await admin.connect();
    await createTopicsAndWait(
      admin,
      allTopicSpecs(prefix).map((t) => ({ ...t, numPartitions: 1 })),
    );
    await admin.disconnect();
  }, 240_000);

  afterAll(async () => {
    for (const b of buses) await b.stop().catch(() => undefined);
    await broker?.stop();
  }, 60_000);

  it("when feed publishes payment.captured with its own credentials, then the broker refuses it as unauthorized, and feed's own topics work", async () => {
    // Its own: event.cancelled goes out and buffer, a consumer of it, reads it.
    const buffer = await busOf('buffer');
    const eventId = randomUUID();
    let received: (m: IncomingMessage) => void = () => undefined;
    const seen = new Promise<IncomingMessage>((resolve) => (received = resolve));
    await buffer.subscribe({
      groupId: 'buffer.acl-test',
      topics: ['event.cancelled'],
      handler: async (m) => {
        if ((m.envelope.payload as { eventId: string }).eventId === eventId) received(m);
      },
    });
    const feed = await busOf('feed');
    await feed.publish([
      { topic: 'event.cancelled', envelope: envelope('event.cancelled', { eventId, reason: 'acl test' }) },
    ]);
    expect((await seen).topic).toBe('event.cancelled');

    // A forged capture: what a compromised feed would send to make purchase issue unpaid tickets.
    const forged = {
      id: randomUUID(),
      type: 'payment.captured',
      version: ENVELOPE_VERSION,
      occurredAt: new Date().toISOString(),
      payload: { orderId: randomUUID() },
    } as unknown as Envelope;
    const refused = await (
      await busOf('feed')
    )
      .publish([{ topic: 'payment.captured', envelope: forged }])
      .then(() => 'accepted', errorCode);
    expect(refused).toBe('TOPIC_AUTHORIZATION_FAILED');
  }, 60_000);

  it('when a service publishes to any payment.* topic but payment, then every one is refused', async () => {
    for (const svc of ['feed', 'buffer', 'queue', 'purchase'] as const) {
      const bus = await busOf(svc);
      const forged = {
        id: randomUUID(),
        type: 'payment.authorized',
        version: ENVELOPE_VERSION,
        occurredAt: new Date().toISOString(),
        payload: { orderId: randomUUID() },
      } as unknown as Envelope;
      const outcome = await bus
        .publish([{ topic: 'payment.authorized', envelope: forged }])
        .then(() => 'accepted', errorCode);
      expect({ svc, outcome }).toEqual({ svc, outcome: 'TOPIC_AUTHORIZATION_FAILED' });
    }
  }, 60_000);

  it("when feed reads payment.captured or joins another service's consumer group, then the broker refuses", async () => {
    const kafka = new Kafka({
      clientId: 'feed-acl-test-reader',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-512', ...devKafkaLogin('feed') },
      retry: { retries: 0 },
    });
    const refusal = async (groupId: string, topic: string) => {
      const consumer = kafka.consumer({ groupId, retry: { retries: 0 } });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
          consumer.on(consumer.events.GROUP_JOIN, () => resolve());
          consumer.run({ eachMessage: async () => undefined }).catch(reject);
        });
        return 'joined';
      } catch (err) {
        return errorCode(err);
      } finally {
        await consumer.disconnect().catch(() => undefined);
      }
    };
    expect(await refusal(`${prefix}feed.spy`, `${prefix}payment.captured`)).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    // Its own group on a topic it consumes: joined. Purchase's group on the same topic: kafkajs
    // reports the broker's GROUP_AUTHORIZATION_FAILED on FindCoordinator as no coordinator.
    expect(await refusal(`${prefix}feed.acl-test`, `${prefix}inventory.changed`)).toBe('joined');
    expect(await refusal(`${prefix}purchase.payments`, `${prefix}inventory.changed`)).toMatch(
      /GROUP_AUTHORIZATION_FAILED|Failed to find group coordinator/,
    );
  }, 60_000);

  it('when a client gives a wrong password, then it is not let in', async () => {
    const outcome = await busOf('feed', { username: 'feed', password: 'not-the-password' }).then(
      () => 'connected',
      (err: { name?: string }) => err.name ?? 'error',
    );
    expect(outcome).toBe('KafkaJSSASLAuthenticationError');
  }, 30_000);
});
