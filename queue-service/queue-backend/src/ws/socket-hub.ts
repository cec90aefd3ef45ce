import type { WebSocket } from 'ws';
import { WS_CLOSE } from '@ticketslave/common';
import type { QueueServerMessage } from '@ticketslave/contracts';

export interface FanSocket {
  ws: WebSocket;
  eventId: string;
  userId: string;
  connId: string;
  /** Epoch ms, sub-millisecond. */
  connectedAt: number;
  queueNumber: number;
}

const TEXT_FRAME = { binary: false } as const;

const fanKey = (eventId: string, userId: string) => `${eventId}\u0000${userId}`;

/**
 * The sockets this instance holds, by fan and by event. One socket per fan: a
 * newer connection replaces the older one (4409), here or on another instance.
 */
export class SocketHub {
  private readonly byFan = new Map<string, FanSocket>();
  private readonly byEvent = new Map<string, Set<FanSocket>>();

  add(s: FanSocket): void {
    const key = fanKey(s.eventId, s.userId);
    const previous = this.byFan.get(key);
    if (previous) this.replace(previous);
    this.byFan.set(key, s);
    let set = this.byEvent.get(s.eventId);
    if (!set) this.byEvent.set(s.eventId, (set = new Set()));
    set.add(s);
  }

  /** Returns true when this was still the fan's current socket. */
  remove(s: FanSocket): boolean {
    this.byEvent.get(s.eventId)?.delete(s);
    if (this.byEvent.get(s.eventId)?.size === 0) this.byEvent.delete(s.eventId);
    const key = fanKey(s.eventId, s.userId);
    if (this.byFan.get(key) !== s) return false;
    this.byFan.delete(key);
    return true;
  }

  /**
   * A socket of the fan was recorded (here or on another instance): close ours if it is
   * the older one. The signal of a socket this hub has already replaced can arrive after
   * the newer one connected; it must not close the newer.
   */
  replacedElsewhere(eventId: string, userId: string, connId: string, connectedAt?: number): void {
    const mine = this.byFan.get(fanKey(eventId, userId));
    if (mine && mine.connId !== connId && (connectedAt === undefined || mine.connectedAt < connectedAt))
      this.replace(mine);
  }

  private replace(s: FanSocket): void {
    this.remove(s);
    s.ws.close(WS_CLOSE.replaced, 'opened in another tab or device');
  }

  sendToFan(eventId: string, userId: string, message: QueueServerMessage, closeCode?: number): boolean {
    const s = this.byFan.get(fanKey(eventId, userId));
    if (!s) return false;
    send(s.ws, message);
    if (closeCode) s.ws.close(closeCode, message.type);
    return true;
  }

  /**
   * Serialises and encodes once per event, not once per socket: a progress message goes
   * to many thousands. A Buffer sent as text skips ws's per-socket UTF-8 conversion
   * (11 µs a socket instead of 14 on the bench machine; the write itself is most of it).
   */
  broadcast(eventId: string, message: QueueServerMessage): number {
    const set = this.byEvent.get(eventId);
    if (!set) return 0;
    const data = Buffer.from(JSON.stringify(message));
    for (const s of set) if (s.ws.readyState === s.ws.OPEN) s.ws.send(data, TEXT_FRAME);
    return set.size;
  }

  hasEvent(eventId: string): boolean {
    return this.byEvent.has(eventId);
  }

  /** The presence of each fan's current socket (what the heartbeat records). */
  presences(): { eventId: string; userId: string; connId: string }[] {
    return [...this.byFan.values()].map((s) => ({ eventId: s.eventId, userId: s.userId, connId: s.connId }));
  }

  get size(): number {
    return this.byFan.size;
  }
}

export function send(ws: WebSocket, message: QueueServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}
