import type { OrderView } from '../domain/orders';
import { confirmationMail, renderMail, turnNearMail, type MailEvent } from './mail-content';

const event: MailEvent = {
  title: 'Night <Owls> & Friends',
  venue: 'Budokan',
  startsAt: new Date('2027-01-09T11:00:00Z'),
  timeZone: 'Asia/Tokyo',
  categories: [
    { id: 'stalls', name: 'Stalls', kind: 'reserved', priceMinor: 800000, currency: 'JPY' },
    { id: 'arena', name: 'Arena floor', kind: 'ga', priceMinor: 650000, currency: 'JPY' },
  ],
};

const order = (currency: string, items: OrderView['items']): OrderView => ({
  orderId: 'o-1',
  eventId: 'e-1',
  eventTitle: 'stale title',
  status: 'paid',
  reason: null,
  amountMinor: items.reduce((s, i) => s + i.priceMinor, 0),
  currency,
  createdAt: '2026-12-01T10:00:00Z',
  expiresAt: '2026-12-01T10:05:00Z',
  items,
});

describe('fans’ mails', () => {
  it('when the order is in yen, then money has no decimals and the seat and category are named', () => {
    const mail = renderMail(
      confirmationMail({
        order: order('JPY', [
          { unitId: 'u1', categoryId: 'stalls', section: 'Main', row: 'A', seat: 7, priceMinor: 8000 },
          { unitId: 'u2', categoryId: 'arena', section: null, row: null, seat: null, priceMinor: 6500 },
        ]),
        event,
        tickets: [{ unitId: 'u1', ticketId: 'abcd1234-0000-0000-0000-000000000000' }],
        ticketsUrl: 'https://tickets.example/purchase/tickets',
      }),
    );
    expect(mail.text).toContain('Total paid: ¥14,500');
    expect(mail.text).toContain('Main, row A, seat 7  ¥8,000');
    expect(mail.text).toContain('Arena floor (general admission)  ¥6,500');
    expect(mail.text).toContain('ticket ref: ABCD1234');
    expect(mail.text).toContain('9 January 2027 at 20:00 GMT+9 (Asia/Tokyo)');
    expect(mail.html).toContain('¥14,500');
    expect(mail.html).toContain('Night &lt;Owls&gt; &amp; Friends');
    expect(mail.html).not.toContain('<Owls>');
    expect(mail.html).toMatch(
      /<a href="https:\/\/tickets\.example\/purchase\/tickets"[^>]*>View your tickets<\/a>/,
    );
  });

  it('when the order is in euros, then money has two decimals', () => {
    const mail = renderMail(
      confirmationMail({
        order: order('EUR', [
          { unitId: 'u1', categoryId: 'arena', section: null, row: null, seat: null, priceMinor: 4950 },
        ]),
        event,
        tickets: [],
        ticketsUrl: 'https://tickets.example/purchase/tickets',
      }),
    );
    expect(mail.text).toContain('Total paid: €49.50');
  });

  it('when a turn is near, then the mail says how many are ahead, links back to the queue and says how to stop it', () => {
    const mail = renderMail(
      turnNearMail({ event, ahead: 1234, queueUrl: 'https://tickets.example/queue/?event=e-1' }),
    );
    expect(mail.subject).toBe('Your turn is near: Night <Owls> & Friends');
    expect(mail.text).toContain('About 1,234 fans are ahead of you in the queue for Night <Owls> & Friends');
    expect(mail.text).toContain('Back to the queue: https://tickets.example/queue/?event=e-1');
    expect(mail.text).toContain('Budokan');
    expect(mail.text).toContain('untick it before your turn is near');
    expect(mail.html).toContain('<a href="https://tickets.example/queue/?event=e-1"');
    expect(mail.html).toContain('Your place in the queue</a>');
    expect(mail.html).not.toContain('about your order');
    expect(renderMail(turnNearMail({ event, ahead: 1, queueUrl: 'x' })).text).toContain(
      'About 1 fan is ahead',
    );
    expect(renderMail(turnNearMail({ event, ahead: 0, queueUrl: 'x' })).text).toContain(
      'You are next in the queue',
    );
  });
});
