import { PKPass } from 'passkit-generator';
import { CODE_PERIOD_SECONDS } from '@ticketslave/contracts';
import { formatMoney } from './money';
import type { UserTicket } from './ports';
import { eventWhen, placeName, ticketRef, timeOfDay } from './ticket-text';
import { walletImages } from './wallet-images';

/**
 * Who signs the passes: the Pass Type ID certificate Apple issued to the team (PEM, with its
 * key) and Apple's WWDR intermediate. In development and tests a local CA stands in for
 * Apple's (dev/test-support/wallet.ts); Wallet on a real iPhone accepts only Apple's chain.
 */
export interface WalletSigning {
  passTypeIdentifier: string;
  teamIdentifier: string;
  organizationName: string;
  signerCert: string;
  signerKey: string;
  signerKeyPassphrase?: string;
  wwdr: string;
}

/** What the back of a pass says where it carries no barcode. */
export const NO_WALLET_BARCODE = 'Show the live code from your tickets page';

/**
 * A valid ticket as an Apple Wallet pass (an eventTicket `.pkpass`: pass.json, images,
 * manifest.json with every file's SHA-1, and its detached PKCS#7 signature).
 *
 * A pass's barcode is fixed for a version of the pass: rotating it would take Apple's pass
 * web service and push updates every window, which we do not run. So the pass carries the
 * ticket's static signed code only where the organiser accepts printed codes at the door,
 * like the PDF; otherwise no barcode at all, and its front and back say to show the live
 * code from the tickets page. Either way it keeps the event, time, place and reference on
 * the lock screen near the day.
 */
export function walletPass(t: UserTicket, signing: WalletSigning, ticketsUrl: string): Buffer {
  const ref = ticketRef(t.ticketId);
  const door = t.staticCodes
    ? 'Show this pass at the door: its code admits once.'
    : `${NO_WALLET_BARCODE}: the event admits only the QR code that changes every ${CODE_PERIOD_SECONDS} seconds, so this pass carries none. Your tickets page works offline once opened: ${ticketsUrl}. No phone signal or battery? Door staff find your ticket by its reference, ${ref}.`;
  const passJson = {
    formatVersion: 1,
    passTypeIdentifier: signing.passTypeIdentifier,
    teamIdentifier: signing.teamIdentifier,
    organizationName: signing.organizationName,
    serialNumber: t.ticketId,
    description: `Ticket for ${t.eventTitle}`,
    logoText: 'TicketSlave',
    foregroundColor: 'rgb(255, 255, 255)',
    backgroundColor: 'rgb(39, 32, 107)',
    labelColor: 'rgb(245, 184, 61)',
    relevantDate: t.startsAt.toISOString(),
    eventTicket: {
      headerFields: [{ key: 'ref', label: 'TICKET', value: ref }],
      primaryFields: [{ key: 'event', label: 'EVENT', value: t.eventTitle }],
      secondaryFields: [
        { key: 'when', label: 'WHEN', value: eventWhen(t.startsAt, t.timeZone) },
        { key: 'venue', label: 'VENUE', value: t.venue },
      ],
      auxiliaryFields: [
        { key: 'place', label: t.section ? 'SEAT' : 'PLACE', value: placeName(t) },
        ...(t.staticCodes ? [] : [{ key: 'entry', label: 'ENTRY', value: 'Live code on your phone' }]),
      ],
      backFields: [
        { key: 'door', label: 'At the door', value: door },
        ...(t.doorsAt
          ? [{ key: 'doors', label: 'Doors open', value: timeOfDay(t.doorsAt, t.timeZone) }]
          : []),
        { key: 'category', label: 'Category', value: t.categoryName },
        { key: 'price', label: 'Price', value: formatMoney(t.priceMinor, t.currency) },
        { key: 'order', label: 'Order', value: t.orderId },
        { key: 'tickets', label: 'Your tickets', value: ticketsUrl },
      ],
    },
  };
  const pass = new PKPass(
    { ...walletImages(), 'pass.json': Buffer.from(JSON.stringify(passJson)) },
    {
      signerCert: signing.signerCert,
      signerKey: signing.signerKey,
      signerKeyPassphrase: signing.signerKeyPassphrase,
      wwdr: signing.wwdr,
    },
  );
  if (t.staticCodes)
    pass.setBarcodes({
      format: 'PKBarcodeFormatQR',
      message: t.code,
      messageEncoding: 'iso-8859-1',
      altText: ref,
    });
  return pass.getAsBuffer();
}
