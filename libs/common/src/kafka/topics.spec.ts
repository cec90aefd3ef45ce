import { z } from 'zod';
import { PAYLOADS } from './messages';
import { messageKey, TOPIC_NAMES, TOPICS } from './topics';

describe('TOPICS keys', () => {
  it.each(TOPIC_NAMES)('when %s is produced, its payload schema requires the declared key field', (topic) => {
    const schema = PAYLOADS[topic] as unknown as z.ZodObject;
    const field = schema.shape[TOPICS[topic].key];
    expect(field).toBeDefined();
    expect(field!.safeParse(undefined).success).toBe(false);
  });

  it('when a payload lacks its key field, refuses to key it', () => {
    expect(() => messageKey('order.completed', { eventId: 'e' })).toThrow(/orderId/);
    expect(messageKey('order.completed', { orderId: 'o', eventId: 'e' })).toBe('o');
    expect(messageKey('queue.progress', { eventId: 'e' })).toBe('e');
  });
});
