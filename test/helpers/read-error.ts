/** The error reading a CSV throws, checked to be a one-line TabtuneError: the table tests' shared expectation. */
import { expect } from "vitest";
import { TabtuneError } from "../../src/errors.js";
import { readTable } from "../../src/table/columns.js";
import type { CsvOptions } from "../../src/table/csv.js";

export async function readError(path: string, opts: CsvOptions): Promise<TabtuneError> {
  const error: unknown = await readTable(path, opts).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TabtuneError)) throw new Error(`expected a TabtuneError, got ${String(error)}`);
  expect(error.message).not.toContain("\n");
  return error;
}
