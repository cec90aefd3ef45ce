import type { Role } from '@ticketslave/common';

export interface User {
  id: string;
  email: string;
  passwordHash: string | null;
  role: Role;
  emailVerified: boolean;
  googleSub: string | null;
}

export type EmailTokenPurpose = 'verify' | 'reset';

export type RefreshUse =
  | { outcome: 'rotated'; userId: string; familyId: string }
  | { outcome: 'reused'; userId: string }
  | { outcome: 'raced' }
  | { outcome: 'invalid' };

/** Persistence the account rules need; implemented over PostgreSQL in data/. */
export interface AccountStore {
  userByEmail(email: string): Promise<User | undefined>;
  userById(id: string): Promise<User | undefined>;
  userByGoogleSub(sub: string): Promise<User | undefined>;
  /** Undefined when the address is taken (UNIQUE decides, not a prior read). */
  createUser(u: {
    email: string;
    passwordHash: string | null;
    emailVerified: boolean;
    googleSub?: string;
    role?: Role;
  }): Promise<User | undefined>;
  /**
   * Makes `sub` the account's only credential: sets it, marks the address verified, removes
   * the password, revokes every refresh token and unused e-mail link, in one transaction.
   */
  linkGoogle(userId: string, sub: string): Promise<{ droppedPassword: boolean }>;
  /** Deletes the user if the address is still unverified; false when it was verified (or gone). */
  deleteUnverifiedUser(userId: string): Promise<boolean>;
  setRole(userId: string, role: Role): Promise<boolean>;
  /** Sets the password and revokes every refresh token of the user. */
  setPassword(userId: string, passwordHash: string): Promise<void>;
  markEmailVerified(userId: string): Promise<void>;
  createEmailToken(t: {
    userId: string;
    purpose: EmailTokenPurpose;
    tokenHash: string;
    expiresAt: Date;
  }): Promise<void>;
  /** Marks a live token used and returns its user; single use by a conditional update. */
  consumeEmailToken(tokenHash: string, purpose: EmailTokenPurpose, now: Date): Promise<string | undefined>;
  lockedUntil(email: string, now: Date): Promise<Date | undefined>;
  recordLoginFailure(email: string, now: Date): Promise<Date | undefined>;
  clearLoginFailures(email: string): Promise<void>;
  insertRefreshToken(t: {
    userId: string;
    familyId: string;
    tokenHash: string;
    expiresAt: Date;
  }): Promise<void>;
  useRefreshToken(tokenHash: string, now: Date): Promise<RefreshUse>;
  revokeFamilyOf(tokenHash: string, now: Date): Promise<void>;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}
