/**
 * Reading a model's answer: JSON objects and JavaScript code out of text that may carry
 * `<think>…</think>` reasoning, Markdown fences and prose around the part we want.
 * Pure functions; they never throw on what a model writes.
 */

/** Removes `<think>…</think>` (and `<thinking>`, `<reasoning>`) blocks, closed or left open at the start. */
export function stripThinking(text: string): string {
  let out = text.replace(/<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi, "");
  // A reasoning model cut off mid-thought, or one that omits the opening tag.
  const close = out.search(/<\/(think|thinking|reasoning)>/i);
  if (close >= 0) out = out.slice(out.indexOf(">", close) + 1);
  return out.trim();
}

/** The bodies of the Markdown code fences in `text`, in order. */
function fenceBodies(text: string): { lang: string; body: string }[] {
  return [...text.matchAll(/```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({
    lang: (m[1] ?? "").toLowerCase(),
    body: m[2] ?? "",
  }));
}

/** The first balanced `{…}` in `text` that parses as JSON, scanning strings correctly. */
function firstJsonObject(text: string): unknown {
  for (let start = text.indexOf("{"); start >= 0; start = text.indexOf("{", start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{") depth++;
      else if (ch === "}" && --depth === 0) {
        try {
          return JSON.parse(text.slice(start, i + 1));
        } catch {
          break;
        }
      }
    }
  }
  return undefined;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * The JSON object a model answered with: the whole text when it parses, else a fenced
 * block (```json first), else the first balanced object in the prose.
 * @example extractJson('<think>hm</think>Sure: ```json\n{"a": 1}\n``` done') // { ok: true, value: { a: 1 } }
 */
export function extractJson(text: string): JsonResult {
  const clean = stripThinking(text);
  if (clean === "") return { ok: false, error: "the answer is empty" };
  try {
    return { ok: true, value: JSON.parse(clean) };
  } catch {
    // not bare JSON: look inside
  }
  const fences = fenceBodies(clean).sort((a, b) => Number(b.lang === "json") - Number(a.lang === "json"));
  for (const fence of fences) {
    const found = firstJsonObject(fence.body);
    if (found !== undefined) return { ok: true, value: found };
  }
  const found = firstJsonObject(clean);
  if (found !== undefined) return { ok: true, value: found };
  return { ok: false, error: "the answer contains no JSON object (or its braces do not balance)" };
}

/**
 * The JavaScript a model answered with: the longest js/javascript fence, else the
 * longest fence, else the whole text without reasoning blocks.
 */
export function extractCode(text: string): string {
  const clean = stripThinking(text);
  const fences = fenceBodies(clean);
  const js = fences.filter((f) => ["js", "javascript", "mjs", "ecmascript"].includes(f.lang));
  const pick = (js.length > 0 ? js : fences).sort((a, b) => b.body.length - a.body.length)[0];
  return (pick ? pick.body : clean).trim() + "\n";
}
