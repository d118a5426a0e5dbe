/**
 * The globals every isolate (prep and balance) starts with, as source text: captured
 * built-ins, a silent console, and the hardening that makes the isolate safe and
 * deterministic (no WebAssembly, a seeded `Math.random`, a fixed clock). The protocol
 * each sandbox speaks on top of it is in harness.ts and balance-sandbox.ts.
 */

/**
 * The instant the sandbox's clock shows when a run gives none (2025-01-01T00:00:00Z):
 * `Date.now()`, `new Date()`, `Date()` and `Intl.DateTimeFormat().format()` all read it,
 * so a script that asks for "now" writes the same dataset on every run and machine.
 */
export const DEFAULT_SANDBOX_CLOCK_MS = Date.UTC(2025, 0, 1);

/** Seed of the sandbox's `Math.random` when a run gives none. */
export const DEFAULT_SANDBOX_SEED = 0;

/**
 * Source text that makes the isolate's globals safe and deterministic; part of
 * ISOLATE_COMMON_SOURCE, so it runs before any generated code. Nothing it replaces can
 * be got back: the originals live only in this closure.
 *
 * - Memory: `WebAssembly` (its Memory grows outside isolated-vm's heap limit),
 *   `SharedArrayBuffer` (growable, and only useful with threads or wasm) and resizable
 *   `ArrayBuffer`s (`maxByteLength`: their pages are committed outside the limit too)
 *   are removed. `ArrayBuffer` is replaced, on the global and as
 *   `ArrayBuffer.prototype.constructor`, by a constructor that refuses `maxByteLength`,
 *   and `resize` is deleted, so every buffer comes from the allocator the limit counts.
 * - Randomness: `Math.random` is a seeded generator (mulberry32). Within `clean` or
 *   `render` of a row its stream is keyed by the seed, the function and the row's keys
 *   and values, so a row gets the same numbers whatever batch, run or `tabtune apply` it
 *   is in; code at load time and `balance` get streams keyed by the seed alone.
 *   `WeakRef` and `FinalizationRegistry` (which would let output depend on when the
 *   garbage collector runs) are removed.
 * - Clock: `Date` is replaced the same way as `ArrayBuffer`: `new Date()`, `Date()` and
 *   `Date.now()` read a fixed instant (set by `configure`), and so does
 *   `Intl.DateTimeFormat`'s `format()` / `formatToParts()` without a date. Dates built
 *   from values work as usual. (Local-time methods still use the host's time zone.)
 */
const HARDEN_SOURCE = `
  const defineProperty = Object.defineProperty;
  const ownDescriptor = Object.getOwnPropertyDescriptor;
  const ownKeys = Reflect.ownKeys;
  const reflectConstruct = Reflect.construct;
  const reflectApply = Reflect.apply;
  const imul = Math.imul;
  const TypeErrorCtor = TypeError;
  const arraySlice = Array.prototype.slice;

  let clockMs = ${DEFAULT_SANDBOX_CLOCK_MS};
  let seedHash = 0;
  let randomState = 0;
  /** The stream the next Math.random() starts, or null while the current one goes on. */
  let pendingKey = null;
  let pendingKeys = null;
  let pendingValues = null;

  /** A global property's own value, as the prelude found it. */
  function hide(owner, name) {
    if (!delete owner[name] || name in owner) throw new TypeErrorCtor("the sandbox could not remove " + StringCtor(name));
  }

  /** Makes replacement the only reachable constructor of real's instances, with real's prototype and statics. */
  function replaceConstructor(name, real, replacement, statics) {
    const proto = real.prototype;
    const keys = ownKeys(real);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key === "prototype" || key === "name") continue;
      const own = statics[key];
      defineProperty(replacement, key, own === undefined ? ownDescriptor(real, key) : { value: own, writable: true, enumerable: false, configurable: true });
    }
    defineProperty(replacement, "prototype", { value: proto, writable: false, enumerable: false, configurable: false });
    defineProperty(proto, "constructor", { value: replacement, writable: true, enumerable: false, configurable: true });
    defineProperty(globalThis, name, { value: replacement, writable: true, enumerable: false, configurable: true });
  }

  // Memory outside the limit.
  delete SharedArrayBuffer.prototype.grow;
  hide(globalThis, "WebAssembly");
  hide(globalThis, "SharedArrayBuffer");
  const RealArrayBuffer = ArrayBuffer;
  hide(RealArrayBuffer.prototype, "resize");
  replaceConstructor("ArrayBuffer", RealArrayBuffer, function ArrayBuffer(length) {
    if (new.target === undefined) throw new TypeErrorCtor("Constructor ArrayBuffer requires 'new'");
    const options = arguments[1];
    if (((typeof options === "object" && options !== null) || typeof options === "function") && options.maxByteLength !== undefined) {
      throw new TypeErrorCtor("resizable ArrayBuffers (maxByteLength) are not available in the tabtune sandbox");
    }
    return reflectConstruct(RealArrayBuffer, [length], new.target);
  }, {});

  // Output that depends on the garbage collector.
  hide(globalThis, "WeakRef");
  hide(globalThis, "FinalizationRegistry");

  // Randomness: mulberry32, keyed per stream.
  function hashText(hash, text) {
    let h = hash ^ text.length;
    for (let i = 0; i < text.length; i++) {
      h = imul(h ^ text.charCodeAt(i), 0x5bd1e995);
      h ^= h >>> 15;
    }
    h = imul(h ^ (h >>> 16), 0x85ebca6b);
    h = imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  let pendingFrom = 0;
  let pendingTo = 0;

  /**
   * The next Math.random() starts the stream of key (and of a row: its keys, and its
   * values as values[from] … values[to - 1]).
   */
  function startStream(key, keys, values, from, to) {
    pendingKey = key;
    pendingKeys = keys;
    pendingValues = values;
    pendingFrom = from;
    pendingTo = to;
  }

  function random() {
    if (pendingKey !== null) {
      let text = pendingKey;
      if (pendingKeys !== null) text += stringify(pendingKeys) + stringify(reflectApply(arraySlice, pendingValues, [pendingFrom, pendingTo]));
      randomState = hashText(seedHash, text);
      pendingKey = null;
      pendingKeys = null;
      pendingValues = null;
    }
    let t = (randomState = (randomState + 0x6d2b79f5) | 0);
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  defineProperty(Math, "random", { value: random, writable: true, enumerable: false, configurable: true });

  // The clock.
  const RealDate = Date;
  const dateToString = RealDate.prototype.toString;
  replaceConstructor("Date", RealDate, function Date(year, monthIndex, day, hours, minutes, seconds, ms) {
    if (new.target === undefined) return reflectApply(dateToString, reflectConstruct(RealDate, [clockMs]), []);
    return reflectConstruct(RealDate, arguments.length === 0 ? [clockMs] : arguments, new.target);
  }, { now: function now() { return clockMs; } });
  const dateTimeFormatProto = Intl.DateTimeFormat.prototype;
  const formatGetter = ownDescriptor(dateTimeFormatProto, "format").get;
  const formatToParts = dateTimeFormatProto.formatToParts;
  defineProperty(dateTimeFormatProto, "format", {
    get: function () {
      const format = reflectApply(formatGetter, this, []);
      return function (date) { return format(date === undefined ? clockMs : date); };
    },
    enumerable: false,
    configurable: true,
  });
  defineProperty(dateTimeFormatProto, "formatToParts", {
    value: function formatToParts(date) { return reflectApply(formatToParts, this, [date === undefined ? clockMs : date]); },
    writable: true,
    enumerable: false,
    configurable: true,
  });

  /** entry("configure", seed, clockMs), before the generated script loads: the run's seed and instant. */
  function configure(seed, now) {
    if (typeof now === "number" && now === now) clockMs = now;
    seedHash = hashText(0x9e3779b9, StringCtor(seed));
    startStream("load", null, null, 0, 0);
    return "";
  }`;

/**
 * What both sandbox preludes (prep and balance) start with, as source text: the globals
 * they use, captured before the generated script runs (so a script that patches JSON,
 * Object or String later cannot change them), a console that prints nothing, the
 * hardening of HARDEN_SOURCE, and the helpers built on those captures.
 */
export const ISOLATE_COMMON_SOURCE = `  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const ownNames = Object.getOwnPropertyNames;
  const isArray = Array.isArray;
  const StringCtor = String;

  const noop = function () {};
  const quietConsole = freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop });
  Object.defineProperty(globalThis, "console", { value: quietConsole, writable: true, configurable: true });

  function deepFreeze(value) {
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
  }
${HARDEN_SOURCE}`;
