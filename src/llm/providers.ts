/**
 * Chat clients of the providers behind one small interface: send the conversation,
 * get the text and the token usage. The API key lives only inside the client object
 * built here; nothing returned carries it. The SDKs are imported on first use, so a
 * heuristic run never loads them.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { Config } from "../config.js";
import type { Provider } from "../options.js";

export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

export interface ChatAnswer {
  text: string;
  /** From the response's usage metadata; null when the provider reported none. */
  promptTokens: number | null;
  completionTokens: number | null;
}

/** One model of one provider. */
export interface ChatClient {
  readonly provider: Exclude<Provider, "heuristic">;
  readonly model: string;
  /** Where requests go, for messages: the base URL, or Bedrock's endpoint or region. */
  readonly endpoint: string;
  /** Loads the SDK and builds the client (once); outside the request timeout, as no request is sent. */
  prepare(): Promise<void>;
  complete(turns: readonly ChatTurn[], signal: AbortSignal): Promise<ChatAnswer>;
}

export interface ClientSettings {
  provider: Exclude<Provider, "heuristic">;
  model: string;
  temperature: number;
  /** OpenAI-compatible base URL; null for api.openai.com. */
  apiBase: string | null;
  /** Held by the client only. */
  apiKey: string | null;
  llm: Config["llm"];
}

function toMessages(turns: readonly ChatTurn[]): BaseMessage[] {
  return turns.map((t) => (t.role === "user" ? new HumanMessage(t.content) : new AIMessage(t.content)));
}

/** Wraps a LangChain chat model: our own retries and timeouts, so its own are off. */
function wrap(provider: ChatClient["provider"], modelName: string, endpoint: string, model: () => Promise<BaseChatModel>): ChatClient {
  let built: Promise<BaseChatModel> | null = null;
  const build = (): Promise<BaseChatModel> => {
    built ??= model().catch((error: unknown) => {
      built = null; // a failed build (no region, bad endpoint) is tried again next call
      throw error;
    });
    return built;
  };
  return {
    provider,
    model: modelName,
    endpoint,
    async prepare() {
      await build();
    },
    async complete(turns, signal) {
      const chat = await build();
      const answer = await chat.invoke(toMessages(turns), { signal });
      const usage = answer.usage_metadata;
      return {
        text: answer.text,
        promptTokens: usage && usage.input_tokens > 0 ? usage.input_tokens : null,
        completionTokens: usage && usage.output_tokens > 0 ? usage.output_tokens : null,
      };
    },
  };
}

/**
 * The client of an OpenAI-compatible server. The chat-completions protocol always (never
 * the Responses API, which most compatible servers lack); servers without keys get a
 * placeholder one.
 */
function openaiClient(s: ClientSettings): ChatClient {
  return wrap("openai", s.model, s.apiBase ?? "https://api.openai.com/v1", async () => {
    const { ChatOpenAICompletions } = await import("@langchain/openai");
    return new ChatOpenAICompletions({
      model: s.model,
      temperature: s.temperature,
      maxTokens: s.llm.maxCompletionTokens,
      apiKey: s.apiKey ?? "no-key",
      configuration: s.apiBase ? { baseURL: s.apiBase } : {},
      maxRetries: 0,
      streaming: false,
    });
  });
}

/**
 * The client of Bedrock Runtime (Converse API). Credentials come from the standard AWS
 * chain; the region from config llm.bedrockRegion, else AWS_REGION / ~/.aws/config;
 * config llm.bedrockEndpoint overrides the endpoint (any URL, http included).
 */
function bedrockClient(s: ClientSettings): ChatClient {
  const endpoint = s.llm.bedrockEndpoint ?? `Bedrock Runtime (region ${s.llm.bedrockRegion ?? "from AWS_REGION / ~/.aws/config"})`;
  return wrap("bedrock", s.model, endpoint, async () => {
    const [{ BedrockRuntimeClient }, { ChatBedrockConverse }] = await Promise.all([import("@aws-sdk/client-bedrock-runtime"), import("@langchain/aws")]);
    const runtime = new BedrockRuntimeClient({
      ...(s.llm.bedrockRegion ? { region: s.llm.bedrockRegion } : {}),
      ...(s.llm.bedrockEndpoint ? { endpoint: s.llm.bedrockEndpoint } : {}),
      maxAttempts: 1,
    });
    const region = await runtime.config.region();
    return new ChatBedrockConverse({
      model: s.model,
      region,
      client: runtime,
      temperature: s.temperature,
      maxTokens: s.llm.maxCompletionTokens,
      maxRetries: 0,
      streaming: false,
    });
  });
}

export function createClient(s: ClientSettings): ChatClient {
  return s.provider === "openai" ? openaiClient(s) : bedrockClient(s);
}
