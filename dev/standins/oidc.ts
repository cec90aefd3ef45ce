import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  close,
  listen,
  readBody,
  sendJson,
  sendOAuthError,
  sendProblem,
  urlHost,
  type StandIn,
} from './http-util';

export interface OidcUser {
  email: string;
  name: string;
  sub?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  email_verified?: boolean;
}

export interface OidcClient {
  clientId: string;
  clientSecret: string;
}

export interface OidcStandInOptions {
  port: number;
  host?: string;
  /** Accounts offered on the sign-in page. `login_hint` with any other address creates one. */
  users?: OidcUser[];
  clients?: OidcClient[];
  /** `iss` of ID tokens; defaults to the stand-in's own URL. */
  issuer?: string;
}

export interface OidcStandIn extends StandIn {
  issuer: string;
}

export const DEV_OIDC_CLIENT: OidcClient = {
  clientId: 'ticketslave-dev',
  clientSecret: 'ticketslave-dev-secret',
};

export const DEV_OIDC_USERS: OidcUser[] = [
  { email: 'fan1@example.test', name: 'Fan One' },
  { email: 'fan2@example.test', name: 'Fan Two' },
  { email: 'organiser@example.test', name: 'Olga Organiser' },
  { email: 'admin@example.test', name: 'Ada Admin' },
  { email: 'unverified@example.test', name: 'Uma Unverified', email_verified: false },
];

type Account = Required<OidcUser>;

interface PendingCode {
  clientId: string;
  redirectUri: string;
  account: Account;
  scope: string;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: string;
  expiresAt: number;
}

const CODE_TTL_MS = 10 * 60_000;
const ACCESS_TOKEN_TTL_S = 3599;

/** Google's subject ids are stable, opaque digit strings; derive one from the address. */
function subjectFor(email: string): string {
  const digest = createHash('sha256').update(email.toLowerCase()).digest();
  return (digest.readBigUInt64BE(0) % 10n ** 21n).toString().padStart(21, '1');
}

function toAccount(u: OidcUser): Account {
  const [first, ...rest] = u.name.split(' ');
  return {
    email: u.email.toLowerCase(),
    name: u.name,
    sub: u.sub ?? subjectFor(u.email),
    given_name: u.given_name ?? first ?? u.name,
    family_name: u.family_name ?? rest.join(' '),
    picture: u.picture ?? `https://robohash.org/${encodeURIComponent(u.email)}.png?size=96x96`,
    email_verified: u.email_verified ?? true,
  };
}

function accountFromHint(email: string): Account {
  const local = email.split('@')[0] ?? email;
  const name = local.replace(/[._+-]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
  return toAccount({ email, name });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Google's OAuth 2.0 / OpenID Connect endpoints as `passport-google-oauth20` and
 * `openid-client` use them: authorization code flow with optional PKCE, RS256 ID tokens.
 */
export async function startOidc(opts: OidcStandInOptions): Promise<OidcStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const accounts = new Map<string, Account>();
  for (const u of opts.users ?? DEV_OIDC_USERS) accounts.set(u.email.toLowerCase(), toAccount(u));
  const clients = opts.clients ?? [DEV_OIDC_CLIENT];
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, { account: Account; expiresAt: number }>();

  // A fresh key per start is fine here: relying parties fetch the JWKS, as they do from Google.
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomBytes(8).toString('hex');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };

  let issuer = '';
  const endpoints = () => ({
    issuer,
    authorization_endpoint: `${issuer}/o/oauth2/v2/auth`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/oauth2/v3/userinfo`,
    jwks_uri: `${issuer}/oauth2/v3/certs`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    grant_types_supported: ['authorization_code'],
    code_challenge_methods_supported: ['plain', 'S256'],
    claims_supported: [
      'aud',
      'email',
      'email_verified',
      'exp',
      'family_name',
      'given_name',
      'iat',
      'iss',
      'name',
      'picture',
      'sub',
    ],
  });

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    // Like Google, a bad client or redirect target gets an error page, never a redirect.
    if (!clients.some((c) => c.clientId === clientId)) {
      sendProblem(res, 401, 'invalid_client', `The OAuth client "${clientId}" was not found.`);
      return;
    }
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      sendProblem(res, 400, 'invalid_request', 'redirect_uri is missing or not an absolute URL.');
      return;
    }
    if (q.get('response_type') !== 'code') {
      target.searchParams.set('error', 'unsupported_response_type');
      if (q.has('state')) target.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: target.toString() }).end();
      return;
    }
    const hint = q.get('login_hint')?.trim().toLowerCase();
    if (!hint) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderChooser(url, [...accounts.values()]));
      return;
    }
    let account = accounts.get(hint);
    if (!account) {
      account = accountFromHint(hint);
      accounts.set(hint, account);
    }
    const code = `4/${randomBytes(24).toString('base64url')}`;
    codes.set(code, {
      clientId,
      redirectUri,
      account,
      scope: q.get('scope') ?? 'openid',
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: q.get('code_challenge_method') ?? 'plain',
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    target.searchParams.set('code', code);
    if (q.has('state')) target.searchParams.set('state', q.get('state')!);
    target.searchParams.set('scope', q.get('scope') ?? 'openid');
    res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' }).end();
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const form = (req.headers['content-type'] ?? '').includes('application/json')
      ? new URLSearchParams(JSON.parse(raw) as Record<string, string>)
      : new URLSearchParams(raw);
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret') ?? '';
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      clientSecret = decodeURIComponent(secret ?? '');
    }
    const client = clients.find((c) => c.clientId === clientId);
    if (!client || !safeEqual(client.clientSecret, clientSecret)) {
      sendOAuthError(res, 401, 'invalid_client', 'Unauthorized');
      return;
    }
    if (form.get('grant_type') !== 'authorization_code') {
      sendOAuthError(
        res,
        400,
        'unsupported_grant_type',
        'Invalid grant_type: ' + (form.get('grant_type') ?? ''),
      );
      return;
    }
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    // Single use even when the exchange fails, as RFC 6749 §4.1.2 recommends.
    codes.delete(code);
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== clientId) {
      sendOAuthError(res, 400, 'invalid_grant', 'Malformed auth code.');
      return;
    }
    if (pending.redirectUri !== form.get('redirect_uri')) {
      sendOAuthError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
      return;
    }
    if (pending.codeChallenge) {
      const verifier = form.get('code_verifier') ?? '';
      const derived =
        pending.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (!verifier || !safeEqual(derived, pending.codeChallenge)) {
        sendOAuthError(res, 400, 'invalid_grant', 'Invalid code verifier.');
        return;
      }
    }
    const accessToken = `ya29.${randomBytes(32).toString('base64url')}`;
    accessTokens.set(accessToken, {
      account: pending.account,
      expiresAt: Date.now() + ACCESS_TOKEN_TTL_S * 1000,
    });
    const a = pending.account;
    const idToken = await new SignJWT({
      azp: clientId,
      email: a.email,
      email_verified: a.email_verified,
      name: a.name,
      picture: a.picture,
      given_name: a.given_name,
      family_name: a.family_name,
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
      ...(pending.nonce ? { nonce: pending.nonce } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setSubject(a.sub)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_TTL_S}s`)
      .sign(privateKey);
    sendJson(res, 200, {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_TTL_S,
      token_type: 'Bearer',
      scope: pending.scope,
      id_token: idToken,
    });
  }

  function userinfo(req: IncomingMessage, url: URL, res: ServerResponse): void {
    // node-oauth (under passport-oauth2) sends the token as `?access_token=`, which Google accepts too.
    const token =
      /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('access_token');
    const entry = token ? accessTokens.get(token) : undefined;
    if (!entry || entry.expiresAt < Date.now()) {
      res.setHeader('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
      sendOAuthError(res, 401, 'invalid_request', 'Invalid Credentials');
      return;
    }
    const { sub, name, given_name, family_name, picture, email, email_verified } = entry.account;
    sendJson(res, 200, { sub, name, given_name, family_name, picture, email, email_verified });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://oidc');
    const route = `${req.method} ${url.pathname}`;
    const done = (p: Promise<void>) =>
      p.catch((err: Error) => {
        if (!res.headersSent) sendOAuthError(res, 400, 'invalid_request', err.message);
      });
    switch (route) {
      case 'GET /.well-known/openid-configuration':
        return sendJson(res, 200, endpoints());
      case 'GET /oauth2/v3/certs':
        return sendJson(res, 200, { keys: [publicJwk] }, { 'cache-control': 'public, max-age=300' });
      case 'GET /o/oauth2/v2/auth':
        return authorize(url, res);
      case 'POST /token':
      case 'POST /oauth2/v4/token':
        return void done(token(req, res));
      case 'GET /oauth2/v3/userinfo':
      case 'POST /oauth2/v3/userinfo':
        return userinfo(req, url, res);
      default:
        return sendProblem(res, 404, 'Not found', route);
    }
  });
  const port = await listen(server, opts.port, host);
  const url = `http://${urlHost(host)}:${port}`;
  issuer = opts.issuer ?? url;
  return { url, port, issuer, stop: () => close(server) };
}

function renderChooser(authUrl: URL, accounts: Account[]): string {
  const linkFor = (email: string) => {
    const u = new URL(authUrl.pathname + authUrl.search, 'http://x');
    u.searchParams.set('login_hint', email);
    return escapeHtml(u.pathname + u.search);
  };
  const items = accounts
    .map(
      (a) =>
        `<li><a href="${linkFor(a.email)}"><b>${escapeHtml(a.name)}</b><br><small>${escapeHtml(a.email)}` +
        `${a.email_verified ? '' : ' (unverified)'}</small></a></li>`,
    )
    .join('');
  const hidden = [...authUrl.searchParams]
    .filter(([k]) => k !== 'login_hint')
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in – Google (dev stand-in)</title>
<style>body{font-family:system-ui;max-width:28rem;margin:2rem auto;padding:0 1rem}li{list-style:none;margin:.5rem 0}
a{display:block;padding:.75rem;border:1px solid #ccc;border-radius:.5rem;color:inherit;text-decoration:none}a:hover,a:focus{background:#eef}</style>
<h1>Choose an account</h1><p>Dev stand-in for Google sign-in: no password needed.</p>
<ul>${items}</ul>
<form method="get" action="${escapeHtml(authUrl.pathname)}">${hidden}
<label>Or any e-mail <input type="email" name="login_hint" required></label> <button>Continue</button></form></html>`;
}
