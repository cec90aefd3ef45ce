import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Request } from 'express';

/** The header CloudFront sets on origin requests (when the origin request policy includes it). */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

/**
 * How a service recognises requests that came through our CloudFront distribution: CloudFront
 * adds a secret header (`header: <one of secrets>`) to every origin request, and the ALB
 * listener rules refuse requests without it. More than one secret is accepted so the value can
 * be rotated (CloudFront sends the new one while the old is still accepted).
 */
export interface EdgeTrust {
  header: string;
  secrets: readonly string[];
}

/** Reads the client address of a request (HTTP or WebSocket upgrade). */
export type ClientAddress = (req: IncomingMessage) => string;

/**
 * `CloudFront-Viewer-Address` is `ip:port`; for IPv6 CloudFront writes the address without
 * brackets (`2001:db8::1:443`), so the port is whatever follows the last colon. A bracketed
 * form is accepted too. Anything that does not leave a valid IP is refused.
 */
export function parseViewerAddress(value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(v);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1] : undefined;
  const colon = v.lastIndexOf(':');
  if (colon <= 0 || !/^\d{1,5}$/.test(v.slice(colon + 1))) return undefined;
  const ip = v.slice(0, colon);
  return isIP(ip) ? ip : undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The socket's peer, IPv4-mapped IPv6 written as plain IPv4 (`::ffff:10.0.0.1` → `10.0.0.1`). */
export function socketAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/**
 * The client address of a request. Behind CloudFront and the ALB the socket's peer is the ALB
 * and X-Forwarded-For's last hop a CloudFront edge shared by thousands of fans, while anything
 * before it in X-Forwarded-For is whatever the client wrote. So: the viewer address CloudFront
 * itself measured, when the request carries our origin secret (only our distribution adds it);
 * the socket's peer otherwise. X-Forwarded-For is never read.
 */
export function clientAddressResolver(edge: EdgeTrust | undefined): ClientAddress {
  if (!edge || edge.secrets.length === 0) return socketAddress;
  const header = edge.header.toLowerCase();
  // Compared as digests: equal length, constant time, whatever the secrets' lengths.
  const secrets = edge.secrets.map(digest);
  const fromEdge = (req: IncomingMessage): boolean => {
    const sent = req.headers[header];
    if (typeof sent !== 'string') return false;
    const d = digest(sent);
    let ok = false;
    for (const s of secrets) ok = timingSafeEqual(s, d) || ok;
    return ok;
  };
  return (req) => {
    if (!fromEdge(req)) return socketAddress(req);
    const viewer = req.headers[VIEWER_ADDRESS_HEADER];
    return parseViewerAddress(typeof viewer === 'string' ? viewer : undefined) ?? socketAddress(req);
  };
}

/** The key under which `createHttpApp` keeps the service's resolver in `app.locals`. */
export const CLIENT_ADDRESS_LOCAL = 'clientAddress';

/** The client address of an Express request, per the service's edge configuration (see above). */
export function clientIp(req: Request): string {
  const resolve = (req.app?.locals as Record<string, unknown> | undefined)?.[CLIENT_ADDRESS_LOCAL];
  return typeof resolve === 'function' ? (resolve as ClientAddress)(req) : socketAddress(req);
}
