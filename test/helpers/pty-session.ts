/*
 * Drives an interactive program through a pseudo-terminal, for tests of redis-cli's REPL.
 *
 * The pty comes from util-linux `script` (`script -qfc CMD /dev/null`): our pipes feed its
 * stdin and read its stdout, and the program runs on the pty's slave side, so it sees a
 * terminal (isatty) and goes interactive. The window size is set with stty first (linenoise
 * otherwise asks the terminal for its width with an escape sequence nobody answers).
 *
 * What the program writes is rendered by a small terminal emulator (Screen) that understands
 * what linenoise emits: CR, LF, backspace, cursor moves (CSI A/B/C/D/G/H), erase to end of line or
 * screen (CSI K/J) and colours (CSI m, ignored). Rendering instead of regex-stripping is what
 * makes redis-cli's hints disappear the way they do on a real terminal: they are drawn after
 * the typed text and erased by the final refresh when Enter is pressed.
 *
 * Every wait is bounded; close() kills the process group if the program has not exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export class Screen {
  private lines: string[][] = [[]];
  private row = 0;
  private col = 0;
  private pending = '';

  feed(text: string): void {
    const s = this.pending + text;
    this.pending = '';
    let i = 0;
    while (i < s.length) {
      const ch = s[i]!;
      if (ch === '\x1b') {
        if (i + 1 >= s.length) {
          this.pending = s.slice(i);
          return;
        }
        if (s[i + 1] === '[') {
          let j = i + 2;
          while (j < s.length && /[0-9;?]/.test(s[j]!)) j++;
          if (j >= s.length) {
            this.pending = s.slice(i);
            return;
          }
          this.csi(s.slice(i + 2, j), s[j]!);
          i = j + 1;
        } else {
          i += 2; // a two-byte escape we do not need (e.g. ESC =)
        }
        continue;
      }
      if (ch === '\r') this.col = 0;
      else if (ch === '\n') this.moveTo(this.row + 1, this.col);
      else if (ch === '\b') this.col = Math.max(0, this.col - 1);
      else if (ch === '\x07') {
        // bell
      } else if (ch >= ' ' || ch === '\t') this.put(ch);
      i++;
    }
  }

  private line(): string[] {
    while (this.lines.length <= this.row) this.lines.push([]);
    return this.lines[this.row]!;
  }

  private moveTo(row: number, col: number): void {
    this.row = Math.max(0, row);
    this.col = Math.max(0, col);
    this.line();
  }

  private put(ch: string): void {
    const l = this.line();
    while (l.length < this.col) l.push(' ');
    l[this.col] = ch;
    this.col++;
  }

  private csi(params: string, final: string): void {
    const nums = params.replace('?', '').split(';').map((p) => (p === '' ? NaN : Number(p)));
    const n = Number.isNaN(nums[0]!) ? 1 : nums[0]!;
    switch (final) {
      case 'A': this.moveTo(this.row - n, this.col); break;
      case 'B': this.moveTo(this.row + n, this.col); break;
      case 'C': this.moveTo(this.row, this.col + n); break;
      case 'D': this.moveTo(this.row, this.col - n); break;
      case 'G': this.moveTo(this.row, n - 1); break;
      case 'H': this.moveTo((Number.isNaN(nums[0]!) ? 1 : nums[0]!) - 1, (Number.isNaN(nums[1] ?? NaN) ? 1 : nums[1]!) - 1); break;
      case 'K': {
        const mode = Number.isNaN(nums[0]!) ? 0 : nums[0]!;
        const l = this.line();
        if (mode === 0) l.length = Math.min(l.length, this.col);
        else if (mode === 1) for (let k = 0; k <= this.col && k < l.length; k++) l[k] = ' ';
        else l.length = 0;
        break;
      }
      case 'J': {
        const mode = Number.isNaN(nums[0]!) ? 0 : nums[0]!;
        if (mode === 2 || mode === 3) {
          this.lines = [[]];
          this.row = 0;
          this.col = 0;
        } else if (mode === 0) {
          this.line().length = Math.min(this.line().length, this.col);
          this.lines.length = this.row + 1;
        }
        break;
      }
      default:
        break; // m (colours), h/l (modes), n (reports): nothing to render
    }
  }

  /** The rendered lines, trailing spaces removed. */
  text(): string[] {
    return this.lines.map((l) => l.join('').replace(/\s+$/, ''));
  }
}

/** Removes ANSI escape sequences (for quick looks at raw output). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[^[]/g, '');
}

export interface PtySessionOptions {
  cols?: number;
  rows?: number;
  env?: Record<string, string>;
  timeoutMs?: number;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class PtySession {
  readonly screen = new Screen();
  raw = '';
  private readonly child: ChildProcess;
  private exited = false;
  private exitCode: number | null = null;
  private wake: (() => void) | null = null;
  private readonly timeoutMs: number;

  constructor(argv: string[], options: PtySessionOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const cmd = `stty cols ${options.cols ?? 200} rows ${options.rows ?? 50} 2>/dev/null; exec ${argv.map(shellQuote).join(' ')}`;
    this.child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'xterm', ...options.env },
      detached: true, // its own process group, so close() can end script and its child together
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      this.raw += d;
      this.screen.feed(d);
      this.notify();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.raw += d.toString();
      this.notify();
    });
    this.child.stdin!.on('error', () => {});
    this.child.once('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }

  get hasExited(): boolean {
    return this.exited;
  }

  get code(): number | null {
    return this.exitCode;
  }

  /** Waits until `cond` holds over the rendered screen, or fails with what was seen. */
  async waitFor(cond: (lines: string[]) => boolean, what: string, timeoutMs = this.timeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.screen.text())) {
      if (this.exited && !cond(this.screen.text())) {
        throw new Error(`program exited while waiting for ${what}; screen:\n${this.screen.text().join('\n')}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${this.screen.text().join('\n')}\nraw: ${JSON.stringify(this.raw)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Types text (as keystrokes: use '\r' for Enter). */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  async waitExit(timeoutMs = this.timeoutMs): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.exited) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for the program to exit; screen:\n${this.screen.text().join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.exitCode;
  }

  /** Ends the session: closes stdin, and kills the process group if it has not exited. */
  async close(): Promise<void> {
    this.child.stdin!.end();
    if (this.exited) return;
    try {
      await this.waitExit(2000);
    } catch {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.waitExit(2000).catch(() => {});
    }
  }
}
