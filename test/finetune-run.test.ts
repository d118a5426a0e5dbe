/** Distributed configs, reading trainer output, the cutoff_len check, and --predict-endpoint against a local HTTP server. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { writeLlamaFactoryConfigs, type TrainingOptions } from "../src/finetune/configs.js";
import { deepspeedConfig, formatEnv, SINGLE_PROCESS, torchrunEnv } from "../src/finetune/distributed.js";
import { chatCompletionsUrl, predictWithEndpoint, type EndpointOptions } from "../src/finetune/predict-endpoint.js";
import { checkTokenLengths, estimateTokens, forEachJsonArrayElement } from "../src/finetune/token-check.js";
import { parseTrainerLine } from "../src/finetune/train-log.js";
import { TabtuneError } from "../src/errors.js";

const OPTIONS: TrainingOptions = {
  model: "Qwen/Qwen2.5-0.5B-Instruct", loraRank: 64, loraAlpha: 128, loraDropout: 0.05, loraTarget: "all", useDora: false,
  cutoffLen: 2048, epochs: 3, learningRate: 2e-5, lrSchedulerType: "cosine", warmupRatio: 0.1, batchSize: 2, evalBatchSize: 4,
  gradAccumulation: 8, loggingSteps: 10, saveSteps: 500, precision: "bf16", flashAttn: "auto", quantizationBit: null,
  maxNewTokens: 16, preprocessingWorkers: 4, seed: 42,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tabtune-run-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("distributed training", () => {
  it("writes LlamaFactory's ZeRO-3 config next to the YAML and points train.yaml (only) at it", () => {
    const files = writeLlamaFactoryConfigs({
      runDir: join(dir, "run"), dataDir: join(dir, "data"), datasetName: "d", options: OPTIONS, overrides: {},
      distributed: { ...SINGLE_PROCESS, gpus: 4, deepspeed: "z3" },
    });
    expect(files.deepspeedJson).toBe(join(dir, "run", "configs", "ds_z3_config.json"));
    const ds = JSON.parse(readFileSync(files.deepspeedJson ?? "", "utf8")) as { zero_optimization: { stage: number; stage3_gather_16bit_weights_on_model_save: boolean }; train_micro_batch_size_per_gpu: string };
    expect(ds.zero_optimization.stage).toBe(3);
    expect(ds.zero_optimization.stage3_gather_16bit_weights_on_model_save).toBe(true);
    expect(ds.train_micro_batch_size_per_gpu).toBe("auto");
    expect((parse(readFileSync(files.trainYaml, "utf8")) as Record<string, unknown>).deepspeed).toBe(files.deepspeedJson);
    expect((parse(readFileSync(files.predictTestYaml, "utf8")) as Record<string, unknown>).deepspeed).toBeUndefined();
    expect((deepspeedConfig("z2").zero_optimization as { stage: number; allgather_bucket_size: number }).allgather_bucket_size).toBe(5e8);
  });

  it("writes no DeepSpeed file and no key for a single GPU", () => {
    const files = writeLlamaFactoryConfigs({ runDir: join(dir, "run"), dataDir: join(dir, "data"), datasetName: "d", options: OPTIONS, overrides: {}, distributed: SINGLE_PROCESS });
    expect(files.deepspeedJson).toBeNull();
    expect(existsSync(join(dir, "run", "configs", "ds_z2_config.json"))).toBe(false);
    expect(readFileSync(files.trainYaml, "utf8")).not.toMatch(/deepspeed/);
  });

  it("sets LlamaFactory's torchrun variables for several GPUs or nodes, none for one", () => {
    expect(torchrunEnv(SINGLE_PROCESS)).toEqual({});
    const env = torchrunEnv({ gpus: 8, nnodes: 2, nodeRank: 1, masterAddr: "10.0.0.1", masterPort: 29501, deepspeed: "z2" });
    expect(env).toEqual({ FORCE_TORCHRUN: "1", NNODES: "2", NODE_RANK: "1", NPROC_PER_NODE: "8", MASTER_ADDR: "10.0.0.1", MASTER_PORT: "29501" });
    expect(formatEnv(env)).toBe("FORCE_TORCHRUN=1 NNODES=2 NODE_RANK=1 NPROC_PER_NODE=8 MASTER_ADDR=10.0.0.1 MASTER_PORT=29501");
    expect(torchrunEnv({ ...SINGLE_PROCESS, deepspeed: "z3" }).FORCE_TORCHRUN).toBe("1");
  });
});

describe("parseTrainerLine", () => {
  it("reads tqdm step bars and logged loss dicts, and skips tokenizer bars", () => {
    expect(parseTrainerLine(" 45%|████▌     | 9/20 [00:15<00:18,  1.69s/it]")).toEqual({ kind: "step", step: 9, total: 20 });
    expect(parseTrainerLine("100%|██████████| 20/20 [00:30<00:00,  1.52it/s]")).toEqual({ kind: "step", step: 20, total: 20 });
    expect(parseTrainerLine("{'loss': 0.6931, 'grad_norm': 1.23, 'learning_rate': 2e-05, 'epoch': 0.36}")).toEqual({ kind: "loss", loss: 0.6931, epoch: 0.36 });
    expect(parseTrainerLine("{'loss': '0.5', 'grad_norm': '1.0', 'epoch': '1.0'}")).toEqual({ kind: "loss", loss: 0.5, epoch: 1 });
    expect(parseTrainerLine("Running tokenizer on dataset (num_proc=4): 100%|██████████| 500/500 [00:00<00:00, 812.31 examples/s]")).toEqual({ kind: "other" });
    expect(parseTrainerLine("{'train_runtime': 30.1, 'train_loss': 0.41, 'epoch': 3.0}")).toEqual({ kind: "other" });
  });
});

describe("token-length check", () => {
  const opts = { charsPerToken: 4, templateTokens: 32 };
  it("counts digits one token each and other characters four to a token, plus the template", () => {
    expect(estimateTokens({ instruction: "Predict.", input: "The age is 42.", output: "Yes" }, { charsPerToken: 4, templateTokens: 0 })).toBe(9); // 2 digits + ⌈25 other characters / 4⌉
    expect(estimateTokens({ instruction: "", input: "1234567890", output: "" }, opts)).toBe(10 + 1 + 32); // two newlines → 1
  });

  it("streams a JSON array larger than one read chunk and counts records over cutoff_len", async () => {
    const records = Array.from({ length: 12_000 }, (_, i) => ({ instruction: "Predict \"churn\" {x}.", input: i % 1000 === 0 ? "x".repeat(4000) : `The tenure is ${i}.`, output: i % 2 ? "Yes" : "No" }));
    const path = join(dir, "train.json");
    writeFileSync(path, JSON.stringify(records, null, 2)); // > 1 MiB: crosses read chunks
    const seen: unknown[] = [];
    expect(await forEachJsonArrayElement(path, (r) => seen.push(r))).toBe(12_000);
    expect(seen[1]).toEqual(records[1]);
    writeFileSync(join(dir, "test.json"), JSON.stringify(records.slice(0, 3)));
    const check = await checkTokenLengths(path, join(dir, "test.json"), 512, opts);
    expect(check.train.records).toBe(12_000);
    expect(check.train.overCutoff).toBe(12); // every 1000th record has 4000 extra characters
    expect(check.test.overCutoff).toBe(1);
    expect(check.warning).toMatch(/13 record\(s\) \(12 train, 1 test\).*cutoff_len 512.*cutoff_len: 2048/);
    const fine = await checkTokenLengths(join(dir, "test.json"), join(dir, "test.json"), 4096, opts);
    expect(fine.warning).toBeNull();
  });

  it("reads records whose strings hold quotes, braces, brackets and backslashes, whatever the chunk ends cut", async () => {
    const tricky = ['a "quoted" {brace} [x]', "ends with a backslash \\", '\\"', "}{", "é — ü 😀 {", "\\\\\\", "line\nbreak\t\"tab\""];
    const records = Array.from({ length: 40 }, (_, i) => ({ instruction: tricky[i % tricky.length], input: `${tricky[(i + 3) % tricky.length]}${i}`, output: i % 3 ? "Yes" : "No", nested: { k: tricky[(i + 1) % tricky.length] } }));
    const path = join(dir, "tricky.json");
    writeFileSync(path, JSON.stringify(records, null, 1));
    for (const chunkBytes of [1, 2, 3, 5, 7, 16, 1 << 20]) {
      const seen: unknown[] = [];
      expect(await forEachJsonArrayElement(path, (r) => seen.push(r), chunkBytes)).toBe(records.length);
      expect(seen).toEqual(records);
    }
    writeFileSync(join(dir, "open.json"), '[{"instruction": "never closed \\"}]');
    await expect(forEachJsonArrayElement(join(dir, "open.json"), () => undefined, 4)).rejects.toThrow(SyntaxError);
  });
});

describe("token-length check reads JsonArrayWriter arrays line by line and any other JSON array as before", () => {
  const opts = { charsPerToken: 4, templateTokens: 32 };
  const records = Array.from({ length: 30 }, (_, i) => ({ instruction: `Predict {"x"} [${i}]`, input: `The tenure is ${i * 37}.\n\\ é 😀`, output: i % 2 ? "Yes" : "No" }));
  const read = async (text: string, chunkBytes?: number) => {
    const path = join(dir, "records.json");
    writeFileSync(path, text);
    const seen: unknown[] = [];
    const count = await forEachJsonArrayElement(path, (r) => seen.push(r), chunkBytes);
    return { count, seen };
  };
  const lines = (rs: unknown[]) => `[\n${rs.map((r) => JSON.stringify(r)).join(",\n")}\n]\n`;

  it("hands on every record once, in order, whether the file is one record a line, turns pretty-printed midway, or is one line", async () => {
    expect(await read(lines(records))).toEqual({ count: 30, seen: records });
    expect(await read("[]\n")).toEqual({ count: 0, seen: [] });
    // Ten records a line, then the rest pretty-printed: the scan takes over after the tenth, skipping what was handed on.
    const mixed = `[\n${records.slice(0, 10).map((r) => JSON.stringify(r)).join(",\n")},\n${JSON.stringify(records.slice(10), null, 2).slice(1)}\n`;
    for (const chunkBytes of [3, 1 << 20]) expect(await read(mixed, chunkBytes)).toEqual({ count: 30, seen: records });
    expect(await read(JSON.stringify(records))).toEqual({ count: 30, seen: records });
    // Elements that are not objects are skipped, as the scan always did, even on lines of their own.
    expect(await read(`[\n${JSON.stringify(records[0])},\n1,\n"x",\n[2],\n${JSON.stringify(records[1])}\n]\n`)).toEqual({ count: 2, seen: records.slice(0, 2) });
  });

  it("still rejects what is not a JSON array of objects", async () => {
    await expect(read(records.map((r) => JSON.stringify(r)).join("\n"))).rejects.toThrow(SyntaxError); // JSON lines: no array opened
    await expect(read(`[\n${JSON.stringify(records[0])},\n{"open": "never closed"\n`)).rejects.toThrow(SyntaxError);
    await expect(read("")).rejects.toThrow(SyntaxError);
  });

  it("estimates each record as the three fields joined by newlines, whatever their types", () => {
    const joined = (r: Record<string, unknown>) => {
      const text = [r.instruction, r.input, r.output].map((v) => (v === undefined || v === null ? "" : String(v))).join("\n");
      const digits = text.replace(/[^0-9]/g, "").length;
      return digits + Math.ceil((text.length - digits) / opts.charsPerToken) + opts.templateTokens;
    };
    const odd: Record<string, unknown>[] = [...records, { instruction: 12345, input: null, output: true }, { input: ["1", 2] }, {}, { instruction: "", input: "", output: "" }];
    for (const r of odd) expect(estimateTokens(r, opts)).toBe(joined(r));
  });
});

/** A scripted OpenAI-compatible server: answers are queued per call; requests are recorded. */
function scriptedServer(script: Array<{ status: number; body?: unknown; headers?: Record<string, string> } | "echo">) {
  const requests: { url: string; auth: string | undefined; body: Record<string, unknown> | null }[] = [];
  let call = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      requests.push({ url: req.url ?? "", auth: req.headers.authorization, body });
      if (req.url === "/v1/models") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "served-model" }] }));
        return;
      }
      const step = script[call++] ?? "echo";
      if (step === "echo") {
        // Answers with the label the prompt's last line asks for: "… label=<x>" → "<x>".
        const messages = (body?.messages ?? []) as { content: string }[];
        const label = /label=(.*)$/.exec(messages[0]?.content ?? "")?.[1] ?? "";
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: label } }] }));
        return;
      }
      res.writeHead(step.status, { "content-type": "application/json", ...step.headers }).end(JSON.stringify(step.body ?? { error: "scripted" }));
    });
  });
  return {
    requests,
    start: () => new Promise<string>((r) => server.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`))),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("--predict-endpoint", () => {
  const records = ["Responder", "Non-responder", "Responder", "Non-responder", "Responder"].map((label, i) => ({ instruction: "Predict the response.", input: `row ${i} label=${label}`, output: label }));
  const base = (url: string): EndpointOptions => ({ url, model: null, apiKey: "sk-test", concurrency: 2, maxAttempts: 4, backoffMs: 1, maxBackoffMs: 5, timeoutMs: 5000, maxTokens: 16 });

  it("builds the chat-completions URL from a base URL", () => {
    expect(chatCompletionsUrl("http://h:8000/v1/")).toBe("http://h:8000/v1/chat/completions");
    expect(chatCompletionsUrl("http://h/v1/chat/completions")).toBe("http://h/v1/chat/completions");
  });

  it("retries a 429 and a 500, asks greedily with the key, and writes LlamaFactory-style predictions in order", async () => {
    const server = scriptedServer([{ status: 429, headers: { "retry-after": "0" } }, { status: 500 }]);
    const url = await server.start();
    try {
      const out = join(dir, "predict_test", "generated_predictions.jsonl");
      let answered = 0;
      const result = await predictWithEndpoint(records, out, { ...base(url), onAnswer: (done) => (answered = done) });
      expect(result).toEqual({ model: "served-model", records: 5, retries: 2, empty: 0 });
      expect(answered).toBe(5);
      const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { prompt: string; predict: string; label: string });
      expect(lines.map((l) => l.predict)).toEqual(records.map((r) => r.output));
      expect(lines[0]).toEqual({ prompt: "Predict the response.\nrow 0 label=Responder", predict: "Responder", label: "Responder" });
      const chats = server.requests.filter((r) => r.url === "/v1/chat/completions");
      expect(chats).toHaveLength(7); // 5 records + 2 retried failures
      for (const r of chats) {
        expect(r.auth).toBe("Bearer sk-test");
        expect(r.body).toMatchObject({ model: "served-model", temperature: 0, max_tokens: 16 });
      }
    } finally {
      await server.stop();
    }
  });

  it("stops with a clear error on a 400 (no retry) and after the last try on repeated 503s", async () => {
    const bad = scriptedServer([{ status: 400, body: { error: { message: "model not found" } } }]);
    const url = await bad.start();
    try {
      const error = await predictWithEndpoint(records, join(dir, "a.jsonl"), { ...base(url), model: "nope", concurrency: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TabtuneError);
      expect(String((error as Error).message)).toMatch(/HTTP 400.*model not found/);
      expect(bad.requests).toHaveLength(1);
    } finally {
      await bad.stop();
    }
    const down = scriptedServer(Array.from({ length: 10 }, () => ({ status: 503 })));
    const url2 = await down.start();
    try {
      const error = await predictWithEndpoint(records, join(dir, "b.jsonl"), { ...base(url2), model: "m", concurrency: 1 }).catch((e: unknown) => e);
      expect(String((error as Error).message)).toMatch(/test record 1 failed after 4 tries; last error: HTTP 503/);
      expect(existsSync(join(dir, "b.jsonl"))).toBe(false);
    } finally {
      await down.stop();
    }
  });
});
