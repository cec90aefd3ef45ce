import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';

export interface GatewayOptions {
  port: number;
  host?: string;
  /** Path prefix → upstream origin, e.g. `{ '/feed': 'http://127.0.0.1:8081' }`. */
  routes: Record<string, string>;
  /** Where `/` redirects (the ALB's default action). */
  rootRedirect?: string;
  /** What upstreams see as X-Forwarded-Proto; 'https' mimics CloudFront's TLS in front of the ALB. */
  forwardedProto?: 'http' | 'https';
  /**
   * Act as our CloudFront distribution in front of the ALB (production's shape): every request
   * gets `header: secret` (the origin secret) and `CloudFront-Viewer-Address` = the socket's
   * peer, overwriting whatever the client sent. A request that already carries the secret is
   * one sent straight to the ALB by someone who knows it (in AWS: CloudFront itself, or a load
   * generator given the secret) and passes through unchanged, viewer address included.
   */
  edge?: { header: string; secret: string };
}

export interface Gateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The platform's routing table: each service's path prefix (API, WebSocket, frontend) to its port, as the ALB routes. */
export const PLATFORM_ROUTES: Record<string, string> = {
  '/feed': 'http://127.0.0.1:8081',
  '/buffer': 'http://127.0.0.1:8082',
  '/queue': 'http://127.0.0.1:8083',
  '/purchase': 'http://127.0.0.1:8084',
  '/payment': 'http://127.0.0.1:8085',
};

interface Route {
  prefix: string;
  target: string;
  /** `target` parsed once: http-proxy would parse a string target on every request. */
  targetUrl?: URL;
}

/**
 * `/feed` matches `/feed`, `/feed/…` and `/feed?…`, never `/feedback`: the ALB listener
 * rules are `/feed` and `/feed/*`, so a bare `startsWith` would route paths no service owns.
 */
export function matchRoute(routes: Route[], url: string): Route | undefined {
  const path = url.split('?', 1)[0] ?? '';
  return routes.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`));
}

/**
 * `/<svc>/metrics` and `/<svc>/readyz` (any case, any suffix): never forwarded, as the ALB's
 * fixed-404 rules do. The services serve them on their admin port (ADMIN_PORT) when it is set;
 * in development they are on the service port too, which the gateway still keeps private.
 */
export function isOpsPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return /^\/[^/]+\/(?:metrics|readyz)(?:\/.*)?$/i.test(path);
}

function sendProblem(res: ServerResponse, status: number, title: string, detail: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    const body = JSON.stringify({ type: 'about:blank', title: reason, status });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const host = opts.host ?? '127.0.0.1';
  const rootRedirect = opts.rootRedirect ?? '/feed/';
  const forwardedProto = opts.forwardedProto ?? 'http';
  // Longest prefix first, so a more specific route (e.g. '/queue/ws') can override its parent.
  const routes: Route[] = Object.entries(opts.routes)
    .map(([prefix, target]) => ({ prefix: prefix.replace(/\/+$/, ''), target, targetUrl: new URL(target) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);

  // Without keep-alive every proxied request pays a TCP handshake and benches measure the gateway.
  const agent = new Agent({ keepAlive: true, maxSockets: 4096, maxFreeSockets: 256 });
  const proxy = createProxyServer({ agent, xfwd: false, changeOrigin: false, ws: true, prependPath: false });

  proxy.on('error', (err: Error & { code?: string }, req, res) => {
    const route = matchRoute(routes, req.url ?? '/');
    const detail = `upstream ${route?.target ?? '?'} for ${route?.prefix ?? req.url} failed: ${err.code ?? err.message}`;
    if ('writeHead' in res) sendProblem(res, 502, 'Bad Gateway', detail);
    else refuseUpgrade(res, 502, 'Bad Gateway');
  });

  /**
   * Like the ALB: X-Forwarded-For is appended to, Proto/Port are overwritten (a client must
   * not be able to claim https), and Host passes through untouched so cookies and redirects
   * built by the services name the public origin.
   */
  const forwardHeaders = (req: IncomingMessage): void => {
    const client = req.socket.remoteAddress ?? '';
    const prior = req.headers['x-forwarded-for'];
    req.headers['x-forwarded-for'] = prior ? `${String(prior)}, ${client}` : client;
    req.headers['x-forwarded-proto'] = forwardedProto;
    req.headers['x-forwarded-port'] = String((req.socket.address() as AddressInfo).port);
    req.headers['x-forwarded-host'] = req.headers.host ?? '';
  };

  /**
   * Connection is hop-by-hop (RFC 9110 §7.6.1). http-proxy copies it through, so a client's
   * `Connection: close` would close the pooled upstream socket after every request.
   */
  const edgeHeader = opts.edge?.header.toLowerCase();
  const actAsEdge = (req: IncomingMessage): void => {
    if (!opts.edge || !edgeHeader) return;
    if (req.headers[edgeHeader] === opts.edge.secret) return;
    const { remoteAddress = '', remotePort = 0 } = req.socket;
    const ip = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    req.headers[edgeHeader] = opts.edge.secret;
    req.headers['cloudfront-viewer-address'] = `${ip}:${remotePort}`;
  };

  const dropHopByHop = (req: IncomingMessage): void => {
    if (req.headers.connection === undefined) {
      delete req.headers['keep-alive'];
      delete req.headers['proxy-connection'];
      return;
    }
    const listed = String(req.headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    for (const name of [...listed, 'connection', 'keep-alive', 'proxy-connection']) delete req.headers[name];
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/' || url.startsWith('/?')) {
      res.writeHead(302, { location: rootRedirect + url.slice(1), 'content-length': 0 }).end();
      return;
    }
    const route = matchRoute(routes, url);
    if (!route) {
      sendProblem(res, 404, 'Not Found', `no service owns ${url.split('?', 1)[0]}`);
      return;
    }
    if (isOpsPath(url)) {
      sendProblem(res, 404, 'Not Found', 'operations endpoints are not public');
      return;
    }
    actAsEdge(req);
    forwardHeaders(req);
    dropHopByHop(req);
    proxy.web(req, res, { target: route.targetUrl ?? route.target });
  });

  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const route = matchRoute(routes, req.url ?? '/');
    if (!route || isOpsPath(req.url ?? '/')) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    // A client vanishing mid-handshake must not crash the gateway.
    socket.on('error', () => socket.destroy());
    actAsEdge(req);
    forwardHeaders(req);
    proxy.ws(req, socket, head, { target: route.targetUrl ?? route.target });
  });

  // Above the services' own keep-alive so the client, not the gateway, closes idle sockets.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async stop() {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
      server.closeAllConnections();
      for (const socket of upgraded) (socket as Socket).destroy();
      agent.destroy();
      await closed;
    },
  };
}
