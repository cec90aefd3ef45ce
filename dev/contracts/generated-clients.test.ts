import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { clientPath, SERVICES } from './openapi-documents';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

// Each check starts Node and builds five documents: slow on a loaded 2-core machine.
/** The generator as CI and developers run it (`npm run contracts -- --check`), in its own Node process. */
async function check(root: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'dev/contracts/generate-clients.ts'), '--check', '--root', root],
      { cwd: ROOT },
    );
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the generated API clients', () => {
  it('when the committed clients are regenerated, then nothing changes (else: run npm run contracts)', async () => {
    const { code, output } = await check(ROOT);
    expect(output).toContain('up to date');
    expect(code).toBe(0);
  }, 180_000);

  it('when a committed client is stale, then the check fails naming it and the command that refreshes it', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'contracts-'));
    try {
      for (const api of SERVICES) await cp(clientPath(ROOT, api), clientPath(root, api), { recursive: true });
      const file = clientPath(root, 'purchase');
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace('eventTitle: string;', 'eventTitle: number;'),
      );
      const { code, output } = await check(root);
      expect(code).toBe(1);
      expect(output).toContain('libs/contracts/src/api/purchase.d.ts');
      expect(output).toContain('run `npm run contracts`');
      expect(output).not.toContain('feed.d.ts');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 180_000);
});
