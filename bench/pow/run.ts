/**
 * bench:pow — what a proof of work costs the server (issue 17.7): libs/common `ProofOfWork`,
 * the check feed's registration and buffer's join run on every request.
 *
 *   issue     one challenge (random salt, SHA-256, HMAC) — `GET …/challenge`
 *   check     parse the payload, scope, expiry, difficulty, altcha-lib's verifySolution
 *             (SHA-256 + HMAC): CPU only, the part an attacker can make us repeat with junk
 *   redeem    check + spending it in PostgreSQL (`spent_challenges`, one INSERT), one at a time
 *
 * µs per operation are wall time over a sequential loop, CPU µs are this process's user+system
 * time over the same loop (for `redeem`, PostgreSQL's own work is not in it). Each solution is a
 * real one (SHA-256(salt + n) = challenge), solved here beforehand. The client's side for
 * comparison: solving a challenge of maxnumber 50,000 (the join default) in this process.
 *
 * `--smoke` runs a few hundred of each (the CI check that the bench works); the last line is JSON.
 */
import { performance } from 'node:perf_hooks';
import { createDataSource, migrate, ProofOfWork } from '@ticketslave/common';
import { createTestDatabase, solveAltcha, type AltchaChallengeJson } from '@ticketslave/dev/test-support';

const SMOKE = process.argv.includes('--smoke');
const N = SMOKE ? 300 : 20_000;
const HMAC_KEY = 'bench-pow-hmac-key-bench-pow-hmac-key';
const SCOPE = { for: 'join', event: '00000000-0000-4000-8000-000000000001' };
const MAXNUMBER = 1000;

async function timeLoop(
  n: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ us: number; cpuUs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { us: (wall * 1000) / n, cpuUs: (cpu.user + cpu.system) / n };
}

async function main(): Promise<void> {
  const db = await createTestDatabase('benchpow');
  const ds = createDataSource({ url: db.url, schema: 'buffer', poolSize: 4 });
  try {
    await migrate(ds, 'buffer', { sqlFunctions: [] });
    const pow = new ProofOfWork(ds, { hmacKey: HMAC_KEY, ttlSeconds: 600 });

    // Warm-up: V8 optimises both paths before they are timed.
    for (let i = 0; i < 200; i++)
      await pow.check(solveAltcha(await pow.challenge(SCOPE, MAXNUMBER)), SCOPE, MAXNUMBER);

    const challenges: AltchaChallengeJson[] = [];
    const issue = await timeLoop(N, async () => challenges.push(await pow.challenge(SCOPE, MAXNUMBER)));
    const payloads = challenges.map(solveAltcha);
    const check = await timeLoop(N, (i) => pow.check(payloads[i], SCOPE, MAXNUMBER));
    const redeem = await timeLoop(N, (i) => pow.redeem(payloads[i], SCOPE, MAXNUMBER));
    // A replay or junk is refused by the same check: it must cost no more than a good one.
    const junk = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payloads[0]!, 'base64').toString()), number: 1e9 }),
    ).toString('base64');
    const refuse = await timeLoop(N, () => pow.check(junk, SCOPE, MAXNUMBER).catch(() => undefined));

    const solveN = SMOKE ? 3 : 20;
    const hard = await Promise.all(Array.from({ length: solveN }, () => pow.challenge(SCOPE, 50_000)));
    const t0 = performance.now();
    for (const c of hard) solveAltcha(c);
    const solveMs = (performance.now() - t0) / solveN;

    const spent = Number(
      (await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM buffer.spent_challenges'))[0]!.n,
    );
    const row = (name: string, r: { us: number; cpuUs: number }) =>
      `| ${name.padEnd(44)} | ${r.us.toFixed(1).padStart(9)} | ${r.cpuUs.toFixed(1).padStart(9)} |`;
    console.log(
      `bench:pow — ${N} operations each${SMOKE ? ' (smoke)' : ''}, one at a time, node ${process.version}`,
    );
    console.log('');
    console.log(
      `| ${'server side, per operation'.padEnd(44)} | ${'µs wall'.padStart(9)} | ${'µs CPU'.padStart(9)} |`,
    );
    console.log(`|${'-'.repeat(46)}|${'-'.repeat(11)}|${'-'.repeat(11)}|`);
    console.log(row('issue a challenge', issue));
    console.log(row('check a solution (CPU only)', check));
    console.log(row('refuse a wrong number', refuse));
    console.log(row('redeem (check + spend in PostgreSQL)', redeem));
    console.log('');
    console.log(
      `client side: solving one challenge of maxnumber 50,000 (node:crypto, one core): ${solveMs.toFixed(1)} ms`,
    );
    console.log(`spent challenges stored: ${spent} (of ${N} redeemed)`);
    console.log('');
    console.log(
      JSON.stringify({
        bench: 'pow',
        n: N,
        issueUs: +issue.us.toFixed(2),
        issueCpuUs: +issue.cpuUs.toFixed(2),
        verifyUs: +check.us.toFixed(2),
        verifyCpuUs: +check.cpuUs.toFixed(2),
        refuseUs: +refuse.us.toFixed(2),
        redeemUs: +redeem.us.toFixed(2),
        redeemCpuUs: +redeem.cpuUs.toFixed(2),
        solveMs50k: +solveMs.toFixed(2),
        spent,
      }),
    );
  } finally {
    await ds.destroy().catch(() => undefined);
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
