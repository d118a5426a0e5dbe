/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol, with
 * scripted answers per decision (told apart by the prompt each decision renders). An
 * unscripted request gets HTTP 400, which the decider does not retry: the heuristic answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Decision = "explore" | "plan" | "codegen" | "verify" | "feedback" | "balance" | "impute";
export type Scripted = { status: number; body: unknown } | { content: string } | "hang";

/** The first line of each prompt in prompts/*.md's <role>. */
const PROMPT_STARTS: [Decision, string][] = [
  ["explore", "You are a careful data scientist"],
  ["plan", "You plan how a table becomes"],
  ["codegen", "You write the data preparation script"],
  ["verify", "You review a fine-tuning dataset"],
  ["feedback", "You turn a reviewer's free-text answer"],
  ["balance", "You write the balancing script"],
  ["impute", "You fill in missing values of one categorical column"],
];

export interface ChatServer {
  /** http://127.0.0.1:PORT/v1 */
  base: string;
  script: Record<Decision, Scripted[]>;
  /** Answers a decision's requests once its script is empty: the content, from the messages. */
  answer: Map<Decision, (messages: { role: string; content: string }[]) => string>;
  /** Every request: its decision, the Authorization header and the messages. */
  seen: { decision: Decision | "unknown"; authorization: string | undefined; messages: { role: string; content: string }[] }[];
  reset(): void;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startChatServer(): Promise<ChatServer> {
  const script: Record<Decision, Scripted[]> = { explore: [], plan: [], codegen: [], verify: [], feedback: [], balance: [], impute: [] };
  const answer: ChatServer["answer"] = new Map();
  const seen: ChatServer["seen"] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") return reply(res, 404, { error: { message: `no route ${req.url}` } });
      const body = JSON.parse(raw) as { messages: { role: string; content: string }[] };
      const first = body.messages[0]?.content ?? "";
      const decision = PROMPT_STARTS.find(([, start]) => first.includes(start))?.[0] ?? "unknown";
      seen.push({ decision, authorization: req.headers.authorization, messages: body.messages });
      const answered = decision === "unknown" ? undefined : answer.get(decision);
      const next = decision === "unknown" ? undefined : (script[decision].shift() ?? (answered ? { content: answered(body.messages) } : undefined));
      if (next === undefined) return reply(res, 400, { error: { message: `nothing scripted for ${decision}` } });
      if (next === "hang") return; // never answers
      if ("status" in next) return reply(res, next.status, next.body);
      reply(res, 200, {
        id: `chatcmpl-${seen.length}`,
        object: "chat.completion",
        created: 1_700_000_000,
        model: "scripted",
        choices: [{ index: 0, message: { role: "assistant", content: next.content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 900, completion_tokens: 60, total_tokens: 960 },
      });
    });
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    script,
    answer,
    seen,
    reset() {
      for (const queue of Object.values(script)) queue.length = 0;
      answer.clear();
      seen.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
