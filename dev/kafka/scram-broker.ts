import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKafka } from './broker';
import { portFree } from './probe';
import { applyServiceAcls, devScram } from './users';

/**
 * Two consecutive free ports away from the shared test broker's (19092/19192) and the dev ones, and
 * below Linux's ephemeral range (32768+): a port found free there can be taken by any outgoing
 * connection in the ~10 s before the broker binds it (a CI run lost a broker to that).
 */
async function freePorts(): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 6_000);
    if ((await portFree('127.0.0.1', base)) && (await portFree('127.0.0.1', base + 1)))
      return [base, base + 1];
  }
  throw new Error('no two free ports');
}

export interface ScramTestBroker {
  brokers: string[];
  stop(): Promise<void>;
}

/**
 * A broker of its own for a test file, as `npm start`'s: SCRAM-SHA-512 only, the StandardAuthorizer,
 * the local users (dev/kafka/users.ts) and every service's ACLs for topics and groups under
 * `prefix`. On free ports and a fresh data dir (SCRAM users are written when formatting: ~10 s),
 * removed by `stop()`. The shared test broker stays plain; this one proves the ACLs.
 * `mskLike`: a broker as MSK's before its ACLs exist (no super user, everyone allowed where no
 * ACL is; broker.ts `scram.mskLike`) and no ACL made: for the test of the bootstrap that makes them.
 */
export async function startScramTestBroker(
  prefix: string,
  opts: { mskLike?: boolean } = {},
): Promise<ScramTestBroker> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ts-kafka-scram-'));
  try {
    const start = async () => {
      const [port, controllerPort] = await freePorts();
      return startKafka({
        port,
        controllerPort,
        dataDir: dir,
        heapMb: 384,
        // A JVM starting on a loaded 2-core machine (CI, helpers in parallel) took over 60 s.
        readyTimeoutMs: 180_000,
        scram: { ...devScram(), mskLike: opts.mskLike },
      });
    };
    // Another process may still take a port between the check and the bind: new ports, once.
    const broker = await start().catch((err: Error) => {
      if (!/Unable to start acceptor|Address already in use/.test(err.message)) throw err;
      return start();
    });
    try {
      if (!opts.mskLike) await applyServiceAcls(broker.brokers, prefix);
    } catch (err) {
      await broker.stop();
      throw err;
    }
    return {
      brokers: broker.brokers,
      stop: async () => {
        await broker.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
