/**
 * The combinations LlamaFactory refuses, checked on the configs tabtune writes before any GPU time.
 * Each rule names where LlamaFactory raises it (src/llamafactory/hparams/parser.py at the commit in
 * llamafactory-registry.json, unless another file is named). Rules about stages other than sft,
 * Megatron/MCA, Ray or KTransformers runtimes are left out: tabtune never writes those settings,
 * and they are refused as overrides only through the rules below that mention them.
 */

/** A flat LlamaFactory YAML config as tabtune writes it. */
export type YamlConfig = Record<string, string | number | boolean>;

export interface RuleContext {
  /** "train" for train.yaml (get_train_args), "predict" for the predict YAMLs (also read by get_train_args). */
  file: "train" | "predict";
  /** The --deepspeed stage train.yaml points at, if any. */
  deepspeed: "z2" | "z3" | null;
  /** Whether training is launched through torchrun on several processes (ParallelMode.DISTRIBUTED). */
  distributed: boolean;
}

const set = (c: YamlConfig, key: string): boolean => c[key] !== undefined && c[key] !== false && c[key] !== "";

/**
 * Every rule `config` breaks, one sentence each (empty when LlamaFactory would accept it).
 * @example llamafactoryRuleViolations({ quantization_bit: 8, finetuning_type: "lora" }, { file: "train", deepspeed: "z3", distributed: true }).length // 1
 */
export function llamafactoryRuleViolations(config: YamlConfig, ctx: RuleContext): string[] {
  const out: string[] = [];
  const zero3 = ctx.file === "train" && ctx.deepspeed === "z3";
  const deepspeed = ctx.file === "train" && ctx.deepspeed !== null;
  const quantized = config.quantization_bit !== undefined;
  const finetuningType = String(config.finetuning_type ?? "lora");
  const training = config.do_train === true;

  // parser.py:232 (_verify_model_args): an adapter is only valid for the LoRA method.
  if (set(config, "adapter_name_or_path") && finetuningType !== "lora") out.push(`finetuning_type: ${finetuningType} cannot load the run's LoRA adapter to predict (LlamaFactory: "Adapter is only valid for the LoRA method")`);
  if (quantized) {
    // parser.py:236: quantization only with LoRA or OFT.
    if (finetuningType !== "lora" && finetuningType !== "oft") out.push(`quantization_bit needs finetuning_type lora or oft, not ${finetuningType} ("Quantization is only compatible with the LoRA or OFT method")`);
    // parser.py:239, 242.
    if (config.pissa_init === true) out.push("pissa_init cannot be used with quantization_bit (LlamaFactory: use scripts/pissa_init.py for a quantized model)");
    if (config.resize_vocab === true) out.push("resize_vocab cannot be used with quantization_bit (\"Cannot resize embedding layers of a quantized model\")");
    // parser.py:245: a new adapter on top of an adapter, quantized.
    if (set(config, "adapter_name_or_path") && config.create_new_adapter === true) out.push("create_new_adapter cannot be used on a quantized model");
    const method = String(config.quantization_method ?? "bnb");
    const bits = Number(config.quantization_bit);
    // model/model_utils/quantization.py (configure_quantization, not in the reference copy): bitsandbytes
    // on-the-fly quantization takes 4 or 8 bits, and only 4 bits under ZeRO-3/FSDP or an auto device map.
    if (method === "bnb" && bits !== 4 && bits !== 8) out.push(`quantization_bit must be 4 or 8 with bitsandbytes, got ${config.quantization_bit} ("Bitsandbytes only accepts 4-bit or 8-bit quantization")`);
    else if (method === "bnb" && bits !== 4 && (zero3 || config.quantization_device_map === "auto")) {
      out.push(`quantization_bit: ${bits} cannot be used with ${zero3 ? "DeepSpeed ZeRO-3" : "quantization_device_map: auto"}; use quantization_bit: 4 or --deepspeed z2 ("Only 4-bit quantized model can use fsdp+qlora or auto device map")`);
    }
    // parser.py:524: FP8 training and quantization.
    if (config.fp8 === true) out.push("fp8 cannot be used with quantization_bit (\"FP8 training is not compatible with quantization\")");
  }
  // parser.py:474: streaming needs max_steps.
  if (config.streaming === true && (config.max_steps === undefined || Number(config.max_steps) === -1)) out.push("streaming: true needs max_steps (\"Please specify `max_steps` in streaming mode\")");
  // parser.py:480: evaluation needs an eval_dataset or a validation split.
  const evaluates = config.do_eval === true || (config.eval_strategy !== undefined && config.eval_strategy !== "no");
  if ((evaluates || config.do_predict === true) && config.eval_dataset === undefined && !(Number(config.val_size ?? 0) >= 1e-6)) out.push("evaluation while training needs val_size > 0 (\"Please make sure eval_dataset be provided or val_size >1e-6\")");
  if (config.predict_with_generate === true) {
    // parser.py:486 and 489.
    if (zero3) out.push("predict_with_generate cannot run under DeepSpeed ZeRO-3");
    if (config.compute_accuracy === true) out.push("compute_accuracy cannot be used with predict_with_generate (the predict configs generate text)");
  }
  // parser.py:492: no device map for quantized training.
  if (training && config.quantization_device_map === "auto") out.push("quantization_device_map: auto cannot be used for training (\"Cannot use device map for quantized models in training\")");
  // parser.py:495 and 502: ZeRO-3 refuses PiSSA initialisation and pure bf16.
  if (zero3 && config.pissa_init === true) out.push("pissa_init cannot be used with DeepSpeed ZeRO-3");
  if (zero3 && config.pure_bf16 === true) out.push("pure_bf16 cannot be used with DeepSpeed ZeRO-3");
  // parser.py:505-516: distributed training and layer-wise optimisers.
  if (ctx.file === "train" && (ctx.distributed || deepspeed)) {
    if (config.use_galore === true && config.galore_layerwise === true) out.push("galore_layerwise cannot be used in distributed training");
    if (config.use_apollo === true && config.apollo_layerwise === true) out.push("apollo_layerwise cannot be used in distributed training");
    if (config.use_badam === true && String(config.badam_mode ?? "layer") === "ratio") out.push("badam_mode: ratio cannot be used in distributed training (use layer-wise BAdam)");
    else if (config.use_badam === true && !zero3) out.push("layer-wise BAdam in distributed training needs --deepspeed z3");
  }
  // parser.py:518: GaLore and APOLLO with DeepSpeed.
  if (deepspeed && (config.use_galore === true || config.use_apollo === true)) out.push("use_galore / use_apollo cannot be used with DeepSpeed");
  // parser.py:532 and 535.
  if (zero3 && config.use_unsloth === true) out.push("use_unsloth cannot be used with DeepSpeed ZeRO-3");
  if (zero3 && config.use_kt === true) out.push("use_kt (KTransformers) cannot be used with DeepSpeed ZeRO-3");
  // parser.py:529: `llamafactory-cli train` only runs the HF engine.
  if (config.infer_backend !== undefined && config.infer_backend !== "huggingface") out.push("infer_backend must be huggingface in a `llamafactory-cli train` config (\"vLLM/SGLang backend is only available for API, CLI and Web\")");
  return out;
}
