import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { entrantHash, serializeFairnessDocument, type FairnessDocumentV2 } from '../src';
import { main } from '../src/cli';
import { makeFixture, type Fixture } from './fixtures';
import { FORGERIES } from './forgeries';

const dir = mkdtempSync(path.join(tmpdir(), 'verify-draw-'));
let n = 0;
const file = (content: string) => {
  const p = path.join(dir, `f${n++}.json`);
  writeFileSync(p, content);
  return p;
};
const docFile = (doc: FairnessDocumentV2) => file(serializeFairnessDocument(doc));

/** Runs the CLI's main() and returns its exit code and everything it printed. */
async function verifyDraw(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = jest
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = jest
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

const failedChecks = (out: string) => [...new Set([...out.matchAll(/^FAIL {2}(\S+)/gm)].map((m) => m[1]))];

let f: Fixture;
let chainInfo: string;
beforeAll(async () => {
  f = await makeFixture();
  chainInfo = file(JSON.stringify(f.chainInfo));
});

describe('npm run verify-draw', () => {
  it('verifies an honest draw with every receipt and the expected number, exit 0', async () => {
    const alice = f.numbers.get('alice')!;
    const { code, out } = await verifyDraw([
      docFile(f.doc),
      '--chain-info',
      chainInfo,
      ...f.users.flatMap((u) => ['--receipt', file(f.receiptFiles.get(u)!)]),
    ]);
    expect(failedChecks(out)).toEqual([]);
    expect(code).toBe(0);
    expect(out).toMatch(/VERIFIED: all 6 queue numbers recomputed/);
    for (const u of f.users)
      expect(out).toContain(`entrant ${entrantHash(f.doc.salt, u)}, queue number ${f.numbers.get(u)}`);
    // The verdict says the chain is trusted only because it was supplied.
    expect(out).toMatch(/NOTE: the beacon chain \w+ is trusted only because you supplied its info/);
    const one = await verifyDraw([
      docFile(f.doc),
      '--chain-info',
      chainInfo,
      '--receipt',
      file(f.receiptFiles.get('alice')!),
      '--expect',
      String(alice),
    ]);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/PASS {2}expected-number/);
  });

  it("refuses a chain that is not drand's mainnet unless its info is supplied, exit 1", async () => {
    const { code, out } = await verifyDraw([docFile(f.doc), '--receipt', file(f.receiptFiles.get('bob')!)]);
    expect(code).toBe(1);
    expect(failedChecks(out)).toEqual(['beacon-chain']);
  });

  it('accepts a receipt saved as the bare token, and a late joiner after every drawn number', async () => {
    const bare = JSON.parse(f.receiptFiles.get('carol')!).receipt as string;
    const late = f.receiptFor('zoe', { late: true, jat: f.closedAtMs + 5_000 });
    const { code, out } = await verifyDraw([
      docFile(f.doc),
      '--chain-info',
      chainInfo,
      '--receipt',
      file(bare),
      '--receipt',
      file(late),
    ]);
    expect(failedChecks(out)).toEqual([]);
    expect(code).toBe(0);
    expect(out).toMatch(/PASS {2}late-after-on-time/);
  });

  it.each(FORGERIES.map((forgery) => [forgery.name, forgery] as const))(
    'rejects a forgery: %s (exit 1, named check failed)',
    async (_name, forgery) => {
      const forged = await forgery.forge(f);
      const { code, out } = await verifyDraw([
        docFile(forged.doc),
        '--chain-info',
        chainInfo,
        ...forged.receipts.flatMap((r) => ['--receipt', file(r)]),
        ...(forged.expect !== undefined ? ['--expect', String(forged.expect)] : []),
      ]);
      expect(code).toBe(1);
      // Only the check this forgery is aimed at fails: without it, the forgery would pass.
      expect(failedChecks(out)).toEqual([forgery.caughtBy]);
      expect(out).toMatch(/^FAILED: /m);
    },
  );

  it('rejects a late joiner put into the draw, and a late joiner promised a drawn number', async () => {
    const slipped = f.receiptFor('alice', { late: true, jat: f.closedAtMs + 1 });
    const a = await verifyDraw([docFile(f.doc), '--chain-info', chainInfo, '--receipt', file(slipped)]);
    expect(a.code).toBe(1);
    expect(failedChecks(a.out)).toEqual(['late-after-on-time']);
    const late = f.receiptFor('zoe', { late: true, jat: f.closedAtMs + 1 });
    const b = await verifyDraw([
      docFile(f.doc),
      '--chain-info',
      chainInfo,
      '--receipt',
      file(late),
      '--expect',
      '3',
    ]);
    expect(b.code).toBe(1);
    expect(failedChecks(b.out)).toEqual(['late-after-on-time']);
  });

  it.each([
    ['a missing file', [path.join(dir, 'nope.json')], /could not read the fairness document/],
    ['a document that is not JSON', ['{"version": "draw-v2",'], /not valid JSON/],
    ['an unknown version', [JSON.stringify({ version: 'draw-v9' })], /"version" must be/],
    ['a beacon without a signature', ['MISSING_SIGNATURE'], /"signature" must be lowercase hex/],
    ['a receipt that is not a token', ['RECEIPT:not-a-jws'], /not a compact JWS/],
    ['--expect without a receipt', ['EXPECT_ALONE'], /--expect needs exactly one receipt/],
    ['--expect that is not a number', ['EXPECT_WORD'], /--expect must be a queue number/],
    ['an unknown option', ['--frobnicate'], /unknown option --frobnicate/],
    ['no document at all', [], /which fairness document/],
  ])('exits 2 for %s, saying what is wrong', async (_what, spec, message) => {
    const args: string[] = [];
    for (const s of spec) {
      if (s === 'MISSING_SIGNATURE') {
        const { signature: _s, ...beacon } = f.doc.beacon;
        args.push(file(JSON.stringify({ ...f.doc, beacon })));
      } else if (s.startsWith('RECEIPT:')) args.push(docFile(f.doc), '--receipt', file(s.slice(8)));
      else if (s === 'EXPECT_ALONE') args.push(docFile(f.doc), '--expect', '3');
      else if (s === 'EXPECT_WORD') args.push(docFile(f.doc), '--expect', 'three');
      else if (s.startsWith('{')) args.push(file(s));
      else args.push(s);
    }
    const { code, out } = await verifyDraw(args);
    expect(out).toMatch(message);
    expect(code).toBe(2);
  });

  it('exits 0, 1 and 2 as a process through npm run verify-draw', () => {
    const run = (args: string[]) =>
      spawnSync('bash', ['scripts/run.sh', 'verify-draw', ...args], {
        cwd: path.resolve(__dirname, '../../..'),
        encoding: 'utf8',
        timeout: 120_000,
      });
    const honest = docFile(f.doc);
    expect(run([honest, '--chain-info', chainInfo]).status).toBe(0);
    const forged = run([honest]);
    expect(forged.stdout).toMatch(/^FAIL {2}beacon-chain/m);
    expect(forged.status).toBe(1);
    const broken = run([file('not json')]);
    expect(broken.stderr).toMatch(/cannot verify: the fairness document is not valid JSON/);
    expect(broken.status).toBe(2);
  });
});
