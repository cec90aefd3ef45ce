import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';

type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Routes HTTP upgrades by path, so one server can host several WebSocket endpoints. */
export class UpgradeRouter {
  private readonly handlers = new Map<string, UpgradeHandler>();
  private readonly closers: (() => void)[] = [];
  constructor(private readonly logger: Logger) {}

  register(path: string, handler: UpgradeHandler, close?: () => void): void {
    this.handlers.set(path, handler);
    if (close) this.closers.push(close);
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const handler = this.handlers.get(path);
      if (!handler) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      socket.on('error', (err) => this.logger.debug({ err }, 'upgrade socket error'));
      handler(req, socket, head);
    });
  }

  closeAll(): void {
    for (const close of this.closers) close();
  }
}
