/** Prep sandboxes opened by a test file, disposed after each test (afterEach registered by the caller). */
import { PrepSandbox } from "../../src/sandbox/sandbox.js";

/** A list of the open sandboxes and `openOk`: opens one (64 MB, 2 s per batch) or throws its error. */
export function sandboxOpener(): { opened: PrepSandbox[]; openOk: (code: string) => Promise<PrepSandbox>; disposeAll: () => void } {
  const opened: PrepSandbox[] = [];
  return {
    opened,
    openOk: async (code) => {
      const outcome = await PrepSandbox.open(code, {}, { memoryLimitMb: 64, batchTimeoutMs: 2000 });
      if (!outcome.ok) throw new Error(outcome.error);
      opened.push(outcome.sandbox);
      return outcome.sandbox;
    },
    disposeAll: () => {
      for (const sandbox of opened.splice(0)) sandbox.dispose();
    },
  };
}
