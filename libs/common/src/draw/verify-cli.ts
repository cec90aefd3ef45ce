import { readFileSync } from 'node:fs';
import { entrantHash, verifyFairness, type FairnessDocument } from './draw-v1';

/**
 * `npm run verify-draw -- <fairness URL or file> [--user <id>] [--expect <file of userId,number>]`
 * Recomputes a draw from its published fairness document and says whether it holds.
 */
async function main(argv: string[]): Promise<number> {
  const source = argv.find((a) => !a.startsWith('--') && argv[argv.indexOf(a) - 1] !== '--user');
  const userIdx = argv.indexOf('--user');
  const user = userIdx >= 0 ? argv[userIdx + 1] : undefined;
  if (!source) {
    console.error('usage: npm run verify-draw -- <fairness URL or file> [--user <id>]');
    return 2;
  }
  const raw = /^https?:\/\//.test(source) ? await (await fetch(source)).text() : readFileSync(source, 'utf8');
  const doc = JSON.parse(raw) as FairnessDocument;
  const result = verifyFairness(doc);
  console.log(`event ${doc.eventId}: ${doc.total} entrants, algorithm ${doc.version}`);
  console.log(`commitment ${doc.commitment}`);
  console.log(`beacon ${doc.beacon || '(none: the operator could have ground the draw)'}`);
  if (user) {
    const hash = entrantHash(doc.salt, user);
    const n = result.numbers.get(hash);
    console.log(
      n
        ? `user ${user}: entrant ${hash.slice(0, 16)}…, queue number ${n}`
        : `user ${user} is not among the buffered entrants`,
    );
  }
  if (result.ok) {
    console.log(`OK: all ${result.numbers.size} queue numbers recomputed; commitment, digest and list match`);
    return 0;
  }
  for (const p of result.problems) console.log(`MISMATCH: ${p}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(2);
  },
);
