import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureFrontendBuilds } from './frontends';
import { backendDir, REPO_ROOT, SERVICE_NAMES } from './paths';

/** `npm run build`: every frontend (vite) and every backend bundle (esbuild → dist/main.js). */
async function main(): Promise<void> {
  await ensureFrontendBuilds((m) => console.log(`[build] ${m}`), true);
  for (const svc of SERVICE_NAMES) {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/bundle-backend.mjs')], {
      cwd: backendDir(svc),
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`bundling ${svc}-backend failed`);
    console.log(`[build] ${svc}-backend → dist/main.js`);
  }
}

main().catch((err: unknown) => {
  console.error(`[build] ${(err as Error).message}`);
  process.exit(1);
});
