import { inTslabKernel } from './kernel';
import { runtime } from './runtime';
/** Options for a progress reporter. */
export interface ProgressOptions {
  /** What is being counted, shown before the bar. */
  label: string;
  /** Total units of work (items, pairs, files). */
  total: number;
  /** Units already done before this run (a resumed run); they do not count toward the rate. */
  initial?: number;
  /** Where to write; default process.stderr, or in a notebook kernel stdout with the line redrawn in place. */
  stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  /** Minimum milliseconds between non-TTY lines (default 2000). */
  intervalMs?: number;
  /** Silence all output (SYCO_QUIET=1 in the environment does too). */
  quiet?: boolean;
}

function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A progress bar with rate and ETA: redraws one line on a terminal, prints periodic lines elsewhere (logs, notebooks). */
export class Progress {
  readonly label: string;
  readonly total: number;
  done: number;
  private readonly initial: number;
  private readonly started = Date.now();
  private lastPrint = 0;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  /** In a Jupyter kernel: redraw one line with carriage returns on stdout (front ends render only the last state). */
  private readonly inPlace: boolean;
  private readonly intervalMs: number;
  private readonly quiet: boolean;
  private finished = false;
  /** `done` when the last non-TTY line was printed (-1 = none), so finish() never repeats it. */
  private printedDone = -1;

  constructor(opts: ProgressOptions) {
    this.label = opts.label;
    this.total = opts.total;
    this.initial = opts.initial ?? 0;
    this.done = this.initial;
    this.inPlace = !opts.stream && inTslabKernel();
    this.stream = opts.stream ?? (this.inPlace ? process.stdout : process.stderr);
    this.tty = this.inPlace || Boolean(this.stream.isTTY);
    this.intervalMs = opts.intervalMs ?? 2000;
    this.quiet = Boolean(opts.quiet) || runtime().quiet;
    if (this.initial > 0 && !this.quiet) this.stream.write(`${this.label}: resuming at ${this.initial}/${this.total}\n`);
  }

  /** Units per second since this run started. */
  rate(): number {
    const sec = (Date.now() - this.started) / 1000;
    return sec > 0 ? (this.done - this.initial) / sec : 0;
  }

  /** One-line status: label, bar, counts, rate and ETA. */
  line(): string {
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const rate = this.rate();
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const elapsed = (Date.now() - this.started) / 1000;
    return `${this.label} ${bar} ${this.done}/${this.total} ${(frac * 100).toFixed(0)}% ` +
      `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)}/s elapsed ${fmtDuration(elapsed)} eta ${fmtDuration(eta)}`;
  }

  /** Record n more units of work done. */
  tick(n = 1): void {
    this.done += n;
    if (this.quiet) return;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastPrint >= (this.inPlace ? 500 : 100) || this.done >= this.total) {
        this.stream.write(this.inPlace ? `\r${this.line()}` : `\r${this.line()}\x1b[K`);
        this.lastPrint = now;
      }
    } else if (now - this.lastPrint >= this.intervalMs) {
      this.stream.write(this.line() + '\n');
      this.lastPrint = now;
      this.printedDone = this.done;
    }
  }

  /** Finish: print the final line once. */
  finish(): void {
    if (this.finished || this.quiet) return;
    this.finished = true;
    if (this.tty) this.stream.write(this.inPlace ? `\r${this.line()}\n` : `\r${this.line()}\x1b[K\n`);
    else if (this.printedDone !== this.done) this.stream.write(this.line() + '\n');
  }
}
