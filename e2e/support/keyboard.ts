import type { Page } from 'playwright-core';

/** The element that has focus, as a keyboard user meets it. */
export interface Focused {
  /** `body` when nothing on the page has focus (the start of a freshly loaded page). */
  tag: string;
  /** Its accessible name, roughly: aria-label, then its label, then its text. */
  name: string;
  role: string | null;
  /** Chromium's own `:focus-visible` heuristics agree that a focus indicator should show… */
  focusVisible: boolean;
  /** …and one does: an outline of some width, or a box-shadow ring. */
  indicator: boolean;
  /** Inside the main region (not the header or the footer). */
  inMain: boolean;
}

export async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body)
      return { tag: 'body', name: '', role: null, focusVisible: false, indicator: false, inMain: false };
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const labels = (el as HTMLInputElement).labels;
    const name = (
      el.getAttribute('aria-label') ??
      (labels?.length ? labels[0]!.textContent : null) ??
      el.textContent ??
      ''
    )
      .replace(/\s+/g, ' ')
      .trim();
    return {
      tag: el.tagName.toLowerCase(),
      name,
      role: el.getAttribute('role'),
      focusVisible: el.matches(':focus-visible'),
      indicator: outline || (style.boxShadow !== 'none' && style.boxShadow !== ''),
      inMain: Boolean(el.closest('main')),
    };
  });
}

/**
 * A keyboard user's hands: every key goes through `press`, which counts it, and every
 * Tab stop is checked for a visible focus indicator. No mouse, no `element.click()`.
 */
export class Keyboard {
  /** Every key pressed, in order (typing counts one per character). */
  readonly keys: string[] = [];
  /** Tab stops that showed no focus indicator, as `name (page)`. */
  readonly invisible: string[] = [];

  constructor(public page: Page) {}

  async press(key: string): Promise<void> {
    this.keys.push(key);
    await this.page.keyboard.press(key);
  }

  async type(text: string): Promise<void> {
    for (const ch of text) this.keys.push(ch);
    await this.page.keyboard.type(text);
  }

  /** Key presses in `keys[from, to)`, leaving out `skip` (a detour), by kind: Tab, arrows, activations (Enter/Space), typing. */
  tally(
    from = 0,
    to = this.keys.length,
    skip: [number, number] = [0, 0],
  ): { total: number; tab: number; arrows: number; activations: number; typed: number } {
    const keys = this.keys.slice(from, to).filter((_, i) => i + from < skip[0] || i + from >= skip[1]);
    return {
      total: keys.length,
      tab: keys.filter((k) => k === 'Tab' || k === 'Shift+Tab').length,
      arrows: keys.filter((k) => k.startsWith('Arrow')).length,
      activations: keys.filter((k) => k === 'Enter' || k === 'Space').length,
      typed: keys.filter((k) => k.length === 1).length,
    };
  }

  /**
   * Tabs (or Shift+Tabs) until focus is on an element whose name matches, checking that
   * each stop on the way shows where focus is. Fails after `max` stops.
   */
  async tabTo(name: RegExp, opts: { back?: boolean; max?: number; role?: string } = {}): Promise<Focused> {
    const max = opts.max ?? 40;
    const seen: string[] = [];
    for (let i = 0; i < max; i++) {
      await this.press(opts.back ? 'Shift+Tab' : 'Tab');
      const f = await focused(this.page);
      seen.push(`${f.tag}${f.role ? `[${f.role}]` : ''} "${f.name}"`);
      if (f.tag !== 'body' && !(f.focusVisible && f.indicator))
        this.invisible.push(`${f.name || f.tag} (${new URL(this.page.url()).pathname})`);
      if (name.test(f.name) && (!opts.role || f.role === opts.role)) return f;
    }
    throw new Error(
      `no Tab stop named ${name} within ${max} stops on ${this.page.url()}; met: ${seen.join(', ')}`,
    );
  }
}
