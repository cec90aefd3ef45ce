import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertJava, ensureKafkaJars, javaBin, log4jConfigPath, run } from './jars';
import { portAccepts, portFree, roundTrip, type ScramLogin } from './probe';

export { ensureKafkaJars } from './jars';
export { isKafkaReachable, type ScramLogin } from './probe';

export interface StartKafkaOptions {
  port: number;
  controllerPort: number;
  dataDir: string;
  /** JVM heap, fixed (-Xms = -Xmx) so the broker's footprint is predictable on a dev box. */
  heapMb?: number;
  /** Where server.log and the JVM's own output go; defaults to `<dataDir>/logs`. */
  logDir?: string;
  /** How long to wait for a working broker before giving up. */
  readyTimeoutMs?: number;
  /** Let the broker outlive this process (the CLI); otherwise it is killed when we exit. */
  detached?: boolean;
  /**
   * Authentication and authorization (issue 17.13): the client listener takes only SASL/SCRAM-SHA-512,
   * the StandardAuthorizer refuses whatever no ACL allows, `admin` is the super user (tools, tests,
   * the ACL set-up) and every entry of `users` gets a SCRAM credential. Credentials are written when
   * the data dir is formatted (`kafka-storage format --add-scram`), so a data dir formatted
   * without them, or without one of these users, is refused: use a data dir of its own.
   */
  scram?: {
    admin: ScramLogin;
    users: Record<string, string>;
    /**
     * As MSK before `msk_acls_enforced` (deployment/modules/msk): `admin` is no super user, and
     * whatever has no ACL at all is allowed to everyone (`allow.everyone.if.no.acl.found=true`).
     * Broker and controller talk as an internal user of their own (`broker`), the one super user,
     * as MSK's own principals are. For the test of the MSK bootstrap's order.
     */
    mskLike?: boolean;
  };
}

/** MSK-like brokers' internal principal (scram.mskLike): not a client's login. */
const MSK_LIKE_INTERNAL: ScramLogin = { username: 'broker', password: 'broker-internal-dev-only' };

/** Every SCRAM credential a broker is formatted with: [name, password]. */
function scramCredentials(scram: NonNullable<StartKafkaOptions['scram']>): [string, string][] {
  return [
    [scram.admin.username, scram.admin.password],
    ...Object.entries(scram.users),
    ...(scram.mskLike ? [[MSK_LIKE_INTERNAL.username, MSK_LIKE_INTERNAL.password] as [string, string]] : []),
  ];
}

export interface KafkaBroker {
  brokers: string[];
  pid: number;
  /** Controlled shutdown (SIGTERM), SIGKILL if it has not exited after 20 s. */
  stop(): Promise<void>;
  /** SIGKILL, for tests of a broker that dies. */
  kill(): void;
}

const host = '127.0.0.1';
const stopGraceMs = 20_000;

/** Paths inside a broker's data dir; the CLI finds a detached broker through the same layout. */
export function brokerPaths(dataDir: string, logDir?: string) {
  const root = path.resolve(dataDir);
  const logs = path.resolve(logDir ?? path.join(root, 'logs'));
  return {
    root,
    propertiesFile: path.join(root, 'server.properties'),
    clusterIdFile: path.join(root, 'cluster-id'),
    logDirs: path.join(root, 'kraft-data'),
    logs,
    serverLog: path.join(logs, 'server.log'),
    jvmOutput: path.join(logs, 'jvm.out'),
    pidFile: path.join(root, 'broker.pid'),
  };
}
type BrokerPaths = ReturnType<typeof brokerPaths>;

const jaasQuote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/** The listeners: plaintext, or SCRAM for clients and PLAIN (a static admin) between broker and controller. */
function listenerProperties(o: Pick<StartKafkaOptions, 'port' | 'controllerPort' | 'scram'>): string {
  if (!o.scram)
    return `listeners=PLAINTEXT://${host}:${o.port},CONTROLLER://${host}:${o.controllerPort}
advertised.listeners=PLAINTEXT://${host}:${o.port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT`;
  const { username, password } = o.scram.mskLike ? MSK_LIKE_INTERNAL : o.scram.admin;
  const u = jaasQuote(username);
  const pw = jaasQuote(password);
  // The controller cannot use SCRAM (its credentials live in the metadata it serves): PLAIN with
  // the admin as the one static user, on loopback only.
  return `listeners=SASL_PLAINTEXT://${host}:${o.port},CONTROLLER://${host}:${o.controllerPort}
advertised.listeners=SASL_PLAINTEXT://${host}:${o.port}
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=${u} password=${pw};
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=${u} password=${pw} user_${username}=${pw};
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:${username}
allow.everyone.if.no.acl.found=${o.scram.mskLike ? 'true' : 'false'}`;
}

function serverProperties(
  o: Pick<StartKafkaOptions, 'port' | 'controllerPort' | 'scram'>,
  p: BrokerPaths,
): string {
  return `# Written by dev/kafka/broker.ts on every start; edits here are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${host}:${o.controllerPort}
controller.listener.names=CONTROLLER
${listenerProperties(o)}
log.dirs=${p.logDirs}

# Topics are declared by the services (as on MSK); a typo must fail, not create a topic.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Fewer internal partitions than the default 50: the first consumer group joins in a
# fraction of the time on a two-core laptop, and one broker gains nothing from 50.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0

# Dev data is disposable: a day or 256 MB per partition, in segments small enough to expire.
log.retention.hours=24
log.retention.bytes=268435456
log.segment.bytes=67108864
log.retention.check.interval.ms=300000

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
`;
}

/**
 * The cluster id must stay the same across restarts or the formatted log dirs are rejected.
 * meta.properties is the truth once formatted; the cluster-id file keeps it before that.
 */
async function clusterIdFor(p: BrokerPaths): Promise<string> {
  const meta = path.join(p.logDirs, 'meta.properties');
  if (existsSync(meta)) {
    const id = /^cluster\.id=(.+)$/m.exec(await readFile(meta, 'utf8'))?.[1]?.trim();
    if (id) return id;
  }
  if (existsSync(p.clusterIdFile)) {
    const id = (await readFile(p.clusterIdFile, 'utf8')).trim();
    if (id) return id;
  }
  // Kafka's Uuid: 16 random bytes in URL-safe base64; one starting with '-' would read as a flag.
  let id: string;
  do id = randomBytes(16).toString('base64url');
  while (id.startsWith('-'));
  await writeFile(p.clusterIdFile, `${id}\n`);
  return id;
}

/** The last lines of the broker's log and the JVM's own output, for error messages. */
export function brokerLogTail(dataDir: string, logDir?: string, lines = 40): string {
  const p = brokerPaths(dataDir, logDir);
  const parts: string[] = [];
  for (const file of [p.serverLog, p.jvmOutput]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8').trimEnd();
    if (!text) continue;
    parts.push(`--- ${file} (last ${lines} lines) ---\n${text.split('\n').slice(-lines).join('\n')}`);
  }
  return parts.join('\n') || '(the broker wrote no log)';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits for a pid to disappear; for processes we did not spawn ourselves (the CLI's `stop`). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** SIGTERM, then SIGKILL after the grace period: a controlled shutdown, bounded. */
export async function stopPid(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, stopGraceMs)) return;
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 5000);
}

async function formatStorage(
  libs: string,
  p: BrokerPaths,
  clusterId: string,
  scram: StartKafkaOptions['scram'],
): Promise<void> {
  const stamp = path.join(p.root, 'scram-users.json');
  const wanted = scram
    ? scramCredentials(scram)
        .map(([name]) => name)
        .sort()
    : [];
  // Formatting costs a JVM start; skip it when the log dir already carries its metadata.
  if (existsSync(path.join(p.logDirs, 'meta.properties'))) {
    const had = existsSync(stamp) ? (JSON.parse(readFileSync(stamp, 'utf8')) as string[]) : [];
    const missing = wanted.filter((u) => !had.includes(u));
    if (missing.length)
      throw new Error(
        `The Kafka data dir ${p.root} was formatted without SCRAM users ${missing.join(', ')}; ` +
          'they can only be added when formatting. Remove the directory (dev data) and start again.',
      );
    return;
  }
  const scramArgs = scram
    ? scramCredentials(scram).flatMap(([name, password]) => [
        '--add-scram',
        `SCRAM-SHA-512=[name=${name},password=${password}]`,
      ])
    : [];
  const res = await run(javaBin(), [
    '-Xmx256m',
    `-Dlog4j.configuration=file:${log4jConfigPath}`,
    `-Dkafka.logs.dir=${p.logs}`,
    '-cp',
    path.join(libs, '*'),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    p.propertiesFile,
    '--ignore-formatted',
    ...scramArgs,
  ]);
  if (res.code !== 0) {
    throw new Error(`kafka-storage format failed (exit ${res.code}):\n${res.output.slice(-4000)}`);
  }
  await writeFile(stamp, JSON.stringify(wanted));
}

function spawnBroker(libs: string, p: BrokerPaths, heapMb: number, detached: boolean): ChildProcess {
  const out = openSync(p.jvmOutput, 'w');
  try {
    return spawn(
      javaBin(),
      [
        `-Xms${heapMb}m`,
        `-Xmx${heapMb}m`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${log4jConfigPath}`,
        `-Dkafka.logs.dir=${p.logs}`,
        '-cp',
        path.join(libs, '*'),
        'kafka.Kafka',
        p.propertiesFile,
      ],
      { cwd: p.root, detached, stdio: ['ignore', out, out] },
    );
  } finally {
    closeSync(out); // the child holds its own copy of the descriptor
  }
}

/**
 * Starts a single-node KRaft broker (official Apache Kafka 3.9 jars) and resolves only once a
 * produce/consume round trip through it has succeeded.
 */
export async function startKafka(opts: StartKafkaOptions): Promise<KafkaBroker> {
  const heapMb = opts.heapMb ?? 512;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const p = brokerPaths(opts.dataDir, opts.logDir);
  const brokers = [`${host}:${opts.port}`];

  for (const port of [opts.port, opts.controllerPort]) {
    // A broker already listening there would pass our readiness check in place of ours.
    if (!(await portFree(host, port))) {
      throw new Error(
        `Port ${host}:${port} is already in use; is another Kafka broker running? ` +
          '(`npx tsx dev/kafka/cli.ts stop` stops the one the CLI started)',
      );
    }
  }
  const libs = await ensureKafkaJars();
  await assertJava();
  await mkdir(p.logDirs, { recursive: true });
  await mkdir(p.logs, { recursive: true });
  await writeFile(p.propertiesFile, serverProperties(opts, p));
  await formatStorage(libs, p, await clusterIdFor(p), opts.scram);

  const child = spawnBroker(libs, p, heapMb, opts.detached ?? false);
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`Could not start java: ${err.message}`);
  }
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
  });
  // A test runner that exits without stop() must not leave a broker holding the ports.
  const killOnExit = () => child.kill('SIGKILL');
  if (opts.detached) child.unref();
  else process.once('exit', killOnExit);

  const broker: KafkaBroker = {
    brokers,
    pid,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
      await exitedPromise;
      clearTimeout(timer);
    },
    kill() {
      process.removeListener('exit', killOnExit);
      if (!exited) child.kill('SIGKILL');
    },
  };

  try {
    await waitUntilReady(brokers, opts.port, readyTimeoutMs, () => exited, opts.scram?.admin);
  } catch (err) {
    await broker.stop();
    throw new Error(`${(err as Error).message}\n${brokerLogTail(opts.dataDir, opts.logDir)}`);
  }
  return broker;
}

async function waitUntilReady(
  brokers: string[],
  port: number,
  timeoutMs: number,
  exited: () => string | undefined,
  sasl?: ScramLogin,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'the broker never opened its port';
  const dead = () => {
    const how = exited();
    if (how) throw new Error(`The Kafka broker exited during start-up (${how}).`);
  };
  while (!(await portAccepts(host, port))) {
    dead();
    if (Date.now() > deadline) throw new Error(`Kafka was not ready within ${timeoutMs} ms: ${lastError}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
  for (;;) {
    dead();
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`Kafka was not ready within ${timeoutMs} ms: ${lastError}.`);
    try {
      await roundTrip(brokers, Math.min(left, 20_000), sasl);
      return;
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
