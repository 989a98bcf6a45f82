import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * One bash process that runs lines as a person types them at a terminal: `export` and `cd`
 * carry over from line to line. Each `run` answers with what the line printed (stdout and
 * stderr together) and its exit status.
 */
export class ShellSession {
  private readonly shell: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((text: string) => void) | undefined;
  private readonly marker = `__line_done_${randomBytes(6).toString('hex')}__`;

  constructor(options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.shell = spawn('bash', ['--noprofile', '--norc'], { cwd: options.cwd, env: options.env });
    this.shell.stdout.on('data', (chunk: Buffer) => this.take(chunk.toString()));
    this.shell.stderr.on('data', (chunk: Buffer) => this.take(chunk.toString()));
    this.shell.stdin.write('exec 2>&1\n');
  }

  private take(text: string): void {
    this.buffer += text;
    if (this.waiting && this.buffer.includes(`${this.marker} `)) this.waiting(this.buffer);
  }

  /** Runs one line (it must not read from stdin) and waits for it to finish. */
  run(line: string): Promise<{ output: string; status: number }> {
    return new Promise((resolve) => {
      this.waiting = (text) => {
        const match = new RegExp(`\\n?${this.marker} (\\d+)\\n`).exec(text);
        if (!match) return;
        this.waiting = undefined;
        this.buffer = text.slice(match.index + match[0].length);
        resolve({ output: text.slice(0, match.index), status: Number(match[1]) });
      };
      // A group (not a subshell: exports stay) on its own lines, so a trailing # comment ends there.
      this.shell.stdin.write(`{ ${line}\n} </dev/null\nprintf '\\n%s %s\\n' ${this.marker} "$?"\n`);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.shell.once('exit', () => resolve());
      this.shell.stdin.end('exit\n');
    });
  }
}
