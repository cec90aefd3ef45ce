/** BENCH_LOOP_LAG=1: logs every event-loop stall over 200 ms (how long, until when) to stderr. */
export function logLoopStalls(role: string): void {
  if (!process.env.BENCH_LOOP_LAG) return;
  let last = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (now - last > 250)
      console.error(
        `[${role}] event loop stalled ${now - last - 50} ms until ${new Date(now).toISOString()}`,
      );
    last = now;
  }, 50).unref();
}
