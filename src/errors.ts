/** Errors a user can act on: a code, a one-line message, and what to do about it. */
export class TabtuneError extends Error {
  readonly code: string;
  readonly suggestion: string | undefined;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    options: { suggestion?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "TabtuneError";
    this.code = code;
    this.suggestion = options.suggestion;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** One line for the terminal: message, then what to do. */
export function formatError(error: unknown): string {
  if (error instanceof TabtuneError) {
    return error.suggestion ? `error: ${error.message} — ${error.suggestion}` : `error: ${error.message}`;
  }
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
