import { runMain } from '@ticketslave/common';
import { runAdminCommand } from './admin';
import { loadAdminConfig, loadFeedConfig } from './config';
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
} else {
  runMain(
    'feed',
    () => loadFeedConfig(),
    (config) => startFeedService(config),
  );
}
