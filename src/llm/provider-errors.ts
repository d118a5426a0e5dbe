/**
 * Provider trouble as plain text: what went wrong with a request, whether trying again
 * may help (timeouts, 429, 5xx, dropped connections), and secrets scrubbed from it.
 * SDK errors are read field by field; nothing here throws.
 */
import { printable } from "../printable.js";

/**
 * What kind of trouble ended a decision, for the console line and the log:
 * auth (401/403, no credentials), rate_limited (429), server (5xx), rejected (another 4xx:
 * a wrong model or path), unreachable (refused, reset, no such host), timeout (a request
 * outlived llm.timeoutMs), budget (the decision outlived llm.decisionBudgetMs).
 */
export type FaultKind = "auth" | "rate_limited" | "server" | "rejected" | "unreachable" | "timeout" | "budget";

/** What one failed request tells the retry loop. */
export interface RequestFailure {
  /** One line, control characters escaped. */
  message: string;
  retryable: boolean;
  status: number | null;
  kind: FaultKind;
}

const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);
const AUTH_NAMES = /^(CredentialsProviderError|UnrecognizedClientException|ExpiredTokenException|InvalidSignatureException|AccessDeniedException|AuthenticationError|PermissionDeniedError)$/;
const RETRYABLE_NAMES = /^(APIConnectionError|APIConnectionTimeoutError|TimeoutError|ThrottlingException|ServiceUnavailableException|InternalServerException|ModelNotReadyException|ModelTimeoutException)$/;

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The HTTP status of an OpenAI SDK error, an AWS SDK error, or a fetch response error. */
function statusOf(error: unknown): number | null {
  const candidates = [field(error, "status"), field(field(error, "$metadata"), "httpStatusCode"), field(field(error, "response"), "status")];
  const status = candidates.find((s): s is number => typeof s === "number");
  return status ?? null;
}

/** The error and its causes, outermost first (at most 5). */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && out.length < 5; e = field(e, "cause")) out.push(e);
  return out;
}

/** Reads a thrown SDK error; `timedOut` when our own timer aborted the request. */
export function describeFailure(error: unknown, timedOut: boolean, timeoutMs: number): RequestFailure {
  if (timedOut) return { message: `timed out after ${timeoutMs} ms`, retryable: true, status: null, kind: "timeout" };
  const errors = chain(error);
  const status = errors.map(statusOf).find((s) => s !== null) ?? null;
  const name = errors.map((e) => field(e, "name")).find((n): n is string => typeof n === "string" && n !== "Error") ?? "Error";
  const code = errors.map((e) => field(e, "code")).find((c): c is string => typeof c === "string");
  // First lines only: SDKs append troubleshooting links and stack-like details.
  const messages = errors.map((e) => (e instanceof Error ? e.message : typeof e === "string" ? e : "").split("\n")[0]?.trim() ?? "").filter(Boolean);
  // The OpenAI SDK starts its messages with the status ("401 Incorrect API key …"): said once.
  const said = messages[0] ?? String(error);
  const first = status !== null && said.startsWith(`${status} `) ? said.slice(String(status).length + 1) : said;
  const message = [status !== null ? `HTTP ${status}` : name, code ?? "", first].filter(Boolean).join(": ");
  const retryable =
    (status !== null && (status === 408 || status === 429 || status >= 500)) ||
    (status === null && ((code !== undefined && RETRYABLE_CODES.has(code)) || RETRYABLE_NAMES.test(name) || /fetch failed|socket hang up|network/i.test(message)));
  const line = printable(message);
  return { message: line.length > 500 ? `${line.slice(0, 500)} …` : line, retryable, status, kind: faultKind(status, name, retryable) };
}

function faultKind(status: number | null, name: string, retryable: boolean): FaultKind {
  if (status === 401 || status === 403 || (status === null && AUTH_NAMES.test(name))) return "auth";
  if (status === 429) return "rate_limited";
  if (status !== null && status >= 500) return "server";
  if (status === 408) return "timeout";
  if (status !== null) return "rejected";
  return retryable ? "unreachable" : "rejected";
}

/**
 * `text` without the given secrets or anything shaped like a credential: API keys
 * (sk-…, AWS access key ids), bearer tokens, and `key=`/`authorization:` values.
 * @example scrubSecrets("401: Incorrect API key provided: sk-abc…wxyz", []) // "401: Incorrect API key provided: [redacted]"
 */
export function scrubSecrets(text: string, secrets: readonly (string | null | undefined)[]): string {
  const known = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
  let out = text;
  for (const secret of known) out = out.split(secret).join("[redacted]");
  out = out
    .replace(/\b(sk|pk|rk)-[A-Za-z0-9_*.\-]{4,}/g, "[redacted]")
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, "[redacted]")
    .replace(/\bBearer\s+[^\s"',;]+/gi, "Bearer [redacted]")
    .replace(
      /\b(api[-_]?key|key|token|password|x-api-key|authorization|secret(?:[-_]access)?[-_]?key|session[-_]?token|signature|credential)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi,
      "$1$2[redacted]",
    );
  // Providers echo a key partly ("sk-proj-abc…wxyz"): drop its ends as well.
  for (const secret of known.filter((s) => s.length >= 16)) for (const part of [secret.slice(0, 8), secret.slice(-6)]) out = out.split(part).join("[redacted]");
  return out;
}
