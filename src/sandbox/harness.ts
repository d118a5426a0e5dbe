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
 *   `{"ok":true,"rows":[...]}` or `{"ok":false,"rowIndex":i,"error":"Name: message"}`.
 *   Values JSON cannot hold (NaN, undefined, functions, Promises) come back tagged as
 *   `{"<UNSUPPORTED_TAG>": "NaN"}` so the host can name them.
 *
 * The envelope is untrusted: generated code can patch built-ins, so the host validates
 * everything that comes back.
 */

/** Key of the object that stands for a value JSON cannot carry. */
export const UNSUPPORTED_TAG = "__tabtune_unsupported__";

/** Largest JSON text one row may serialize to, in characters. */
export const MAX_ROW_CHARS = 4 * 1024 * 1024;

/** Evaluates to the entry function; see the module comment. */
export const PRELUDE_SOURCE = `(function () {
  "use strict";
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
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

  function deepFreeze(value) {
    if (value !== null && typeof value === "object") {
      const names = ownNames(value);
      for (let i = 0; i < names.length; i++) deepFreeze(value[names[i]]);
      freeze(value);
    }
    return value;
  }

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

  function describe(error) {
    try {
      if (error !== null && typeof error === "object" && typeof error.message === "string") {
        return StringCtor(error.name || "Error") + ": " + error.message;
      }
      return "threw a non-Error value: " + StringCtor(error);
    } catch (inner) {
      return "threw a value that cannot be described";
    }
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
    const fn = op === "clean" ? fns.clean : fns.render;
    const rows = parse(rowsJson);
    let body = "";
    for (let i = 0; i < rows.length; i++) {
      let text;
      try {
        text = stringify(fn(rows[i], ctx), replacer);
        if (text.length > MAX_ROW_CHARS) {
          throw new RangeErrorCtor(op + " returned " + text.length + " characters of JSON, more than the " + MAX_ROW_CHARS + " allowed per row");
        }
      } catch (error) {
        return '{"ok":false,"rowIndex":' + i + ',"error":' + stringify(describe(error)) + "}";
      }
      body += (i === 0 ? "" : ",") + text;
    }
    return '{"ok":true,"rows":[' + body + "]}";
  }

  return function entry(op, payload, ctxJson) {
    if (op === "bind") return fns === null ? bind(payload, ctxJson) : "already bound";
    if (fns === null) return '{"ok":false,"rowIndex":null,"error":"the script is not loaded"}';
    return run(op, payload);
  };
})()`;

/** Evaluates, after the generated script, to its `clean` and `render` functions. */
export const BIND_SOURCE = `[
  typeof clean === "function" ? clean : undefined,
  typeof render === "function" ? render : undefined,
]`;
