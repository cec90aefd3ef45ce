/**
 * What the on-sale run watches while it runs: CPU and RSS of the five service
 * processes (from /proc; they are this process's children), and the platform's
 * Kafka consumer lag (committed offsets vs topic high-water marks).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Client } from 'pg';

const CLK_TCK = 100;
const PAGE_KB = 4;

export interface ProcSample {
  cpuTicks: number;
  /** CPU of the process's exited children it has reaped (cutime + cstime). */
  reapedChildTicks: number;
  rssKb: number;
}

/** The service processes spawned by startPlatform: children of this process whose cwd is `<svc>-backend`. */
export function findServicePids(): Map<string, number> {
  const found = new Map<string, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cwd = path.basename(readlinkSync(`/proc/${d}/cwd`));
      const m = /^(\w+)-backend$/.exec(cwd);
      if (m) found.set(m[1]!, Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14) … rss(21) pages.
    return {
      cpuTicks: Number(f[11]) + Number(f[12]),
      reapedChildTicks: Number(f[13]) + Number(f[14]),
      rssKb: Number(f[21]) * PAGE_KB,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) of every PostgreSQL process on the box (backends, WAL writer, …), from
 * /proc, including backends that have exited: their time is in the postmaster's
 * cutime/cstime once it reaped them (without it, a connection closing between two
 * samples made the difference negative).
 */
export function postgresCpuMs(): number {
  let ticks = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const sample = sampleProc(Number(d));
    ticks += (sample?.cpuTicks ?? 0) + (sample?.reapedChildTicks ?? 0);
  }
  return ticks * (1000 / CLK_TCK);
}

/** CPU time (ms) the whole machine spent busy (all cores; /proc/stat, everything but idle and iowait). */
export function machineCpuMs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const busy = cpu.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
  return busy * (1000 / CLK_TCK);
}

/** The Kafka broker's JVM (the one the platform talks to runs on this machine in tests and benches). */
export function kafkaBrokerPid(): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('kafka.Kafka')) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * Where the machine's CPU went during a run, beside the per-process figures: the whole
 * machine, PostgreSQL (every backend), and how late this process's event loop ran its
 * callbacks (the simulated fans' clock: every latency the bench reports is read on it).
 */
export class MachineMonitor {
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private machine0 = 0;
  private postgres0 = 0;
  private t0 = 0;

  start(): void {
    this.machine0 = machineCpuMs();
    this.postgres0 = postgresCpuMs();
    this.t0 = Date.now();
    this.delay.enable();
  }

  stop(): MachineUsage {
    this.delay.disable();
    const secs = Math.max(0.001, (Date.now() - this.t0) / 1000);
    const machine = (machineCpuMs() - this.machine0) / 1000;
    const postgres = (postgresCpuMs() - this.postgres0) / 1000;
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    return {
      seconds: Math.round(secs * 10) / 10,
      cores: availableParallelism(),
      machineCpuSeconds: Math.round(machine * 10) / 10,
      machineBusyPercent: Math.round((machine / secs / availableParallelism()) * 1000) / 10,
      postgresCpuSeconds: Math.round(postgres * 10) / 10,
      benchLoopDelayMs: {
        p50: ms(this.delay.percentile(50)),
        p99: ms(this.delay.percentile(99)),
        max: ms(this.delay.max),
      },
    };
  }
}

export interface MachineUsage {
  seconds: number;
  cores: number;
  machineCpuSeconds: number;
  /** Of all cores: 100 = every core busy the whole time. */
  machineBusyPercent: number;
  postgresCpuSeconds: number;
  benchLoopDelayMs: { p50: number; p99: number; max: number };
}

export interface ServiceUsage {
  pid: number;
  cpuSeconds: number;
  avgCpuPercent: number;
  peakRssMb: number;
}

/**
 * Samples every second between start() and stop(). Given a function, it follows each
 * service's current process: a restarted service's CPU adds up over its processes.
 */
export class ProcMonitor {
  private timer?: NodeJS.Timeout;
  private readonly first = new Map<string, ProcSample>();
  private readonly last = new Map<string, ProcSample>();
  private readonly peakRss = new Map<string, number>();
  /** CPU ticks of a service's earlier processes, and the pid sampled last. */
  private readonly earlierTicks = new Map<string, number>();
  private readonly sampledPid = new Map<string, number>();
  private startedAt = 0;
  private stoppedAt = 0;
  constructor(private readonly pids: Map<string, number> | (() => Map<string, number>)) {}

  private current(): Map<string, number> {
    return typeof this.pids === 'function' ? this.pids() : this.pids;
  }

  private tick(): void {
    for (const [svc, pid] of this.current()) {
      const s = sampleProc(pid);
      if (!s) continue;
      const before = this.sampledPid.get(svc);
      if (before !== undefined && before !== pid) {
        const a = this.first.get(svc)!;
        const b = this.last.get(svc)!;
        this.earlierTicks.set(svc, (this.earlierTicks.get(svc) ?? 0) + b.cpuTicks - a.cpuTicks);
        this.first.delete(svc);
      }
      this.sampledPid.set(svc, pid);
      if (!this.first.has(svc)) this.first.set(svc, s);
      this.last.set(svc, s);
      this.peakRss.set(svc, Math.max(this.peakRss.get(svc) ?? 0, s.rssKb));
    }
  }

  start(): void {
    this.startedAt = Date.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  stop(): Record<string, ServiceUsage> {
    clearInterval(this.timer);
    this.tick();
    this.stoppedAt = Date.now();
    const secs = Math.max(0.001, (this.stoppedAt - this.startedAt) / 1000);
    const out: Record<string, ServiceUsage> = {};
    for (const [svc, pid] of this.sampledPid) {
      const a = this.first.get(svc);
      const b = this.last.get(svc);
      if (!a || !b) continue;
      const cpuSeconds = (b.cpuTicks - a.cpuTicks + (this.earlierTicks.get(svc) ?? 0)) / CLK_TCK;
      out[svc] = {
        pid,
        cpuSeconds: Math.round(cpuSeconds * 10) / 10,
        avgCpuPercent: Math.round((cpuSeconds / secs) * 1000) / 10,
        peakRssMb: Math.round((this.peakRss.get(svc) ?? 0) / 1024),
      };
    }
    return out;
  }
}

/** Broadcast groups, one per service instance (`queue.progress.<instance>`). */
const PER_INSTANCE_GROUP = /\.progress\.[0-9a-f]{6,}$/;

export interface LagReport {
  total: number;
  byGroup: Record<string, number>;
}

export interface DlqReport {
  total: number;
  byTopic: Record<string, number>;
}

/** Consumer lag and dead letters of one platform's topic namespace. */
export class KafkaWatch {
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  peakLag = 0;
  peakAt = 0;
  /** Each consumer group's highest sampled lag: where a backlog built up. */
  peakByGroup: Record<string, number> = {};
  samples = 0;
  private stopped = false;
  constructor(
    private readonly brokers: string[],
    private readonly prefix: string,
  ) {}

  async connect(): Promise<void> {
    const kafka = new Kafka({ clientId: 'bench-onsale', brokers: this.brokers, logLevel: logLevel.NOTHING });
    this.admin = kafka.admin();
    await this.admin.connect();
  }

  /**
   * Sum over the platform's groups of (high-water mark − committed offset) per
   * partition the group has committed on. A partition without a commit (a per-instance
   * `queue.progress` group reading from the latest offset) counts 0. A per-instance group
   * left without members (the instance was killed before it could delete it) is skipped:
   * its backlog is nobody's work, the restarted instance reads under a new group.
   */
  async lag(): Promise<LagReport> {
    const admin = this.admin!;
    const { groups } = await admin.listGroups();
    const candidates = groups.map((g) => g.groupId).filter((g) => g.startsWith(this.prefix));
    const perInstance = candidates.filter((g) => PER_INSTANCE_GROUP.test(g));
    const abandoned = new Set(
      perInstance.length
        ? (await admin.describeGroups(perInstance)).groups
            .filter((g) => g.state === 'Empty' || g.state === 'Dead')
            .map((g) => g.groupId)
        : [],
    );
    const mine = candidates.filter((g) => !abandoned.has(g));
    const highs = new Map<string, Map<number, number>>();
    const highOf = async (topic: string) => {
      let h = highs.get(topic);
      if (!h) {
        const offs = await admin.fetchTopicOffsets(topic);
        h = new Map(offs.map((o) => [o.partition, Number(o.high)]));
        highs.set(topic, h);
      }
      return h;
    };
    const byGroup: Record<string, number> = {};
    let total = 0;
    for (const groupId of mine) {
      const topics = await admin.fetchOffsets({ groupId });
      let lag = 0;
      for (const t of topics) {
        const h = await highOf(t.topic);
        for (const p of t.partitions) {
          const committed = Number(p.offset);
          if (committed < 0) continue;
          lag += Math.max(0, (h.get(p.partition) ?? 0) - committed);
        }
      }
      byGroup[groupId.slice(this.prefix.length)] = lag;
      total += lag;
    }
    return { total, byGroup };
  }

  async dlq(): Promise<DlqReport> {
    const admin = this.admin!;
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(this.prefix) && t.endsWith('.dlq'));
    const byTopic: Record<string, number> = {};
    let total = 0;
    for (const t of topics) {
      const offs = await admin.fetchTopicOffsets(t);
      const n = offs.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
      if (n > 0) byTopic[t.slice(this.prefix.length)] = n;
      total += n;
    }
    return { total, byTopic };
  }

  startSampling(everyMs = 2000): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        const l = await this.lag();
        this.samples++;
        for (const [g, n] of Object.entries(l.byGroup))
          this.peakByGroup[g] = Math.max(this.peakByGroup[g] ?? 0, n);
        if (l.total > this.peakLag) {
          this.peakLag = l.total;
          this.peakAt = Date.now();
        }
      } catch {
        // a rebalancing group answers errors for a moment; the next sample counts
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), everyMs);
    };
    void loop();
  }

  stopSampling(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async stop(): Promise<void> {
    this.stopSampling();
    await this.admin?.disconnect();
  }
}

/** One consumer's message figures, from a service's Prometheus histograms. */
export interface ConsumerFigures {
  group: string;
  type: string;
  n: number;
  /** Upper bucket bounds (s) holding the median and the 99th percentile. */
  ageP50: number;
  ageP99: number;
  handlerP50: number;
  handlerP99: number;
}

type Buckets = { le: number; n: number }[];

/** Every `<metric>_bucket` series of a Prometheus text exposition, by its labels (le left out). */
function histogramBuckets(
  text: string,
  metric: string,
): Map<string, { labels: Record<string, string>; b: Buckets }> {
  const out = new Map<string, { labels: Record<string, string>; b: Buckets }>();
  const prefix = `${metric}_bucket{`;
  for (const l of text.split('\n')) {
    if (!l.startsWith(prefix)) continue;
    const m = /\{(.*)\} (\d+(?:\.\d+)?)$/.exec(l);
    if (!m) continue;
    const all = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    const { le, ...labels } = all;
    const key = JSON.stringify(labels);
    const entry = out.get(key) ?? { labels, b: [] };
    entry.b.push({ le: le === '+Inf' ? Infinity : Number(le), n: Number(m[2]) });
    out.set(key, entry);
  }
  return out;
}

/** The upper bound (s) of the bucket holding quantile `q`: "≤ 2.5 s" reads as 2.5. */
function bucketQuantile(b: Buckets | undefined, q: number): number {
  if (!b?.length) return NaN;
  const sorted = [...b].sort((x, y) => x.le - y.le);
  const total = sorted[sorted.length - 1]!.n;
  return sorted.find((x) => x.n >= q * total)?.le ?? Infinity;
}

/**
 * Reads `ts_kafka_message_age_seconds` (message created → handled) and
 * `ts_kafka_handler_seconds` from a service's /metrics text: where a pipeline waits.
 * Quantiles are bucket bounds, so "≤ 2.5 s" reads as 2.5.
 */
export function consumerFigures(text: string): ConsumerFigures[] {
  const ages = histogramBuckets(text, 'ts_kafka_message_age_seconds');
  const handlers = histogramBuckets(text, 'ts_kafka_handler_seconds');
  const out: ConsumerFigures[] = [];
  for (const [key, { labels, b }] of ages) {
    const handler = handlers.get(key)?.b;
    out.push({
      group: labels.group ?? '',
      type: labels.type ?? '',
      n: Math.max(...b.map((x) => x.n)),
      ageP50: bucketQuantile(b, 0.5),
      ageP99: bucketQuantile(b, 0.99),
      handlerP50: bucketQuantile(handler, 0.5),
      handlerP99: bucketQuantile(handler, 0.99),
    });
  }
  return out.sort((x, y) => x.group.localeCompare(y.group) || x.type.localeCompare(y.type));
}

/** One kind of call to an outside system, from a service's `ts_outbound_call_seconds`. */
export interface OutboundFigures {
  service: string;
  system: string;
  operation: string;
  outcome: string;
  n: number;
  /** Upper bucket bounds (s). */
  p50: number;
  p99: number;
}

/** How long a service's calls to outside systems (Stripe) took, per operation and outcome. */
export function outboundFigures(service: string, text: string): OutboundFigures[] {
  return [...histogramBuckets(text, 'ts_outbound_call_seconds').values()]
    .map(({ labels, b }) => ({
      service,
      system: labels.system ?? '',
      operation: labels.operation ?? '',
      outcome: labels.outcome ?? '',
      n: Math.max(...b.map((x) => x.n)),
      p50: bucketQuantile(b, 0.5),
      p99: bucketQuantile(b, 0.99),
    }))
    .sort((x, y) => x.operation.localeCompare(y.operation) || x.outcome.localeCompare(y.outcome));
}

/** A service process's own waits over the run, from its /metrics text. */
export interface RuntimeFigures {
  service: string;
  /** Checkouts of a database connection, and how long they waited for the pool (upper bucket bounds, s). */
  poolCheckouts: number;
  poolWaitP50: number;
  poolWaitP99: number;
  /** Event-loop delay since the process started (prom-client's default metrics), ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export function runtimeFigures(service: string, text: string): RuntimeFigures {
  const wait = histogramBuckets(text, 'ts_db_pool_wait_seconds').values().next().value?.b;
  const gauge = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    service,
    poolCheckouts: wait ? Math.max(...wait.map((x) => x.n)) : 0,
    poolWaitP50: bucketQuantile(wait, 0.5),
    poolWaitP99: bucketQuantile(wait, 0.99),
    loopDelayP99Ms: Math.round(gauge('ts_nodejs_eventloop_lag_p99_seconds') * 1000),
    loopDelayMaxMs: Math.round(gauge('ts_nodejs_eventloop_lag_max_seconds') * 1000),
  };
}

/** What a database's connections were doing, summed over samples: by role, state and wait. */
export interface ActivityFigure {
  /** The connecting role (each service has its own: `<svc>_app`, …). */
  role: string;
  state: string;
  wait: string;
  /** Connections seen in this state per sample, on average. */
  avg: number;
  /** The most seen at once. */
  max: number;
}

/**
 * Samples `pg_stat_activity` of one database every `everyMs` during a run: how many of each
 * service's connections were running, waiting on a lock (which), idle in a transaction (the
 * service's event loop or its pool was slow to send the next statement) or idle in the pool.
 * Where a handler's time goes when neither its CPU nor its outside calls explain it.
 */
export function startActivitySampler(
  databaseUrl: string,
  everyMs = 250,
): { stop(): Promise<{ samples: number; figures: ActivityFigure[] }> } {
  const sums = new Map<string, { role: string; state: string; wait: string; total: number; max: number }>();
  let samples = 0;
  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    const db = new Client({ connectionString: databaseUrl, application_name: 'bench-activity' });
    await db.connect();
    try {
      while (running) {
        const { rows } = await db.query<{ role: string; state: string; wait: string; n: number }>(
          `SELECT coalesce(usename, '?') AS role, coalesce(state, '?') AS state,
                  coalesce(wait_event_type || ':' || wait_event, '-') AS wait, count(*)::int AS n
             FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            GROUP BY 1, 2, 3`,
        );
        samples++;
        for (const r of rows) {
          const key = `${r.role}|${r.state}|${r.wait}`;
          const s = sums.get(key) ?? { role: r.role, state: r.state, wait: r.wait, total: 0, max: 0 };
          s.total += r.n;
          s.max = Math.max(s.max, r.n);
          sums.set(key, s);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, everyMs);
        });
      }
    } finally {
      await db.end().catch(() => undefined);
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop.catch(() => undefined);
      const figures = [...sums.values()]
        .map((s) => ({
          role: s.role,
          state: s.state,
          wait: s.wait,
          avg: Math.round((s.total / Math.max(1, samples)) * 100) / 100,
          max: s.max,
        }))
        .sort((a, b) => a.role.localeCompare(b.role) || b.avg - a.avg);
      return { samples, figures };
    },
  };
}
