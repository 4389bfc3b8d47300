// Runs a test daemon (named, pebble) as a child process that cannot outlive the test:
// stdout/stderr go to a log file under .test-logs/, stop() signals it by PID, and an exit hook
// kills whatever is still running when the test process ends (also after a failed test).
// The daemon writes its log file directly (no pipe through this process), so a line it logged
// before answering a request is already in the file when the answer arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const running = new Set<ManagedProcess>();
const logDirs = new Set<string>();
let hooksInstalled = false;

/** Directory for one fixture's logs: .test-logs/<name>-<timestamp>/ under the repo root. */
export function makeLogDir(name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = resolve(process.cwd(), '.test-logs', `${name}-${stamp}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  logDirs.add(dir);
  installHooks();
  return dir;
}

// setpriv (util-linux) makes the kernel SIGKILL the daemon if this process dies without cleanup.
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  private exited: Promise<void>;
  private exitCode: number | null = null;
  private stopping = false;
  private spawnError = '';

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    logDir: string,
    env: NodeJS.ProcessEnv = {},
  ) {
    this.logFile = join(logDir, `${name}.log`);
    const fd = openSync(this.logFile, 'a');
    const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
    try {
      this.child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    } finally {
      closeSync(fd); // the child holds its own copy
    }
    this.exited = new Promise((done) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : 1);
        running.delete(this);
        if (!this.stopping) process.stderr.write(`[test-services] ${name} exited unexpectedly (${code ?? signal}); log: ${this.logFile}\n`);
        done();
      });
      this.child.on('error', (err) => {
        this.spawnError = `spawn ${command} failed: ${err.message}\n`;
        this.exitCode = 127;
        running.delete(this);
        done();
      });
    });
    running.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitCode === null;
  }

  /** Everything the process has written so far (stdout and stderr interleaved). */
  get log(): string {
    try {
      return this.spawnError + readFileSync(this.logFile, 'utf8');
    } catch {
      return this.spawnError;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within graceMs. Safe to call twice. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    if (!this.alive || this.child.pid === undefined) return this.exited;
    this.child.kill('SIGTERM');
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Polls check() until it returns a value; fails early with the log if the process dies. */
  async waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name} exited before ${what} (exit ${this.exitCode}); log ${this.logFile}:\n${tail(this.log)}`);
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (err) {
        lastError = err;
      }
      await sleep(50);
    }
    const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
    throw new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}${reason}; log ${this.logFile}:\n${tail(this.log)}`);
  }
}

function tail(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', (code) => {
    for (const p of running) {
      try {
        p.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    if (code !== 0 || (process.exitCode !== undefined && process.exitCode !== 0)) {
      for (const dir of logDirs) process.stderr.write(`[test-services] logs kept in ${dir}\n`);
    }
  });
  // With setpriv the kernel already kills daemons when this process dies of a signal; only
  // without it do we need handlers (which would otherwise interfere with a caller's own).
  if (setpriv) return;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const p of running) p.child.kill('SIGKILL');
      process.kill(process.pid, signal);
    });
  }
}
