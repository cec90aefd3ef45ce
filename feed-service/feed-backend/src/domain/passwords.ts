import argon2 from 'argon2';
import type { FieldError } from '@ticketslave/common';
import { COMMON_PASSWORDS_LIST } from './common-passwords';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const COMMON = new Set(
  COMMON_PASSWORDS_LIST.split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter(Boolean),
);

/** The password rules; returns what is wrong so the form can say it next to the field. */
export function passwordProblems(password: string, email?: string): FieldError[] {
  const problems: FieldError[] = [];
  if (password.length < MIN_PASSWORD_LENGTH)
    problems.push({ path: 'password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` });
  else if (password.length > MAX_PASSWORD_LENGTH)
    problems.push({ path: 'password', message: `must be at most ${MAX_PASSWORD_LENGTH} characters` });
  else if (COMMON.has(password.toLowerCase()))
    problems.push({ path: 'password', message: 'is one of the most common passwords; choose another' });
  else if (email && password.toLowerCase() === email.toLowerCase())
    problems.push({ path: 'password', message: 'must not be your e-mail address' });
  return problems;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** Runs at most `limit` of the given tasks at once, the others wait their turn in order. */
export function concurrencyLimit(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((r) => waiting.push(r));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/**
 * argon2id; the native binding hashes on libuv's thread pool, so the event loop stays free.
 * At most `concurrency` hashes run at once: a login storm with every pool thread hashing
 * would leave the event loop (and PostgreSQL) too little CPU, and hashing more at once than
 * there are cores does not log more people in per second.
 */
export function argon2Hasher(memoryCostKib: number, concurrency = Infinity): PasswordHasher {
  const options = { type: argon2.argon2id, memoryCost: memoryCostKib, timeCost: 2, parallelism: 1 } as const;
  const limited = concurrencyLimit(concurrency);
  return {
    hash: (password) => limited(() => argon2.hash(password, options)),
    verify: async (hash, password) => {
      try {
        return await limited(() => argon2.verify(hash, password));
      } catch {
        return false;
      }
    },
  };
}
