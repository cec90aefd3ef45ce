/**
 * On-sale simulation (`npm run bench:onsale [-- --fans N --seats N | --smoke]`): the real
 * platform on free ports, simulated fans over HTTP + WebSocket, invariants from the
 * services' databases and topics. Last line: the JSON summary.
 *
 * Fault drills: `npm run bench:onsale -- --drill buffer|queue|purchase|payment|feed|broker|all`
 * (default 300 fans, 100 seats; `--down S` seconds a killed service stays down, `--broker-down S`).
 */
import { DRILL_KINDS, runDrill, type DrillKind, type DrillResult } from './drills';
import { PAID_TO_SETTLED, PAID_TO_TICKETS, runOnsale, type OnsaleResult } from './simulate';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.split('=')[1];
}

function printReport(result: OnsaleResult): void {
  const d = result.details;
  console.log('\n== on-sale report (2 shared cores: figures are noisy) ==');
  console.log(
    `fans ${result.fans}, seats ${result.seats}, sold ${result.sold}; settings ${JSON.stringify(d.settings)}`,
  );
  console.log(
    `accounts ready in ${d.accountsSeconds} s; sale window ${d.saleSeconds} s; sold out after ${result.secondsToSellOut ?? '—'} s`,
  );
  console.log(
    `admissions ${d.admissions} (${result.admissionsPerSec}/s), holds ${d.holds} (${result.holdsPerSec}/s), webhooks replayed ${d.replayedWebhooks}`,
  );
  console.log(`outcomes ${JSON.stringify(d.outcomes)}`);
  console.log('API latencies (ms):');
  for (const [api, s] of Object.entries(d.latencies))
    console.log(
      `  ${api.padEnd(32)} n=${String(s.n).padStart(6)} p50=${String(s.p50).padStart(5)} p99=${String(s.p99).padStart(5)} max=${String(s.max).padStart(5)} ${JSON.stringify(s.statuses)}`,
    );
  console.log('services (sale → settled):');
  for (const [svc, u] of Object.entries(d.services))
    console.log(
      `  ${svc.padEnd(9)} cpu ${u.cpuSeconds} s (${u.avgCpuPercent}% avg), peak RSS ${u.peakRssMb} MB`,
    );
  const m = d.machine;
  console.log(
    `  machine   cpu ${m.machineCpuSeconds} s over ${m.seconds} s (${m.machineBusyPercent}% of ${m.cores} cores); PostgreSQL ${m.postgresCpuSeconds} s; ` +
      `bench event loop delay p50 ${m.benchLoopDelayMs.p50} ms, p99 ${m.benchLoopDelayMs.p99} ms, max ${m.benchLoopDelayMs.max} ms`,
  );
  console.log(
    `Kafka lag peak ${d.kafkaLagPeak} (per group ${JSON.stringify(d.kafkaLagPeakByGroup)}); end ${JSON.stringify(d.kafkaLagEnd)}; dlq ${JSON.stringify(d.dlq)}`,
  );
  console.log('Kafka consumers (created → handled, and handler time; bucket bounds in s):');
  for (const c of d.consumers)
    console.log(
      `  ${`${c.group} ${c.type}`.padEnd(48)} n=${String(c.n).padStart(6)} age p50≤${c.ageP50} p99≤${c.ageP99}  handler p50≤${c.handlerP50} p99≤${c.handlerP99}`,
    );
  if (d.outbound.length) {
    console.log('Calls to outside systems (bucket bounds in s):');
    for (const c of d.outbound)
      console.log(
        `  ${`${c.service} → ${c.system} ${c.operation} (${c.outcome})`.padEnd(56)} n=${String(c.n).padStart(6)} p50≤${c.p50} p99≤${c.p99}`,
      );
  }
  console.log(
    'Services waiting (database pool checkouts: wait bucket bounds in s; event-loop delay since start):',
  );
  for (const r of d.runtime)
    console.log(
      `  ${r.service.padEnd(10)} pool n=${String(r.poolCheckouts).padStart(7)} wait p50≤${r.poolWaitP50} p99≤${r.poolWaitP99}  loop delay p99 ${r.loopDelayP99Ms} ms, max ${r.loopDelayMaxMs} ms`,
    );
  console.log(
    `Database connections (pg_stat_activity, ${d.dbActivity.samples} samples; on average per sample, max at once):`,
  );
  for (const a of d.dbActivity.figures.filter((f) => f.max >= 2 || f.avg >= 0.1))
    console.log(
      `  ${a.role.padEnd(20)} ${a.state.padEnd(22)} ${a.wait.padEnd(28)} avg ${String(a.avg).padStart(6)} max ${String(a.max).padStart(4)}`,
    );
  if (d.trace) {
    console.log(
      `money path, ${d.trace.orders} paid orders traced (ms from the card paid; step = from the point before it):`,
    );
    for (const t of d.trace.points)
      console.log(
        `  ${t.point.padEnd(28)} at p50 ${String(t.p50).padStart(6)} p99 ${String(t.p99).padStart(6)}   step${t.after ? ` from ${t.after}` : ''} p50 ${t.stepP50} p99 ${t.stepP99}`,
      );
    if (d.trace.example)
      console.log(
        `  one order (median): ${d.trace.example.orderId} ${JSON.stringify(d.trace.example.offsets)}`,
      );
  }
  console.log('invariants:');
  for (const [k, v] of Object.entries(d.checks)) console.log(`  ${k}: ${v}`);
  for (const v of result.violations) console.log(`  VIOLATION: ${v}`);
}

function printDrill(r: DrillResult): void {
  const d = r.drill;
  console.log(`\n== drill: ${d.kind} ==`);
  console.log(`fault: ${d.fired ? d.trigger : `never fired (${d.trigger})`}`);
  console.log(
    `down ${d.downSeconds ?? '—'} s; ready again ${d.recoverSeconds ?? '—'} s after the restart; sale moving again ${d.saleResumedAfterSeconds ?? '—'} s after the fault`,
  );
  console.log(`progress at the fault ${JSON.stringify(d.atFault)}, at the end ${JSON.stringify(d.atEnd)}`);
  for (const [k, v] of Object.entries(d.checks)) console.log(`  ${k}: ${v}`);
  for (const v of d.violations) console.log(`  DRILL VIOLATION: ${v}`);
  console.log(`drill ${d.kind}: ${r.ok ? 'PASSED' : 'FAILED'}`);
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const drillFlag = flag('drill');
  const fans = Number(flag('fans') ?? (smoke || drillFlag ? 300 : 20_000));
  const seats = Number(flag('seats') ?? (smoke || drillFlag ? 100 : 5_000));
  const accounts = flag('accounts') as 'api' | 'mint' | undefined;
  const keepLocal = process.argv.includes('--keep');
  if (drillFlag) {
    const kinds = (drillFlag === 'all' ? [...DRILL_KINDS] : drillFlag.split(',')) as DrillKind[];
    const bad = kinds.filter((k) => !DRILL_KINDS.includes(k));
    if (bad.length)
      throw new Error(`--drill: unknown ${bad.join(', ')}; one of ${DRILL_KINDS.join(', ')}, all`);
    const summary: Record<string, unknown>[] = [];
    for (const kind of kinds) {
      const r = await runDrill(kind, {
        fans,
        seats,
        accounts,
        downSeconds: flag('down') ? Number(flag('down')) : undefined,
        brokerDownSeconds: flag('broker-down') ? Number(flag('broker-down')) : undefined,
        keepLocal,
      });
      printReport(r.onsale);
      printDrill(r);
      summary.push({
        drill: kind,
        ok: r.ok,
        sold: r.onsale.sold,
        secondsToSellOut: r.onsale.secondsToSellOut,
        downSeconds: r.drill.downSeconds,
        recoverSeconds: r.drill.recoverSeconds,
        saleResumedAfterSeconds: r.drill.saleResumedAfterSeconds,
        violations: [...r.onsale.violations, ...r.drill.violations],
      });
    }
    console.log(JSON.stringify({ bench: 'onsale-drill', fans, seats, drills: summary }));
    process.exitCode = summary.every((s) => s.ok) ? 0 : 1;
    return;
  }
  const result = await runOnsale({ fans, seats, accounts, keepLocal });
  printReport(result);
  console.log(
    JSON.stringify({
      bench: result.bench,
      fans: result.fans,
      seats: result.seats,
      sold: result.sold,
      invariantsOk: result.invariantsOk,
      violations: result.violations,
      secondsToSellOut: result.secondsToSellOut,
      admissionsPerSec: result.admissionsPerSec,
      holdsPerSec: result.holdsPerSec,
      paidToSettledP50Ms: result.details.latencies[PAID_TO_SETTLED]?.p50 ?? null,
      paidToSettledP99Ms: result.details.latencies[PAID_TO_SETTLED]?.p99 ?? null,
      paidToTicketsP50Ms: result.details.latencies[PAID_TO_TICKETS]?.p50 ?? null,
      paidToTicketsP99Ms: result.details.latencies[PAID_TO_TICKETS]?.p99 ?? null,
      // Where that time went (trace.ts): per point of the money path, ms from the card paid
      // (p50, p99) and the step from the point before it (p50, p99).
      moneyPath: result.details.trace
        ? Object.fromEntries(
            result.details.trace.points.map((t) => [
              t.point,
              { p50: t.p50, p99: t.p99, stepP50: t.stepP50, stepP99: t.stepP99 },
            ]),
          )
        : null,
      // CPU seconds per process during the sale (services, bench = the simulated fans,
      // stripe, kafka) and the machine's: what the latencies above queued behind.
      cpuSeconds: {
        ...Object.fromEntries(Object.entries(result.details.services).map(([k, u]) => [k, u.cpuSeconds])),
        postgres: result.details.machine.postgresCpuSeconds,
        machine: result.details.machine.machineCpuSeconds,
      },
      machineBusyPercent: result.details.machine.machineBusyPercent,
      // Calls to Stripe by operation (upper bucket bounds, s).
      outbound: Object.fromEntries(
        result.details.outbound.map((c) => [
          `${c.service} → ${c.system} ${c.operation} (${c.outcome})`,
          { n: c.n, p50: c.p50, p99: c.p99 },
        ]),
      ),
      benchLoopDelayP99Ms: result.details.machine.benchLoopDelayMs.p99,
      // Per service: database pool wait (upper bucket bounds, s) and event-loop delay (ms).
      runtime: Object.fromEntries(
        result.details.runtime.map((r) => [
          r.service,
          {
            poolWaitP50: r.poolWaitP50,
            poolWaitP99: r.poolWaitP99,
            loopDelayP99Ms: r.loopDelayP99Ms,
            loopDelayMaxMs: r.loopDelayMaxMs,
          },
        ]),
      ),
    }),
  );
  process.exitCode = result.invariantsOk ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
