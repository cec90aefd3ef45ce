import { runMain } from '@ticketslave/common';
import { runAdminCommand } from './admin';
import { loadAdminConfig, loadDbRolesConfig, loadFeedConfig, loadKafkaAclsConfig } from './config';
import { runDbRolesCommand } from './db-roles';
import { runKafkaAclsCommand } from './kafka-acls';
import { startFeedService } from './start';

/** Each bootstrap step reads its environment (throwing on a bad one) and returns what it runs. */
const dbRoles = () => {
  const env = loadDbRolesConfig();
  return () => runDbRolesCommand(env);
};
const kafkaAcls = () => {
  const env = loadKafkaAclsConfig();
  return () => runKafkaAclsCommand(env);
};
const BOOTSTRAP: Record<string, (() => () => Promise<void>)[]> = {
  'provision-db-roles': [dbRoles],
  'provision-kafka-acls': [kafkaAcls],
  bootstrap: [dbRoles, kafkaAcls],
};

// `node dist/main.js admin <command>`: the operator commands (a one-off ECS task in AWS), not the server.
if (process.argv[2] === 'admin') {
  let databaseUrl: string;
  try {
    databaseUrl = loadAdminConfig().DATABASE_URL;
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  runAdminCommand(process.argv.slice(3), { databaseUrl }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else if (process.argv[2] && Object.hasOwn(BOOTSTRAP, process.argv[2])) {
  // The bootstrap (issue 17.13; deployment/bootstrap.tf, run by deploy.sh before every roll):
  // `provision-db-roles` as the RDS master user makes each service's role with the password from
  // its secret and gives it its schema; `provision-kafka-acls` as the MSK ACL user grants every
  // service its Kafka ACLs; `bootstrap` does both, in that order. Exit 2: bad environment.
  const steps = BOOTSTRAP[process.argv[2]]!;
  let run: () => Promise<void>;
  try {
    const ready = steps.map((step) => step());
    run = async () => {
      for (const r of ready) await r();
    };
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  runMain(
    'feed',
    () => loadFeedConfig(),
    (config) => startFeedService(config),
  );
}
