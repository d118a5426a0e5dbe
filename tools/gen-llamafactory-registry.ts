/**
 * Generates src/finetune/llamafactory-registry.json from a LlamaFactory checkout:
 *   node --import tsx tools/gen-llamafactory-registry.ts <LlamaFactory checkout> [out.json]
 *
 * What it reads (nothing is imported or run; the Python is read as text):
 * - src/llamafactory/extras/constants.py: every `register_model_group(models={...}, template=..., multimodal=...)`
 *   call (model name → hub ids, the group's template) and the StrEnum classes (AttentionFunction, EngineName…).
 * - src/llamafactory/data/template.py: every `register_template(name=...)` (the names `--template` accepts).
 * - src/llamafactory/hparams/*.py: the argument dataclasses (name, annotation, default, `init=False`),
 *   with the class each field is declared in and the top-level dataclass (ModelArguments, DataArguments,
 *   TrainingArguments, FinetuningArguments, GeneratingArguments…) it is parsed through.
 * - transformers' TrainingArguments / Seq2SeqTrainingArguments fields, which LlamaFactory's TrainingArguments
 *   extends: `<checkout>/../transformers/training_args_fields.py` unless `--transformers FILE` is given.
 * - COMMIT (first line: the commit and date) or, failing that, `git rev-parse HEAD` in the checkout.
 *
 * The output is deterministic (sorted keys, no timestamps), so re-running it on the same checkout gives
 * the same file and a new LlamaFactory shows up as a reviewable diff.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Argument types as the config review checks them. */
type ArgType = "bool" | "int" | "float" | "str" | "choice" | "object";

interface ArgumentEntry {
  type: ArgType;
  choices?: string[];
  /** The Python default as JSON (null for None or a default_factory). */
  default: string | number | boolean | null;
  /** `X | None` / `Optional[X]`: null is a valid value. */
  nullable: boolean;
  /** The class that declares the field (LoraArguments, BaseModelArguments, TrainingArguments…). */
  declaredIn: string;
  /** The dataclass HfArgumentParser reads it through (ModelArguments, DataArguments, TrainingArguments…). */
  dataclass: string;
  /** The LlamaFactory parsers that accept it: train (llamafactory-cli train), infer (chat/api/vllm_infer), eval. */
  parsers: Array<"train" | "infer" | "eval">;
  /** The Python annotation, verbatim. */
  annotation: string;
}

interface ModelEntry {
  /** LlamaFactory's display name ("Qwen2.5-7B-Instruct"). */
  name: string;
  /** Hugging Face id (DownloadSource.DEFAULT). */
  hub: string;
  /** Other hub ids (ModelScope, Modelers) by source name. */
  mirrors: Record<string, string>;
  /** The group's template; null when the group registers none. */
  template: string | null;
  multimodal: boolean;
}

/**
 * transformers enums that TrainingArguments fields use. They live in transformers' trainer_utils.py and
 * training_args.py (5.x), which the reference copy does not include; their values are listed here.
 */
const TRANSFORMERS_ENUMS: Record<string, string[]> = {
  SchedulerType: [
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
  ],
  IntervalStrategy: ["no", "steps", "epoch"],
  SaveStrategy: ["no", "steps", "epoch", "best"],
  HubStrategy: ["end", "every_save", "checkpoint", "all_checkpoints"],
};

/** The dataclasses each LlamaFactory parser reads (hparams/parser.py _TRAIN_ARGS, _INFER_ARGS, _EVAL_ARGS). */
const PARSERS: Record<"train" | "infer" | "eval", string[]> = {
  train: ["ModelArguments", "DataArguments", "TrainingArguments", "FinetuningArguments", "GeneratingArguments"],
  infer: ["ModelArguments", "DataArguments", "FinetuningArguments", "GeneratingArguments", "_KTransformersRuntimeArguments"],
  eval: ["ModelArguments", "DataArguments", "EvaluationArguments", "FinetuningArguments", "_KTransformersRuntimeArguments"],
};

interface PyField {
  name: string;
  annotation: string;
  args: string;
}

interface PyClass {
  name: string;
  bases: string[];
  fields: PyField[];
}

/** Index just past the bracket that closes the one at `open`, skipping strings and comments. */
function closingBracket(text: string, open: number): number {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const triple = text.startsWith(ch.repeat(3), i);
      const quote = triple ? ch.repeat(3) : ch;
      i += quote.length;
      while (i < text.length && !text.startsWith(quote, i)) i += text[i] === "\\" ? 2 : 1;
      i += quote.length;
      continue;
    }
    const close = pairs[ch];
    if (close) stack.push(close);
    else if (ch === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
    i++;
  }
  throw new Error(`unbalanced bracket at offset ${open}`);
}

/** Splits `a=1, b=f(x, y), c="d,e"` at its top-level commas. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === "(" || ch === "[" || ch === "{" || ch === '"' || ch === "'") {
      if (ch === '"' || ch === "'") {
        i++;
        while (i < text.length && text[i] !== ch) i += text[i] === "\\" ? 2 : 1;
        i++;
      } else i = closingBracket(text, i);
      continue;
    }
    if (ch === ",") {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** The StrEnum classes of constants.py: `class X(StrEnum):` followed by `NAME = "value"` lines. */
function readEnums(constants: string): Record<string, string[]> {
  const enums: Record<string, string[]> = {};
  const re = /^class (\w+)\(StrEnum\):\n((?:(?:    .*)?\n)+)/gm;
  for (const m of constants.matchAll(re)) {
    const values = [...(m[2] ?? "").matchAll(/^    \w+ = "([^"]*)"/gm)].map((v) => v[1] ?? "");
    enums[m[1] ?? ""] = values;
  }
  return enums;
}

/** Every register_model_group(...) call's models with their hub ids and the group's template. */
function readModels(constants: string): ModelEntry[] {
  const models: ModelEntry[] = [];
  for (const m of constants.matchAll(/^register_model_group\(/gm)) {
    const open = (m.index ?? 0) + "register_model_group".length;
    const call = constants.slice(open + 1, closingBracket(constants, open) - 1);
    const args = Object.fromEntries(
      splitTopLevel(call).map((arg) => {
        const eq = arg.indexOf("=");
        return [arg.slice(0, eq).trim(), arg.slice(eq + 1).trim()];
      }),
    );
    // A group without a template (BLOOM, Falcon base models…) leaves the choice to the user: null here.
    const template = args.template === undefined ? null : /^"([^"]+)"$/.exec(args.template)?.[1];
    if (template === undefined) throw new Error(`register_model_group with a template that is not a string: ${call.slice(0, 120)}`);
    const multimodal = args.multimodal === "True";
    const dict = (args.models ?? "").replace(/^\{|\}$/g, "");
    for (const entry of splitTopLevel(dict)) {
      const em = /^"([^"]+)"\s*:\s*\{([\s\S]*)\}$/.exec(entry);
      if (!em) throw new Error(`cannot read model entry: ${entry.slice(0, 120)}`);
      const sources = Object.fromEntries(
        splitTopLevel(em[2] ?? "").map((s) => {
          const sm = /^DownloadSource\.(\w+)\s*:\s*"([^"]+)"$/.exec(s);
          if (!sm) throw new Error(`cannot read download source: ${s}`);
          return [sm[1] ?? "", sm[2] ?? ""];
        }),
      );
      const { DEFAULT: hub, ...mirrors } = sources;
      if (!hub) continue; // a model only on a mirror cannot be named by a Hugging Face id
      models.push({ name: em[1] ?? "", hub, mirrors, template, multimodal });
    }
  }
  // SUPPORTED_MODELS and DEFAULT_TEMPLATE are dicts keyed by name: a later registration of a name replaces
  // the earlier one (MedGemma-27B-Instruct is registered under gemma2, then gemma3).
  const byName = new Map<string, ModelEntry>();
  for (const model of models) {
    byName.delete(model.name);
    byName.set(model.name, model);
  }
  const deduped = [...byName.values()];
  const templatesByHub = new Map<string, Set<string | null>>();
  for (const m of deduped) templatesByHub.set(m.hub.toLowerCase(), (templatesByHub.get(m.hub.toLowerCase()) ?? new Set()).add(m.template));
  const conflicts = [...templatesByHub].filter(([, t]) => t.size > 1).map(([hub, t]) => `${hub}: ${[...t].join(" / ")}`);
  if (conflicts.length > 0) throw new Error(`one hub id, several templates (decide which LlamaFactory uses): ${conflicts.join("; ")}`);
  return deduped;
}

/** Template names from data/template.py's register_template(name="...") calls. */
function readTemplates(templatePy: string): string[] {
  const names = new Set<string>();
  for (const m of templatePy.matchAll(/^register_template\(/gm)) {
    const open = (m.index ?? 0) + "register_template".length;
    const call = templatePy.slice(open + 1, closingBracket(templatePy, open) - 1);
    const name = splitTopLevel(call)
      .map((a) => /^name\s*=\s*"([^"]+)"$/.exec(a)?.[1])
      .find((n) => n !== undefined);
    if (!name) throw new Error(`register_template without a name: ${call.slice(0, 120)}`);
    names.add(name);
  }
  return [...names].sort();
}

/** @dataclass classes of a Python file: their bases and `name: annotation = field(...)` fields. */
function readDataclasses(python: string): PyClass[] {
  const classes: PyClass[] = [];
  for (const m of python.matchAll(/^@dataclass\nclass (\w+)(\(|:)/gm)) {
    let bases: string[] = [];
    let bodyStart = (m.index ?? 0) + m[0].length;
    if (m[2] === "(") {
      const open = bodyStart - 1;
      const close = closingBracket(python, open);
      bases = splitTopLevel(python.slice(open + 1, close - 1));
      bodyStart = python.indexOf(":", close) + 1;
    }
    const fields: PyField[] = [];
    const fieldRe = /^    (\w+): (.+?) = field\(/gm;
    fieldRe.lastIndex = bodyStart;
    const nextClass = python.slice(bodyStart).search(/^\S/m);
    const bodyEnd = nextClass < 0 ? python.length : bodyStart + nextClass;
    for (let f = fieldRe.exec(python); f && f.index < bodyEnd; f = fieldRe.exec(python)) {
      const open = f.index + f[0].length - 1;
      const close = closingBracket(python, open);
      fields.push({ name: f[1] ?? "", annotation: (f[2] ?? "").trim(), args: python.slice(open + 1, close - 1) });
      fieldRe.lastIndex = close;
    }
    classes.push({ name: m[1] ?? "", bases, fields });
  }
  return classes;
}

/** A Python default expression as JSON, resolving enum members; null when it is not a literal. */
function pythonDefault(expr: string, enums: Record<string, Record<string, string>>): string | number | boolean | null {
  const e = expr.trim();
  if (e === "None") return null;
  if (e === "True") return true;
  if (e === "False") return false;
  const str = /^(["'])(.*)\1$/s.exec(e);
  if (str) return str[2] ?? "";
  if (/^-?[\d_.]+(?:e-?\d+)?$/i.test(e)) return Number(e.replace(/_/g, ""));
  if (/^[\d\s*+]+$/.test(e)) return e.split("*").reduce((a, b) => a * Number(b.trim()), 1);
  const member = /^(\w+)\.(\w+)$/.exec(e);
  if (member) return enums[member[1] ?? ""]?.[member[2] ?? ""] ?? e;
  return e;
}

/** Type and choices of a Python annotation, for the values a person types at config review. */
function typeOf(annotation: string, enums: Record<string, string[]>): { type: ArgType; choices?: string[]; nullable: boolean } {
  let parts = splitUnion(annotation.replace(/^Optional\[(.*)\]$/, "$1 | None"));
  const nullable = parts.includes("None") || /^Optional\[/.test(annotation);
  parts = parts.filter((p) => p !== "None");
  const literal = parts.map((p) => /^Literal\[(.*)\]$/.exec(p)?.[1]).find((l) => l !== undefined);
  if (literal !== undefined) return { type: "choice", choices: splitTopLevel(literal).map((c) => c.replace(/^["']|["']$/g, "")), nullable };
  const enumName = parts.find((p) => enums[p] !== undefined);
  if (enumName) return { type: "choice", choices: enums[enumName] ?? [], nullable };
  if (parts.length === 1) {
    const only = parts[0];
    if (only === "bool") return { type: "bool", nullable };
    if (only === "int") return { type: "int", nullable };
    if (only === "float") return { type: "float", nullable };
    if (only === "str") return { type: "str", nullable };
  }
  if (parts.every((p) => p === "int" || p === "float")) return { type: "float", nullable };
  // A str in a union with dicts, lists or paths: a person types text, LlamaFactory parses it.
  if (parts.includes("str") && parts.every((p) => p === "str" || p === "bool")) return { type: "str", nullable };
  return { type: "object", nullable };
}

function splitUnion(annotation: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < annotation.length; i++) {
    const ch = annotation[i];
    if (ch === "[") depth++;
    else if (ch === "]") depth--;
    else if (ch === "|" && depth === 0) {
      parts.push(annotation.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(annotation.slice(start).trim());
  return parts;
}

/** Fields of a class and its bases, in Python's MRO order for these simple hierarchies (a field declared later wins). */
function allFields(name: string, classes: Map<string, PyClass>, seen = new Set<string>()): Array<PyField & { declaredIn: string }> {
  const cls = classes.get(name);
  if (!cls || seen.has(name)) return [];
  seen.add(name);
  const inherited = [...cls.bases].reverse().flatMap((b) => allFields(b, classes, seen));
  return [...inherited, ...cls.fields.map((f) => ({ ...f, declaredIn: name }))];
}

function keyword(args: string, name: string): string | undefined {
  for (const part of splitTopLevel(args)) {
    const m = new RegExp(`^${name}\\s*=\\s*([\\s\\S]*)$`).exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** The checkout's commit (COMMIT: "<sha> (<date>), version <v>"; else git), and its version when known. */
function readCommit(checkout: string): { commit: string; date: string | null; version: string | null } {
  const file = join(checkout, "COMMIT");
  if (existsSync(file)) {
    const line = readFileSync(file, "utf8").split("\n")[0]?.trim() ?? "";
    const m = /^([0-9a-f]{7,40})(?:\s+\(([^)]*)\))?(?:,\s*version\s+(\S+))?/.exec(line);
    if (!m) throw new Error(`cannot read ${file}: ${line}`);
    return { commit: m[1] ?? "", date: m[2] ?? null, version: m[3] ?? null };
  }
  const commit = execFileSync("git", ["-C", checkout, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  const date = execFileSync("git", ["-C", checkout, "log", "-1", "--format=%cs"], { encoding: "utf8" }).trim();
  return { commit, date, version: null };
}

export function generateRegistry(checkout: string, transformersFields: string): Record<string, unknown> {
  const pkg = join(checkout, "src", "llamafactory");
  const constants = readFileSync(join(pkg, "extras", "constants.py"), "utf8");
  const enumValues = { ...TRANSFORMERS_ENUMS, ...readEnums(constants) };
  const enumMembers: Record<string, Record<string, string>> = {};
  for (const m of constants.matchAll(/^class (\w+)\(StrEnum\):\n((?:(?:    .*)?\n)+)/gm)) {
    enumMembers[m[1] ?? ""] = Object.fromEntries([...(m[2] ?? "").matchAll(/^    (\w+) = "([^"]*)"/gm)].map((v) => [v[1] ?? "", v[2] ?? ""]));
  }

  const classes = new Map<string, PyClass>();
  const hparams = join(pkg, "hparams");
  for (const file of readdirSync(hparams).filter((f) => f.endsWith(".py")).sort()) {
    for (const cls of readDataclasses(readFileSync(join(hparams, file), "utf8"))) classes.set(cls.name, cls);
  }
  // LlamaFactory's TrainingArguments extends transformers' Seq2SeqTrainingArguments (BaseTrainingArguments).
  for (const cls of readDataclasses(readFileSync(transformersFields, "utf8"))) {
    classes.set(cls.name === "Seq2SeqTrainingArguments" ? "BaseTrainingArguments" : cls.name === "TrainingArguments" ? "HfTrainingArguments" : cls.name, {
      ...cls,
      name: cls.name === "Seq2SeqTrainingArguments" ? "BaseTrainingArguments" : cls.name === "TrainingArguments" ? "HfTrainingArguments" : cls.name,
      bases: cls.bases.map((b) => (b === "TrainingArguments" ? "HfTrainingArguments" : b)),
    });
  }

  const argumentsOut: Record<string, ArgumentEntry> = {};
  const topLevel = [...new Set(Object.values(PARSERS).flat())];
  for (const top of topLevel) {
    if (!classes.has(top)) throw new Error(`dataclass ${top} not found under ${hparams}`);
    for (const f of allFields(top, classes)) {
      // HfArgumentParser.parse_dict only accepts fields with init=True.
      if (keyword(f.args, "init")?.trim() === "False") continue;
      const typed = typeOf(f.annotation, enumValues);
      const rawDefault = keyword(f.args, "default");
      const parsers = (Object.keys(PARSERS) as Array<"train" | "infer" | "eval">).filter((p) => PARSERS[p].includes(top));
      const previous = argumentsOut[f.name];
      if (previous && previous.dataclass !== top) {
        previous.parsers = [...new Set([...previous.parsers, ...parsers])].sort();
        continue;
      }
      argumentsOut[f.name] = {
        type: typed.type,
        ...(typed.choices ? { choices: typed.choices } : {}),
        default: rawDefault === undefined ? null : pythonDefault(rawDefault, enumMembers),
        nullable: typed.nullable,
        declaredIn: f.declaredIn === "HfTrainingArguments" ? "transformers.TrainingArguments" : f.declaredIn === "BaseTrainingArguments" ? "transformers.Seq2SeqTrainingArguments" : f.declaredIn,
        dataclass: top,
        parsers: parsers.sort(),
        annotation: f.annotation,
      };
    }
  }

  const models = readModels(constants).sort((a, b) => a.hub.localeCompare(b.hub) || a.name.localeCompare(b.name));
  const templates = readTemplates(readFileSync(join(pkg, "data", "template.py"), "utf8"));
  const unknownTemplates = [...new Set(models.map((m) => m.template))].filter((t): t is string => t !== null && !templates.includes(t));
  if (unknownTemplates.length > 0) throw new Error(`models use templates that template.py does not register: ${unknownTemplates.join(", ")}`);

  return {
    $comment: "Generated by tools/gen-llamafactory-registry.ts from a LlamaFactory checkout; do not edit by hand. See README (Maintainers).",
    llamafactory: { ...readCommit(checkout), transformersFields: basename(transformersFields) },
    templates,
    models,
    argumentTable: Object.fromEntries(Object.entries(argumentsOut).sort(([a], [b]) => a.localeCompare(b))),
  };
}

function main(argv: string[]): void {
  const positional = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--transformers");
  const flag = argv.indexOf("--transformers");
  const checkoutArg = positional[0];
  if (!checkoutArg) {
    process.stderr.write("usage: node --import tsx tools/gen-llamafactory-registry.ts <LlamaFactory checkout> [out.json] [--transformers training_args_fields.py]\n");
    process.exit(2);
  }
  const checkout = resolve(checkoutArg);
  const here = dirname(fileURLToPath(import.meta.url));
  const out = resolve(positional[1] ?? join(here, "..", "src", "finetune", "llamafactory-registry.json"));
  const transformersFields = resolve(flag >= 0 ? (argv[flag + 1] ?? "") : join(checkout, "..", "transformers", "training_args_fields.py"));
  if (!existsSync(transformersFields)) {
    process.stderr.write(`transformers field list not found at ${transformersFields}; pass --transformers <file>\n`);
    process.exit(2);
  }
  const registry = generateRegistry(checkout, transformersFields);
  writeFileSync(out, `${JSON.stringify(registry, null, 1)}\n`);
  const models = registry.models as ModelEntry[];
  process.stdout.write(
    `${out}: ${models.length} models (${models.filter((m) => !m.multimodal).length} text), ${(registry.templates as string[]).length} templates, ${Object.keys(registry.argumentTable as object).length} arguments, LlamaFactory ${String((registry.llamafactory as { commit: string }).commit)}\n`,
  );
}

// Run as a script, not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
