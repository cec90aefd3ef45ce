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

const positive = expect.any(Number) as unknown;

describe('bench smoke runs', () => {
  it('bench:queue closes a buffer, keeps every socket and measures joins', async () => {
    const f = await smoke('queue');
    expect(f).toMatchObject({ closeEntrants: 20000, droppedClients: 0 });
    for (const k of [
      'closeSeconds',
      'copySeconds',
      'closeEndToEndSeconds',
      'bytesPerConn',
      'p99TurnMs',
      'joinP99Ms',
    ])
      expect(f[k]).toEqual(positive);
    expect(f.wsClients).toBeGreaterThan(0);
    expect(f.joinsPerSec).toBeGreaterThan(0);
    expect(f.helloRps).toBeGreaterThan(0);
  }, 300_000);

  it('bench:purchase holds every seat once and refuses nobody wrongly', async () => {
    const f = await smoke('purchase');
    expect(f).toMatchObject({ doubleHolds: 0, wrongRefusals: 0 });
    expect(f.heldOrSold).toBe(f.seats);
    expect(f.holdsPerSec).toBeGreaterThan(0);
    expect(f.webhookToTicketP99Ms).toEqual(positive);
  }, 300_000);

  it('bench:feed measures the list cached and uncached and a login storm', async () => {
    const f = await smoke('feed');
    for (const k of ['listRps', 'bareRps', 'uncachedListRps', 'loginPerSec', 'argon2VerifyMs'])
      expect(f[k]).toBeGreaterThan(0);
  }, 300_000);
});
