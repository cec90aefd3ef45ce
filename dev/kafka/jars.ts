import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The repo root, found from this file so the tool works from any working directory. */
export const repoRoot = path.resolve(__dirname, '..', '..');
export const kafkaDir = __dirname;
export const pomPath = path.join(kafkaDir, 'pom.xml');
export const log4jConfigPath = path.join(kafkaDir, 'log4j.properties');
export const libsDir = path.join(repoRoot, '.local', 'kafka', 'libs');

// Lives inside libsDir so that replacing the folder replaces the stamp with it; the name does
// not end in .jar, so the `libs/*` classpath wildcard ignores it.
const stampName = '.complete.json';

interface Stamp {
  pomSha256: string;
  jars: string[];
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion, capturing stdout and stderr together; rejects only on ENOENT & co. */
export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** JAVA_HOME wins when set, as for every other Java tool; otherwise `java` from PATH. */
export function javaBin(): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', 'java') : 'java';
}

let javaChecked: Promise<void> | undefined;

/** Fails with an actionable message when Java is missing or older than Kafka 3.9 needs. */
export function assertJava(): Promise<void> {
  javaChecked ??= (async () => {
    let res: RunResult;
    try {
      res = await run(javaBin(), ['-version']);
    } catch (err) {
      throw new Error(
        `Java was not found (${javaBin()}: ${(err as Error).message}). The dev Kafka broker needs Java 17 ` +
          '(Debian: apt-get install openjdk-17-jre-headless), or set JAVA_HOME.',
      );
    }
    const match = /version "(\d+)(?:\.(\d+))?/.exec(res.output);
    const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : NaN;
    if (res.code !== 0 || !(major >= 11)) {
      throw new Error(
        `Kafka 3.9 needs Java 11 or newer (17 recommended); \`java -version\` said:\n${res.output}`,
      );
    }
  })();
  javaChecked.catch(() => (javaChecked = undefined));
  return javaChecked;
}

async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, stampName), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

function isComplete(dir: string, stamp: Stamp | undefined, pomSha256: string): boolean {
  return (
    stamp !== undefined &&
    stamp.pomSha256 === pomSha256 &&
    stamp.jars.length > 0 &&
    stamp.jars.every((jar) => existsSync(path.join(dir, jar)))
  );
}

/**
 * Makes sure the official Kafka jars for pom.xml are in .local/kafka/libs and returns that
 * folder. Maven runs only when the folder is missing, incomplete or was made from another pom.
 */
export async function ensureKafkaJars(): Promise<string> {
  const pomSha256 = createHash('sha256')
    .update(await readFile(pomPath))
    .digest('hex');
  if (isComplete(libsDir, await readStamp(libsDir), pomSha256)) return libsDir;

  await assertJava();
  // Download next to the target and swap it in whole: a half-finished fetch never looks
  // complete, jars of an older pom never linger on the classpath, and two test workers
  // fetching at once do not write into each other's folder.
  const staging = `${libsDir}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    let res: RunResult;
    try {
      res = await run('mvn', [
        '-q',
        '-B',
        '-f',
        pomPath,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ]);
    } catch (err) {
      throw new Error(
        `Maven was not found (mvn: ${(err as Error).message}). It fetches the Kafka jars from Maven Central ` +
          'once; install it (Debian: apt-get install maven).',
      );
    }
    if (res.code !== 0) {
      throw new Error(`mvn could not fetch the Kafka jars (exit ${res.code}):\n${res.output.slice(-4000)}`);
    }
    const jars = (await readdir(staging)).filter((f) => f.endsWith('.jar')).sort();
    if (!jars.some((j) => /^kafka_2\.13-.*\.jar$/.test(j))) {
      throw new Error(
        `mvn finished but no kafka_2.13 jar arrived in ${staging}:\n${res.output.slice(-4000)}`,
      );
    }
    const stamp: Stamp = { pomSha256, jars };
    await writeFile(path.join(staging, stampName), JSON.stringify(stamp, null, 2));

    if (isComplete(libsDir, await readStamp(libsDir), pomSha256)) return libsDir; // another worker won
    await rm(libsDir, { recursive: true, force: true });
    try {
      await rename(staging, libsDir);
    } catch (err) {
      if (!isComplete(libsDir, await readStamp(libsDir), pomSha256)) throw err;
    }
    return libsDir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
