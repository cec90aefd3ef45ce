/** Stops the broker global-setup started (if it started one). */
export default async function globalTeardown(): Promise<void> {
  const broker = (globalThis as { __tsTestBroker?: { stop(): Promise<void> } }).__tsTestBroker;
  if (broker) await broker.stop();
}
