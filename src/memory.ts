/**
 * A full garbage collection between the steps that pass every row (issue 16). V8 collects the
 * old generation only when it has grown by a factor of what was live, and a step's row-sized
 * garbage (parsed lines, the sandbox crossings' copies, which V8 counts as external memory)
 * would otherwise still be resident when the next step builds its own: the peak RSS of a run
 * was the sum of two steps' garbage. Collecting once after such a step changes no result.
 * The collector is taken from V8 without leaving `--expose-gc` set, so contexts made later
 * (the sandbox's isolates) get no `gc` global.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined;

/** Runs a full, synchronous garbage collection. */
export function collectGarbage(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === "function") collect = exposed;
    else {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc") as () => void;
      setFlagsFromString("--no-expose-gc");
    }
  }
  collect();
}

/** The sandbox crossings' garbage (external memory) a row loop lets build up before collecting it. */
export const EXTERNAL_GARBAGE_BYTES = 128 << 20;

/**
 * A full collection when V8 counts more than `bytes` of external memory (the strings each
 * sandbox crossing copies in and out are counted there): a loop that crosses the sandbox a
 * batch at a time calls it after each batch. V8 left that garbage to grow to ~800 MB over
 * execute's million rows while the JS heap stayed under 100 MB, and the memory it later
 * freed stayed resident (the allocator keeps it), so every later step started from that
 * peak. Answers whether it collected.
 */
export function collectIfExternalAbove(bytes: number): boolean {
  if (getHeapStatistics().external_memory < bytes) return false;
  collectGarbage();
  return true;
}

/** `step`, followed by a full collection once it has returned or thrown. */
export function thenCollect<A extends unknown[], R>(step: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await step(...args);
    } finally {
      collectGarbage();
    }
  };
}
