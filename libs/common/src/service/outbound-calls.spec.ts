import client from 'prom-client';
import { outboundCallTimer } from './outbound-calls';

describe('outboundCallTimer', () => {
  it('counts each call by system, operation and outcome, and passes results and errors through', async () => {
    const registry = new client.Registry();
    const stripe = outboundCallTimer(registry, 'stripe');
    const other = outboundCallTimer(registry, 'mail');

    await expect(stripe('payment_intents.capture', async () => 'captured')).resolves.toBe('captured');
    await expect(stripe('payment_intents.capture', async () => 'again')).resolves.toBe('again');
    const refused = new Error('card declined');
    await expect(stripe('payment_intents.capture', () => Promise.reject(refused))).rejects.toBe(refused);
    await other('send', async () => undefined);

    const text = await registry.metrics();
    const count = (labels: string) =>
      Number(new RegExp(`^ts_outbound_call_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(count('system="stripe",operation="payment_intents.capture",outcome="ok"')).toBe(2);
    expect(count('system="stripe",operation="payment_intents.capture",outcome="error"')).toBe(1);
    expect(count('system="mail",operation="send",outcome="ok"')).toBe(1);
  });
});
