/**
 * Source text that runs inside the isolate, around the generated script. It is kept as
 * a string (not a function's `toString()`) so no build step can rewrite it.
 *
 * Protocol: only strings (and a row count and flag) cross the boundary. A batch of row
 * objects is `{"shapes":[[key, …], …], "rows":[[shape, value, …], …]}`: each row names
 * the key list it uses (most batches have one) and gives its values in that order (JSON
 * of objects repeats every key on every row, and parsing it cost more than the generated
 * code itself; bench/sandbox.ts). A batch of CSV cells under one header is cheaper still:
 * the header's JSON, every cell joined by CELL_SEPARATOR in one string (a split, no JSON
 * parse), and the JSON list of the flat indices of null cells.
 * - `PRELUDE_SOURCE` runs first and evaluates to the entry function
 *   `entry(op, payload, ctxJson)`; it captures `JSON` and friends before the generated
 *   script can touch them, replaces `console` with a no-op, and hardens the globals
 *   (HARDEN_SOURCE in isolate-globals.ts: no WebAssembly, a seeded `Math.random`, a fixed clock).
 * - `entry("configure", seed, clockMs)` runs next, still before the generated script:
 *   the run's seed and the instant the clock shows. Answers "".
 * - `BIND_SOURCE` runs after the generated script and evaluates to `[clean, render]`
 *   (each `undefined` when missing); it is handed to `entry("bind", fns, ctxJson)`,
 *   which parses and deep-freezes the ctx, and answers "" or what is missing.
 * - `entry("clean", batchJson)` answers `{"ok":true,"shapes":[…],"rows":[…]}`: one entry
 *   per input row, null where it is dropped, else `[shape, value, …]` as above.
 * - `entry("render", batchJson)` answers `{"ok":true,"rows":[[instruction, input, output], …]}`.
 * - `entry("prep", batchJson, withRender)` and `entry("prepCells", headerJson, cellsText,
 *   nullsJson, count, withRender)` run clean, then (withRender) render on a fresh object
 *   built from the values just copied out of every kept row (exactly what the cleaned
 *   table will hold: each value read once), in one crossing. They answer the text the
 *   host writes (text-answer.ts): a head line `{"ok":true,"shapes":[…],"ids":[…]}` (ids:
 *   each input row's shape, -1 where dropped), then each kept row's JSON line (the
 *   cleaned.jsonl line), then each record's JSON line. The host checks every line with a
 *   pattern per key list instead of parsing it: text is built once, here, with the
 *   JSON.stringify captured before the generated script loaded.
 * - `entry("renderLines", linesText, count)` runs render over cleaned.jsonl lines joined
 *   by "\\n" (each parsed inside; its Math.random stream keyed as run's), and answers
 *   `{"ok":true}` then each record's JSON line.
 * - A failure answers `{"ok":false,"op":"clean","rowIndex":i,"error":"Name: message"}`,
 *   or `"invalid"` in place of `"error"`: a result of the wrong shape as JSON, with values
 *   JSON cannot hold (NaN, undefined, functions, Promises) tagged
 *   `{"<UNSUPPORTED_TAG>": "NaN"}` so the host can name them; a render failure in `prep`
 *   adds `"cleaned"`, the row render was given.
 *
 * Every result is copied into plain data as it is checked (each value read once); the
 * run ops serialise a whole batch with one `JSON.stringify`, the prep ops one line a row. The envelope is untrusted all the same: generated code can patch
 * prototypes (`toJSON`), so the host validates everything that comes back.
 */

import { TEXT_OPS_SOURCE } from "./harness-text.js";
import { ISOLATE_COMMON_SOURCE } from "./isolate-globals.js";

/** Key of the object that stands for a value JSON cannot carry. */
export const UNSUPPORTED_TAG = "__tabtune_unsupported__";

/** Joins the cells of a batch sent as text (wire.ts cellBatch); a batch with a cell that holds it goes as JSON. */
export const CELL_SEPARATOR = "\u0000";

/** Largest JSON text one row may serialize to, in characters. */
export const MAX_ROW_CHARS = 4 * 1024 * 1024;

/** Evaluates to the entry function; see the module comment. */
export const PRELUDE_SOURCE = `(function () {
  "use strict";
${ISOLATE_COMMON_SOURCE}
  const keysOf = Object.keys;
  const protoOf = Object.getPrototypeOf;
  const ObjectProto = Object.prototype;
  const isFiniteNumber = Number.isFinite;
  const PromiseCtor = Promise;
  const RangeErrorCtor = RangeError;
  const FunctionCtor = Function;
  const objectWithout = Object.create;
  const TAG = ${JSON.stringify(UNSUPPORTED_TAG)};
  const MAX_ROW_CHARS = ${MAX_ROW_CHARS};
  const CELL_SEPARATOR = ${JSON.stringify(CELL_SEPARATOR)};
  const arrayJoin = Array.prototype.join;
  function joinText(list, separator) {
    return reflectApply(arrayJoin, list, [separator]);
  }

  let fns = null;
  let ctx = null;

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

  /** Row builders by key list (as JSON text); a cache without a prototype to patch. */
  const makers = objectWithout(null);

  /**
   * A function (v, o) that turns v[o], v[o + 1], … into a fresh plain object with
   * \`keys\`, in order: one object literal per key list, compiled once (the fastest way V8
   * builds objects). Computed keys, so "__proto__" is an own key like any other.
   */
  function makerOf(keys) {
    const id = stringify(keys);
    let make = makers[id];
    if (make === undefined) {
      let body = "return {";
      for (let k = 0; k < keys.length; k++) body += (k === 0 ? "[" : ",[") + stringify(keys[k]) + "]:v[o" + (k === 0 ? "" : "+" + k) + "]";
      make = FunctionCtor("v", "o", body + "};");
      makers[id] = make;
    }
    return make;
  }

  /** Objects of a batch sent by the host ({shapes, rows}; see the module comment). */
  /** The parsed batch whose rows rowsOf built last: [shape, value, …] arrays, for startStream. */
  let inputShapes = [];
  let inputRows = [];

  function rowsOf(batchJson) {
    const batch = parse(batchJson);
    const makes = [];
    for (let s = 0; s < batch.shapes.length; s++) makes[s] = makerOf(batch.shapes[s]);
    const rows = batch.rows;
    const out = [];
    for (let i = 0; i < rows.length; i++) out[i] = makes[rows[i][0]](rows[i], 1);
    inputShapes = batch.shapes;
    inputRows = rows;
    return out;
  }

  /** Starts the Math.random stream of input row i of the batch rowsOf read last. */
  function streamOfRow(op, i) {
    const values = inputRows[i];
    startStream(op, inputShapes[values[0]], values, 1, values.length);
  }

  /** The key lists of one batch's clean results; a row names its list by index. */
  let shapes = [];
  let lastKeys = null;
  let lastShape = -1;

  function shapeOf(keys) {
    let same = lastKeys !== null && lastKeys.length === keys.length;
    for (let k = 0; same && k < keys.length; k++) same = lastKeys[k] === keys[k];
    if (!same) {
      lastKeys = keys;
      lastShape = shapes.length;
      shapes[lastShape] = keys;
    }
    return lastShape;
  }

  function startBatch() {
    shapes = [];
    lastKeys = null;
    lastShape = -1;
  }

  /**
   * [shape, value, …] of a row whose own enumerable values are all JSON scalars, or null
   * when it is anything else (a tagged stand-in for undefined or NaN included). Each value is read once, so a getter or Proxy cannot
   * answer one thing for the cleaned table and another for render; -0 becomes 0, as in
   * JSON. Throws a RangeError past MAX_ROW_CHARS.
   */
  function flatValues(value) {
    if (typeof value !== "object" || value === null || isArray(value)) return null;
    const proto = protoOf(value);
    if (proto !== ObjectProto && proto !== null) return null;
    const keys = keysOf(value);
    const out = [0];
    let chars = 0;
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j];
      if (key === TAG) return null;
      const item = value[key];
      const kind = typeof item;
      if (kind === "string") {
        chars += item.length + key.length;
        out[j + 1] = item;
      } else if (kind === "boolean" || item === null) out[j + 1] = item;
      else if (kind === "number" && isFiniteNumber(item)) out[j + 1] = item === 0 ? 0 : item;
      else return null;
    }
    if (chars > MAX_ROW_CHARS) throw tooLarge("clean", chars);
    out[0] = shapeOf(keys);
    return out;
  }

  /** [instruction, input, output] when those are its only keys and all strings, else null. */
  function recordValues(value) {
    if (typeof value !== "object" || value === null || isArray(value) || keysOf(value).length !== 3) return null;
    const instruction = value.instruction;
    const input = value.input;
    const output = value.output;
    if (typeof instruction !== "string" || typeof input !== "string" || typeof output !== "string") return null;
    const chars = instruction.length + input.length + output.length;
    if (chars > MAX_ROW_CHARS) throw tooLarge("render", chars);
    return [instruction, input, output];
  }

  /** JSON text of a result that is not plain data, with unsupported values tagged. */
  function taggedText(op, value) {
    const text = stringify(value, replacer);
    if (text === undefined) return stringify(tag("undefined"));
    if (text.length > MAX_ROW_CHARS) throw tooLarge(op, text.length);
    return text;
  }

  /**
   * The result of clean as plain data: null, its values (flatValues), or (for objects
   * such as class instances that are flat once serialised) the values of its JSON.
   * Answers an Invalid when it is not a flat row, for the host to name.
   */
  function cleanResult(value) {
    if (value === null) return null;
    const flat = flatValues(value);
    if (flat !== null) return flat;
    const text = taggedText("clean", value);
    const parsed = parse(text);
    if (parsed === null) return null;
    const again = flatValues(parsed);
    return again !== null ? again : new Invalid(text);
  }

  function renderResult(value) {
    const record = recordValues(value);
    if (record !== null) return record;
    const text = taggedText("render", value);
    const again = recordValues(parse(text));
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

  function run(op, batchJson) {
    const isClean = op === "clean";
    const fn = isClean ? fns.clean : fns.render;
    const rows = rowsOf(batchJson);
    startBatch();
    const results = [];
    for (let i = 0; i < rows.length; i++) {
      let result;
      streamOfRow(op, i);
      try {
        const value = fn(rows[i], ctx);
        result = isClean ? cleanResult(value) : renderResult(value);
      } catch (error) {
        return failure(op, i, error);
      }
      if (result instanceof Invalid) return invalid(op, i, result.text);
      results[i] = result;
    }
    return isClean ? stringify({ ok: true, shapes: shapes, rows: results }) : stringify({ ok: true, rows: results });
  }

${TEXT_OPS_SOURCE}
  return function entry(op, payload, a, b, c, d) {
    if (op === "configure") return fns === null ? configure(payload, a) : "already bound";
    if (op === "bind") return fns === null ? bind(payload, a) : "already bound";
    if (fns === null) return '{"ok":false,"rowIndex":null,"error":"the script is not loaded"}';
    if (op === "prep") return prep(rowsOf(payload), streamOfRow, a === true);
    if (op === "prepCells") return prep(cellRowsOf(payload, a, b, c), streamOfCells, d === true);
    if (op === "renderLines") return renderLines(payload, a);
    return run(op, payload);
  };
})()`;

/** Evaluates, after the generated script, to its `clean` and `render` functions. */
export const BIND_SOURCE = `[
  typeof clean === "function" ? clean : undefined,
  typeof render === "function" ? render : undefined,
]`;
