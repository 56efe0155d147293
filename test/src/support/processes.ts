import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CLI } from './paths';

const execFileAsync = promisify(execFile);

/**
 * Runs the built `internvl` command to its end with `args`: its stdout and stderr, or a rejection
 * that carries its exit `code` and `stderr`.
 */
export function runCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [CLI, ...args]);
}

export interface RunningProcess {
  proc: ChildProcess;
  port: number;
  metricsPort: number | undefined;
  /** Parsed JSON log lines seen so far. */
  logs: Array<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a Node process that runs a service (the CLI's `serve` or a fixture server) and waits
 * for its "listening" log line, which carries the bound port (tests always ask for port 0).
 */
export async function startServer(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
): Promise<RunningProcess> {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderrText: string[] = [];
  const ready = new Promise<{ port: number; metricsPort: number | undefined }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in ${timeoutMs} ms:\n${stderrText.join('\n')}`)),
      timeoutMs,
    );
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      stderrText.push(line);
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (
        typeof entry.msg === 'string' &&
        entry.msg.includes(' listening on ') &&
        typeof entry.port === 'number'
      ) {
        clearTimeout(timer);
        resolve({ port: entry.port as number, metricsPort: entry.metricsPort as number | undefined });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stderrText.join('\n')}`));
    });
  });
  const { port, metricsPort } = await ready;
  return {
    proc,
    port,
    metricsPort,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      // A process killed by a signal keeps exitCode null (signalCode is set instead).
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const [code] = (await once(proc, 'exit')) as [number | null];
      return code;
    },
  };
}

/** Resident set size of a running process in KiB (VmRSS from /proc/<pid>/status; Linux only). */
export function residentKiB(server: RunningProcess): number {
  const status = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${server.proc.pid}`);
  return Number(match[1]);
}
