/**
 * How the predict step generates: LlamaFactory's vLLM batch script when vllm is installed, else
 * HF generate through `llamafactory-cli train <predict.yaml>` (DESIGN §11).
 *
 * At this LlamaFactory (see registry.ts) `infer_backend: vllm` is refused in a `train` config
 * (hparams/parser.py:529: "vLLM/SGLang backend is only available for API, CLI and Web"), so the vLLM
 * path is `python3 scripts/vllm_infer.py`, which ships in LlamaFactory's repository (next to
 * src/llamafactory in a clone installed with `pip install -e .`), not in the wheel.
 * Either way prediction is ONE process: llamafactory-cli starts torchrun with one process per
 * visible GPU when it sees several, so HF prediction gets CUDA_VISIBLE_DEVICES with one device
 * (LlamaFactory's README runs its examples the same way); vllm_infer.py is one process that
 * spreads the model over the visible GPUs itself (tensor parallel).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { findExecutable } from "./commands.js";

export type PredictBackend =
  | { kind: "vllm"; python: string; script: string; reason: string }
  | { kind: "hf"; reason: string };

/** Seconds a probe may take: importing vllm loads torch and CUDA, which takes a while. */
const PROBE_TIMEOUT_MS = 120_000;

function python(pythonPath: string, code: string): { ok: boolean; out: string } {
  const result = spawnSync(pythonPath, ["-c", code], { encoding: "utf8", timeout: PROBE_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
  const err = (result.stderr ?? "").trim().split("\n").at(-1) ?? "";
  return { ok: result.status === 0, out: result.status === 0 ? (result.stdout ?? "").trim() : err || (result.error?.message ?? `exit ${result.status}`) };
}

/**
 * vLLM when `python3 -c "import vllm"` succeeds and LlamaFactory's scripts/vllm_infer.py is found
 * beside the installed llamafactory package, and the predict config is one vLLM can run
 * (no bitsandbytes quantization: hparams/parser.py:680); else HF generate, with the reason.
 */
export function choosePredictBackend(predictYaml: string, pathEnv: string | undefined = process.env.PATH): PredictBackend {
  const py = findExecutable("python3", pathEnv);
  if (!py) return { kind: "hf", reason: "python3 is not on PATH" };
  const vllm = python(py, "import vllm");
  if (!vllm.ok) return { kind: "hf", reason: `vllm is not importable (${vllm.out})` };
  const found = python(py, "import importlib.util as u; s = u.find_spec('llamafactory'); print(s.origin if s else '')");
  // <clone>/src/llamafactory/__init__.py → <clone>/scripts/vllm_infer.py
  const script = found.ok && found.out ? join(dirname(found.out), "..", "..", "scripts", "vllm_infer.py") : null;
  if (!script || !existsSync(script)) {
    return { kind: "hf", reason: "vllm is installed but LlamaFactory's scripts/vllm_infer.py is not next to the llamafactory package (install LlamaFactory from a clone with `pip install -e .`)" };
  }
  const config = readPredictYaml(predictYaml);
  if (config.quantization_bit !== undefined) return { kind: "hf", reason: "vLLM does not run bitsandbytes quantization (quantization_bit is set)" };
  return { kind: "vllm", python: py, script, reason: "vllm is installed" };
}

function readPredictYaml(path: string): Record<string, unknown> {
  const parsed: unknown = parse(readFileSync(path, "utf8"));
  return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? { ...parsed } : {};
}

/**
 * The vllm_infer.py command for a predict YAML tabtune wrote: the same model, adapter, data,
 * template, cutoff, greedy decoding and output file as the HF path.
 */
export function vllmInferArgv(backend: { python: string; script: string }, predictYaml: string): string[] {
  const c = readPredictYaml(predictYaml);
  const text = (key: string): string => String(c[key] ?? "");
  const argv = [
    backend.python,
    backend.script,
    "--model_name_or_path", text("model_name_or_path"),
    "--adapter_name_or_path", text("adapter_name_or_path"),
    "--dataset", text("eval_dataset"),
    "--dataset_dir", text("dataset_dir"),
    "--template", text("template"),
    "--cutoff_len", text("cutoff_len"),
    "--max_new_tokens", text("max_new_tokens"),
    // Greedy, as the HF path (do_sample: false): vLLM decodes greedily at temperature 0.
    "--temperature", "0",
    "--save_name", join(text("output_dir"), "generated_predictions.jsonl"),
  ];
  if (c.seed !== undefined) argv.push("--seed", text("seed"));
  return argv;
}

/**
 * The environment for one HF prediction process: the first device of CUDA_VISIBLE_DEVICES when set,
 * else device 0.
 * @example predictEnv({ CUDA_VISIBLE_DEVICES: "2,3" }) // { CUDA_VISIBLE_DEVICES: "2" }
 */
export function predictEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const first = (env.CUDA_VISIBLE_DEVICES ?? "").split(",")[0]?.trim();
  return { CUDA_VISIBLE_DEVICES: first ? first : "0" };
}
