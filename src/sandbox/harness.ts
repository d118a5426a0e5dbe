/**
 * Source text that runs inside the isolate, around the generated script. It is kept as
 * a string (not a function's `toString()`) so no build step can rewrite it.
 *
 * Protocol: only strings cross the boundary.
 * - `PRELUDE_SOURCE` runs first and evaluates to the entry function
 *   `entry(op, payload, ctxJson)`; it captures `JSON` and friends before the generated
 *   script can touch them, and replaces `console` with a no-op.
 * - `BIND_SOURCE` runs after the generated script and evaluates to `[clean, render]`
 *   (each `undefined` when missing); it is handed to `entry("bind", fns, ctxJson)`,
 *   which parses and deep-freezes the ctx, and answers "" or what is missing.
 * - `entry("clean" | "render", rowsJson)` answers an envelope, as JSON text:
 *   `{"ok":true,"rows":[...]}` or `{"ok":false,"op":"clean","rowIndex":i,"error":"Name: message"}`.
 * - `entry("prep", rowsJson)` runs clean, then render on the plain copy of every kept row
 *   (exactly what the cleaned table will hold: each value read once), in one crossing:
 *   `{"ok":true,"clean":[...one per row, null = dropped],"render":[...one per kept row]}`.
 * - A failure names the op, the input row's index, and either the `"error"` it threw or
 *   `"invalid"`: a result of the wrong shape as JSON, with values JSON cannot hold (NaN,
 *   undefined, functions, Promises) tagged `{"<UNSUPPORTED_TAG>": "NaN"}` so the host can
 *   name them; a render failure in `prep` adds `"cleaned"`, the row render was given.
 *
 * Every result is copied into plain data as it is checked (each value read once), and a
 * whole batch is serialised with one `JSON.stringify`, so no per-row text is built on
 * the fast path. The envelope is untrusted all the same: generated code can patch
 * prototypes (`toJSON`), so the host validates everything that comes back.
 */

/** Key of the object that stands for a value JSON cannot carry. */
export const UNSUPPORTED_TAG = "__tabtune_unsupported__";

/** Largest JSON text one row may serialize to, in characters. */
export const MAX_ROW_CHARS = 4 * 1024 * 1024;

/**
 * Functions both sandbox preludes define (prep and balance), as source text. They use the
 * prelude's captured `freeze`, `ownNames` and `StringCtor`, so generated code that patches
 * Object or String later cannot change them.
 */
export const ISOLATE_HELPERS_SOURCE = `  function deepFreeze(value) {
    if (value !== null && typeof value === "object") {
      const names = ownNames(value);
      for (let i = 0; i < names.length; i++) deepFreeze(value[names[i]]);
      freeze(value);
    }
    return value;
  }

  function describe(error) {
    try {
      if (error !== null && typeof error === "object" && typeof error.message === "string") {
        return StringCtor(error.name || "Error") + ": " + error.message;
      }
      return "threw a non-Error value: " + StringCtor(error);
    } catch (inner) {
      return "threw a value that cannot be described";
    }
  }`;

/** Evaluates to the entry function; see the module comment. */
export const PRELUDE_SOURCE = `(function () {
  "use strict";
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const keysOf = Object.keys;
  const protoOf = Object.getPrototypeOf;
  const ObjectProto = Object.prototype;
  const isArray = Array.isArray;
  const ownNames = Object.getOwnPropertyNames;
  const isFiniteNumber = Number.isFinite;
  const PromiseCtor = Promise;
  const StringCtor = String;
  const RangeErrorCtor = RangeError;
  const TAG = ${JSON.stringify(UNSUPPORTED_TAG)};
  const MAX_ROW_CHARS = ${MAX_ROW_CHARS};

  const noop = function () {};
  const quietConsole = freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop });
  Object.defineProperty(globalThis, "console", { value: quietConsole, writable: true, configurable: true });

  let fns = null;
  let ctx = null;

${ISOLATE_HELPERS_SOURCE}
  function tag(kind) {
    return parse('{"' + TAG + '":' + stringify(kind) + "}");
  }

  function replacer(key, value) {
    switch (typeof value) {
      case "number":
        return isFiniteNumber(value) ? value : tag(StringCtor(value));
      case "undefined":
      case "function":
      case "symbol":
      case "bigint":
        return tag(typeof value);
      case "object":
        return value instanceof PromiseCtor ? tag("Promise") : value;
      default:
        return value;
    }
  }

  /** A result of the wrong shape, as tagged JSON text; unreachable from generated code. */
  function Invalid(text) {
    this.text = text;
  }

  function tooLarge(op, chars) {
    return new RangeErrorCtor(op + " returned " + chars + " characters, more than the " + MAX_ROW_CHARS + " allowed per row");
  }

  /**
   * A fresh plain copy of a row whose own enumerable values are all JSON scalars, or
   * null when it is anything else. Each value is read once, so a getter or Proxy cannot
   * answer one thing for the cleaned table and another for render; -0 becomes 0, as in
   * JSON. Throws a RangeError past MAX_ROW_CHARS.
   */
  function flatCopy(value) {
    if (typeof value !== "object" || value === null || isArray(value)) return null;
    const proto = protoOf(value);
    if (proto !== ObjectProto && proto !== null) return null;
    const keys = keysOf(value);
    const copy = {};
    let chars = 0;
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j];
      const item = value[key];
      const kind = typeof item;
      if (kind === "string") {
        chars += item.length + key.length;
        copy[key] = item;
      } else if (kind === "boolean" || item === null) copy[key] = item;
      else if (kind === "number" && isFiniteNumber(item)) copy[key] = item === 0 ? 0 : item;
      else return null;
    }
    if (chars > MAX_ROW_CHARS) throw tooLarge("clean", chars);
    return copy;
  }

  /** A plain copy of { instruction, input, output } when those are its only keys and all strings, else null. */
  function recordCopy(value) {
    if (typeof value !== "object" || value === null || isArray(value) || keysOf(value).length !== 3) return null;
    const instruction = value.instruction;
    const input = value.input;
    const output = value.output;
    if (typeof instruction !== "string" || typeof input !== "string" || typeof output !== "string") return null;
    const chars = instruction.length + input.length + output.length;
    if (chars > MAX_ROW_CHARS) throw tooLarge("render", chars);
    return { instruction: instruction, input: input, output: output };
  }

  /** JSON text of a result that is not plain data, with unsupported values tagged. */
  function taggedText(op, value) {
    const text = stringify(value, replacer);
    if (text === undefined) return stringify(tag("undefined"));
    if (text.length > MAX_ROW_CHARS) throw tooLarge(op, text.length);
    return text;
  }

  /**
   * The result of clean as plain data: null, a flat copy, or (for objects such as
   * class instances that are flat once serialised) the copy of its JSON. Answers
   * an Invalid when it is not a flat row, for the host to name.
   */
  function cleanResult(value) {
    if (value === null) return null;
    const copy = flatCopy(value);
    if (copy !== null) return copy;
    const text = taggedText("clean", value);
    const parsed = parse(text);
    if (parsed === null) return null;
    const again = flatCopy(parsed);
    return again !== null ? again : new Invalid(text);
  }

  function renderResult(value) {
    const copy = recordCopy(value);
    if (copy !== null) return copy;
    const text = taggedText("render", value);
    const again = recordCopy(parse(text));
    return again !== null ? again : new Invalid(text);
  }

  function failure(op, index, error, cleaned) {
    return '{"ok":false,"op":"' + op + '","rowIndex":' + index + ',"error":' + stringify(describe(error)) +
      (cleaned === undefined ? "" : ',"cleaned":' + stringify(cleaned)) + "}";
  }

  function invalid(op, index, text, cleaned) {
    return '{"ok":false,"op":"' + op + '","rowIndex":' + index + ',"invalid":' + text +
      (cleaned === undefined ? "" : ',"cleaned":' + stringify(cleaned)) + "}";
  }

  function bind(pair, ctxJson) {
    const missing = [];
    if (typeof pair[0] !== "function") missing[missing.length] = "clean";
    if (typeof pair[1] !== "function") missing[missing.length] = "render";
    if (missing.length > 0) return missing.join(" and ");
    fns = { clean: pair[0], render: pair[1] };
    ctx = deepFreeze(parse(ctxJson));
    return "";
  }

  function run(op, rowsJson) {
    const isClean = op === "clean";
    const fn = isClean ? fns.clean : fns.render;
    const rows = parse(rowsJson);
    const results = [];
    for (let i = 0; i < rows.length; i++) {
      let result;
      try {
        const value = fn(rows[i], ctx);
        result = isClean ? cleanResult(value) : renderResult(value);
      } catch (error) {
        return failure(op, i, error);
      }
      if (result instanceof Invalid) return invalid(op, i, result.text);
      results[i] = result;
    }
    return stringify({ ok: true, rows: results });
  }

  function prep(rowsJson) {
    const rows = parse(rowsJson);
    const cleaned = [];
    const kept = [];
    const keptIndex = [];
    for (let i = 0; i < rows.length; i++) {
      let result;
      try {
        result = cleanResult(fns.clean(rows[i], ctx));
      } catch (error) {
        return failure("clean", i, error);
      }
      if (result instanceof Invalid) return invalid("clean", i, result.text);
      cleaned[i] = result;
      if (result !== null) {
        keptIndex[keptIndex.length] = i;
        kept[kept.length] = result;
      }
    }
    // render sees the plain copy of each cleaned row: exactly what the cleaned table holds.
    const rendered = [];
    for (let k = 0; k < kept.length; k++) {
      let result;
      try {
        result = renderResult(fns.render(kept[k], ctx));
      } catch (error) {
        return failure("render", keptIndex[k], error, kept[k]);
      }
      if (result instanceof Invalid) return invalid("render", keptIndex[k], result.text, kept[k]);
      rendered[k] = result;
    }
    return stringify({ ok: true, clean: cleaned, render: rendered });
  }

  return function entry(op, payload, ctxJson) {
    if (op === "bind") return fns === null ? bind(payload, ctxJson) : "already bound";
    if (fns === null) return '{"ok":false,"rowIndex":null,"error":"the script is not loaded"}';
    return op === "prep" ? prep(payload) : run(op, payload);
  };
})()`;

/** Evaluates, after the generated script, to its `clean` and `render` functions. */
export const BIND_SOURCE = `[
  typeof clean === "function" ? clean : undefined,
  typeof render === "function" ? render : undefined,
]`;
