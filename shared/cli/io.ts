import { fstatSync } from "node:fs";

/**
 * What the CLI talks to: output streams, standard input and the environment. Tests pass their own.
 */

/** Somewhere to write text. */
export interface TextSink {
  write(text: string): unknown;
}

/** The CLI's view of its process; `main` defaults to the real one. */
export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  /** What `-` reads: a stream, or the text itself in tests. */
  stdin: NodeJS.ReadableStream | string;
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal (colour in the table format). */
  isTTY: boolean;
  /**
   * Whether standard input is a pipe or a file (`cat gw.yaml | gateway-guard check`, `< gw.yaml`): `check` with no
   * path reads it then. A terminal, /dev/null or a socket a parent process left open is not read.
   * Text given as `stdin` (tests) always counts as piped.
   */
  stdinIsPipe?: boolean;
  /** Columns of the terminal stdout writes to, when it is one (the table wraps to fit). */
  columns?: number;
  /** Working directory that relative paths and SARIF locations are taken from (default `process.cwd()`). */
  cwd?: string;
}

/** The real process as a {@link CliIO}. A closed pipe on stdout (`| head`) ends output quietly; other write errors exit 2. */
export function processIO(): CliIO {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") return;
    process.stderr.write(`gateway-guard: cannot write to standard output (${error.code ?? error.message})\n`);
    process.exitCode = 2;
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    stdinIsPipe: isPipeOrFile(0),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    cwd: process.cwd(),
  };
}

function isPipeOrFile(fd: number): boolean {
  try {
    const info = fstatSync(fd);
    return info.isFIFO() || info.isFile();
  } catch {
    return false;
  }
}
