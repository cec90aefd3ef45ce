import { readFileSync } from 'node:fs';
import { MalformedInputError } from './bytes';
import { parseFairnessDocument } from './document';
import { parseChainInfo, type DrandChainInfo } from './drand';
import { parseReceiptFile, type LoadedReceipt } from './receipt';
import { CHECKS, verifyDraw, type DrawVerification } from './verify';

const USAGE = `usage: npm run verify-draw -- <fairness URL or file> [--receipt <file>]… [--expect <number>]
                                  [--chain-info <file or URL>]… [--user <user id>] [--stats]

  --receipt <file>       a join receipt ("Save my receipt" in the waiting room, or the bare token);
                         repeat for several fans
  --expect <number>      the queue number the (single) receipt holder was given
  --chain-info <source>  trust this drand chain besides drand's public mainnet chains
  --user <id>            also print this user's entrant hash and number (the salt is public)
  --stats                print the time taken and the peak memory on stderr

exit 0: every check holds · 1: a check failed · 2: unreadable or malformed input`;

interface Args {
  source: string;
  receipts: string[];
  expect?: number;
  chainInfo: string[];
  user?: string;
  stats: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { source: '', receipts: [], chainInfo: [], stats: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new MalformedInputError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--receipt':
        args.receipts.push(value());
        break;
      case '--expect': {
        const v = value();
        if (!/^[1-9]\d*$/.test(v))
          throw new MalformedInputError(`--expect must be a queue number, got "${v}"`);
        args.expect = Number(v);
        break;
      }
      case '--chain-info':
        args.chainInfo.push(value());
        break;
      case '--user':
        args.user = value();
        break;
      case '--stats':
        args.stats = true;
        break;
      default:
        if (a.startsWith('--')) throw new MalformedInputError(`unknown option ${a}`);
        if (args.source)
          throw new MalformedInputError(`one fairness document at a time (got "${args.source}" and "${a}")`);
        args.source = a;
    }
  }
  if (!args.source) throw new MalformedInputError('which fairness document? Give its URL or a file');
  return args;
}

/** The text of a file or URL; anything that cannot be read is malformed input (exit 2). */
async function read(source: string, what: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    let res: Response;
    try {
      res = await fetch(source, { signal: AbortSignal.timeout(120_000) });
    } catch (e) {
      throw new MalformedInputError(`could not fetch the ${what} at ${source}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new MalformedInputError(`the ${what} at ${source} answered HTTP ${res.status}`);
    return res.text();
  }
  try {
    return readFileSync(source, 'utf8');
  } catch (e) {
    throw new MalformedInputError(`could not read the ${what} ${source}: ${(e as Error).message}`);
  }
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedInputError(`the ${what} is not valid JSON`);
  }
}

const PAD = Math.max(...Object.keys(CHECKS).map((k) => k.length));

function print(v: DrawVerification): void {
  console.log(`${v.version} · event ${v.eventId} · ${v.total} entrants`);
  if (v.chainName) console.log(`beacon: ${v.chainName}`);
  for (const c of v.checks) {
    const label = c.status === 'pass' ? 'PASS' : c.status === 'fail' ? 'FAIL' : 'SKIP';
    console.log(`${label}  ${c.id.padEnd(PAD)}  ${c.subject ? `[${c.subject}] ` : ''}${c.detail}`);
  }
  for (const s of v.subjects)
    console.log(
      `${s.subject}: entrant ${s.entrantHash}, ${
        s.late
          ? `joined late: after number ${v.total}`
          : s.number === null
            ? 'NOT in the draw'
            : `queue number ${s.number}`
      }`,
    );
  for (const c of v.caveats) console.log(`NOTE: ${c}`);
  const failed = v.checks.filter((c) => c.status === 'fail');
  console.log(
    failed.length === 0
      ? `VERIFIED: all ${v.total} queue numbers recomputed; every check holds`
      : `FAILED: ${[...new Set(failed.map((c) => c.id))].join(', ')}`,
  );
}

export async function main(argv: string[]): Promise<number> {
  const started = performance.now();
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const receipts: (LoadedReceipt & { label: string })[] = [];
    for (const file of args.receipts)
      receipts.push({ ...parseReceiptFile(await read(file, 'receipt')), label: `receipt ${file}` });
    const trustChains: { info: DrandChainInfo; source: string }[] = [];
    for (const source of args.chainInfo)
      trustChains.push({
        info: parseChainInfo(json(await read(source, 'chain info'), 'chain info')),
        source,
      });
    const doc = parseFairnessDocument(
      json(await read(args.source, 'fairness document'), 'fairness document'),
    );
    const result = await verifyDraw(doc, {
      receipts,
      trustChains,
      ...(args.user !== undefined ? { userId: args.user } : {}),
      ...(args.expect !== undefined ? { expect: args.expect } : {}),
    });
    print(result);
    if (args.stats)
      console.error(
        `verify-draw: ${((performance.now() - started) / 1000).toFixed(2)} s, peak memory ${Math.round(
          process.resourceUsage().maxRSS / 1024,
        )} MB`,
      );
    return result.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof MalformedInputError) {
      console.error(`cannot verify: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`cannot verify: ${(err as Error).stack ?? String(err)}`);
      process.exit(2);
    },
  );
