import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { SortedEntrants } from '../domain/ports';

/**
 * The close's bulk reads and writes, with COPY instead of row objects.
 *
 * A million-fan close used to read every entry as a JavaScript object (6.9 s under load in
 * bench:queue) and write the numbers as four INSERT … unnest statements of 250,000-element
 * text arrays (9.7 s, against 13.5 s for a plain COPY of the same rows measured alongside).
 * Here the entries arrive as COPY text, parsed straight into the draw's byte form of the
 * entrant list and one buffer of user ids; the numbers go back as COPY text built from them.
 * User ids stay in COPY's escaped text form end to end: written back verbatim, decoded only
 * when a message needs them as strings.
 */

/** User ids of the on-time entrants, in hash order, as COPY text fields (escaped). */
export interface UserIds {
  bytes: Buffer;
  /** User i is `bytes[ends[i-1] ?? 0 .. ends[i]]`. */
  ends: Uint32Array;
}

export interface ClosingEntries {
  entrants: SortedEntrants;
  users: UserIds;
  /** Joined during the closing phase (late), in join order. */
  late: Buffer[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TAB = 0x09;
const NL = 0x0a;

/** COPY (query) takes no parameters: the event id goes in as a literal, so only a UUID may. */
function uuidLiteral(eventId: string): string {
  if (!UUID.test(eventId)) throw new Error(`not an event id: ${eventId}`);
  return `'${eventId}'::uuid`;
}

/** A growable byte buffer. */
class Bytes {
  buf: Buffer;
  length = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  push(src: Buffer, start: number, end: number): void {
    this.reserve(end - start);
    src.copy(this.buf, this.length, start, end);
    this.length += end - start;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }
}

/** Which entries a close reads: all, or the on-time and late ones apart (see PgBufferStore.prefetchEntrants). */
export type EntriesRead = 'all' | 'on-time' | 'late';
const READ_FILTER: Record<EntriesRead, string> = { all: '', 'on-time': ' AND NOT late', late: ' AND late' };

/** Entrant hashes from `from` (inclusive) to `below` (exclusive), each a hex digit; open ends when absent. */
export interface HashRange {
  from?: string;
  below?: string;
}
const WHOLE_RANGE: HashRange = {};
const hashDigit = (d: string): string => {
  if (!/^[0-9a-f]$/.test(d)) throw new Error(`not a hex digit: ${d}`);
  return d;
};

/**
 * The hash space cut into `parts` contiguous ranges by first hex digit (parts ≤ 16), for
 * reads side by side: in hash order, their results one after another are the whole list.
 */
export function hashRanges(parts: number): HashRange[] {
  const n = Math.max(1, Math.min(16, Math.floor(parts)));
  const cut = (i: number) => Math.round((16 * i) / n).toString(16);
  return Array.from({ length: n }, (_, i) => ({
    ...(i > 0 ? { from: cut(i) } : {}),
    ...(i < n - 1 ? { below: cut(i + 1) } : {}),
  }));
}

/** Reads of consecutive hash ranges (hashRanges order) joined into one, as one read would give it. */
export function concatClosingEntries(parts: ClosingEntries[]): ClosingEntries {
  // Late joiners are numbered in join order, which hash ranges would interleave.
  if (parts.some((p) => p.late.length > 0))
    throw new Error('late joiners are read in one piece, not by hash range');
  const count = parts.reduce((n, p) => n + p.entrants.count, 0);
  const lists = parts.filter((p) => p.entrants.count > 0).map((p) => p.entrants.list);
  const nl = Buffer.from([NL]);
  const list = Buffer.concat(lists.flatMap((l, i) => (i === 0 ? [l] : [nl, l])));
  const bytes = Buffer.concat(parts.map((p) => p.users.bytes));
  const ends = new Uint32Array(count);
  let at = 0;
  let base = 0;
  for (const p of parts) {
    for (let i = 0; i < p.users.ends.length; i++) ends[at++] = base + p.users.ends[i]!;
    base += p.users.bytes.length;
  }
  return { entrants: { count, list }, users: { bytes, ends }, late: [] };
}

/**
 * Every entry of the event in ascending hash order (entrant_hash is COLLATE "C"), read with
 * one COPY: the on-time entrants as the draw's entrant list and their user ids, the late
 * ones' user ids in join order. `which` narrows it to one of the two groups.
 */
export async function readClosingEntries(
  client: PoolClient,
  eventId: string,
  which: EntriesRead = 'all',
  hashes: HashRange = WHOLE_RANGE,
): Promise<ClosingEntries> {
  const range = [
    hashes.from ? ` AND entrant_hash >= '${hashDigit(hashes.from)}'` : '',
    hashes.below ? ` AND entrant_hash < '${hashDigit(hashes.below)}'` : '',
  ].join('');
  const stream = client.query(
    copyTo(
      `COPY (SELECT entrant_hash, late, seq, user_id FROM entries WHERE event_id = ${uuidLiteral(eventId)}${READ_FILTER[which]}${range}
       ORDER BY entrant_hash) TO STDOUT`,
    ),
  );
  const list = new Bytes(1 << 20);
  const users = new Bytes(1 << 20);
  let ends = new Uint32Array(1 << 14);
  let count = 0;
  const late: { seq: number; user: Buffer }[] = [];

  // One line: <64 hex>\t<t|f>\t<seq>\t<user id as COPY text>\n
  const line = (buf: Buffer, start: number, end: number) => {
    if (buf[start + 64] !== TAB || buf[start + 66] !== TAB)
      throw new Error(`event ${eventId}: an entry of unexpected form in the close's read`);
    const seqEnd = buf.indexOf(TAB, start + 67);
    if (seqEnd < 0 || seqEnd >= end) throw new Error(`event ${eventId}: an entry without a user id`);
    if (buf[start + 65] === 0x74 /* t */) {
      late.push({
        seq: Number(buf.toString('latin1', start + 67, seqEnd)),
        user: Buffer.from(buf.subarray(seqEnd + 1, end)),
      });
      return;
    }
    if (count > 0) list.byte(NL);
    list.push(buf, start, start + 64);
    users.push(buf, seqEnd + 1, end);
    if (count === ends.length) {
      const grown = new Uint32Array(ends.length * 2);
      grown.set(ends);
      ends = grown;
    }
    ends[count++] = users.length;
  };

  let carry: Buffer | null = null;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    let at = 0;
    for (let nl = buf.indexOf(NL, at); nl >= 0; nl = buf.indexOf(NL, at)) {
      line(buf, at, nl);
      at = nl + 1;
    }
    carry = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
  }
  if (carry) throw new Error(`event ${eventId}: the close's read ended mid-line`);
  late.sort((a, b) => a.seq - b.seq);
  return {
    entrants: { count, list: list.buf.subarray(0, list.length) },
    users: { bytes: users.buf.subarray(0, users.length), ends: ends.subarray(0, count) },
    late: late.map((l) => l.user),
  };
}

const userAt = (users: UserIds, i: number): Buffer =>
  users.bytes.subarray(i === 0 ? 0 : users.ends[i - 1]!, users.ends[i]);

/** The event's partition of `numbers` (see the NumbersByEvent migration). */
export const numbersPartition = (eventId: string): string =>
  `numbers_${uuidLiteral(eventId).slice(1, 37).replace(/-/g, '')}`;

/**
 * The close's numbers, written as the event's own partition of `numbers`: created in the
 * close's transaction, filled by `fill` with COPY while it has no index, then indexed (one
 * sort per index instead of a million random b-tree inserts) and attached. Attaching takes
 * only SHARE UPDATE EXCLUSIVE on `numbers`, so other events' reads and late joins carry on
 * meanwhile.
 */
export async function writeNumbersPartition(
  client: PoolClient,
  eventId: string,
  fill: (table: string) => Promise<void>,
): Promise<void> {
  const table = numbersPartition(eventId);
  // The CHECK is the partition's bound, proved row by row as the COPY writes: attaching then
  // needs no scan of a million rows to prove it again.
  await client.query(
    `CREATE TABLE "${table}" (LIKE numbers INCLUDING ALL, CHECK (event_id = ${uuidLiteral(eventId)}))`,
  );
  await fill(table);
  // A million rows sort in memory with this (64 MB, PostgreSQL's default, spills to disk).
  await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  await client.query(`ALTER TABLE "${table}" ADD PRIMARY KEY (queue_number), ADD UNIQUE (user_id)`);
  await client.query(
    `ALTER TABLE numbers ATTACH PARTITION "${table}" FOR VALUES IN (${uuidLiteral(eventId)})`,
  );
}

/** Queue numbers first+1, first+2, … into `table` (an event's partition): number first+k+1 is `user(k)`'s. */
export async function copyNumbers(
  client: PoolClient,
  table: string,
  eventId: string,
  first: number,
  count: number,
  user: (k: number) => Buffer,
): Promise<void> {
  if (count === 0) return;
  const prefix = Buffer.from(`${uuidLiteral(eventId).slice(1, 37)}\t`, 'latin1');
  const CHUNK = 1 << 20;
  function* lines(): Generator<Buffer> {
    let out = Buffer.allocUnsafe(CHUNK);
    let at = 0;
    for (let k = 0; k < count; k++) {
      const u = user(k);
      const need = prefix.length + 12 + u.length;
      if (at + need > out.length) {
        yield out.subarray(0, at);
        out = Buffer.allocUnsafe(Math.max(CHUNK, need));
        at = 0;
      }
      prefix.copy(out, at);
      at += prefix.length;
      at += out.write(String(first + k + 1), at, 'latin1');
      out[at++] = TAB;
      at += u.copy(out, at);
      out[at++] = NL;
    }
    if (at) yield out.subarray(0, at);
  }
  await pipeline(
    Readable.from(lines()),
    client.query(copyFrom(`COPY "${table}" (event_id, queue_number, user_id) FROM STDIN`)),
  );
}

/** The user of queue number k+1 of the draw: `order[k]` indexes the entrants in hash order. */
export const drawnUser = (users: UserIds, order: Uint32Array) => (k: number) => userAt(users, order[k]!);

/** COPY text escapes (backslash sequences) undone: the user id as a string. */
export function decodeCopyText(field: Buffer): string {
  if (!field.includes(0x5c)) return field.toString('utf8');
  const out: number[] = [];
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const e = field[++i]!;
    const simple: Record<number, number> = { 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x76: 11 };
    if (simple[e] !== undefined) out.push(simple[e]);
    else if (e >= 0x30 && e <= 0x37) {
      let v = e - 0x30;
      for (let d = 0; d < 2 && field[i + 1]! >= 0x30 && field[i + 1]! <= 0x37; d++)
        v = v * 8 + field[++i]! - 0x30;
      out.push(v & 0xff);
    } else if (e === 0x78 && /[0-9a-fA-F]/.test(String.fromCharCode(field[i + 1] ?? 0))) {
      let v = parseInt(String.fromCharCode(field[++i]!), 16);
      if (/[0-9a-fA-F]/.test(String.fromCharCode(field[i + 1] ?? 0)))
        v = v * 16 + parseInt(String.fromCharCode(field[++i]!), 16);
      out.push(v);
    } else out.push(e);
  }
  return Buffer.from(out).toString('utf8');
}
