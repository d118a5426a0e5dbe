/**
 * Multi-GPU and multi-node training the way LlamaFactory does it (DESIGN §11):
 * `FORCE_TORCHRUN=1 NNODES NODE_RANK NPROC_PER_NODE MASTER_ADDR MASTER_PORT
 * llamafactory-cli train x.yaml`, and DeepSpeed ZeRO through `deepspeed: <json>` in the YAML.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DistributedOptions } from "../options.js";

/** One process on one machine: no torchrun, no DeepSpeed. */
export const SINGLE_PROCESS: DistributedOptions = { gpus: 1, nnodes: 1, nodeRank: 0, masterAddr: "127.0.0.1", masterPort: 29500, deepspeed: null };

/** Parts shared by LlamaFactory's examples/deepspeed/ds_z2_config.json and ds_z3_config.json. */
const DS_COMMON = {
  train_batch_size: "auto",
  train_micro_batch_size_per_gpu: "auto",
  gradient_accumulation_steps: "auto",
  gradient_clipping: "auto",
  zero_allow_untested_optimizer: true,
  fp16: { enabled: "auto", loss_scale: 0, loss_scale_window: 1000, initial_scale_power: 16, hysteresis: 2, min_loss_scale: 1 },
  bf16: { enabled: "auto" },
};

/** ZeRO sections as in LlamaFactory's examples ("auto" lets the HF Trainer fill them in). */
const ZERO: Record<"z2" | "z3", Record<string, unknown>> = {
  z2: {
    stage: 2,
    allgather_partitions: true,
    allgather_bucket_size: 5e8,
    overlap_comm: false,
    reduce_scatter: true,
    reduce_bucket_size: 5e8,
    contiguous_gradients: true,
    round_robin_gradients: true,
  },
  z3: {
    stage: 3,
    overlap_comm: false,
    contiguous_gradients: true,
    sub_group_size: 1e9,
    reduce_bucket_size: "auto",
    stage3_prefetch_bucket_size: "auto",
    stage3_param_persistence_threshold: "auto",
    stage3_max_live_parameters: 1e9,
    stage3_max_reuse_distance: 1e9,
    stage3_gather_16bit_weights_on_model_save: true,
  },
};

/** The DeepSpeed config for a ZeRO stage, as LlamaFactory ships it. */
export function deepspeedConfig(stage: "z2" | "z3"): Record<string, unknown> {
  return { ...DS_COMMON, zero_optimization: ZERO[stage] };
}

/** Writes `<configDir>/ds_<stage>_config.json` and returns its path. */
export function writeDeepspeedConfig(configDir: string, stage: "z2" | "z3"): string {
  const path = join(configDir, `ds_${stage}_config.json`);
  writeFileSync(path, `${JSON.stringify(deepspeedConfig(stage), null, 2)}\n`);
  return path;
}

/** Whether training needs torchrun: several GPUs or several machines. */
export function usesTorchrun(d: DistributedOptions): boolean {
  return d.gpus > 1 || d.nnodes > 1;
}

/**
 * The environment LlamaFactory's launcher reads to start torchrun; empty for one process.
 * DeepSpeed on a single GPU still goes through torchrun (LlamaFactory needs the launcher
 * for DeepSpeed), so a `deepspeed` stage also forces it.
 * @example torchrunEnv({ ...SINGLE_PROCESS, gpus: 4 }).NPROC_PER_NODE // "4"
 */
export function torchrunEnv(d: DistributedOptions): Record<string, string> {
  if (!usesTorchrun(d) && d.deepspeed === null) return {};
  return {
    FORCE_TORCHRUN: "1",
    NNODES: String(d.nnodes),
    NODE_RANK: String(d.nodeRank),
    NPROC_PER_NODE: String(d.gpus),
    MASTER_ADDR: d.masterAddr,
    MASTER_PORT: String(d.masterPort),
  };
}

/** `KEY=value …` to put before a printed command. */
export function formatEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`}`)
    .join(" ");
}
