import type { Page } from 'playwright-core';

/**
 * The fan switches to another tab: the page's `document.hidden` becomes true and it hears
 * `visibilitychange` (headless Chromium keeps every page visible on its own).
 */
export async function hideTab(page: Page): Promise<void> {
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

/** The fan comes back to the tab hidden by `hideTab`. */
export async function showTab(page: Page): Promise<void> {
  await page.evaluate(() => {
    delete (document as { hidden?: boolean }).hidden;
    delete (document as { visibilityState?: string }).visibilityState;
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

/**
 * Every queue page this tab loads from now on starts hidden (`hideTab` before its first
 * script): a fan who opens the queue and goes to another tab at once, before the turn can
 * come. `showTab` brings the loaded page back.
 */
export async function queuePagesStartHidden(page: Page): Promise<void> {
  await page.addInitScript(() => {
    if (!location.pathname.startsWith('/queue/')) return;
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  });
}
