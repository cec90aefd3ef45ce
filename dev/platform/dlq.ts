import {
  baseConfigShape,
  deadLettersWaiting,
  dlqTopic,
  kafkaConnection,
  TOPIC_NAMES,
  workThroughDeadLetters,
  type TopicName,
} from '@ticketslave/common';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { DEV_KAFKA_ADMIN } from '../kafka/users';
import { KAFKA_PORTS } from './paths';

const USAGE = `usage: npm run dlq -- status
       npm run dlq -- show|replay|drop <topic> [--limit N]

  status   dead letters waiting in every <topic>.dlq (what the depth alarm counts)
  show     prints the waiting dead letters of <topic>.dlq (group that gave up, error, when, payload)
  replay   publishes them again to <topic> and marks them dealt with
  drop     marks them dealt with without publishing (after a look: judged worthless)

Kafka as the services reach it (KAFKA_BROKERS, KAFKA_SSL, KAFKA_SASL_*, KAFKA_TOPIC_PREFIX), as a
user that may read the dead-letter topics, write the source topics and commit the group
ops.dlq-replay (on MSK: the operators' user); unset: the broker of npm start, as its admin.`;

/**
 * `npm run dlq`: the operator's look at dead letters and their replay (docs/operations.md, "Dead
 * letters"). What it commits in the group ops.dlq-replay is what the services' gauge
 * ts_kafka_dead_letters_waiting and the deployment's depth alarm count from.
 */
async function main(): Promise<number> {
  const [command, topicArg, ...rest] = process.argv.slice(2);
  const limitAt = rest.indexOf('--limit');
  const limit = limitAt >= 0 ? Number(rest[limitAt + 1]) : undefined;
  if (!command || (command !== 'status' && !['show', 'replay', 'drop'].includes(command))) {
    console.error(USAGE);
    return 2;
  }
  const source = topicArg?.replace(/\.dlq$/, '');
  if (command !== 'status' && !TOPIC_NAMES.includes(source as TopicName)) {
    console.error(`${topicArg ?? '(no topic)'} is not a topic: ${TOPIC_NAMES.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    console.error(`--limit takes a positive whole number\n\n${USAGE}`);
    return 2;
  }

  const env = z
    .object(baseConfigShape)
    .pick({
      KAFKA_BROKERS: true,
      KAFKA_SSL: true,
      KAFKA_SASL_MECHANISM: true,
      KAFKA_SASL_USERNAME: true,
      KAFKA_SASL_PASSWORD: true,
      KAFKA_TOPIC_PREFIX: true,
    })
    .parse({ KAFKA_BROKERS: `127.0.0.1:${KAFKA_PORTS.port}`, ...process.env });
  const connection = kafkaConnection(env);
  const local = !process.env.KAFKA_BROKERS;
  const kafka = new Kafka({
    clientId: 'ticketslave-dlq',
    brokers: connection.brokers,
    ssl: connection.ssl,
    sasl:
      (connection.sasl as SASLOptions | undefined) ??
      (local ? { mechanism: 'scram-sha-512', ...DEV_KAFKA_ADMIN } : undefined),
    logLevel: logLevel.ERROR,
  });
  const prefix = connection.topicPrefix ?? '';

  if (command === 'status') {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const depths = await deadLettersWaiting(admin, TOPIC_NAMES.map(dlqTopic), prefix);
      for (const [topic, n] of Object.entries(depths)) console.log(`${String(n).padStart(8)}  ${topic}`);
      const total = Object.values(depths).reduce((a, b) => a + b, 0);
      console.log(`${String(total).padStart(8)}  waiting in all`);
    } finally {
      await admin.disconnect();
    }
    return 0;
  }

  const letters = await workThroughDeadLetters(kafka, {
    dlqTopic: dlqTopic(source!),
    sourceTopic: source!,
    prefix,
    mode: command as 'show' | 'replay' | 'drop',
    limit,
  });
  for (const l of letters)
    console.log(
      JSON.stringify({
        at: `${l.partition}/${l.offset}`,
        group: l.group,
        failedAt: l.at,
        error: l.error,
        from: l.source,
        key: l.key,
        value: l.value,
      }),
    );
  const did = { show: 'waiting', replay: 'replayed', drop: 'dropped' }[command as 'show' | 'replay' | 'drop'];
  console.error(`${letters.length} dead letter(s) of ${dlqTopic(source!)} ${did}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
