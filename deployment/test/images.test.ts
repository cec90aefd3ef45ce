import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PORTS, REPO_ROOT, SECRET_VARS, SERVICES } from './support/hcl';

/** The instructions of the last stage of a Dockerfile. */
function finalStage(src: string): string {
  const parts = src.split(/^FROM /m);
  return 'FROM ' + parts[parts.length - 1]!;
}

describe.each(SERVICES)('%s-service/Dockerfile', (svc) => {
  const src = readFileSync(path.join(REPO_ROOT, `${svc}-service`, 'Dockerfile'), 'utf8');
  const runtime = finalStage(src);

  it('is multi-stage on Node 24: build with dev deps, run with production deps only', () => {
    expect(src.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
    expect(src).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m); // glibc: libsodium's prebuilt binding loads
    expect(src).toMatch(
      new RegExp(`npm ci [^\\n]*\\\\?\\n?\\s*-w @ticketslave/${svc}-backend -w @ticketslave/${svc}-frontend`),
    );
    expect(src).toMatch(new RegExp(`npm ci --omit=dev [^\\n]*-w @ticketslave/${svc}-backend`));
    expect(runtime).not.toMatch(/npm (ci|install)/);
  });

  it('bakes in the bundled backend and the frontend build', () => {
    expect(runtime).toContain(`COPY --from=build /src/${svc}-service/${svc}-backend/dist/`);
    expect(runtime).toContain(`COPY --from=build /src/${svc}-service/${svc}-frontend/dist/ frontend/`);
    expect(runtime).toMatch(/FRONTEND_DIR=\/app\/frontend/);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
  });

  it('runs as a non-root user with a health check on its port', () => {
    const user = runtime.match(/^USER (\S+)$/m)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime).toMatch(new RegExp(`^EXPOSE ${PORTS[svc]}$`, 'm'));
    expect(runtime).toMatch(new RegExp(`PORT=${PORTS[svc]}`));
    expect(runtime).toMatch(new RegExp(`^HEALTHCHECK [\\s\\S]*/${svc}/healthz`, 'm'));
  });

  it('takes no secret as ARG or ENV', () => {
    const declared = [...src.matchAll(/^(?:ARG|ENV)\s+([\s\S]*?)(?<!\\)$/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((x) => x[1]!),
    );
    expect(declared.filter((k) => SECRET_VARS.includes(k) || /SECRET|PASSWORD|TOKEN|JWKS/.test(k))).toEqual(
      [],
    );
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
  it('keeps secrets, dependencies and build output out of the build context', () => {
    expect(lines).toEqual(
      expect.arrayContaining(['.git', '**/node_modules', '**/dist', '.local', '.env', '.env.*']),
    );
  });
});

describe('dev/Dockerfile.standins', () => {
  const src = readFileSync(path.join(REPO_ROOT, 'dev', 'Dockerfile.standins'), 'utf8');
  it('has the stand-ins and the gateway (HTTP + WebSocket upgrade) targets', () => {
    expect(src).toMatch(/^FROM \S+ AS standins$/m);
    expect(src).toMatch(/^FROM \S+ AS gateway$/m);
    expect(src).toMatch(/proxy_set_header Upgrade \$http_upgrade/);
    for (const svc of SERVICES)
      expect(src).toMatch(new RegExp(`location /${svc}\\s+\\{ proxy_pass http://${svc}; \\}`));
  });
});
