import { runMain } from '@ticketslave/common';
import { runAdminCommand } from './admin';
import { loadAdminConfig, loadDbRolesConfig, loadFeedConfig } from './config';
import { runDbRolesCommand } from './db-roles';
import { startFeedService } from './start';

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
} else if (process.argv[2] === 'provision-db-roles') {
  // The database bootstrap (issue 17.13; deployment/db-roles.tf): as the RDS master user, makes
  // each service's role with the password from its secret and gives it its schema.
  let env: ReturnType<typeof loadDbRolesConfig>;
  try {
    env = loadDbRolesConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  runDbRolesCommand(env).then(
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
