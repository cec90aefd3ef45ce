import { existsSync } from 'node:fs';
import path from 'node:path';
import { backendDir } from './paths';
import { startPlatform } from './platform';

/** `npm start`: the whole platform on this machine, stopped cleanly by Ctrl-C. */
async function main(): Promise<void> {
  const platform = await startPlatform();
  const seedModule = path.join(backendDir('feed'), 'src/seed.ts');
  if (existsSync(seedModule)) {
    const { seedDemo } = (await import(seedModule)) as {
      seedDemo: (opts: { feedUrl: string; databaseUrl: string }) => Promise<string[]>;
    };
    try {
      for (const line of await seedDemo({
        feedUrl: 'http://127.0.0.1:8081',
        databaseUrl: platform.databaseUrl,
      })) {
        console.log(`[platform] ${line}`);
      }
    } catch (err) {
      console.error('[platform] demo seed failed:', (err as Error).message);
    }
  }
  console.log(
    `\n  TicketSlave is running at http://localhost:8080\n  Logs: .local/logs/<service>.log · Ctrl-C stops everything\n`,
  );
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.log('\n[platform] stopping…');
    platform
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(`[platform] failed to start: ${(err as Error).message}`);
  process.exit(1);
});
