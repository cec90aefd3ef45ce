import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import passport from 'passport';
import { Strategy as GoogleStrategy, type Profile } from 'passport-google-oauth20';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEV_OIDC_CLIENT, startOidc, type OidcStandIn } from './oidc';

/** The smallest session passport's PKCE state store needs, so the test owns no extra deps. */
function memorySession() {
  const sessions = new Map<string, Record<string, unknown>>();
  return (req: Request, res: Response, next: NextFunction) => {
    let sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!sid || !sessions.has(sid)) {
      sid = randomUUID();
      sessions.set(sid, {});
      res.setHeader('set-cookie', `sid=${sid}; Path=/; HttpOnly`);
    }
    (req as unknown as { session: Record<string, unknown> }).session = sessions.get(sid)!;
    next();
  };
}

async function startApp(oidc: OidcStandIn): Promise<{ server: Server; base: string }> {
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const strategy = new GoogleStrategy(
    {
      clientID: DEV_OIDC_CLIENT.clientId,
      clientSecret: DEV_OIDC_CLIENT.clientSecret,
      callbackURL: `${base}/auth/google/callback`,
      authorizationURL: `${oidc.url}/o/oauth2/v2/auth`,
      tokenURL: `${oidc.url}/token`,
      userProfileURL: `${oidc.url}/oauth2/v3/userinfo`,
      state: true,
      pkce: true,
    },
    (_accessToken: string, _refreshToken: string, profile: Profile, done: (e: null, u: Profile) => void) =>
      done(null, profile),
  );
  passport.use(strategy);
  app.use(memorySession());
  app.get(
    '/auth/google',
    passport.authenticate('google', { session: false, scope: ['openid', 'email', 'profile'] }),
  );
  app.get(
    '/auth/google/callback',
    passport.authenticate('google', { session: false, failWithError: true }),
    (req: Request, res: Response) => {
      res.json(req.user);
    },
  );
  app.use(
    (err: Error & { code?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(err.status ?? 500).json({ name: err.name, code: err.code ?? null, message: err.message });
    },
  );
  return { server, base };
}

describe('Google OpenID stand-in', () => {
  let oidc: OidcStandIn;
  let app: { server: Server; base: string };

  beforeAll(async () => {
    oidc = await startOidc({ port: 0 });
    app = await startApp(oidc);
  });

  afterAll(async () => {
    app.server.closeAllConnections();
    await new Promise((r) => app.server.close(r));
    await oidc.stop();
  });

  /** Runs the browser's part: start at the app, sign in at the stand-in, land on the callback. */
  async function signIn(email: string, tamper?: (callback: URL) => void) {
    const start = await fetch(`${app.base}/auth/google`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
    const authUrl = new URL(start.headers.get('location')!);
    authUrl.searchParams.set('login_hint', email);
    const consent = await fetch(authUrl, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.get('location')!);
    expect(callback.searchParams.get('state')).toBe(authUrl.searchParams.get('state'));
    tamper?.(callback);
    const landed = await fetch(callback, { headers: { cookie }, redirect: 'manual' });
    return { status: landed.status, body: (await landed.json()) as Record<string, unknown>, authUrl };
  }

  describe('with passport-google-oauth20 (state + PKCE)', () => {
    it('delivers the chosen account as the profile', async () => {
      const { status, body, authUrl } = await signIn('fan1@example.test');
      expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        provider: 'google',
        displayName: 'Fan One',
        name: { givenName: 'Fan', familyName: 'One' },
        emails: [{ value: 'fan1@example.test', verified: true }],
      });
      expect(body.id).toMatch(/^\d{21}$/);
    });

    it('gives the same subject to the same address every time, and a new one to a new address', async () => {
      const a = await signIn('someone.new@example.test');
      const b = await signIn('someone.new@example.test');
      const c = await signIn('someone.else@example.test');
      expect(a.body.id).toBe(b.body.id);
      expect(c.body.id).not.toBe(a.body.id);
      expect(a.body.displayName).toBe('Someone New');
    });

    it('reports an unverified address as such', async () => {
      const { body } = await signIn('unverified@example.test');
      expect(body.emails).toEqual([{ value: 'unverified@example.test', verified: false }]);
    });

    it('rejects a callback whose state was tampered with', async () => {
      const { status, body } = await signIn('fan1@example.test', (cb) =>
        cb.searchParams.set('state', 'forged'),
      );
      expect(status).toBe(403);
      expect(body.emails).toBeUndefined();
    });

    it('rejects a callback with a code the provider never issued', async () => {
      const { status, body } = await signIn('fan1@example.test', (cb) =>
        cb.searchParams.set('code', '4/bogus'),
      );
      // passport-oauth2 marks every TokenError 500; the provider's verdict is in the code.
      expect(status).toBe(500);
      expect(body).toMatchObject({ name: 'TokenError', code: 'invalid_grant' });
    });
  });

  describe('protocol details', () => {
    const redirectUri = 'http://app.test/cb';

    async function authorize(extra: Record<string, string> = {}): Promise<string> {
      const q = new URLSearchParams({
        client_id: DEV_OIDC_CLIENT.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid email profile',
        state: 's1',
        login_hint: 'fan2@example.test',
        ...extra,
      });
      const res = await fetch(`${oidc.url}/o/oauth2/v2/auth?${q}`, { redirect: 'manual' });
      return new URL(res.headers.get('location')!).searchParams.get('code')!;
    }

    const exchange = (params: Record<string, string>) =>
      fetch(`${oidc.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: DEV_OIDC_CLIENT.clientId,
          client_secret: DEV_OIDC_CLIENT.clientSecret,
          redirect_uri: redirectUri,
          ...params,
        }),
      });

    it('issues an RS256 ID token verifiable against the published JWKS and discovery', async () => {
      const code = await authorize({ nonce: 'n-123' });
      const res = await exchange({ code });
      expect(res.status).toBe(200);
      const tokens = (await res.json()) as Record<string, unknown>;
      expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });

      const discovery = (await (
        await fetch(`${oidc.url}/.well-known/openid-configuration`)
      ).json()) as Record<string, string>;
      expect(discovery.issuer).toBe(oidc.issuer);
      const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri!));
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
        issuer: oidc.issuer,
        audience: DEV_OIDC_CLIENT.clientId,
      });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload).toMatchObject({
        email: 'fan2@example.test',
        email_verified: true,
        nonce: 'n-123',
        name: 'Fan Two',
      });

      const info = await fetch(discovery.userinfo_endpoint!, {
        headers: { authorization: `Bearer ${tokens.access_token as string}` },
      });
      expect(await info.json()).toMatchObject({ sub: payload.sub, email: 'fan2@example.test' });
    });

    it('accepts a code only once', async () => {
      const code = await authorize();
      expect((await exchange({ code })).status).toBe(200);
      const replay = await exchange({ code });
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('refuses a wrong client secret, and a redirect_uri other than the authorized one', async () => {
      const wrongSecret = await exchange({ code: await authorize(), client_secret: 'nope' });
      expect(wrongSecret.status).toBe(401);
      expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });

      const wrongRedirect = await exchange({ code: await authorize(), redirect_uri: 'http://evil.test/cb' });
      expect(wrongRedirect.status).toBe(400);
      expect(await wrongRedirect.json()).toMatchObject({ error: 'redirect_uri_mismatch' });
    });

    it('refuses userinfo without a valid bearer token', async () => {
      const res = await fetch(`${oidc.url}/oauth2/v3/userinfo`, {
        headers: { authorization: 'Bearer ya29.fake' },
      });
      expect(res.status).toBe(401);
    });

    it('shows an account chooser when no login_hint is given, and no redirect for an unknown client', async () => {
      const q = new URLSearchParams({
        client_id: DEV_OIDC_CLIENT.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        state: 'x',
      });
      const page = await fetch(`${oidc.url}/o/oauth2/v2/auth?${q}`, { redirect: 'manual' });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('organiser@example.test');
      expect(html).toContain('login_hint=fan1%40example.test');

      q.set('client_id', 'stranger');
      const refused = await fetch(`${oidc.url}/o/oauth2/v2/auth?${q}`, { redirect: 'manual' });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('location')).toBeNull();
    });
  });
});
