// The order jest starts suites in. Without a timing cache (a fresh clone, as in CI) jest
// starts the biggest files first, which put the browser journeys (the longest suites, most
// of their time spent waiting for a sale to open or a hold to lapse) among the last, with
// one worker idle behind them. Journeys go first, longest first, as many at once as they may
// run (`E2E_JOURNEY_SLOTS`, one by default, see e2e/support/platform.ts) and then one after
// every eight other suites (a worker that picks one while the slots are taken waits for a
// slot); the rest in jest's order.
const Sequencer = require('@jest/test-sequencer').default;

/** Seconds each journey took in CI (a hint for the order only; unknown journeys count 120). */
const JOURNEY_SECONDS = {
  'main-journey': 500,
  'fan-accessibility': 320,
  'organiser-journey': 320,
  'keep-your-tickets': 300,
  'german': 205,
  'fair-queue': 145,
};
const journey = (p) => /\/e2e\/[^/]+\.e2e\.test\.ts$/.test(p);
const seconds = (p) => JOURNEY_SECONDS[p.replace(/^.*\/e2e\/|\.e2e\.test\.ts$/g, '')] ?? 120;

class JourneysFirst extends Sequencer {
  async sort(tests) {
    const rest = await super.sort(tests.filter((t) => !journey(t.path)));
    const journeys = tests.filter((t) => journey(t.path)).sort((a, b) => seconds(b.path) - seconds(a.path));
    // As many journeys at the front as may run at once (e2e/support/platform.ts), then one
    // after every eight other suites: a worker that picks a journey while the slots are taken
    // waits idle for one (the journeys are the longest chain; the idle worker keeps the
    // machine's load where their timings hold).
    const slots = Math.max(1, Number(process.env.E2E_JOURNEY_SLOTS ?? 1));
    const order = journeys.splice(0, slots);
    for (const j of journeys) order.push(...rest.splice(0, 8), j);
    return [...order, ...rest];
  }
}
module.exports = JourneysFirst;
