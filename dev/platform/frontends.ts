import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { frontendDir, REPO_ROOT, SERVICE_NAMES, type ServiceName } from './paths';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Frontends whose build is missing or older than their sources, index.html, vite.config.ts (or libs/ui's and libs/contracts'). */
export function staleFrontends(): ServiceName[] {
  const ui = Math.max(
    newestMtime(path.join(REPO_ROOT, 'libs/ui/src')),
    newestMtime(path.join(REPO_ROOT, 'libs/contracts/src')),
  );
  return SERVICE_NAMES.filter((svc) => {
    const dir = frontendDir(svc);
    if (!existsSync(path.join(dir, 'package.json'))) return false;
    const index = path.join(dir, 'dist/index.html');
    if (!existsSync(index)) return true;
    const built = statSync(index).mtimeMs;
    return (
      Math.max(
        ui,
        newestMtime(path.join(dir, 'src')),
        statSync(path.join(dir, 'index.html')).mtimeMs,
        statSync(path.join(dir, 'vite.config.ts')).mtimeMs,
      ) > built
    );
  });
}

function build(svc: ServiceName): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
      {
        cwd: frontendDir(svc),
        stdio: ['ignore', 'inherit', 'inherit'],
        // A production build whoever asks (jest sets NODE_ENV=test, which Vite would keep:
        // Svelte's dev mode, `import.meta.env.PROD` false, no service worker registered).
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build of ${svc}-frontend failed (${code})`)),
    );
  });
}

/** Builds stale frontends, two at a time (the machine has two cores). */
export async function ensureFrontendBuilds(log: (m: string) => void, force = false): Promise<void> {
  const todo = force ? [...SERVICE_NAMES] : staleFrontends();
  if (!todo.length) return;
  log(`building frontends: ${todo.join(', ')}`);
  const queue = [...todo];
  await Promise.all(
    [0, 1].map(async () => {
      for (let svc = queue.shift(); svc; svc = queue.shift()) await build(svc);
    }),
  );
}
