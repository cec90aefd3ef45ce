import jsQR from 'jsqr';
import type { Page } from 'playwright-core';

/**
 * The code a fan's tickets page shows now for `ticketId`, read from the pixels of its live
 * QR (drawn onto a canvas in the page, decoded with jsQR, as a door camera would): what a
 * screenshot taken now would hold.
 */
export async function shownTicketCode(page: Page, ticketId: string): Promise<string> {
  const qr = page.getByRole('img', { name: `Live QR code of ticket ${ticketId}` });
  await qr.waitFor({ timeout: 45_000 });
  const size = 400;
  const pixels = await qr.evaluate(async (svg, px) => {
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = px;
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, px, px);
    return Array.from(ctx.getImageData(0, 0, px, px).data);
  }, size);
  const found = jsQR(Uint8ClampedArray.from(pixels), size, size);
  if (!found) throw new Error(`no readable QR code for ticket ${ticketId}`);
  return found.data;
}

/**
 * Waits for the page's codes to turn to a new 30-s window, then reads the code: it stays
 * acceptable for about a minute (its window and the next).
 */
export async function freshTicketCode(page: Page, ticketId: string): Promise<string> {
  const before = await shownTicketCode(page, ticketId);
  for (const deadline = Date.now() + 35_000; Date.now() < deadline;) {
    await page.waitForTimeout(500);
    const now = await shownTicketCode(page, ticketId);
    if (now !== before) return now;
  }
  throw new Error(`the code of ticket ${ticketId} did not change in 35 s`);
}

/**
 * What the door app (`/purchase/checkin`) answered to a scan: waits for its verdict screen and
 * returns the verdict's kind (`admitted`, `already_used`, `expired`, …). When no verdict comes,
 * the error names what the page showed instead (an error under the form, a spinner, a login).
 */
export async function doorVerdict(page: Page, timeout = 45_000): Promise<string> {
  const verdict = page.getByTestId('verdict');
  try {
    await verdict.waitFor({ timeout });
  } catch {
    const shown = await page
      .locator('main')
      .innerText({ timeout: 5_000 })
      .catch((err: unknown) => `(unreadable: ${String(err)})`);
    throw new Error(
      `no verdict from the door app in ${timeout / 1000} s; the page showed:\n${shown.slice(0, 2000)}`,
    );
  }
  return (await verdict.getAttribute('data-verdict')) ?? '';
}

/**
 * A ticket's short reference as fans see it in mails, PDFs and passes (the first 8 characters of
 * its id without dashes, uppercased), spelled out here as the spec the pages are held to.
 */
export const ticketRefOf = (ticketId: string): string => ticketId.replace(/-/g, '').slice(0, 8).toUpperCase();
