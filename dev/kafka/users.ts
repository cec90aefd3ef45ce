import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_SERVICES, provisionKafkaAcls, type KafkaService } from '@ticketslave/common';
import type { ScramLogin } from './probe';

/**
 * The local brokers' SCRAM users (issue 17.13): `admin`, the super user of tools, tests and the
 * ACL set-up, and one user per service, named as the service. Not secrets: local brokers listen
 * on 127.0.0.1 and exist so that ACLs, not passwords, are tested. MSK's come from Secrets
 * Manager (deployment/modules/msk).
 */
export const DEV_KAFKA_ADMIN: ScramLogin = { username: 'admin', password: 'admin-dev-only' };
export const devKafkaLogin = (svc: KafkaService): ScramLogin => ({
  username: svc,
  password: `${svc}-kafka-dev-only`,
});
export const DEV_KAFKA_USERS: Record<string, string> = Object.fromEntries(
  KAFKA_SERVICES.map((s) => [s, devKafkaLogin(s).password]),
);

/** The `scram` option of startKafka for a broker with the local users. */
export const devScram = () => ({ admin: DEV_KAFKA_ADMIN, users: DEV_KAFKA_USERS });

/**
 * Grants every service its ACLs (libs/common `provisionKafkaAcls`, the code the MSK bootstrap
 * runs) on a local SCRAM broker, connected as the super user; idempotent. `prefix` is the
 * topic/group prefix (tests).
 */
export async function applyServiceAcls(
  brokers: string[],
  prefix = '',
  admin = DEV_KAFKA_ADMIN,
): Promise<void> {
  const client = new Kafka({
    clientId: 'ticketslave-dev-acls',
    brokers,
    logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'scram-sha-512', ...admin },
  }).admin();
  await client.connect();
  try {
    await provisionKafkaAcls(client, { prefix });
  } finally {
    await client.disconnect();
  }
}
