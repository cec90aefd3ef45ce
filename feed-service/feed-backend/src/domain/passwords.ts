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

/** argon2id; the native binding hashes on libuv's thread pool, so the event loop stays free. */
export function argon2Hasher(memoryCostKib: number): PasswordHasher {
  const options = { type: argon2.argon2id, memoryCost: memoryCostKib, timeCost: 2, parallelism: 1 } as const;
  return {
    hash: (password) => argon2.hash(password, options),
    verify: async (hash, password) => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
  };
}
