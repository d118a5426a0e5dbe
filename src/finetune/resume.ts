/**
 * Where an interrupted training continues. tabtune writes no `overwrite_output_dir` and no
 * `resume_from_checkpoint`, so LlamaFactory itself resumes a training whose output_dir already has
 * checkpoints (hparams/parser.py:612-628: transformers' get_last_checkpoint, the checkpoint-<step>
 * folder with the highest step). This module finds the same folder, so the pipeline can say so.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** transformers.trainer_utils.PREFIX_CHECKPOINT_DIR and _re_checkpoint. */
const CHECKPOINT = /^checkpoint-(\d+)$/;

/**
 * The checkpoint LlamaFactory resumes from in `outputDir`, or null when there is none (a fresh start).
 * @example lastCheckpoint("run_x/sft") // { path: "run_x/sft/checkpoint-40", step: 40 }
 */
export function lastCheckpoint(outputDir: string): { path: string; step: number } | null {
  if (!existsSync(outputDir)) return null;
  let best: { path: string; step: number } | null = null;
  for (const name of readdirSync(outputDir)) {
    const m = CHECKPOINT.exec(name);
    if (!m) continue;
    const path = join(outputDir, name);
    if (!statSync(path).isDirectory()) continue;
    const step = Number(m[1]);
    if (!best || step > best.step) best = { path, step };
  }
  return best;
}
