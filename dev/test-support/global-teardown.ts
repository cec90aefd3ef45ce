/** Nothing to stop: the broker global-setup may start is shared by later runs (see global-setup.ts). */
export default async function globalTeardown(): Promise<void> {}
