import { Client } from 'pg';
import {
  signedAltchaChallenge,
  solveAltcha,
  TEST_POW_HMAC_KEY,
  type AltchaChallengeJson,
} from '@ticketslave/dev/test-support';
import { loadFeedConfig } from '../src/config';
import { startFeedService } from '../src/start';
import {
  Browser,
  GOOD_PASSWORD,
  startFeedHarness,
  uniqueEmail,
  verifiedFan,
  type FeedHarness,
} from './support';

let h: FeedHarness;
beforeAll(async () => {
  h = await startFeedHarness('feedacct');
});
afterAll(() => h?.stop());

async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: h.db.url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('the proof of work of a registration', () => {
  const usersWith = async (email: string) => sql(`SELECT 1 FROM feed.users WHERE email = $1`, [email]);
  const expectRefused = async (res: Response, code: string, detail: RegExp) => {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { type: string; detail: string };
    expect(problem.type).toMatch(new RegExp(`${code}$`));
    expect(problem.detail).toMatch(detail);
  };

  it('issues ALTCHA challenges at the configured difficulty, never cached', async () => {
    const res = await h.browser().get('/feed/api/account/register/challenge');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const c = (await res.json()) as AltchaChallengeJson;
    expect(c).toMatchObject({ algorithm: 'SHA-256', maxnumber: 1000 });
    expect(c.salt).toMatch(/[?&]for=register&/);
  });

  it('when the solution is missing, refuses with 400 saying so, and creates nothing', async () => {
    const email = uniqueEmail('pow-none');
    const res = await h.browser().post('/feed/api/account/register', { email, password: GOOD_PASSWORD });
    await expectRefused(res, 'invalid_request', /altcha.*proof of work/);
    expect(await usersWith(email)).toHaveLength(0);
  });

  it('when the number does not solve the challenge, refuses with 400 pow_invalid, and creates nothing', async () => {
    const email = uniqueEmail('pow-wrong');
    const b = h.browser();
    const solved = JSON.parse(Buffer.from(await b.registrationProof(), 'base64').toString()) as {
      number: number;
    };
    const altcha = Buffer.from(JSON.stringify({ ...solved, number: solved.number + 1 })).toString('base64');
    const res = await b.post('/feed/api/account/register', { email, password: GOOD_PASSWORD, altcha });
    await expectRefused(res, 'pow_invalid', /wrong/);
    expect(await usersWith(email)).toHaveLength(0);
  });

  it('when a solution is replayed for a second account, refuses it with 400 pow_spent', async () => {
    const b = h.browser();
    const altcha = await b.registrationProof();
    const first = uniqueEmail('pow-first');
    const second = uniqueEmail('pow-second');
    expect(
      (await b.post('/feed/api/account/register', { email: first, password: GOOD_PASSWORD, altcha })).status,
    ).toBe(202);
    const replay = await b.post('/feed/api/account/register', {
      email: second,
      password: GOOD_PASSWORD,
      altcha,
    });
    await expectRefused(replay, 'pow_spent', /used already/);
    expect(await usersWith(first)).toHaveLength(1);
    expect(await usersWith(second)).toHaveLength(0);
  });

  it('when the challenge has expired, or was signed with another key, refuses it and creates nothing', async () => {
    const email = uniqueEmail('pow-late');
    const expired = await signedAltchaChallenge(
      TEST_POW_HMAC_KEY,
      { for: 'register' },
      { expiresInMs: -1000 },
    );
    await expectRefused(
      await h.browser().post('/feed/api/account/register', {
        email,
        password: GOOD_PASSWORD,
        altcha: solveAltcha(expired),
      }),
      'pow_expired',
      /expired/,
    );
    const forged = await signedAltchaChallenge(
      'someone-elses-key-someone-elses-key',
      { for: 'register' },
      { expiresInMs: 60_000 },
    );
    await expectRefused(
      await h.browser().post('/feed/api/account/register', {
        email,
        password: GOOD_PASSWORD,
        altcha: solveAltcha(forged),
      }),
      'pow_invalid',
      /wrong/,
    );
    expect(await usersWith(email)).toHaveLength(0);
  });

  it("refuses a buffer join's challenge for a registration", async () => {
    const join = await signedAltchaChallenge(
      TEST_POW_HMAC_KEY,
      { for: 'join', event: '00000000-0000-4000-8000-000000000000' },
      { expiresInMs: 60_000 },
    );
    await expectRefused(
      await h.browser().post('/feed/api/account/register', {
        email: uniqueEmail('pow-scope'),
        password: GOOD_PASSWORD,
        altcha: solveAltcha(join),
      }),
      'pow_wrong_scope',
      /something else/,
    );
  });
});

describe('registration and e-mail verification', () => {
  it('registers, mails a verification link, and the session says emailVerified after a refresh', async () => {
    const email = uniqueEmail('reg');
    const b = h.browser();
    const since = new Date(Date.now() - 1000);
    const reg = await b.register({
      email,
      password: GOOD_PASSWORD,
      next: '/feed/events/x',
    });
    expect(reg.status).toBe(202);
    const login = await b.post('/feed/api/session/login', { email, password: GOOD_PASSWORD });
    expect(await login.json()).toMatchObject({ email, role: 'fan', emailVerified: false });
    const { link } = await h.mailTo(email, 'Confirm', since);
    expect(link).toContain('http://localhost:8080/feed/verify-email?token=');
    expect(new URL(link).searchParams.get('next')).toBe('/feed/events/x');
    const token = new URL(link).searchParams.get('token')!;
    expect((await b.post('/feed/api/account/verify-email', { token })).status).toBe(204);
    expect((await b.post('/feed/api/session/refresh')).status).toBe(200);
    expect(await (await b.get('/feed/api/session/me')).json()).toMatchObject({ email, emailVerified: true });
    const again = await b.post('/feed/api/account/verify-email', { token });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { type: string }).type).toContain('invalid_link');
  });

  it('answers a registration for a taken address exactly like a new one and mails the owner', async () => {
    const { email } = await verifiedFan(h);
    const since = new Date();
    const res = await h.browser().register({ email, password: 'another long password' });
    expect(res.status).toBe(202);
    await h.mailTo(email, 'tried to register', since);
    const [row] = await sql<{ n: string }>(`SELECT count(*) AS n FROM feed.users WHERE email = $1`, [email]);
    expect(row!.n).toBe('1');
  });

  it('when the owner of the address answers "this wasn\'t me", deletes the unconfirmed account and frees the address', async () => {
    const email = uniqueEmail('notme');
    const squatter = h.browser();
    const since = new Date(Date.now() - 1000);
    expect((await squatter.register({ email, password: GOOD_PASSWORD })).status).toBe(202);
    const { text } = await h.mailTo(email, 'Confirm', since);
    const notMe = /https?:\/\/\S+\/feed\/not-me\?token=\S+/.exec(text)?.[0];
    expect(notMe).toBeDefined();
    const token = new URL(notMe!).searchParams.get('token')!;
    expect((await h.browser().post('/feed/api/account/disown', { token })).status).toBe(204);

    expect(await sql(`SELECT 1 FROM feed.users WHERE email = $1`, [email])).toEqual([]);
    expect((await squatter.post('/feed/api/session/login', { email, password: GOOD_PASSWORD })).status).toBe(
      401,
    );
    expect((await squatter.post('/feed/api/session/refresh')).status).toBe(401);
    // The link is spent: it neither confirms nor removes anything again.
    expect((await h.browser().post('/feed/api/account/verify-email', { token })).status).toBe(400);
    // The address is free: registering it again is a new account with its own confirmation.
    const since2 = new Date();
    expect((await h.browser().register({ email, password: GOOD_PASSWORD })).status).toBe(202);
    await h.mailTo(email, 'Confirm', since2);
  });

  it('refuses "this wasn\'t me" for a confirmed account, leaving it intact', async () => {
    const email = uniqueEmail('confirmed');
    const b = h.browser();
    const since = new Date(Date.now() - 1000);
    await b.register({ email, password: GOOD_PASSWORD });
    const { text } = await h.mailTo(email, 'Confirm', since);
    const token = new URL(/https?:\/\/\S+\/feed\/not-me\?token=\S+/.exec(text)![0]).searchParams.get(
      'token',
    )!;
    // Confirmed through a password reset (which proves the mailbox too), not through this token.
    await b.post('/feed/api/account/password-reset', { email });
    const reset = await h.mailTo(email, 'Reset', since);
    const resetToken = new URL(reset.link).searchParams.get('token');
    expect(
      (
        await b.post('/feed/api/account/password-reset/confirm', {
          token: resetToken,
          password: GOOD_PASSWORD,
        })
      ).status,
    ).toBe(204);
    const refused = await h.browser().post('/feed/api/account/disown', { token });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(((await refused.json()) as { type: string }).type).toMatch(/account_confirmed$/);
    expect(await sql(`SELECT 1 FROM feed.users WHERE email = $1`, [email])).toHaveLength(1);
  });

  it('stores the password as an argon2id hash, never in clear', async () => {
    const { email } = await verifiedFan(h);
    const [row] = await sql<{ password_hash: string }>(
      `SELECT password_hash FROM feed.users WHERE email = $1`,
      [email],
    );
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it.each([
    ['a short password', { email: 'x@example.test', password: 'short' }, 'password'],
    ['a common password', { email: 'x@example.test', password: 'Password123' }, 'password'],
    ['a malformed address', { email: 'not-an-address', password: GOOD_PASSWORD }, 'email'],
    ['a missing password', { email: 'x@example.test' }, 'password'],
    [
      'an off-site next',
      { email: 'x@example.test', password: GOOD_PASSWORD, next: '//evil.example/' },
      'next',
    ],
  ])('refuses %s with a problem naming the field and creates nothing', async (_name, body, field) => {
    const res = await h.browser().register(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path).join()).toContain(field);
    expect(await sql(`SELECT 1 FROM feed.users WHERE email = 'x@example.test'`)).toHaveLength(0);
  });
});

describe('login, who-am-I and logout', () => {
  it('sets ts_session (Path=/) and ts_refresh (Path=/feed/api/session) and answers /session/me', async () => {
    const { b, email, id } = await verifiedFan(h);
    expect(b.cookies.get('ts_session')?.path).toBe('/');
    expect(b.cookies.get('ts_refresh')?.path).toBe('/feed/api/session');
    const me = await b.get('/feed/api/session/me');
    expect(await me.json()).toEqual({ id, email, role: 'fan', emailVerified: true });
  });

  it('gives the same answer for a wrong password and an unknown address', async () => {
    const { email } = await verifiedFan(h);
    const wrong = await h
      .browser()
      .post('/feed/api/session/login', { email, password: 'wrong password here' });
    const unknown = await h.browser().post('/feed/api/session/login', {
      email: uniqueEmail('ghost'),
      password: 'wrong password here',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = (await wrong.json()) as Record<string, unknown>;
    const b = (await unknown.json()) as Record<string, unknown>;
    expect({ ...a, instance: undefined }).toEqual({ ...b, instance: undefined });
  });

  it('logs out: the refresh token stops working and cookies are cleared', async () => {
    const { b } = await verifiedFan(h);
    const refresh = b.cookies.get('ts_refresh')!.value;
    expect((await b.post('/feed/api/session/logout')).status).toBe(204);
    expect(b.cookies.has('ts_session')).toBe(false);
    expect((await b.get('/feed/api/session/me')).status).toBe(401);
    const other = h.browser();
    other.cookies.set('ts_refresh', { value: refresh, path: '/feed/api/session' });
    expect((await other.post('/feed/api/session/refresh')).status).toBe(401);
  });

  it('answers 401 problem+json to /session/me without a session', async () => {
    const res = await h.browser().get('/feed/api/session/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('refresh token rotation', () => {
  it('rotates on every refresh, and replaying an old token revokes the whole family', async () => {
    const { b } = await verifiedFan(h);
    const first = b.cookies.get('ts_refresh')!.value;
    expect((await b.post('/feed/api/session/refresh')).status).toBe(200);
    const second = b.cookies.get('ts_refresh')!.value;
    expect(second).not.toBe(first);

    // Outside the two-tabs grace window, a replay is theft.
    await sql(
      `UPDATE feed.refresh_tokens SET used_at = used_at - interval '1 minute' WHERE used_at IS NOT NULL`,
    );
    const thief = h.browser();
    thief.cookies.set('ts_refresh', { value: first, path: '/feed/api/session' });
    const replay = await thief.post('/feed/api/session/refresh');
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { type: string }).type).toContain('refresh_reused');
    // The legitimate holder's newer token died with the family.
    expect((await b.post('/feed/api/session/refresh')).status).toBe(401);
  });

  it('when two tabs refresh the same token at once, exactly one rotates and the login survives', async () => {
    const { b } = await verifiedFan(h);
    const token = b.cookies.get('ts_refresh')!.value;
    const tabs = [h.browser(), h.browser(), h.browser()];
    for (const t of tabs) t.cookies.set('ts_refresh', { value: token, path: '/feed/api/session' });
    const statuses = await Promise.all(
      tabs.map((t) => t.post('/feed/api/session/refresh').then((r) => r.status)),
    );
    expect(statuses.sort()).toEqual([200, 401, 401]);
    // The losers must not clear cookies: in a real browser the jar is shared with the winner.
    expect(tabs.filter((t) => t.cookies.has('ts_refresh'))).toHaveLength(3);
    const winner = tabs.find((t) => t.cookies.has('ts_session'))!;
    expect((await winner.post('/feed/api/session/refresh')).status).toBe(200);
  });

  it('stores refresh tokens hashed', async () => {
    const { b } = await verifiedFan(h);
    const token = b.cookies.get('ts_refresh')!.value;
    expect(await sql(`SELECT 1 FROM feed.refresh_tokens WHERE token_hash = $1`, [token])).toHaveLength(0);
  });
});

describe('password reset', () => {
  it('resets with a single-use link, ends existing logins, and the old password stops working', async () => {
    const { b, email } = await verifiedFan(h);
    const since = new Date();
    expect((await h.browser().post('/feed/api/account/password-reset', { email })).status).toBe(202);
    const { link } = await h.mailTo(email, 'Reset', since);
    const token = new URL(link).searchParams.get('token')!;
    const newPassword = 'a brand new long password';
    expect(
      (await h.browser().post('/feed/api/account/password-reset/confirm', { token, password: newPassword }))
        .status,
    ).toBe(204);
    const reuse = await h
      .browser()
      .post('/feed/api/account/password-reset/confirm', { token, password: 'yet another password' });
    expect(reuse.status).toBe(400);
    expect((await b.post('/feed/api/session/refresh')).status).toBe(401);
    expect(
      (await h.browser().post('/feed/api/session/login', { email, password: GOOD_PASSWORD })).status,
    ).toBe(401);
    expect((await h.browser().post('/feed/api/session/login', { email, password: newPassword })).status).toBe(
      200,
    );
  });

  it('carries the login page’s next through the reset link, and refuses an off-site next', async () => {
    const { email } = await verifiedFan(h);
    const since = new Date();
    const next = '/buffer/?event=abc&x=1';
    expect((await h.browser().post('/feed/api/account/password-reset', { email, next })).status).toBe(202);
    const { link } = await h.mailTo(email, 'Reset', since);
    const url = new URL(link);
    expect(url.pathname).toBe('/feed/reset-password');
    expect(url.searchParams.get('next')).toBe(next);
    const token = url.searchParams.get('token')!;
    expect(
      (
        await h
          .browser()
          .post('/feed/api/account/password-reset/confirm', { token, password: 'a brand new long password' })
      ).status,
    ).toBe(204);

    for (const offSite of ['https://evil.example/', '/\t/evil.example', '/\n/evil.example']) {
      const bad = await h.browser().post('/feed/api/account/password-reset', { email, next: offSite });
      expect(bad.status).toBe(400);
      const problem = (await bad.json()) as { errors: { path: string }[] };
      expect(problem.errors.map((e) => e.path)).toContain('body.next');
    }
  });

  it('answers the same for an unknown address and sends nothing', async () => {
    const email = uniqueEmail('nobody');
    const res = await h.browser().post('/feed/api/account/password-reset', { email });
    expect(res.status).toBe(202);
    const inbox = (await (await fetch(`${h.smtp.inboxUrl}/messages?to=${email}`)).json()) as unknown[];
    expect(inbox).toHaveLength(0);
  });

  it('refuses an expired link', async () => {
    const { email } = await verifiedFan(h);
    const since = new Date();
    await h.browser().post('/feed/api/account/password-reset', { email });
    const { link } = await h.mailTo(email, 'Reset', since);
    await sql(
      `UPDATE feed.email_tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'reset'`,
    );
    const token = new URL(link).searchParams.get('token')!;
    const res = await h
      .browser()
      .post('/feed/api/account/password-reset/confirm', { token, password: 'a brand new long password' });
    expect(res.status).toBe(400);
  });
});

describe('failed-login throttles', () => {
  const login = (b: Browser, email: string, password: string) =>
    b.post('/feed/api/session/login', { email, password });
  const WRONG = 'wrong password!!';

  it('when one client types wrong passwords for a fan, slows that client only; the fan logs in', async () => {
    const { email } = await verifiedFan(h);
    const ghost = uniqueEmail('ghost');
    for (const target of [email, ghost]) {
      const attacker = h.browser();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await login(attacker, target, WRONG)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      // The attacker's client now waits, whatever the password (unknown addresses alike).
      const slowed = await login(attacker, target, GOOD_PASSWORD);
      expect(slowed.status).toBe(429);
      expect(slowed.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The fan, from their own client, is not locked out by it.
    expect((await login(h.browser(), email, GOOD_PASSWORD)).status).toBe(200);
  });

  it('when many clients fail on one address, strangers are slowed and the fan’s known device still gets in', async () => {
    const fan = await verifiedFan(h);
    // verifiedFan logged in: its browser holds the device cookie the account now knows.
    expect(fan.b.cookies.get('ts_device')?.path).toBe('/feed/api/session');
    // Twenty strangers fail (the address's budget; it refills one per 30 s, so on a slow
    // machine a few more may be needed before strangers are held back).
    const failures: number[] = [];
    while (failures.length < 60 && failures.at(-1) !== 429)
      failures.push((await login(h.browser(), fan.email, WRONG)).status);
    expect(failures.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(failures.at(-1)).toBe(429);
    const stranger = await login(h.browser(), fan.email, GOOD_PASSWORD);
    expect(stranger.status).toBe(429);
    // A slowdown, not a lock: one more try from a stranger within half a minute.
    expect(Number(stranger.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    // The known device, even from another network, and the known address get in.
    const elsewhere = h.browser();
    elsewhere.cookies.set('ts_device', fan.b.cookies.get('ts_device')!);
    expect((await login(elsewhere, fan.email, GOOD_PASSWORD)).status).toBe(200);
    expect((await login(fan.b, fan.email, GOOD_PASSWORD)).status).toBe(200);
  });

  it('when one client fails across many addresses, throttles that client', async () => {
    const stuffer = h.browser();
    const statuses: number[] = [];
    // 50 at once, then one per 10 s: however slow the machine, the stuffer outruns the refill.
    while (statuses.length < 200 && statuses.at(-1) !== 429)
      statuses.push((await login(stuffer, uniqueEmail(`stuffed${statuses.length}`), WRONG)).status);
    expect(statuses.slice(0, 50)).toEqual(Array(50).fill(401));
    expect(statuses.at(-1)).toBe(429);
    // Another client is unaffected.
    expect((await login(h.browser(), uniqueEmail('other'), WRONG)).status).toBe(401);
  });

  it('counts failures across instances: a second instance sees the first one’s', async () => {
    const { email } = await verifiedFan(h);
    const second = await startFeedService(loadFeedConfig(h.env), { port: 0 });
    try {
      const attacker = h.browser();
      const onSecond = new Browser(second.url);
      Object.defineProperty(onSecond, 'ip', { value: attacker.ip });
      for (let i = 0; i < 5; i++)
        expect((await login(i % 2 ? onSecond : attacker, email, WRONG)).status).toBe(401);
      expect((await login(onSecond, email, GOOD_PASSWORD)).status).toBe(429);
      expect((await login(attacker, email, GOOD_PASSWORD)).status).toBe(429);
    } finally {
      await second.stop();
    }
  });
});

describe('roles', () => {
  it('lets only an admin make a user an organiser; the new role shows after a refresh', async () => {
    const fan = await verifiedFan(h);
    const other = await verifiedFan(h);
    const denied = await other.b.post(`/feed/api/admin/users/${fan.id}/role`, { role: 'organiser' });
    expect(denied.status).toBe(403);
    const admin = await verifiedFan(h);
    await sql(`UPDATE feed.users SET role = 'admin' WHERE id = $1`, [admin.id]);
    await admin.b.post('/feed/api/session/refresh');
    const ok = await admin.b.post(`/feed/api/admin/users/${fan.id}/role`, { role: 'organiser' });
    expect(ok.status).toBe(200);
    await fan.b.post('/feed/api/session/refresh');
    expect(await (await fan.b.get('/feed/api/session/me')).json()).toMatchObject({ role: 'organiser' });
    const bad = await admin.b.post(`/feed/api/admin/users/${fan.id}/role`, { role: 'emperor' });
    expect(bad.status).toBe(400);
    const missing = await admin.b.post(`/feed/api/admin/users/00000000-0000-4000-8000-000000000000/role`, {
      role: 'fan',
    });
    expect(missing.status).toBe(404);
  });
});

describe('per-client rate limits', () => {
  it('answers 429 with Retry-After once one client floods the login route', async () => {
    const b = h.browser();
    const statuses: number[] = [];
    // Malformed bodies: the limit runs before validation, so the flood costs no password hash.
    // 300 at once, then 2 a second: a flood outruns the refill however slow this machine is.
    let last: Response | undefined;
    while (statuses.length < 1000 && last?.status !== 429) {
      last = await b.post('/feed/api/session/login', {});
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 300).every((s) => s === 400)).toBe(true);
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('when many fans behind one address (a venue’s Wi-Fi) register at once, none is refused; a flood beyond is', async () => {
    const venue = h.browser();
    const register = async (i: number) =>
      (
        await venue.register({
          email: uniqueEmail(`venue${i}`),
          password: GOOD_PASSWORD,
        })
      ).status;
    const statuses: number[] = [];
    for (let i = 0; i < 60; i += 10)
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => register(i + j)))));
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    // The bucket holds 200 at once; malformed bodies spend it without hashing anything.
    const flood: number[] = [];
    while (flood.length < 1000 && flood.at(-1) !== 429)
      flood.push((await venue.post('/feed/api/account/register', {})).status);
    expect(flood.at(-1)).toBe(429);
  });
});
