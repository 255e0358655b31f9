/**
 * Captured CLI output for the status, rotate and live check tests, and the check that no token
 * the stand-ins ever held appears in it.
 */
import { expect } from "vitest";
import type { CliIO } from "../../shared/cli/io.js";

export interface CapturedIO {
  io: CliIO;
  stdout(): string;
  stderr(): string;
}

/** A `CliIO` that keeps what is written. */
export function captureIO(env: Record<string, string | undefined> = {}): CapturedIO {
  let stdout = "";
  let stderr = "";
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: "",
      env,
      isTTY: false,
      cwd: process.cwd(),
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** Asserts that none of the tokens (nor their signatures) appears in the text. */
export function expectNoToken(text: string, tokens: readonly string[]): void {
  expect(tokens.length).toBeGreaterThan(0);
  for (const token of tokens) {
    expect(text).not.toContain(token);
    const signature = token.split("&")[2];
    if (signature) expect(text).not.toContain(signature);
  }
}

/** The cells of a status table's row for a deployment (columns are two or more spaces apart). */
export function tableRow(stdout: string, target: string): string[] {
  const line = stdout.split("\n").find((l) => l.trim().startsWith(target));
  if (!line) throw new Error(`no row for ${target} in:\n${stdout}`);
  return line.trim().split(/\s{2,}/);
}
