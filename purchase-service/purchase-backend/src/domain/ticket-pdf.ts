import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { CODE_PERIOD_SECONDS } from '@ticketslave/contracts';
import { formatMoney } from './money';
import type { UserTicket } from './ports';
import { eventWhen, placeName, ticketRef, timeOfDay } from './ticket-text';

const BRAND = '#27206b';
const ACCENT = '#f5b83d';
const MUTED = '#5b5f73';

/** What the printed ticket says where it carries no code (the event admits live codes only). */
export const NO_PRINTED_CODE = 'This ticket has no code on paper';

/**
 * A valid ticket as a one-page PDF (A4) to print or keep: the event, its date and time in the
 * venue's zone with the zone named, the place, the price, the order and the ticket's short
 * reference. Paper cannot rotate, so it carries a scannable code only where the door
 * accepts one: the ticket's static signed code, when the organiser allows printed codes
 * for the event (check-in refuses the bare code as expired otherwise). Without that, it
 * says to open the ticket on the phone, and carries no QR at all, so nobody queues at the
 * door with a code that cannot get in.
 *
 * Standard PDF fonts (Helvetica, WinAnsi): Latin scripts print; other scripts would need an
 * embedded font, which we do not ship yet.
 */
export async function ticketPdf(t: UserTicket, ticketsUrl: string): Promise<Buffer> {
  const qr = t.staticCodes
    ? await QRCode.toBuffer(t.code, { errorCorrectionLevel: 'M', margin: 4, width: 600 })
    : null;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `Ticket ${ticketRef(t.ticketId)}: ${t.eventTitle}`,
      Author: 'TicketSlave',
      Subject: `${t.eventTitle}, ${placeName(t)}`,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = 50;
  const width = doc.page.width - 100;
  // Header band.
  doc.rect(0, 0, doc.page.width, 70).fill(BRAND);
  doc.font('Helvetica-Bold').fontSize(20).fillColor(ACCENT).text('TicketSlave', left, 24);
  doc
    .font('Helvetica')
    .fontSize(11)
    .fillColor('#ffffff')
    .text('E-ticket', left, 30, { width, align: 'right' });

  // The event.
  doc.font('Helvetica-Bold').fontSize(24).fillColor('#000000').text(t.eventTitle, left, 100, { width });
  doc.moveDown(0.3).font('Helvetica').fontSize(13).text(eventWhen(t.startsAt, t.timeZone), { width });
  if (t.doorsAt)
    doc
      .fontSize(11)
      .fillColor(MUTED)
      .text(`Doors open ${timeOfDay(t.doorsAt, t.timeZone)}`);
  doc.fontSize(13).fillColor('#000000').text(t.venue, { width });

  // The ticket: details on the left, the code (or why there is none) on the right.
  const top = doc.y + 24;
  const boxHeight = 300;
  doc.roundedRect(left, top, width, boxHeight, 8).lineWidth(1).strokeColor('#c9cbd6').stroke();
  const detailsWidth = width - 260;
  let y = top + 20;
  const field = (label: string, value: string, size = 13) => {
    doc
      .font('Helvetica')
      .fontSize(9)
      .fillColor(MUTED)
      .text(label.toUpperCase(), left + 20, y, {
        width: detailsWidth - 20,
        characterSpacing: 0.5,
      });
    doc
      .font('Helvetica-Bold')
      .fontSize(size)
      .fillColor('#000000')
      .text(value, left + 20, doc.y + 2, {
        width: detailsWidth - 20,
      });
    y = doc.y + 12;
  };
  field(t.section ? 'Seat' : 'Place', placeName(t));
  field('Category', t.categoryName);
  field('Price', formatMoney(t.priceMinor, t.currency));
  field('Ticket reference', ticketRef(t.ticketId));
  // Small enough that the order id stays on one line, as the organiser's search takes it.
  field('Order', t.orderId, 9.5);

  const codeLeft = left + detailsWidth;
  const codeWidth = 240;
  if (qr) {
    doc.image(qr, codeLeft + 20, top + 20, { width: 200, height: 200 });
    doc
      .font('Helvetica')
      .fontSize(10)
      .fillColor(MUTED)
      .text('Scan at the door. It admits once: keep it to yourself.', codeLeft + 10, top + 230, {
        width: codeWidth - 20,
        align: 'center',
      });
  } else {
    doc.roundedRect(codeLeft + 10, top + 20, codeWidth - 20, boxHeight - 40, 6).fill('#f1f2f6');
    const lines = [
      `Open your ticket on your phone at the door: its QR code changes every ${CODE_PERIOD_SECONDS} seconds, so a copy or a printout cannot get in.`,
      `Your tickets page keeps working offline once you have opened it: ${ticketsUrl}`,
      `No phone? Door staff can find your ticket by its reference, ${ticketRef(t.ticketId)}.`,
    ];
    doc
      .font('Helvetica-Bold')
      .fontSize(12)
      .fillColor(BRAND)
      .text(`${NO_PRINTED_CODE}.`, codeLeft + 24, top + 36, { width: codeWidth - 48 });
    doc.font('Helvetica').fontSize(10).fillColor('#000000');
    for (const line of lines) doc.moveDown(0.6).text(line, { width: codeWidth - 48 });
  }

  doc
    .font('Helvetica')
    .fontSize(9)
    .fillColor(MUTED)
    .text(
      'This ticket is personal. Each ticket admits one person once; the first scan wins. Refunds and changes: your tickets page.',
      left,
      top + boxHeight + 20,
      { width },
    )
    .text(ticketsUrl, { width, link: ticketsUrl, underline: true });
  doc.end();
  return done;
}
