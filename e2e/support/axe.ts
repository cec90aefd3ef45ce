import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

let axeSource: string | undefined;
/** axe-core's browser build, read once. */
const axeScript = () =>
  (axeSource ??= readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8'));

/** The WCAG 2.2 AA rule sets (axe's tags); best practices are left out. */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Pages a fan sees: the feed (not the organiser's dashboard, the admin pages or the
 * organiser application), the waiting room, the queue, the seat map, orders and tickets,
 * payment. Staff pages (check-in, the door) and other origins (the Stripe stand-in's
 * hosted page, the mail inbox) are not ours to check here.
 */
export function isFanPage(url: string, origin: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.origin !== origin) return false;
  const p = u.pathname;
  if (/^\/feed\/(dashboard|admin|organise|ui-gallery)/.test(p)) return false;
  if (/^\/purchase\/(checkin|door)/.test(p)) return false;
  return /^\/(feed|buffer|queue|purchase|payment)(\/|$)/.test(p);
}

export interface AxeViolation {
  /** Where and what: the fan's step, e.g. `alice seat-map (/purchase/events/…)`. */
  page: string;
  id: string;
  impact: string;
  help: string;
  /** The first few offending elements' selectors and axe's summary of what is wrong. */
  nodes: string[];
}

/**
 * Runs axe-core in the page against WCAG 2.2 A/AA and
 * returns the serious and critical violations. A page that navigates while axe runs
 * yields nothing rather than an error: the next step checks the page it landed on.
 */
export async function axeViolations(page: Page, where: string): Promise<AxeViolation[]> {
  const url = page.url();
  try {
    const has = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
    // Evaluated over the DevTools protocol, which our `script-src 'self'` policy does not
    // govern (`addScriptTag` inserts an inline script, which it refuses).
    if (!has) await page.evaluate(axeScript());
    const results = await page.evaluate(async (tags) => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<AxeRaw> } })
        .axe;
      type AxeRaw = {
        violations: {
          id: string;
          impact: string | null;
          help: string;
          nodes: { target: unknown[]; failureSummary?: string }[];
        }[];
      };
      const r = await axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? 'unknown',
        help: v.help,
        nodes: v.nodes.map(
          (n) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').trim()}`,
        ),
      }));
    }, WCAG_AA);
    const lesser = results.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
    if (lesser.length && process.env.E2E_VERBOSE)
      console.log(
        `axe-core, ${where}: minor/moderate ${lesser.map((v) => `${v.id} (${v.nodes.length})`).join(', ')}`,
      );
    return results
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ ...v, page: `${where} (${new URL(url).pathname})`, nodes: v.nodes.slice(0, 5) }));
  } catch (err) {
    if (page.isClosed() || page.url() !== url) return [];
    if (/Execution context was destroyed|navigation/i.test((err as Error).message)) return [];
    throw err;
  }
}

/** One line per violation and offending element, for a failure message. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) =>
      [`${v.page}: [${v.impact}] ${v.id} — ${v.help}`, ...v.nodes.map((n) => `    ${n}`)].join('\n'),
    )
    .join('\n');
}
