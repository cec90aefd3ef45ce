import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { LOCAL } from '../../dev/platform/paths';
import { axeViolations, formatViolations, isFanPage, type AxeViolation } from './axe';

export const RESULTS_DIR = path.join(LOCAL, 'test-results', 'e2e');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type Device = 'desktop' | 'mobile';

const DEVICES: Record<Device, Parameters<Browser['newContext']>[0]> = {
  desktop: { viewport: { width: 1280, height: 800 } },
  mobile: {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
  },
};

export interface ConsoleEntry {
  kind: 'console' | 'pageerror' | 'requestfailed' | 'response';
  level: string;
  text: string;
  url?: string;
  status?: number;
}

/** A fan (or organiser) with their own browser context: own cookies, own page. */
export interface Fan {
  name: string;
  device: Device;
  context: BrowserContext;
  page: Page;
  /** Everything the page said: console messages, page errors, failed requests, HTTP ≥ 400. */
  log: ConsoleEntry[];
  /**
   * Opens a fresh page in the same context (same cookies) and makes it `page`, with
   * the same logging; closes the old page first unless it is already closed. A fan
   * who closed the tab and comes back.
   */
  newPage(): Promise<Page>;
  /** Goes to `url` (absolute, or relative to the platform origin) and saves a screenshot. */
  visit(url: string, shot: string): Promise<Response | null>;
  /** Saves `NN-<fan>-<name>.png` of the current page in this test's results directory. */
  screenshot(name: string): Promise<string>;
  /**
   * Console errors and page errors, except the ones `allow` matches. Chromium logs
   * a failed fetch as "Failed to load resource: … status of 401"; the URL is on the entry.
   */
  errors(allow?: (e: ConsoleEntry) => boolean): ConsoleEntry[];
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 80) || 'test'
  );
}

/** This test's results directory, from jest's current test name. */
function currentTestDir(): string {
  return path.join(RESULTS_DIR, slug(expect.getState().currentTestName ?? 'outside-a-test'));
}

/**
 * Debian's Chromium for one test file (launched in beforeAll, closed in afterAll).
 * `fan()` opens a fresh context per fan; contexts close after each test.
 * Wrap a test body in `artifacts(...)` (or use `e2eIt`) so a failure leaves every
 * open page's HTML, screenshot and console log in the test's results directory.
 */
export function useBrowser(
  opts: {
    baseUrl?: () => Promise<string> | string;
    /**
     * Run axe-core on every fan page a screenshot is taken of (once per device, step
     * and path) and fail the test at its end on any serious or critical WCAG 2.2 AA
     * violation [off; on in every browser journey: issue 20.3 asks for every fan page].
     */
    axe?: boolean;
  } = {},
) {
  let browser: Browser | undefined;
  let fans: Fan[] = [];
  let violations: AxeViolation[] = [];
  const axeChecked = new Set<string>();
  let counter = 0;
  let counterDir = '';

  // A test's directory is emptied when the test first writes to it, so a rerun
  // never mixes with the artifacts of an earlier one.
  const testDir = () => {
    const dir = currentTestDir();
    if (dir !== counterDir) {
      rmSync(dir, { recursive: true, force: true });
      counterDir = dir;
      counter = 0;
    }
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const nextNumber = () => {
    counter += 1;
    return String(counter).padStart(2, '0');
  };

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(fans.map((f) => f.context.close().catch(() => undefined)));
    fans = [];
    violations = [];
    axeChecked.clear();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /**
   * A fan with their own context. `locale` is the browser's language (navigator.languages,
   * Accept-Language): en-US unless a journey asks for another, e.g. de-DE for the German UI.
   */
  async function fan(name = 'fan', device: Device = 'desktop', fanOpts: { locale?: string } = {}): Promise<Fan> {
    if (!browser) throw new Error('useBrowser(): the browser is not launched (call it at file level)');
    const baseURL = opts.baseUrl ? await opts.baseUrl() : undefined;
    const context = await browser.newContext({ ...DEVICES[device], baseURL, locale: fanOpts.locale ?? 'en-US' });
    const log: ConsoleEntry[] = [];
    const watch = (page: Page) => {
      page.on('console', (m) =>
        log.push({ kind: 'console', level: m.type(), text: m.text(), url: m.location().url }),
      );
      page.on('pageerror', (err) => log.push({ kind: 'pageerror', level: 'error', text: String(err) }));
      page.on('requestfailed', (r) =>
        log.push({
          kind: 'requestfailed',
          level: 'info',
          text: `${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`,
        }),
      );
      page.on('response', (r) => {
        if (r.status() >= 400)
          log.push({
            kind: 'response',
            level: 'info',
            text: `${r.request().method()} ${r.url()} → ${r.status()}`,
            url: r.url(),
            status: r.status(),
          });
      });
      return page;
    };
    const f: Fan = {
      name,
      device,
      context,
      page: watch(await context.newPage()),
      log,
      async newPage() {
        if (!f.page.isClosed()) await f.page.close();
        f.page = watch(await context.newPage());
        return f.page;
      },
      async screenshot(shot) {
        const dir = testDir();
        const file = path.join(dir, `${nextNumber()}-${slug(`${name}-${shot}`)}.png`);
        // Chromium waits for a fresh frame; a page that navigates meanwhile (the waiting room
        // moves on to the queue by itself) or a starved renderer may never give one.
        for (let attempt = 1; ; attempt++) {
          const page = f.page;
          const url = page.url();
          try {
            await page.screenshot({ path: file, fullPage: true, timeout: 20_000 });
            await checkAccessibility(f, shot);
            return file;
          } catch (err) {
            if (page.isClosed() || page.url() !== url) {
              log.push({ kind: 'console', level: 'info', text: `screenshot ${shot}: the page left ${url}` });
              return file;
            }
            if (attempt === 2) throw err;
          }
        }
      },
      async visit(url, shot) {
        const res = await f.page.goto(url, { waitUntil: 'load' });
        // Pages that poll or stream never go network-idle; a settled first render is enough.
        await f.page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
        await f.screenshot(shot);
        return res;
      },
      errors(allow = () => false) {
        return log.filter(
          (e) => (e.kind === 'pageerror' || (e.kind === 'console' && e.level === 'error')) && !allow(e),
        );
      },
    };
    fans.push(f);
    return f;
  }

  /**
   * axe-core on the page just photographed, when it is a fan page on the platform's
   * origin and this device has not had this step on this path checked yet (three fans
   * taking the same steps cost one run, not three).
   */
  async function checkAccessibility(f: Fan, shot: string): Promise<void> {
    if (!opts.axe || !opts.baseUrl) return;
    const origin = new URL(await opts.baseUrl()).origin;
    const url = f.page.url();
    if (!isFanPage(url, origin)) return;
    const key = `${f.device} ${shot} ${new URL(url).pathname}`;
    if (axeChecked.has(key)) return;
    axeChecked.add(key);
    violations.push(...(await axeViolations(f.page, `${f.name} ${f.device} ${shot}`)));
  }

  /** Writes HTML, screenshot and console log of every open page; used when a test fails. */
  async function dumpFailure(err: unknown): Promise<void> {
    const dir = testDir();
    for (const f of fans) {
      const base = path.join(dir, `failure-${slug(f.name)}`);
      try {
        writeFileSync(`${base}.html`, await f.page.content());
        await f.page.screenshot({ path: `${base}.png`, fullPage: true });
      } catch {
        // the page may be gone; the console log below still helps
      }
      writeFileSync(
        `${base}.console.log`,
        [`url: ${f.page.url()}`, ...f.log.map((e) => `[${e.kind}:${e.level}] ${e.text}`)].join('\n') + '\n',
      );
    }
    writeFileSync(path.join(dir, 'failure.txt'), `${(err as Error)?.stack ?? String(err)}\n`);
  }

  /**
   * Wraps a test body: on failure, saves every open page's HTML and console log, then rethrows.
   * A body that passed still fails when axe found serious or critical violations on a fan page.
   */
  function artifacts(body: () => Promise<void>): () => Promise<void> {
    return async () => {
      try {
        await body();
        if (axeChecked.size)
          console.log(
            `axe-core: ${axeChecked.size} fan page states checked, ${violations.length} serious or critical violations`,
          );
        if (violations.length)
          throw new Error(
            `axe-core: ${violations.length} serious or critical WCAG 2.2 AA violation(s) on fan pages:\n${formatViolations(violations)}`,
          );
      } catch (err) {
        await dumpFailure(err).catch(() => undefined);
        throw err;
      }
    };
  }

  return {
    fan,
    artifacts,
    /** `it` whose failures leave artifacts. */
    it: (name: string, body: () => Promise<void>, timeoutMs = 120_000) =>
      it(name, artifacts(body), timeoutMs),
    get browser(): Browser {
      if (!browser) throw new Error('browser not launched');
      return browser;
    },
  };
}
