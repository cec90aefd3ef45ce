import { z } from 'zod';
import { PAYLOADS } from './messages';
import { messageKey, TOPIC_NAMES, TOPICS } from './topics';

describe('TOPICS keys', () => {
  it.each(TOPIC_NAMES)('when %s is produced, its payload schema requires the declared key field', (topic) => {
    // A topic with more than one payload form (queue.assigned) keys every form by the same field.
    const schema = PAYLOADS[topic] as unknown as z.ZodType;
    const forms = schema instanceof z.ZodUnion ? (schema.options as z.ZodObject[]) : [schema as z.ZodObject];
    for (const form of forms) {
      const field = form.shape[TOPICS[topic].key];
      expect(field).toBeDefined();
      expect(field!.safeParse(undefined).success).toBe(false);
    }
  });

  it('when a payload lacks its key field, refuses to key it', () => {
    expect(() => messageKey('order.completed', { eventId: 'e' })).toThrow(/orderId/);
    expect(messageKey('order.completed', { orderId: 'o', eventId: 'e' })).toBe('o');
    expect(messageKey('queue.progress', { eventId: 'e' })).toBe('e');
  });
});
