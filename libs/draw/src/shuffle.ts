import { chacha20 } from '@noble/ciphers/chacha.js';

/** Keystream bytes produced per refill: 256 ChaCha20 blocks. */
const CHUNK_BLOCKS = 256;
const CHUNK_BYTES = CHUNK_BLOCKS * 64;
const ZEROS = new Uint8Array(CHUNK_BYTES);
const NONCE = new Uint8Array(12);

/**
 * The ChaCha20 (RFC 8439) keystream of `key` with a zero 12-byte nonce and the block
 * counter starting at 0, read as consecutive 32-bit little-endian words.
 */
export class KeystreamWords {
  private readonly key: Uint8Array;
  private chunk = new Uint8Array(0);
  private view = new DataView(this.chunk.buffer);
  private offset = 0;
  private counter = 0;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error('ChaCha20 key must be 32 bytes');
    this.key = key.slice();
  }

  next(): number {
    if (this.offset === this.chunk.length) {
      this.chunk = chacha20(this.key, NONCE, ZEROS, undefined, this.counter);
      this.view = new DataView(this.chunk.buffer, this.chunk.byteOffset, this.chunk.byteLength);
      this.counter += CHUNK_BLOCKS;
      this.offset = 0;
    }
    const w = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return w;
  }
}

/**
 * Fisher–Yates over the indices 0..n−1 driven by the keystream of `key`: for i from n−1
 * down to 1, bound = i+1, limit = floor(2^32 / bound) × bound; take words until one is
 * below limit (the rest are dropped: that keeps j uniform); j = word mod bound; swap
 * positions i and j. Element k of the result is the sorted index of the entrant with
 * queue number k+1.
 */
export function shuffledIndices(n: number, key: Uint8Array): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const words = new KeystreamWords(key);
  for (let i = n - 1; i >= 1; i--) {
    const bound = i + 1;
    const limit = Math.floor(0x1_0000_0000 / bound) * bound;
    let w = words.next();
    while (w >= limit) w = words.next();
    const j = w % bound;
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/** A copy of `items` in draw order (element k gets queue number k+1). */
export function shuffle<T>(items: readonly T[], key: Uint8Array): T[] {
  const order = shuffledIndices(items.length, key);
  return Array.from(order, (i) => items[i]!);
}
