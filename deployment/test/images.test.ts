import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEPLOYMENT, PORTS, REPO_ROOT, SECRET_VARS, SERVICES, loadTfDir, locals } from './support/hcl';
import { createStubs } from './support/stubs';

const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');
const src = readFileSync(DOCKERFILE, 'utf8');

/** The instructions of the last stage of a Dockerfile. */
function finalStage(text: string): string {
  const parts = text.split(/^FROM /m);
  return 'FROM ' + parts[parts.length - 1]!;
}

/** The Dockerfile as the builder sees it for one service: ${SERVICE} and ${PORT} substituted. */
const renderFor = (svc: (typeof SERVICES)[number]) =>
  src.replaceAll('${SERVICE}', svc).replaceAll('${PORT}', String(PORTS[svc]));

describe('the one service Dockerfile', () => {
  it('is the only one: no per-service copies', () => {
    for (const svc of SERVICES)
      expect(existsSync(path.join(REPO_ROOT, `${svc}-service`, 'Dockerfile'))).toBe(false);
    expect(src).toMatch(/^ARG SERVICE$/m);
    expect(src).toMatch(/^ARG PORT$/m);
  });

  it('refuses to build without a known SERVICE or without PORT', () => {
    expect(src).toMatch(/case "\$\{SERVICE\}" in feed\|buffer\|queue\|purchase\|payment\) ;;/);
    expect(src).toMatch(/test -n "\$\{PORT\}" \|\| \{/);
  });

  describe.each(SERVICES)('built for %s', (svc) => {
    const rendered = renderFor(svc);
    const runtime = finalStage(rendered);

    it('is multi-stage on Node 24: build with dev deps, run with production deps only', () => {
      expect(rendered.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
      expect(rendered).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m); // glibc: libsodium's prebuilt binding loads
      expect(rendered).toContain(`-w "@ticketslave/${svc}-backend" -w "@ticketslave/${svc}-frontend"`);
      expect(rendered).toMatch(new RegExp(`npm ci --omit=dev [^\\n]*-w "@ticketslave/${svc}-backend"`));
      expect(runtime).not.toMatch(/npm (ci|install)/);
    });

    it('names workspaces and folders that exist', () => {
      for (const ws of [`${svc}-backend`, `${svc}-frontend`]) {
        const manifest = JSON.parse(
          readFileSync(path.join(REPO_ROOT, `${svc}-service`, ws, 'package.json'), 'utf8'),
        ) as { name: string; scripts?: Record<string, string> };
        expect(manifest.name).toBe(`@ticketslave/${ws}`);
        expect(manifest.scripts?.build).toBeDefined();
      }
      for (const m of rendered.matchAll(/^COPY (?!--from)(\S+) /gm))
        if (m[1] !== '.')
          expect({ copy: m[1], exists: existsSync(path.join(REPO_ROOT, m[1]!)) }).toEqual({
            copy: m[1],
            exists: true,
          });
    });

    it('bakes in the bundled backend and the frontend build', () => {
      expect(rendered).toContain(`mv "${svc}-service/${svc}-backend/dist" /out/backend`);
      expect(rendered).toContain(`mv "${svc}-service/${svc}-frontend/dist" /out/frontend`);
      expect(runtime).toContain(`COPY --from=build /out/backend/ ${svc}-service/${svc}-backend/dist/`);
      expect(runtime).toContain('COPY --from=build /out/frontend/ frontend/');
      expect(runtime).toMatch(/FRONTEND_DIR=\/app\/frontend/);
      expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    });

    it('runs as a non-root user with a health check on its port', () => {
      const user = runtime.match(/^USER (\S+)$/m)?.[1];
      expect(user).toBeDefined();
      expect(user).not.toMatch(/^(root|0)(:|$)/);
      expect(runtime).toMatch(new RegExp(`^EXPOSE ${PORTS[svc]}$`, 'm'));
      expect(runtime).toMatch(new RegExp(`PORT=${PORTS[svc]}`));
      expect(runtime).toMatch(new RegExp(`SERVICE=${svc}`));
      expect(runtime).toMatch(
        /^HEALTHCHECK [\s\S]*process\.env\.PORT \+ '\/' \+ process\.env\.SERVICE \+ '\/healthz'/m,
      );
    });
  });

  it("carries the Amazon RDS CA bundle where DATABASE_URL's sslrootcert points (modules/rds)", async () => {
    const root = await loadTfDir(DEPLOYMENT);
    const caPath = String(locals(root).rds_ca_bundle_path);
    expect(caPath).toMatch(/^\/app\/certs\/.+\.pem$/);
    expect(finalStage(src)).toMatch(
      new RegExp(
        `^ADD [^\\n]*https://truststore\\.pki\\.rds\\.amazonaws\\.com/global/global-bundle\\.pem ${caPath}$`,
        'm',
      ),
    );
    expect(root.hcl.module!.rds![0]!.ca_bundle_path).toBe('${local.rds_ca_bundle_path}');
    const rds = await loadTfDir(path.join(DEPLOYMENT, 'modules', 'rds'));
    expect(String(locals(rds).ssl_query)).toBe('sslmode=verify-full&sslrootcert=${var.ca_bundle_path}');
    expect(rds.text).toMatch(/\?\$\{local\.ssl_query\}"/);
  });

  it('takes no secret as ARG or ENV', () => {
    const declared = [...src.matchAll(/^(?:ARG|ENV)\s+([\s\S]*?)(?<!\\)$/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)(?:=|$)/g)].map((x) => x[1]!),
    );
    expect(declared).toEqual(expect.arrayContaining(['SERVICE', 'PORT', 'NODE_IMAGE']));
    expect(declared.filter((k) => SECRET_VARS.includes(k) || /SECRET|PASSWORD|TOKEN|JWKS/.test(k))).toEqual(
      [],
    );
  });
});

describe('who builds the images uses the one Dockerfile', () => {
  it('docker-compose.yml builds each service from it with SERVICE and PORT', () => {
    const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as {
      services: Record<
        string,
        { build?: { context: string; dockerfile?: string; args?: Record<string, string> } }
      >;
    };
    for (const svc of SERVICES) {
      const build = compose.services[svc]!.build!;
      expect({
        svc,
        context: build.context,
        dockerfile: build.dockerfile ?? 'Dockerfile',
        args: build.args,
      }).toEqual({
        svc,
        context: '.',
        dockerfile: 'Dockerfile',
        args: { SERVICE: svc, PORT: String(PORTS[svc]) },
      });
    }
  });

  it('push_to_ecr.sh builds every service from it with SERVICE and PORT (stub docker and aws)', () => {
    const stubs = createStubs(
      ['aws', 'docker'],
      [
        { cmd: 'aws', match: '^sts get-caller-identity', stdout: '111111111111\n' },
        { cmd: 'aws', match: '^ecr get-login-password', stdout: 'pw' },
      ],
    );
    try {
      const run = spawnSync('bash', [path.join(REPO_ROOT, 'push_to_ecr.sh')], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        input: '',
        env: { ...process.env, ...stubs.env, AWS_REGION: 'eu-central-1', ALLOW_DIRTY: '1' },
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const builds = stubs.calls().filter((c) => c.cmd === 'docker' && c.args[0] === 'buildx');
      expect(builds).toHaveLength(SERVICES.length);
      SERVICES.forEach((svc, i) => {
        const args = builds[i]!.args.join(' ');
        expect(args).toContain('--file Dockerfile');
        expect(args).toContain(`--build-arg SERVICE=${svc}`);
        expect(args).toContain(`--build-arg PORT=${PORTS[svc]}`);
      });
    } finally {
      stubs.cleanup();
    }
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
  const standins = readFileSync(path.join(REPO_ROOT, 'dev', 'Dockerfile.standins'), 'utf8');
  it('has the stand-ins and the gateway (HTTP + WebSocket upgrade) targets', () => {
    expect(standins).toMatch(/^FROM \S+ AS standins$/m);
    expect(standins).toMatch(/^FROM \S+ AS gateway$/m);
    expect(standins).toMatch(/proxy_set_header Upgrade \$http_upgrade/);
    for (const svc of SERVICES)
      expect(standins).toMatch(new RegExp(`location /${svc}\\s+\\{ proxy_pass http://${svc}; \\}`));
  });

  it('the gateway never forwards /<svc>/metrics or /<svc>/readyz (issue 17.12)', () => {
    expect(standins).toContain('location ~* ^/[^/]+/(metrics|readyz)(/|$) { return 404; }');
  });

  it('the gateway adds the origin secret and the viewer address as CloudFront does', () => {
    expect(standins).toMatch(/proxy_set_header X-Origin-Secret "\$\{ORIGIN_SECRET\}";/);
    expect(standins).toMatch(/proxy_set_header CloudFront-Viewer-Address \$viewer_address;/);
    expect(standins).toMatch(/default\s+"\$remote_addr:\$remote_port";/);
  });
});
