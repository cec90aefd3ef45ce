import { parseReceiptFile, RECEIPT_FILE_KIND, type PublicJwk, type ReceiptFile } from '@ticketslave/draw';

/**
 * The fan's join receipt, kept in this browser from the moment the buffer signed it, and the
 * "Save my receipt" file (the format `npm run verify-draw --receipt` and the check below read).
 * Kept with the buffer's keys as fetched then: evidence that does not depend on the fairness
 * document later naming the same keys.
 */
const storageKey = (eventId: string) => `ticketslave.receipt.${eventId}`;

export function keptReceipt(eventId: string): ReceiptFile | null {
  try {
    const text = localStorage.getItem(storageKey(eventId));
    if (!text) return null;
    parseReceiptFile(text); // still readable
    return JSON.parse(text) as ReceiptFile;
  } catch {
    return null;
  }
}

/** Keeps the receipt (and the buffer's keys as they are now) in this browser. */
export async function keepReceipt(eventId: string, token: string): Promise<ReceiptFile> {
  const jwksUrl = `${location.origin}/buffer/.well-known/jwks.json`;
  let jwks: { keys: PublicJwk[] } | undefined;
  try {
    const res = await fetch(jwksUrl);
    if (res.ok) jwks = (await res.json()) as { keys: PublicJwk[] };
  } catch {
    // Kept without keys: the check then relies on the document's keys alone.
  }
  const file: ReceiptFile = {
    kind: RECEIPT_FILE_KIND,
    eventId,
    receipt: token,
    ...(jwks ? { jwks } : {}),
    jwksUrl,
    fairnessUrl: `${location.origin}/buffer/api/events/${encodeURIComponent(eventId)}/fairness`,
  };
  try {
    localStorage.setItem(storageKey(eventId), JSON.stringify(file));
  } catch {
    // Private mode or a full storage: the fan can still save the file.
  }
  return file;
}

/** "Save my receipt": the kept receipt as a JSON file. */
export function downloadReceiptFile(file: ReceiptFile): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `join-receipt-${file.eventId}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
