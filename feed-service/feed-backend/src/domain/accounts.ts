import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  AuthError,
  InputError,
  NotFoundError,
  TOKENS,
  TooManyRequestsError,
  type Clock,
  type Logger,
  type Role,
  type TokenSigner,
} from '@ticketslave/common';
import type {
  AccountStore,
  EmailTokenPurpose,
  LoginClient,
  LoginThrottle,
  Mailer,
  User,
} from './account-ports';
import { passwordProblems, type PasswordHasher } from './passwords';

export const REFRESH_TTL_MS = 30 * 24 * 3600_000;
const VERIFY_TTL_MS = 48 * 3600_000;
const RESET_TTL_MS = 3600_000;

export interface IssuedSession {
  session: string;
  sessionExpiresAt: Date;
  refresh: string;
  refreshExpiresAt: Date;
  user: PublicUser;
}

/** A password login also names the device, so the account knows it next time. */
export interface PasswordLogin extends IssuedSession {
  device: string;
}

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
  emailVerified: boolean;
}

export const publicUser = (u: User): PublicUser => ({
  id: u.id,
  email: u.email,
  role: u.role,
  emailVerified: u.emailVerified,
});

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

const WRONG_CREDENTIALS = 'The e-mail address or the password is wrong.';

export interface AccountDeps {
  store: AccountStore;
  throttle: LoginThrottle;
  hasher: PasswordHasher;
  mailer: Mailer;
  signer: TokenSigner;
  clock: Clock;
  logger: Logger;
  /** Public origin for links in e-mails. */
  publicBaseUrl: string;
}

/** Registration, login, sessions and recovery. Answers never say whether an address has an account. */
export class Accounts {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly d: AccountDeps) {}

  async register(emailInput: string, password: string, next?: string): Promise<void> {
    const email = normaliseEmail(emailInput);
    const problems = passwordProblems(password, email);
    if (problems.length) throw new InputError(`password: ${problems[0]!.message}`, problems, 'weak_password');
    const passwordHash = await this.d.hasher.hash(password);
    const created = await this.d.store.createUser({ email, passwordHash, emailVerified: false });
    if (created) {
      await this.sendVerification(created, next);
      return;
    }
    // Same answer as a new registration; the owner learns of the attempt by e-mail.
    const back = next ? `?next=${encodeURIComponent(next)}` : '';
    this.deliver({
      to: email,
      subject: 'Someone tried to register with your address',
      text:
        `Somebody (maybe you) tried to create a TicketSlave account for ${email}, which already has one.\n\n` +
        `Log in: ${this.link(`/feed/login${back}`)}\nForgot your password? ${this.link(`/feed/forgot-password${back}`)}\n`,
    });
  }

  async resendVerification(userId: string): Promise<void> {
    const user = await this.d.store.userById(userId);
    if (!user) throw new AuthError();
    if (user.emailVerified) return;
    await this.sendVerification(user);
  }

  /**
   * "This wasn't me" from the verification mail: whoever typed this address did not own it,
   * so the unconfirmed account (and the password they chose) is deleted and the address is
   * free again. A confirmed account is never deleted this way.
   */
  async disown(token: string): Promise<void> {
    const userId = await this.d.store.consumeEmailToken(hashToken(token), 'verify', this.d.clock.now());
    if (!userId) throw new InputError('This link is invalid, used or expired.', [], 'invalid_link');
    if (!(await this.d.store.deleteUnverifiedUser(userId)))
      throw new InputError(
        'This account was already confirmed or is in use, so it cannot be removed with this link. Reset its password to take it over.',
        [],
        'account_confirmed',
      );
  }

  async verifyEmail(token: string): Promise<void> {
    const userId = await this.d.store.consumeEmailToken(hashToken(token), 'verify', this.d.clock.now());
    if (!userId)
      throw new InputError('This verification link is invalid, used or expired.', [], 'invalid_link');
    await this.d.store.markEmailVerified(userId);
  }

  /**
   * Failures are throttled per (address, client), per client, and per address; the last
   * only for clients the account does not know. So nobody can lock a fan out by typing
   * wrong passwords for their address: the attacker's own client is slowed, and a storm
   * from many clients slows only clients the account has never logged in from — the fan's
   * known device or address gets in with the right password.
   */
  async login(emailInput: string, password: string, client: LoginClient): Promise<PasswordLogin> {
    const email = normaliseEmail(emailInput);
    const user = await this.d.store.userByEmail(email);
    const known = user ? await this.d.store.isKnownClient(user.id, client) : false;
    const wait = await this.d.throttle.wait(email, client, known);
    if (wait > 0) throw new TooManyRequestsError(wait, `Too many failed attempts; try again in ${wait} s.`);
    // Hash even for unknown addresses so the answer time does not tell them apart.
    const ok = await this.d.hasher.verify(user?.passwordHash ?? (await this.dummy()), password);
    if (!user?.passwordHash || !ok) {
      await this.d.throttle.fail(email, client, known);
      throw new AuthError(WRONG_CREDENTIALS, 'wrong_credentials');
    }
    const device = client.device ?? newToken();
    await this.d.store.rememberClient(user.id, { ip: client.ip, device });
    return { ...(await this.startFamily(user)), device };
  }

  /** Rotates the refresh token; a token presented again after a short grace revokes its whole family. */
  async refresh(token: string | undefined): Promise<IssuedSession> {
    if (!token) throw new AuthError('No refresh token; log in again.', 'refresh_missing');
    const use = await this.d.store.useRefreshToken(hashToken(token), this.d.clock.now());
    if (use.outcome === 'reused') {
      this.d.logger.warn({ userId: use.userId }, 'refresh token reused; family revoked');
      throw new AuthError('This session was ended for safety; log in again.', 'refresh_reused');
    }
    if (use.outcome === 'raced')
      throw new AuthError('Another tab renewed this session a moment ago; retry.', 'refresh_raced');
    if (use.outcome === 'invalid')
      throw new AuthError('Your session ended; log in again.', 'refresh_invalid');
    const user = await this.d.store.userById(use.userId);
    if (!user) throw new AuthError('Your session ended; log in again.', 'refresh_invalid');
    return this.issue(user, use.familyId);
  }

  async logout(refreshToken: string | undefined): Promise<void> {
    if (refreshToken) await this.d.store.revokeFamilyOf(hashToken(refreshToken), this.d.clock.now());
  }

  /** `next` (a same-site path, checked by the caller) brings the fan back to where they were logging in. */
  async requestPasswordReset(emailInput: string, next?: string): Promise<void> {
    const user = await this.d.store.userByEmail(normaliseEmail(emailInput));
    if (!user) return;
    const token = await this.emailToken(user.id, 'reset', RESET_TTL_MS);
    const back = next ? `&next=${encodeURIComponent(next)}` : '';
    this.deliver({
      to: user.email,
      subject: 'Reset your TicketSlave password',
      text:
        `Choose a new password within the next hour:\n\n${this.link(`/feed/reset-password?token=${token}${back}`)}\n\n` +
        `If you did not ask for this, ignore this message; your password stays as it is.\n`,
    });
  }

  async resetPassword(token: string, password: string): Promise<void> {
    const problems = passwordProblems(password);
    if (problems.length) throw new InputError(`password: ${problems[0]!.message}`, problems, 'weak_password');
    const passwordHash = await this.d.hasher.hash(password);
    const userId = await this.d.store.consumeEmailToken(hashToken(token), 'reset', this.d.clock.now());
    if (!userId) throw new InputError('This reset link is invalid, used or expired.', [], 'invalid_link');
    const user = await this.d.store.userById(userId);
    if (!user) throw new InputError('This reset link is invalid, used or expired.', [], 'invalid_link');
    await this.d.store.setPassword(userId, passwordHash);
    // The link reached the mailbox, which is what verification proves.
    await this.d.store.markEmailVerified(userId);
  }

  async setRole(userId: string, role: Role): Promise<PublicUser> {
    if (!(await this.d.store.setRole(userId, role)))
      throw new NotFoundError('No such user.', 'user_not_found');
    return publicUser((await this.d.store.userById(userId))!);
  }

  /**
   * Google login: by Google's subject, else linked by a verified address, else a new account.
   *
   * Linking never keeps a credential the Google identity did not prove: anyone can register
   * an address they do not own and set its password, so the password (and any other Google
   * identity) is removed and every refresh token and e-mail link of the account revoked —
   * the mailbox's owner, proven by Google, alone holds the account. The address is told, and
   * can set a password again through the reset link.
   */
  async googleLogin(profile: {
    sub: string;
    email: string | undefined;
    emailVerified: boolean;
  }): Promise<IssuedSession> {
    const known = await this.d.store.userByGoogleSub(profile.sub);
    if (known) return this.startFamily(known);
    if (!profile.email || !profile.emailVerified)
      throw new AuthError('Google did not confirm this e-mail address.', 'google_email_unverified');
    const email = normaliseEmail(profile.email);
    const existing = await this.d.store.userByEmail(email);
    if (existing) {
      const { droppedPassword } = await this.d.store.linkGoogle(existing.id, profile.sub);
      if (droppedPassword)
        this.deliver({
          to: existing.email,
          subject: 'Your TicketSlave account now signs in with Google',
          text:
            `You signed in to TicketSlave with Google as ${existing.email}. From now on this account ` +
            `signs in with Google: its password was removed and every other login ended.\n\n` +
            `Want a password as well? Set a new one: ${this.link('/feed/forgot-password')}\n`,
        });
      return this.startFamily({
        ...existing,
        emailVerified: true,
        googleSub: profile.sub,
        passwordHash: null,
      });
    }
    const created =
      (await this.d.store.createUser({
        email,
        passwordHash: null,
        emailVerified: true,
        googleSub: profile.sub,
      })) ?? (await this.d.store.userByEmail(email));
    if (!created) throw new AuthError('Could not create the account; try again.', 'google_failed');
    return this.startFamily(created);
  }

  private async startFamily(user: User): Promise<IssuedSession> {
    return this.issue(user, randomUUID());
  }

  private async issue(user: User, familyId: string): Promise<IssuedSession> {
    const now = this.d.clock.now();
    const sessionExpiresAt = new Date(now.getTime() + TOKENS.session.ttlSeconds * 1000);
    const session = await this.d.signer.sign(
      { email: user.email, role: user.role, emv: user.emailVerified },
      {
        issuer: TOKENS.session.issuer,
        audience: TOKENS.session.audience,
        subject: user.id,
        expiresAt: sessionExpiresAt,
        issuedAt: now,
      },
    );
    const refresh = newToken();
    const refreshExpiresAt = new Date(now.getTime() + REFRESH_TTL_MS);
    await this.d.store.insertRefreshToken({
      userId: user.id,
      familyId,
      tokenHash: hashToken(refresh),
      expiresAt: refreshExpiresAt,
    });
    return { session, sessionExpiresAt, refresh, refreshExpiresAt, user: publicUser(user) };
  }

  /** `next` (a same-site path, checked by the caller) brings the fan back to where they registered. */
  private async sendVerification(user: User, next?: string): Promise<void> {
    const token = await this.emailToken(user.id, 'verify', VERIFY_TTL_MS);
    const back = next ? `&next=${encodeURIComponent(next)}` : '';
    this.deliver({
      to: user.email,
      subject: 'Confirm your e-mail address for TicketSlave',
      text:
        `Welcome to TicketSlave!\n\nConfirm your address to join queues:\n\n${this.link(`/feed/verify-email?token=${token}${back}`)}\n\n` +
        `This wasn't me: if you did not create this account, remove it (the address stays yours):\n` +
        `${this.link(`/feed/not-me?token=${token}`)}\n`,
    });
  }

  private async emailToken(userId: string, purpose: EmailTokenPurpose, ttlMs: number): Promise<string> {
    const token = newToken();
    const expiresAt = new Date(this.d.clock.now().getTime() + ttlMs);
    await this.d.store.createEmailToken({ userId, purpose, tokenHash: hashToken(token), expiresAt });
    return token;
  }

  /** Sent in the background: waiting for SMTP would make answers for known addresses slower. */
  private deliver(mail: { to: string; subject: string; text: string }): void {
    this.d.mailer
      .send(mail)
      .catch((err: unknown) => this.d.logger.error({ err, to: mail.to }, 'mail not sent'));
  }

  private link(path: string): string {
    return new URL(path, this.d.publicBaseUrl).toString();
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.d.hasher.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}
