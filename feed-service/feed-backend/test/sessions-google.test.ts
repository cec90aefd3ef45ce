import { decodeProtectedHeader } from 'jose';
import { startOidc, type OidcStandIn } from '@ticketslave/dev/standins';
import { testSigningKeys } from '@ticketslave/dev/test-support';
import {
  GOOD_PASSWORD,
  startFeedHarness,
  uniqueEmail,
  verifiedFan,
  type Browser,
  type FeedHarness,
} from './support';

let h: FeedHarness;
let oidc: OidcStandIn;
beforeAll(async () => {
  oidc = await startOidc({ port: 0 });
  h = await startFeedHarness('feedgoogle', {
    GOOGLE_CLIENT_ID: 'ticketslave-dev',
    GOOGLE_CLIENT_SECRET: 'ticketslave-dev-secret',
    GOOGLE_AUTH_URL: `${oidc.url}/o/oauth2/v2/auth`,
    GOOGLE_TOKEN_URL: `${oidc.url}/token`,
    GOOGLE_USERINFO_URL: `${oidc.url}/oauth2/v3/userinfo`,
  });
});
afterAll(async () => {
  await h?.stop();
  await oidc?.stop();
});

/** Walks the browser through Google's consent: our redirect, the provider's, then back to us. */
async function googleLogin(b: Browser, loginHint: string, next = '/feed/events/abc') {
  const start = await b.get(
    `/feed/api/auth/google?next=${encodeURIComponent(next)}&login_hint=${encodeURIComponent(loginHint)}`,
  );
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin).toBe(new URL(oidc.url).origin);
  const consent = await fetch(authorize, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const callback = new URL(consent.headers.get('location')!);
  expect(callback.pathname).toBe('/feed/api/auth/google/callback');
  return { callback, done: await b.get(callback.pathname + callback.search) };
}

describe('Google login', () => {
  it('creates a verified account on first login and returns to `next`', async () => {
    const email = uniqueEmail('google');
    const b = h.browser();
    const { done } = await googleLogin(b, email);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/feed/events/abc');
    expect(await (await b.get('/feed/api/session/me')).json()).toMatchObject({
      email,
      role: 'fan',
      emailVerified: true,
    });
  });

  it('when an attacker pre-registered the address with a password, Google sign-in by its owner locks the attacker out', async () => {
    const email = uniqueEmail('victim');
    const attacker = h.browser();
    expect((await attacker.register({ email, password: GOOD_PASSWORD })).status).toBe(202);
    const attackerLogin = await attacker.post('/feed/api/session/login', { email, password: GOOD_PASSWORD });
    expect(attackerLogin.status).toBe(200);
    const { id } = (await attackerLogin.json()) as { id: string };

    const since = new Date();
    const victim = h.browser();
    await googleLogin(victim, email);
    expect(await (await victim.get('/feed/api/session/me')).json()).toMatchObject({
      id,
      emailVerified: true,
    });

    // The password the attacker chose no longer opens the account, and their login cannot be renewed.
    const again = await h.browser().post('/feed/api/session/login', { email, password: GOOD_PASSWORD });
    expect(again.status).toBe(401);
    expect((await attacker.post('/feed/api/session/refresh')).status).toBe(401);
    // The owner is told, with the way to set a password of their own.
    const { text } = await h.mailTo(email, 'signs in with Google', since);
    expect(text).toContain('/feed/forgot-password');
    // …and Google still signs them in.
    const later = h.browser();
    await googleLogin(later, email);
    expect(await (await later.get('/feed/api/session/me')).json()).toMatchObject({ id });
  });

  it('when a verified password account signs in with Google, the password and other logins end too', async () => {
    const fan = await verifiedFan(h);
    const b = h.browser();
    await googleLogin(b, fan.email);
    expect(await (await b.get('/feed/api/session/me')).json()).toMatchObject({ id: fan.id });
    expect(
      (await h.browser().post('/feed/api/session/login', { email: fan.email, password: GOOD_PASSWORD }))
        .status,
    ).toBe(401);
    expect((await fan.b.post('/feed/api/session/refresh')).status).toBe(401);
  });

  it('refuses a callback whose state does not match the cookie, creating nothing', async () => {
    const b = h.browser();
    const { callback } = await (async () => {
      const start = await b.get('/feed/api/auth/google?login_hint=intruder@example.test');
      const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
      return { callback: new URL(consent.headers.get('location')!) };
    })();
    callback.searchParams.set('state', 'forged-state-value');
    const res = await b.get(callback.pathname + callback.search);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(b.cookies.has('ts_session')).toBe(false);
  });

  it('does not log in an address Google has not verified', async () => {
    const b = h.browser();
    const { done } = await googleLogin(b, 'unverified@example.test');
    expect(done.headers.get('location')).toMatch(/^\/feed\/login\?error=google_email_unverified/);
    expect(b.cookies.has('ts_session')).toBe(false);
  });

  it('never redirects off-site after login', async () => {
    const b = h.browser();
    const { done } = await googleLogin(b, uniqueEmail('google'), '//evil.example/steal');
    expect(done.headers.get('location')).toBe('/feed/');
  });

  it('when next is /%09/evil.example (the browser drops the tab: //evil.example), returns to /feed/', async () => {
    const { done } = await googleLogin(h.browser(), uniqueEmail('google'), '/\t/evil.example');
    expect(done.headers.get('location')).toBe('/feed/');
  });
});

describe('signing key rotation', () => {
  it('keeps old sessions valid while the new set lists the old key second, and signs new ones with the new key', async () => {
    const fan = await verifiedFan(h);
    const oldSession = fan.b.cookies.get('ts_session')!.value;
    expect(decodeProtectedHeader(oldSession).kid).toBe('k1');
    const k2 = await testSigningKeys('k2');
    await h.restart({ SESSION_SIGNING_JWKS: JSON.stringify({ keys: [...k2.keys, ...h.keys.keys] }) });
    const b = h.browser();
    b.cookies.set('ts_session', { value: oldSession, path: '/' });
    b.cookies.set('ts_refresh', fan.b.cookies.get('ts_refresh')!);
    expect((await b.get('/feed/api/session/me')).status).toBe(200);
    const jwks = (await (await b.get('/feed/.well-known/jwks.json')).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['k2', 'k1']);
    expect((await b.post('/feed/api/session/refresh')).status).toBe(200);
    expect(decodeProtectedHeader(b.cookies.get('ts_session')!.value).kid).toBe('k2');

    // Once k1 is retired, its tokens stop verifying.
    await h.restart({ SESSION_SIGNING_JWKS: JSON.stringify(k2) });
    const stale = h.browser();
    stale.cookies.set('ts_session', { value: oldSession, path: '/' });
    expect((await stale.get('/feed/api/session/me')).status).toBe(401);
  });
});
