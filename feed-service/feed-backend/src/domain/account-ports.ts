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
  /** Deletes the user if the address is still unverified and nothing refers to it; false otherwise. */
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
  /** Whether this device (cookie) or address logged in to the user before. */
  isKnownClient(userId: string, client: LoginClient): Promise<boolean>;
  /** Remembers the device and address of a successful login (the most recent few per user). */
  rememberClient(userId: string, client: LoginClient): Promise<void>;
  insertRefreshToken(t: {
    userId: string;
    familyId: string;
    tokenHash: string;
    expiresAt: Date;
  }): Promise<void>;
  useRefreshToken(tokenHash: string, now: Date): Promise<RefreshUse>;
  revokeFamilyOf(tokenHash: string, now: Date): Promise<void>;
}

/** Who is logging in: the client address and, when the browser has one, its device cookie. */
export interface LoginClient {
  ip: string;
  device?: string;
}

/**
 * Failed-login throttles, shared by every instance. `wait` answers the seconds before an
 * attempt may be made (0: now) without charging anything; `fail` charges a failure.
 * Keys: the typed address with the client, the client alone, and the address alone; the
 * last only counts and stops clients the account does not know.
 */
export interface LoginThrottle {
  wait(email: string, client: LoginClient, knownClient: boolean): Promise<number>;
  fail(email: string, client: LoginClient, knownClient: boolean): Promise<void>;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}
