#!/usr/bin/env node
// Production build of one backend: run from the backend's folder (`npm run build -w @ticketslave/<svc>-backend`).
// esbuild bundles src/main.ts together with the workspace libraries (libs/common is TypeScript
// source, never built on its own) into dist/main.js. Every npm dependency stays external: the
// runtime image installs them with `npm ci --omit=dev`, so native modules (argon2) keep their
// prebuilt binaries and nothing is bundled twice.
//
// esbuild does not emit decorator metadata: TypeORM entity columns must declare `type:` explicitly.
import { build } from 'esbuild';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const cwd = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8'));
if (!pkg.name?.endsWith('-backend')) {
  console.error(`bundle-backend: run me from a backend workspace (found ${pkg.name ?? 'no package.json'} in ${cwd})`);
  process.exit(2);
}

/** Bare specifiers that are not our own workspaces stay `require()`s resolved from node_modules at run time. */
const externalizeNpm = {
  name: 'externalize-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@ticketslave/')) return undefined; // bundled: workspace TS sources
      if (path.isAbsolute(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const result = await build({
  entryPoints: [path.join(cwd, 'src/main.ts')],
  outfile: path.join(cwd, 'dist/main.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  sourcemap: true,
  // Keep class and function names: TypeORM entity names and stack traces rely on them.
  keepNames: true,
  legalComments: 'linked',
  // experimentalDecorators comes from here; the root base config holds it for every backend.
  tsconfig: existsSync(path.join(cwd, 'tsconfig.json')) ? path.join(cwd, 'tsconfig.json') : path.join(cwd, '../../tsconfig.base.json'),
  plugins: [externalizeNpm],
  metafile: true,
  logLevel: 'info',
});
// The service's SQL functions are read at start from `sql/` next to the module that names
// them (src/data/schema.ts → src/data/sql); in the bundle that module's __dirname is dist/.
const sqlDir = path.join(cwd, 'src/data/sql');
rmSync(path.join(cwd, 'dist/sql'), { recursive: true, force: true });
if (existsSync(sqlDir)) {
  cpSync(sqlDir, path.join(cwd, 'dist/sql'), { recursive: true });
  console.log(`bundle-backend: src/data/sql → dist/sql`);
}
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
for (const [file, meta] of outputs) console.log(`bundle-backend: ${path.relative(cwd, file)} ${(meta.bytes / 1024).toFixed(0)} KiB`);
