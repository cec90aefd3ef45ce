import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Stand-ins for command-line tools (aws, docker, terraform, …) put first on PATH, so a shell
 * script can be run offline. Each call is recorded (argv and stdin) in order; its answer comes
 * from the first rule whose pattern matches the joined arguments. A rule's `stdout` may be a
 * list: the n-th matching call gets the n-th entry (the last one repeats), which is how a test
 * plays a deployment that is IN_PROGRESS twice and then COMPLETED.
 */
export interface StubRule {
  cmd: string;
  /** Regular expression over the arguments joined by single spaces. */
  match?: string;
  stdout?: string | string[];
  stderr?: string;
  exitCode?: number;
  /** Files to create under the directory given as argument `argIndex` (what `docker cp` would extract). */
  writeFiles?: { argIndex: number; files: Record<string, string> };
}

export interface StubCall {
  cmd: string;
  args: string[];
  stdin: string;
}

export interface Stubs {
  binDir: string;
  env: Record<string, string>;
  calls(): StubCall[];
  /** The calls to `cmd` as `cmd arg arg …` lines (for readable order assertions). */
  lines(cmd?: string): string[];
  cleanup(): void;
}

const STUB_SOURCE = `
const fs = require('node:fs');
const path = require('node:path');
const cmd = path.basename(process.argv[1]);
const args = process.argv.slice(2);
let stdin = '';
try { if (!process.stdin.isTTY) stdin = fs.readFileSync(0, 'utf8'); } catch {}
const dir = process.env.STUB_DIR;
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ cmd, args, stdin }) + '\\n');
const rules = JSON.parse(fs.readFileSync(path.join(dir, 'rules.json'), 'utf8'));
const joined = args.join(' ');
const i = rules.findIndex((r) => r.cmd === cmd && (!r.match || new RegExp(r.match).test(joined)));
if (i < 0) process.exit(0);
const rule = rules[i];
const counter = path.join(dir, 'count-' + i);
const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(n + 1));
if (rule.writeFiles) {
  const base = args[rule.writeFiles.argIndex];
  for (const [rel, content] of Object.entries(rule.writeFiles.files)) {
    const file = path.join(base, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}
const out = Array.isArray(rule.stdout) ? rule.stdout[Math.min(n, rule.stdout.length - 1)] : rule.stdout;
if (out !== undefined) process.stdout.write(out);
if (rule.stderr) process.stderr.write(rule.stderr);
process.exit(rule.exitCode ?? 0);
`;

/** Creates stubs for `commands`, answering by `rules`. PATH is the stubs, then the system's. */
export function createStubs(commands: string[], rules: StubRule[]): Stubs {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stubs-'));
  const binDir = path.join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(path.join(dir, 'rules.json'), JSON.stringify(rules));
  for (const cmd of commands) {
    // The stub learns its name from basename(argv[1]): one copy of the entry point per command.
    const entry = path.join(dir, cmd);
    writeFileSync(entry, STUB_SOURCE);
    const file = path.join(binDir, cmd);
    writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${entry}" "$@"\n`);
    chmodSync(file, 0o755);
  }
  const calls = (): StubCall[] => {
    const file = path.join(dir, 'calls.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StubCall);
  };
  return {
    binDir,
    env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, STUB_DIR: dir },
    calls,
    lines: (cmd) =>
      calls()
        .filter((c) => !cmd || c.cmd === cmd)
        .map((c) => [c.cmd, ...c.args].join(' ')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
