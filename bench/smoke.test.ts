import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * A short run of each throughput bench (`--smoke`), so a change that breaks one fails CI
 * rather than the next person who measures. Figures on a CI machine shared with other
 * suites mean little, so what is checked is that each bench runs to the end, prints its
 * table, and reports a complete last line with the invariants that hold at any speed
 * (nobody dropped, no seat held twice). bench:platform (`npm start` on the fixed dev
 * ports) is not run here: the e2e suites start the same platform.
 */
const repo = path.resolve(__dirname, '..');

function runBench(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join('bench', name, 'run.ts'), '--smoke'],
      {
        cwd: repo,
        env: { ...process.env, NODE_ENV: 'test' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function smoke(name: string): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runBench(name);
  if (code !== 0)
    throw new Error(`bench:${name} --smoke exited ${code}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
  const lines = stdout.trim().split('\n');
  expect(lines.length).toBeGreaterThan(10); // the readable table comes first
  const last = lines.pop() ?? '';
  const figures = JSON.parse(last) as Record<string, unknown>;
  expect(figures.bench).toBe(name);
  return figures;
}

/** Each figure is a finite number above zero (NaN, null and 0 are not). */
function expectPositive(f: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) {
    const v = f[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new Error(`${k} should be a positive number, got ${JSON.stringify(v)}`);
  }
}

describe('bench smoke runs', () => {
  it('bench:queue closes a buffer, keeps every socket, delivers every turn and measures joins', async () => {
    const f = await smoke('queue');
    // halfNon2xx: the paced joins (join p99 at half saturation) were all accepted.
    expect(f).toMatchObject({ closeEntrants: 20000, droppedClients: 0, lostTurns: 0, halfNon2xx: 0 });
    expectPositive(f, [
      'closeSeconds',
      'copySeconds',
      'closeEndToEndSeconds',
      'bytesPerConn',
      'p99TurnMs',
      'turnsDecided',
      'wsClients',
      'joinsPerSec',
      'helloRps',
      'joinP99Ms',
    ]);
    expect(f.turnsReceived).toBe(f.turnsDecided);
  }, 300_000);

  it('bench:pow verifies and spends every real solution, costing the server microseconds', async () => {
    const f = await smoke('pow');
    expect(f).toMatchObject({ n: 300, spent: 300 });
    expectPositive(f, ['issueUs', 'verifyUs', 'verifyCpuUs', 'refuseUs', 'redeemUs', 'solveMs50k']);
  }, 120_000);

  it('bench:purchase holds every seat once and refuses nobody wrongly', async () => {
    const f = await smoke('purchase');
    expect(f).toMatchObject({ doubleHolds: 0, wrongRefusals: 0 });
    expect(f.heldOrSold).toBe(f.seats);
    expectPositive(f, ['seats', 'holdsPerSec', 'webhookToTicketP99Ms']);
  }, 300_000);

  it('bench:feed measures the list cached and uncached and a login storm', async () => {
    const f = await smoke('feed');
    expect(f).toMatchObject({ listNon2xx: 0, listErrors: 0 });
    expectPositive(f, ['listRps', 'bareRps', 'uncachedListRps', 'loginPerSec', 'argon2VerifyMs']);
  }, 300_000);

  it('bench:organiser lists, searches and exports every order, checks live codes in without a failure and refuses every screenshot', async () => {
    const f = await smoke('organiser');
    expect(f.orders).toBe(2000);
    expectPositive(f, ['ordersP99Ms', 'searchP99Ms', 'csvSeconds', 'checkinP99Ms', 'codeCheckP99Ms']);
    expect(Number.isFinite(f.csvRssMb)).toBe(true);
    // Every 90-s-old code (a screenshot) sent to the door was refused as expired.
    expect(f.screenshotsRefused).toBe(50);
  }, 300_000);
});
