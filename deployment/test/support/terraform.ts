import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './hcl';

/** Where the checks keep Terraform's working data: never inside deployment/. */
export const TF_WORK = path.join(REPO_ROOT, '.local', 'terraform');

/** The installed terraform's version, or undefined when there is none on PATH. */
export function terraformVersion(): string | undefined {
  const res = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  if (res.status !== 0) return undefined;
  return (JSON.parse(res.stdout) as { terraform_version: string }).terraform_version;
}

/**
 * An offline provider mirror: a folder holding registry.terraform.io/hashicorp/aws/<version>.
 * TF_PROVIDER_MIRROR names it; otherwise the usual places are looked at. None: the registry.
 */
export function findProviderMirror(): string | undefined {
  const candidates = [
    process.env.TF_PROVIDER_MIRROR,
    '/opt/tf-plugins',
    '/usr/share/terraform/plugins',
    '/usr/local/share/terraform/plugins',
    path.join(os.homedir(), '.terraform.d', 'plugins'),
    path.join(os.homedir(), '.local', 'share', 'terraform', 'plugins'),
  ].filter((d): d is string => !!d);
  return candidates.find((d) => existsSync(path.join(d, 'registry.terraform.io', 'hashicorp', 'aws')));
}

/**
 * The CLI configuration the checks run with: the mirror when there is one (and no registry at
 * all, so a missing provider fails at once instead of timing out), the registry otherwise (CI).
 */
export function writeCliConfig(mirror: string | undefined): string {
  mkdirSync(TF_WORK, { recursive: true });
  const file = path.join(TF_WORK, 'cli.tfrc');
  writeFileSync(
    file,
    mirror
      ? `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n`
      : '# no offline mirror found: providers come from the registry\n',
  );
  return file;
}

export interface TfResult {
  code: number;
  output: string;
  seconds: number;
}

/** Runs terraform in `cwd` with its data dir under TF_WORK/<dataName>. */
export function terraform(
  cliConfig: string,
  cwd: string,
  dataName: string,
  args: string[],
): Promise<TfResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args, {
      cwd,
      env: {
        ...process.env,
        TF_CLI_CONFIG_FILE: cliConfig,
        TF_DATA_DIR: path.join(TF_WORK, 'data', dataName),
        TF_IN_AUTOMATION: '1',
        TF_INPUT: '0',
        CHECKPOINT_DISABLE: '1',
        NO_COLOR: '1',
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, output, seconds: (Date.now() - t0) / 1000 }));
  });
}

/**
 * A module copied to TF_WORK/modules/<name> so `init` writes its lock file there, not into the
 * source tree (modules carry no lock file of their own; the root's pins the provider).
 */
export function moduleWorkCopy(moduleDir: string): string {
  const dest = path.join(TF_WORK, 'modules', path.basename(moduleDir));
  rmSync(dest, { recursive: true, force: true });
  cpSync(moduleDir, dest, { recursive: true, filter: (src) => !src.includes(`${path.sep}.terraform`) });
  return dest;
}
