import { createPrivateKey, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, UnavailableError } from '../errors';
import { generateSigningJwks, TokenSigner } from './keys';
import { TOKENS, TokenVerifier } from './tokens';

const admission = (signer: TokenSigner) =>
  signer.sign(
    { evt: 'e1', aid: 'a1' },
    {
      issuer: TOKENS.admission.issuer,
      audience: TOKENS.admission.audience,
      subject: 'u1',
      expiresAt: new Date(Date.now() + 60_000),
    },
  );

describe('TokenVerifier with a remote key set', () => {
  let signer: TokenSigner;
  let server: Server;
  let url: string;
  let up = true;
  beforeAll(async () => {
    signer = await TokenSigner.fromJwks(await generateSigningJwks('k1'));
    server = createServer((_req, res) => {
      if (!up) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(signer.publicJwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('verifies a good token and refuses a forged one with 401', async () => {
    const v = new TokenVerifier(url);
    await expect(v.verify('admission', await admission(signer))).resolves.toMatchObject({
      sub: 'u1',
      aid: 'a1',
    });
    const other = await TokenSigner.fromJwks(await generateSigningJwks('k1'));
    await expect(v.verify('admission', await admission(other))).rejects.toBeInstanceOf(AuthError);
  });

  it('answers 503, not 401, while the issuer cannot serve its keys (down, restarting)', async () => {
    up = false;
    try {
      const err = await new TokenVerifier(url).verify('admission', await admission(signer)).catch((e) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ status: 503, code: 'keys_unavailable' });
    } finally {
      up = true;
    }
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await new TokenVerifier(`http://127.0.0.1:${port}/jwks.json`)
      .verify('admission', await admission(signer))
      .catch((e) => e);
    expect(refused).toBeInstanceOf(UnavailableError);
  });

  it('keeps verifying with the keys fetched last while the issuer is down', async () => {
    const v = new TokenVerifier(url, { cacheMaxAgeMs: 50 });
    await v.warm();
    up = false;
    try {
      await new Promise((r) => setTimeout(r, 120)); // the cache is stale: a refetch fails
      await expect(v.verify('admission', await admission(signer))).resolves.toMatchObject({ sub: 'u1' });
      const other = await TokenSigner.fromJwks(await generateSigningJwks('k2'));
      await expect(v.verify('admission', await admission(other))).rejects.toBeInstanceOf(AuthError);
    } finally {
      up = true;
    }
  });
});

describe('TokenVerifier remembering verified tokens', () => {
  it('answers a token it verified again from memory, for that kind only, and never past its exp', async () => {
    const signer = await TokenSigner.fromJwks(await generateSigningJwks('k1'));
    const v = new TokenVerifier(signer.publicJwks);
    const expiresAt = new Date(Math.ceil((Date.now() + 1_100) / 1000) * 1000);
    const token = await signer.sign(
      { evt: 'e1', aid: 'a1' },
      { issuer: TOKENS.admission.issuer, audience: TOKENS.admission.audience, subject: 'u1', expiresAt },
    );
    const first = await v.verify('admission', token);
    const again = await v.verify('admission', token);
    expect(again).toEqual(first);
    again.sub = 'someone else';
    expect((await v.verify('admission', token)).sub).toBe('u1');
    await expect(v.verify('queueTicket', token)).rejects.toMatchObject({ code: 'invalid_token' });
    await new Promise((r) => setTimeout(r, expiresAt.getTime() - Date.now() + 50));
    await expect(v.verify('admission', token)).rejects.toMatchObject({ code: 'token_expired' });
  });
});

describe('verifyEdDsaJwt (the synchronous Ed25519 path of TokenVerifier)', () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  let signer: TokenSigner;
  let v: TokenVerifier;
  beforeAll(async () => {
    signer = await TokenSigner.fromJwks(await generateSigningJwks('k1'));
    v = new TokenVerifier(signer.publicJwks);
  });
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: AuthError) => e.code,
    );

  it('refuses tampering with each part, other algorithms, crit, and wrong iss/aud/nbf/exp', async () => {
    const good = await admission(signer);
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    await expect(code(v.verify('admission', good))).resolves.toBe('ok');
    const now = Math.floor(Date.now() / 1000);
    for (const bad of [
      `${h}.${b64({ ...claims, aid: 'a2' })}.${s}`, // payload swapped under the old signature
      `${b64({ ...header, alg: 'HS256' })}.${p}.${s}`,
      `${b64({ ...header, crit: ['exp'] })}.${p}.${s}`,
      `${h}.${p}.${s.slice(0, -4)}AAAA`,
      `${h}.${p}`,
      `${h}.${p}.${s}.x`,
      `!!!.${p}.${s}`,
      `${h}.!!!.${s}`,
      '',
    ])
      await expect(code(v.verify('admission', bad || undefined))).resolves.toMatch(
        /invalid_token|missing_admission/,
      );
    const signed = (c: Record<string, unknown>) =>
      signer.sign(c, {
        issuer: (c.iss as string) ?? TOKENS.admission.issuer,
        audience: (c.aud as string) ?? TOKENS.admission.audience,
        subject: 'u1',
        expiresAt: new Date(((c.exp as number) ?? now + 60) * 1000),
      });
    await expect(
      code(v.verify('admission', await signed({ evt: 'e', aid: 'a', iss: 'someone-else' }))),
    ).resolves.toBe('invalid_token');
    await expect(
      code(v.verify('admission', await signed({ evt: 'e', aid: 'a', aud: 'other' }))),
    ).resolves.toBe('invalid_token');
    await expect(
      code(v.verify('admission', await signed({ evt: 'e', aid: 'a', nbf: now + 600 }))),
    ).resolves.toBe('invalid_token');
    await expect(
      code(v.verify('admission', await signed({ evt: 'e', aid: 'a', exp: now - 1 }))),
    ).resolves.toBe('token_expired');
    // A session token is not an admission (issuer and audience differ).
    await expect(code(v.verify('session', good))).resolves.toBe('invalid_token');
  });

  it('when a correctly signed token of any kind carries no exp, refuses it', async () => {
    const jwks = await generateSigningJwks('k-noexp');
    const key = createPrivateKey({ key: jwks.keys[0]!, format: 'jwk' });
    const verifier = new TokenVerifier((await TokenSigner.fromJwks(jwks)).publicJwks);
    const now = Math.floor(Date.now() / 1000);
    const claimsOf: Record<keyof typeof TOKENS, Record<string, unknown>> = {
      session: { sub: 'u1', email: 'a@example.com', role: 'admin', emv: true },
      joinReceipt: { sub: 'u1', evt: 'e', jat: now, eh: 'h' },
      queueTicket: { sub: 'u1', evt: 'e', qn: 1 },
      admission: { sub: 'u1', evt: 'e', aid: 'a' },
    };
    for (const kind of Object.keys(claimsOf) as (keyof typeof TOKENS)[]) {
      const unsigned = (payload: Record<string, unknown>) =>
        `${b64({ alg: 'EdDSA', kid: 'k-noexp', typ: 'JWT' })}.${b64(payload)}`;
      const tokenOf = (payload: Record<string, unknown>) => {
        const input = unsigned(payload);
        return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
      };
      const base = { ...claimsOf[kind], iss: TOKENS[kind].issuer, aud: TOKENS[kind].audience, iat: now };
      // The same hand-made token with an exp verifies, so only the missing exp is refused.
      await expect(code(verifier.verify(kind, tokenOf({ ...base, exp: now + 60 })))).resolves.toBe('ok');
      await expect(code(verifier.verify(kind, tokenOf(base)))).resolves.toBe('invalid_token');
    }
  });
});
