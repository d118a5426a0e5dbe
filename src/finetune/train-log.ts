/**
 * Reading llamafactory-cli's output as it streams: the HF Trainer's tqdm step bar
 * (` 45%|████▌     | 9/20 [00:15<00:18,  1.69s/it]`) and its logged dicts
 * (`{'loss': 0.6931, 'grad_norm': 1.2, 'learning_rate': 2e-05, 'epoch': 0.36}`).
 */

export type TrainerLine =
  | { kind: "step"; step: number; total: number }
  | { kind: "loss"; loss: number; epoch: number | null }
  | { kind: "other" };

/** tqdm's `n/total [elapsed<remaining, rate]` for steps (it/s, s/it); tokenizer bars count examples/s and are skipped. */
const TQDM = /\|\s*(\d+)\/(\d+)\s*\[[^\]]*?(?:it\/s|s\/it)\]/;
/** A logged dict with a loss; values may be quoted in newer transformers. */
const LOSS = /\{[^{}]*'loss':\s*'?([-+\d.eE]+|nan|inf)'?/;
const EPOCH = /'epoch':\s*'?([-+\d.eE]+)'?/;

/**
 * What a line of trainer output says.
 * @example parseTrainerLine(" 45%|████▌     | 9/20 [00:15<00:18,  1.69s/it]") // { kind: "step", step: 9, total: 20 }
 * @example parseTrainerLine("{'loss': 0.5, 'epoch': 1.0}") // { kind: "loss", loss: 0.5, epoch: 1 }
 */
export function parseTrainerLine(line: string): TrainerLine {
  const loss = LOSS.exec(line);
  if (loss) {
    const epoch = EPOCH.exec(line);
    return { kind: "loss", loss: Number(loss[1]), epoch: epoch ? Number(epoch[1]) : null };
  }
  const step = TQDM.exec(line);
  if (step) return { kind: "step", step: Number(step[1]), total: Number(step[2]) };
  return { kind: "other" };
}
