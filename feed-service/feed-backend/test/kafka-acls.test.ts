import { randomBytes } from 'node:crypto';
import { allTopicSpecs, createTopicsAndWait } from '@ticketslave/common';
import { startScramTestBroker, type ScramTestBroker } from '@ticketslave/dev/kafka/scram-broker';
import { DEV_KAFKA_ADMIN, devKafkaLogin } from '@ticketslave/dev/kafka/users';
import type { ScramLogin } from '@ticketslave/dev/kafka/probe';
import { Kafka, logLevel } from 'kafkajs';
import { loadKafkaAclsConfig } from '../src/config';
import { runKafkaAclsCommand } from '../src/kafka-acls';

/**
 * The Kafka half of the bootstrap (`provision-kafka-acls`, issue 17.13) against a broker set up as
 * MSK is before its ACLs exist: SCRAM, the StandardAuthorizer, no super user, and
 * `allow.everyone.if.no.acl.found=true` (so until the command runs, any login may publish
 * anything). The command connects as the ACL-making user, as on MSK.
 */
describe('provision-kafka-acls on an MSK-like broker', () => {
  let broker: ScramTestBroker;
  const prefix = `boot${randomBytes(3).toString('hex')}.`;
  const clients: { disconnect(): Promise<void> }[] = [];

  const kafka = (login: ScramLogin) =>
    new Kafka({
      clientId: `acl-bootstrap-test-${login.username}`,
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-512', ...login },
      // A just-made topic's leader takes a moment to be known; refusals are not retried by kafkajs.
      retry: { retries: 5, initialRetryTime: 200 },
    });
  /** 'ok', or the Kafka error behind a refused publish. */
  const publish = async (login: ScramLogin, topic: string): Promise<string> => {
    const producer = kafka(login).producer({ allowAutoTopicCreation: false });
    clients.push(producer);
    await producer.connect();
    return producer.send({ topic: prefix + topic, messages: [{ value: '{"forged":true}' }] }).then(
      () => 'ok',
      (err: { type?: string; message?: string }) =>
        /TOPIC_AUTHORIZATION_FAILED|Topic authorization failed/i.test(`${err.type} ${err.message}`)
          ? 'TOPIC_AUTHORIZATION_FAILED'
          : `${err.type} ${err.message}`,
    );
  };
  const bootstrap = () =>
    runKafkaAclsCommand(
      loadKafkaAclsConfig({
        KAFKA_BROKERS: broker.brokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: DEV_KAFKA_ADMIN.username,
        KAFKA_SASL_PASSWORD: DEV_KAFKA_ADMIN.password,
      }),
    );

  beforeAll(async () => {
    broker = await startScramTestBroker(prefix, { mskLike: true });
    const admin = kafka(DEV_KAFKA_ADMIN).admin();
    await admin.connect();
    await createTopicsAndWait(
      admin,
      allTopicSpecs(prefix).map((t) => ({ ...t, numPartitions: 1 })),
    );
    await admin.disconnect();
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    await broker?.stop();
  }, 60_000);

  it('when no ACL exists yet, then feed may publish payment.captured (what the bootstrap closes)', async () => {
    expect(await publish(devKafkaLogin('feed'), 'payment.captured')).toBe('ok');
  }, 60_000);

  it('when the bootstrap has run (twice: it is idempotent), then feed cannot publish payment.captured, payment can and purchase reads it, the ACL user keeps its rights', async () => {
    await bootstrap();
    await bootstrap();

    expect(await publish(devKafkaLogin('feed'), 'payment.captured')).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await publish(devKafkaLogin('purchase'), 'payment.captured')).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await publish(devKafkaLogin('payment'), 'payment.captured')).toBe('ok');

    // purchase, in its own group, reads what payment published.
    const consumer = kafka(devKafkaLogin('purchase')).consumer({
      groupId: `${prefix}purchase.bootstrap-test`,
    });
    clients.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [`${prefix}payment.captured`], fromBeginning: true });
    const read = new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ topic }) => resolve(topic) });
    });
    expect(await read).toBe(`${prefix}payment.captured`);

    // The ACL user granted itself first (MSK has no super user): it still writes a topic that
    // now has ACLs, and lists the ACLs (the second run above did too).
    expect(await publish(DEV_KAFKA_ADMIN, 'payment.captured')).toBe('ok');
  }, 120_000);
});
