import { kafkaConnection, provisionKafkaAcls } from '@ticketslave/common';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { loadKafkaAclsConfig } from './config';

/**
 * The Kafka half of the bootstrap (issue 17.13): connected to MSK as the ACL-making SCRAM user
 * (`AmazonMSK_…_app`, from Terraform), grants that user its own ACLs first (MSK has no super
 * users), then every service's (libs/common `provisionKafkaAcls`, the code `npm start` runs on
 * its broker), and returns once the broker shows them all. Idempotent; deploy.sh runs it before
 * every roll (docs/operations.md, "Kafka users and ACLs").
 */
export async function runKafkaAclsCommand(env: ReturnType<typeof loadKafkaAclsConfig>): Promise<void> {
  const { brokers, ssl, sasl, topicPrefix } = kafkaConnection(env);
  const admin = new Kafka({
    clientId: 'ticketslave-bootstrap-acls',
    brokers,
    ssl,
    sasl: sasl as SASLOptions | undefined,
    logLevel: logLevel.WARN,
  }).admin();
  await admin.connect();
  try {
    const { created, total } = await provisionKafkaAcls(admin, {
      prefix: topicPrefix,
      aclAdmin: env.KAFKA_SASL_USERNAME,
    });
    console.log(
      `kafka ACLs: ${total} in place (${created} new), for ${env.KAFKA_SASL_USERNAME} and every service`,
    );
  } finally {
    await admin.disconnect();
  }
}
