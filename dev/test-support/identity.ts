import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningJwks, TokenSigner, TOKENS, type PublicJwkSet, type Role } from '@ticketslave/common';

/**
 * Serves public JWK sets over real HTTP, like feed/buffer/queue do at
 * `/<svc>/.well-known/jwks.json`, and signs tokens with the matching private keys,
 * so a service under test verifies exactly as in production.
 */
export interface TestIssuer {
  signer: TokenSigner;
  jwksUrl: string;
}

export interface TestIdentity {
  feed: TestIssuer;
  buffer: TestIssuer;
  queue: TestIssuer;
  /** Private JWK sets, for services under test that sign (pass as *_SIGNING_JWKS). */
  privateJwks: { session: string; buffer: string; queue: string };
  /** `ts_session=<jwt>` for a user. */
  sessionCookie(
    user: { id: string; email?: string; role?: Role; emailVerified?: boolean },
    ttlSeconds?: number,
  ): Promise<string>;
  queueTicketCookie(userId: string, eventId: string, queueNumber: number): Promise<string>;
  admissionCookie(userId: string, eventId: string, admissionId: string, ttlSeconds?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestIdentity(): Promise<TestIdentity> {
  const sets = {
    session: await generateSigningJwks('test-session'),
    buffer: await generateSigningJwks('test-buffer'),
    queue: await generateSigningJwks('test-queue'),
  };
  const signers = {
    feed: await TokenSigner.fromJwks(sets.session),
    buffer: await TokenSigner.fromJwks(sets.buffer),
    queue: await TokenSigner.fromJwks(sets.queue),
  };
  const published: Record<string, PublicJwkSet> = {
    '/feed/.well-known/jwks.json': signers.feed.publicJwks,
    '/buffer/.well-known/jwks.json': signers.buffer.publicJwks,
    '/queue/.well-known/jwks.json': signers.queue.publicJwks,
  };
  const server: Server = createServer((req, res) => {
    const body = published[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000);
  return {
    feed: { signer: signers.feed, jwksUrl: `${base}/feed/.well-known/jwks.json` },
    buffer: { signer: signers.buffer, jwksUrl: `${base}/buffer/.well-known/jwks.json` },
    queue: { signer: signers.queue, jwksUrl: `${base}/queue/.well-known/jwks.json` },
    privateJwks: {
      session: JSON.stringify(sets.session),
      buffer: JSON.stringify(sets.buffer),
      queue: JSON.stringify(sets.queue),
    },
    sessionCookie: async (user, ttlSeconds = TOKENS.session.ttlSeconds) => {
      const jwt = await signers.feed.sign(
        {
          email: user.email ?? `${user.id}@fans.test`,
          role: user.role ?? 'fan',
          emv: user.emailVerified ?? true,
        },
        {
          issuer: TOKENS.session.issuer,
          audience: TOKENS.session.audience,
          subject: user.id,
          expiresAt: inSeconds(ttlSeconds),
        },
      );
      return `${TOKENS.session.cookie}=${jwt}`;
    },
    queueTicketCookie: async (userId, eventId, queueNumber) => {
      const jwt = await signers.buffer.sign(
        { evt: eventId, qn: queueNumber },
        {
          issuer: TOKENS.queueTicket.issuer,
          audience: TOKENS.queueTicket.audience,
          subject: userId,
          expiresAt: inSeconds(86400),
        },
      );
      return `ts_qt_${eventId}=${jwt}`;
    },
    admissionCookie: async (userId, eventId, admissionId, ttlSeconds = 900) => {
      const jwt = await signers.queue.sign(
        { evt: eventId, aid: admissionId },
        {
          issuer: TOKENS.admission.issuer,
          audience: TOKENS.admission.audience,
          subject: userId,
          expiresAt: inSeconds(ttlSeconds),
        },
      );
      return `ts_adm_${eventId}=${jwt}`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
