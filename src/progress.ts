/**
 * Progress bars for long work (DESIGN §5b): drawn on stderr when it is a terminal, and
 * nothing at all otherwise (pipes, CI, tests), so logs stay clean.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Sets the position (and the total when it becomes known) with an optional note ("loss 0.41"). */
  update(value: number, opts?: { total?: number; note?: string }): void;
  /** Adds one to the position. */
  increment(note?: string): void;
  stop(): void;
}

const SILENT: Progress = { update: () => {}, increment: () => {}, stop: () => {} };

/** Whether bars are drawn: stderr is a terminal and neither CI nor TABTUNE_NO_PROGRESS is set. */
export function progressEnabled(): boolean {
  return process.stderr.isTTY === true && !process.env.CI && !process.env.TABTUNE_NO_PROGRESS;
}

/**
 * A bar titled `label` over `total` units (`unit`/s shown); total 0 means "not known yet".
 * Returns a no-op when progress is not enabled.
 */
export function startProgress(label: string, total: number, unit = "rows"): Progress {
  if (!progressEnabled()) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      // A total of 0 is "not known yet" (a CSV being read): the count and the rate, no bar.
      format: total > 0 ? `${label.padEnd(16)} {bar} {value}/{total} ${unit} | {rate} ${unit}/s | eta {eta_formatted} {note}` : `${label.padEnd(16)} {value} ${unit} | {rate} ${unit}/s {note}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let position = 0;
  const payload = (note?: string) => {
    const seconds = (Date.now() - started) / 1000;
    return { rate: seconds > 0 ? (position / seconds).toFixed(2) : "0", note: note ?? "" };
  };
  bar.start(total, 0, payload());
  let lastNote = "";
  return {
    update(value, opts = {}) {
      if (opts.total !== undefined && opts.total !== bar.getTotal()) bar.setTotal(opts.total);
      if (opts.note !== undefined) lastNote = opts.note;
      position = value;
      bar.update(value, payload(lastNote));
    },
    increment(note) {
      if (note !== undefined) lastNote = note;
      position += 1;
      bar.update(position, payload(lastNote));
    },
    stop() {
      bar.stop();
    },
  };
}
