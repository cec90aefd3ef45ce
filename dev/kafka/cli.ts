// A long-lived dev broker for developers and CI scripts:
//   npx tsx dev/kafka/cli.ts start|stop|status [--port 19092] [--controller-port 19093]
//                                             [--data-dir .local/kafka-test] [--heap-mb 512]
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { brokerLogTail, brokerPaths, isKafkaReachable, startKafka, stopPid } from './broker';
import { repoRoot } from './jars';

const usage =
  'usage: npx tsx dev/kafka/cli.ts start|stop|status [--port 19092] [--controller-port 19093] ' +
  '[--data-dir .local/kafka-test] [--heap-mb 512]';

function parse() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '19092' },
      'controller-port': { type: 'string', default: '19093' },
      'data-dir': { type: 'string' },
      'heap-mb': { type: 'string', default: '512' },
    },
  });
  const command = positionals[0];
  if (positionals.length !== 1 || (command !== 'start' && command !== 'stop' && command !== 'status')) {
    throw new Error(usage);
  }
  const int = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`--${name} must be a positive integer, got "${raw}"\n${usage}`);
    return n;
  };
  return {
    command,
    port: int('port', values.port),
    controllerPort: int('controller-port', values['controller-port']),
    heapMb: int('heap-mb', values['heap-mb']),
    // The default sits in the repo's .local so it is the same broker whichever folder the
    // command runs from; an explicit path means what it says relative to where you are.
    dataDir: values['data-dir']
      ? path.resolve(values['data-dir'])
      : path.join(repoRoot, '.local', 'kafka-test'),
  };
}

/**
 * The pid from broker.pid, if that process still is our broker. Pids are reused, so a stale
 * file must never lead us to signal an unrelated process.
 */
function brokerPid(dataDir: string): number | undefined {
  const { pidFile, propertiesFile } = brokerPaths(dataDir);
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(propertiesFile) ? pid : undefined;
  } catch {
    return undefined; // no such process (or no /proc to ask: then we will not guess)
  }
}

async function main(): Promise<number> {
  const args = parse();
  const brokers = [`127.0.0.1:${args.port}`];
  const { pidFile } = brokerPaths(args.dataDir);

  switch (args.command) {
    case 'start': {
      if (await isKafkaReachable(brokers)) {
        console.log(`Kafka already answers on ${brokers[0]}; nothing to do.`);
        return 0;
      }
      const started = Date.now();
      const broker = await startKafka({ ...args, detached: true });
      await writeFile(pidFile, `${broker.pid}\n`);
      console.log(
        `Kafka ready on ${broker.brokers.join(',')} (pid ${broker.pid}, ${Date.now() - started} ms); ` +
          `data and logs in ${args.dataDir}`,
      );
      return 0;
    }
    case 'stop': {
      const pid = brokerPid(args.dataDir);
      if (pid === undefined) {
        await rm(pidFile, { force: true });
        const other = await isKafkaReachable(brokers, 1500);
        console.log(
          other
            ? `No broker of ours in ${args.dataDir}, but something answers on ${brokers[0]}; left alone.`
            : 'Kafka is not running.',
        );
        return 0;
      }
      const started = Date.now();
      await stopPid(pid);
      await rm(pidFile, { force: true });
      console.log(`Kafka (pid ${pid}) stopped in ${Date.now() - started} ms.`);
      return 0;
    }
    case 'status': {
      const pid = brokerPid(args.dataDir);
      if (await isKafkaReachable(brokers)) {
        console.log(`Kafka answers on ${brokers[0]}${pid ? ` (pid ${pid})` : ' (not started by this CLI)'}.`);
        return 0;
      }
      console.log(
        pid
          ? `Kafka process ${pid} is running but does not answer on ${brokers[0]}.\n${brokerLogTail(args.dataDir, undefined, 15)}`
          : `Kafka is not running on ${brokers[0]}.`,
      );
      return 1;
    }
  }
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
