import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian packages the tests use: Chromium for browser journeys, shellcheck for the release scripts. */
const PACKAGES: { bin: string; pkg: string }[] = [
  { bin: '/usr/bin/chromium', pkg: 'chromium' },
  { bin: '/usr/bin/shellcheck', pkg: 'shellcheck' },
];

export function ensureSystemPackages(log: (m: string) => void): void {
  const missing = PACKAGES.filter((p) => !existsSync(p.bin));
  if (!missing.length) return;
  const names = missing.map((p) => p.pkg);
  if (process.getuid?.() !== 0) {
    log(
      `missing Debian packages ${names.join(', ')} and not root: install them with apt-get (browser/shell tests will fail)`,
    );
    return;
  }
  log(`installing Debian packages: ${names.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) throw new Error(`apt-get install ${names.join(' ')} failed`);
}
