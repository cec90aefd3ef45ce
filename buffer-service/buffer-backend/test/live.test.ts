import { WebSocket } from 'ws';
import { join, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('buflive');
});
afterAll(() => h?.stop());

function follow(eventId: string | null, origin = 'http://localhost:8080') {
  const ws = new WebSocket(
    `${h.service.url.replace('http', 'ws')}/buffer/ws${eventId ? `?event=${eventId}` : ''}`,
    {
      headers: { origin },
    },
  );
  const messages: { type: string; state?: string; total?: number | null }[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
  const until = async (pred: () => boolean, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { ws, messages, closed, until };
}

describe('/buffer/ws', () => {
  it('pushes the state on connect and the close with an "assigned" nudge', async () => {
    const event = await h.createEvent({ saleStartsAt: new Date(Date.now() + 2500).toISOString() });
    await join(h, event.eventId, 'live-1');
    const s = follow(event.eventId);
    await s.until(() => s.messages.length > 0);
    expect(s.messages[0]).toMatchObject({ type: 'state', state: 'open', total: null });
    await s.until(() => s.messages.some((m) => m.type === 'assigned'));
    expect(s.messages.find((m) => m.state === 'closed')).toMatchObject({ type: 'state', total: 1 });
    s.ws.close();
  });

  it('refuses a socket without an event id, and one from a foreign origin', async () => {
    expect(await follow(null).closed).toBe(4403);
    const event = await h.createEvent();
    expect(await follow(event.eventId, 'https://evil.example').closed).toBe(4403);
  });
});
