/**
 * Fault drills (issue 7): an on-sale from `runOnsale` with one fault injected mid-sale,
 * then the on-sale's invariants plus the drill's own checks.
 *
 * - `buffer`, `queue`, `purchase`, `payment`, `feed`: the service's process (one per
 *   kind) is SIGKILLed at its moment (buffer during the close, queue and feed during
 *   admission, purchase during payments, payment during webhooks), stays down a few
 *   seconds and is started again with the same environment.
 * - `broker`: the run gets a Kafka broker of its own (own ports and data dir; the shared
 *   test broker is never touched), stopped for 20 s while fans hold and pay, then started
 *   again on the same data; the services must recover by themselves.
 *
 * Fans behave like people during an outage: they retry a refused request and reopen a
 * dropped queue socket (for `patienceMs`).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startKafka, type KafkaBroker } from '../../dev/kafka/broker';
import { LOCAL, SERVICE_NAMES, type ServiceName } from '../../dev/platform/paths';
import { findFreePortBlock, type Platform } from '../../dev/platform/platform';
import { sleep } from './client';
import { runOnsale, type OnsaleProgress, type OnsaleResult } from './simulate';

export const DRILL_KINDS = ['buffer', 'queue', 'purchase', 'payment', 'feed', 'broker'] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

export interface DrillOptions {
  fans: number;
  seats: number;
  /** How long a killed service stays down before it is started again (default 3 s). */
  downSeconds?: number;
  /** How long the broker stays stopped (default 20 s). */
  brokerDownSeconds?: number;
  /** As runOnsale's (default there: through the API up to 2,000 fans). */
  accounts?: 'api' | 'mint';
  /** As runOnsale's (default 30 s): shorter makes the settle, which waits for holds to lapse, quicker. */
  holdSeconds?: number;
  log?: (line: string) => void;
  keepLocal?: boolean;
}

export interface DrillReport {
  kind: DrillKind;
  /** What the fault hit: the phase and the sale's progress at that moment. */
  trigger: string;
  fired: boolean;
  /** Seconds from the fault to the service (or broker) being down, down, and back. */
  downSeconds: number | null;
  /** From the restart to /readyz 200 (the broker: from its start to every service ready). */
  recoverSeconds: number | null;
  /** From the fault to the sale moving again: the first admission (buffer, queue, feed), hold (purchase, broker) or card payment (payment) after it. */
  saleResumedAfterSeconds: number | null;
  atFault: { admissions: number; holds: number; payments: number } | null;
  atEnd: { admissions: number; holds: number; payments: number };
  /** Broker drill: which services answered /readyz 503 while the broker was down. */
  notReadyDuringOutage?: Record<string, boolean>;
  checks: Record<string, string>;
  violations: string[];
}

export interface DrillResult {
  onsale: OnsaleResult;
  drill: DrillReport;
  ok: boolean;
}

const SERVICE_OF: Partial<Record<DrillKind, ServiceName>> = {
  buffer: 'buffer',
  queue: 'queue',
  purchase: 'purchase',
  payment: 'payment',
  feed: 'feed',
};

/** What shows the sale moving again after each fault: what the faulted part serves. */
const MOVES: Record<DrillKind, 'admissions' | 'holds' | 'payments'> = {
  buffer: 'admissions',
  queue: 'admissions',
  feed: 'admissions',
  purchase: 'holds',
  payment: 'payments',
  broker: 'holds',
};

/** When each drill strikes. */
function triggerOf(kind: DrillKind, seats: number): { what: string; now: (p: OnsaleProgress) => boolean } {
  const admitted = Math.max(5, Math.round(seats / 12));
  const paid = Math.max(3, Math.round(seats / 30));
  const held = Math.max(5, Math.round(seats / 10));
  switch (kind) {
    case 'buffer':
      return {
        what: 'right after the organiser closed the buffer (the draw running)',
        now: (p) => p.phase === 'closing',
      };
    case 'queue':
    case 'feed':
      return {
        what: `during admission, after ${admitted} admissions`,
        now: (p) => p.phase === 'selling' && p.admissions >= admitted,
      };
    case 'purchase':
    case 'payment':
      return {
        what: `during payments and their webhooks, after ${paid} card payments`,
        now: (p) => p.phase === 'selling' && p.payments >= paid,
      };
    case 'broker':
      return {
        what: `while fans hold and pay, after ${held} holds`,
        now: (p) => p.phase === 'selling' && p.holds >= held,
      };
  }
}

const snapshot = (p: OnsaleProgress) => ({ admissions: p.admissions, holds: p.holds, payments: p.payments });

export async function runDrill(kind: DrillKind, opts: DrillOptions): Promise<DrillResult> {
  const log = opts.log ?? ((l: string) => console.log(`[drill ${kind}] ${l}`));
  const svc = SERVICE_OF[kind];
  const trigger = triggerOf(kind, opts.seats);
  const downMs = (opts.downSeconds ?? 3) * 1000;
  const brokerDownMs = (opts.brokerDownSeconds ?? 20) * 1000;

  // The broker drill's own broker: never the shared test broker other runs depend on.
  let broker: KafkaBroker | undefined;
  let brokerOpts: Parameters<typeof startKafka>[0] | undefined;
  if (kind === 'broker') {
    const base = await findFreePortBlock(2);
    brokerOpts = {
      port: base,
      controllerPort: base + 1,
      dataDir: path.join(LOCAL, 'bench', `drill-broker-${process.pid}`),
      heapMb: 512,
    };
    log(`starting the drill's own broker on 127.0.0.1:${base} (data in ${brokerOpts.dataDir})`);
    broker = await startKafka(brokerOpts);
  }

  const report: DrillReport = {
    kind,
    trigger: trigger.what,
    fired: false,
    downSeconds: null,
    recoverSeconds: null,
    saleResumedAfterSeconds: null,
    atFault: null,
    atEnd: { admissions: 0, holds: 0, payments: 0 },
    checks: {},
    violations: [],
  };
  let drill: Promise<void> | undefined;
  let faultAt = 0;
  let last: OnsaleProgress | undefined;
  const faultService = async (p: Platform, s: ServiceName) => {
    const pid = p.servicePid(s);
    faultAt = Date.now();
    await p.killService(s, 'SIGKILL');
    log(`SIGKILLed ${s} (pid ${pid}) ${trigger.what}; down for ${downMs / 1000} s`);
    await sleep(downMs);
    const restartAt = Date.now();
    report.downSeconds = round((restartAt - faultAt) / 1000);
    await p.restartService(s, { wait: 'ready', timeoutMs: 120_000 });
    report.recoverSeconds = round((Date.now() - restartAt) / 1000);
    log(`${s} restarted (pid ${p.servicePid(s)}), ready after ${report.recoverSeconds} s`);
  };

  const faultBroker = async (p: Platform) => {
    const readyz = async (s: ServiceName) => {
      try {
        const res = await fetch(`${p.services[s]}/readyz`, { signal: AbortSignal.timeout(3000) });
        return res.status === 200;
      } catch {
        return false;
      }
    };
    faultAt = Date.now();
    await broker!.stop();
    const stoppedAt = Date.now();
    log(`broker stopped in ${((stoppedAt - faultAt) / 1000).toFixed(1)} s, ${trigger.what}`);
    const notReady: Record<string, boolean> = Object.fromEntries(SERVICE_NAMES.map((s) => [s, false]));
    while (Date.now() - stoppedAt < brokerDownMs) {
      const states = await Promise.all(SERVICE_NAMES.map(readyz));
      SERVICE_NAMES.forEach((s, i) => (notReady[s] ||= !states[i]));
      await sleep(1000);
    }
    report.notReadyDuringOutage = notReady;
    const startAt = Date.now();
    report.downSeconds = round((startAt - faultAt) / 1000);
    broker = await startKafka(brokerOpts!);
    log(
      `broker back after ${((Date.now() - startAt) / 1000).toFixed(1)} s; waiting for every service's /readyz`,
    );
    const deadline = Date.now() + 120_000;
    const pending = new Set<ServiceName>(SERVICE_NAMES);
    while (pending.size && Date.now() < deadline) {
      for (const s of [...pending]) if (await readyz(s)) pending.delete(s);
      if (pending.size) await sleep(250);
    }
    if (pending.size)
      report.violations.push(`not ready 120 s after the broker came back: ${[...pending].join(', ')}`);
    else report.recoverSeconds = round((Date.now() - startAt) / 1000);
  };

  const onProgress = (p: OnsaleProgress) => {
    last = p;
    if (report.fired) {
      const at = report.atFault!;
      const moved = MOVES[kind];
      if (report.saleResumedAfterSeconds === null && faultAt > 0 && p[moved] > at[moved])
        report.saleResumedAfterSeconds = round((Date.now() - faultAt) / 1000);
      return;
    }
    if (!trigger.now(p)) return;
    report.fired = true;
    report.atFault = snapshot(p);
    report.trigger = `${trigger.what} (phase ${p.phase}: ${JSON.stringify(report.atFault)})`;
    drill = (svc ? faultService(p.platform, svc) : faultBroker(p.platform)).catch((err: unknown) => {
      report.violations.push(`the drill itself failed: ${(err as Error).message}`);
    });
  };

  let onsale: OnsaleResult;
  try {
    onsale = await runOnsale({
      fans: opts.fans,
      seats: opts.seats,
      accounts: opts.accounts,
      holdSeconds: opts.holdSeconds,
      brokers: broker?.brokers,
      // Past the outage, the restart and a loaded machine's slowness.
      patienceMs: 180_000,
      log: (l) => log(l),
      keepLocal: opts.keepLocal,
      onProgress,
      beforeSettle: async () => {
        await drill;
      },
    });
  } finally {
    await drill?.catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    if (brokerOpts && !opts.keepLocal) rmSync(brokerOpts.dataDir, { recursive: true, force: true });
  }

  // ── the drill's own checks, on top of the on-sale's invariants ─────────────
  const v = report.violations;
  const c = report.checks;
  if (last) report.atEnd = snapshot(last);
  if (!report.fired)
    v.push(`the fault never fired (${trigger.what}); last progress ${JSON.stringify(report.atEnd)}`);
  // Seats held twice (sampled), dropped fans and 5xx beyond the outage are the on-sale's invariants.
  const out = onsale.details.outcomes;
  c.fansServed = `outcomes ${JSON.stringify(out)}`;
  const completed = onsale.secondsToSellOut !== null || !out.not_served;
  c.saleCompleted =
    onsale.secondsToSellOut !== null
      ? `sold out after ${onsale.secondsToSellOut} s`
      : `all fans served: ${completed}`;
  if (!completed) v.push('the sale neither sold out nor served every fan');
  if (
    report.fired &&
    report.atFault &&
    !(report.atEnd.admissions > report.atFault.admissions || kind === 'buffer')
  )
    if (onsale.secondsToSellOut === null) v.push('no admission after the fault');
  if (kind === 'broker' && report.notReadyDuringOutage) {
    const ready = Object.entries(report.notReadyDuringOutage)
      .filter(([, nr]) => !nr)
      .map(([s]) => s);
    c.notReady = `services that reported not-ready while the broker was down: ${
      Object.entries(report.notReadyDuringOutage)
        .filter(([, nr]) => nr)
        .map(([s]) => s)
        .join(', ') || 'none'
    }`;
    if (ready.length) v.push(`still /readyz 200 with the broker down: ${ready.join(', ')}`);
  }
  return { onsale, drill: report, ok: onsale.invariantsOk && v.length === 0 };
}

const round = (x: number) => Math.round(x * 10) / 10;
