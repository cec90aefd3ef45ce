import { createLogger } from '../logger';
import { coalescedOutboxNotify, type Queryable } from './outbox';

const logger = createLogger('outbox-notify-spec', 'silent');
const settle = () => new Promise((r) => setTimeout(r, 30));

describe('coalescedOutboxNotify', () => {
  const recordingDb = () => {
    const sent: string[] = [];
    const db = { query: (text: string) => (sent.push(text), Promise.resolve([])) } as unknown as Queryable;
    return { sent, db };
  };

  it('when this process’s relay leads, then commits wake it in memory and no NOTIFY is sent', async () => {
    const { sent, db } = recordingDb();
    let woken = 0;
    const notify = coalescedOutboxNotify(db, logger, 0, { wakeIfLeader: () => (woken++, true) });
    notify();
    await settle();
    expect(woken).toBe(1);
    expect(sent).toEqual([]);
  });

  it('when another instance’s relay leads, then one NOTIFY covers the commits before it', async () => {
    const { sent, db } = recordingDb();
    const notify = coalescedOutboxNotify(db, logger, 0, { wakeIfLeader: () => false });
    notify();
    notify();
    await settle();
    expect(sent).toEqual([expect.stringMatching(/pg_notify/)]);
  });
});
