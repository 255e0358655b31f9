/**
 * Finds references in the repository's text files that point outside it: markdown links and `../` paths
 * that climb above the repository root, and absolute paths into the machine the files were written on.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

/** One reference that leaves the repository (or, for a markdown link, points at nothing). */
export interface BadReference {
  file: string;
  line: number;
  reference: string;
  problem: string;
}

/** The files git would commit: tracked and new, not ignored, still present. */
export function repositoryFiles(root: string): string[] {
  return execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(root, file)));
}

const markdownLink = /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)/gm;
const climbingPath = /(?:^|[\s"'`(=:,[])((?:\.\.\/)+[\w@.$-][^\s"'`)\]},;]*)/g;
const machinePath = /(?:^|[\s"'`(=:,[])(\/work(?:\/[^\s"'`)\]},;]*)?)(?=$|[\s"'`)\]},;])/gm;

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

function outside(root: string, path: string): boolean {
  const from = relative(root, path);
  return from.startsWith("..") || isAbsolute(from);
}

/** True when the path exists, or is a compiled name (`x.js`, `x.cjs`) whose TypeScript source exists. */
function existsOrSource(path: string): boolean {
  const clean = path.replace(/[.:]+$/, "");
  return [clean, clean.replace(/\.js$/, ".ts"), clean.replace(/\.cjs$/, ".cts")].some((candidate) =>
    existsSync(candidate),
  );
}

/**
 * Whether a `../` reference leaves the repository. It is read from the file's folder (imports, links);
 * when nothing is there, it was meant from the repository root (paths in prose and comments).
 */
function climbsOut(root: string, directory: string, reference: string): boolean {
  const path = reference.replace(/[#?].*$/, "");
  const fromFile = resolve(directory, path);
  if (outside(root, fromFile)) return true;
  return !existsOrSource(fromFile) && outside(root, resolve(root, path));
}

/**
 * Checks one file's text.
 * @param root - the repository root.
 * @param file - the file, relative to the root.
 */
export function badReferences(root: string, file: string, text: string): BadReference[] {
  const found: BadReference[] = [];
  const directory = dirname(join(root, file));
  for (const match of text.matchAll(climbingPath)) {
    const reference = match[1];
    if (reference.includes("${")) continue;
    if (climbsOut(root, directory, reference)) {
      found.push({
        file,
        line: lineOf(text, match.index),
        reference,
        problem: "climbs out of the repository",
      });
    }
  }
  for (const match of text.matchAll(machinePath)) {
    found.push({
      file,
      line: lineOf(text, match.index),
      reference: match[1],
      problem: "an absolute path on some machine",
    });
  }
  if (file.endsWith(".md")) {
    for (const match of text.matchAll(markdownLink)) {
      const reference = match[1] ?? match[2];
      if (/^([a-z][a-z0-9+.-]*:|#)/i.test(reference)) continue;
      const target = resolve(
        reference.startsWith("/") ? root : directory,
        `.${reference.startsWith("/") ? "" : "/"}${reference}`.split("#")[0],
      );
      if (outside(root, target)) {
        found.push({
          file,
          line: lineOf(text, match.index),
          reference,
          problem: "links out of the repository",
        });
      } else if (!existsSync(target)) {
        found.push({
          file,
          line: lineOf(text, match.index),
          reference,
          problem: "links to a file that does not exist",
        });
      }
    }
  }
  return found;
}

/** Every bad reference in the repository's text files (files with a NUL byte are binary and skipped). */
export function scanRepository(root: string): BadReference[] {
  return repositoryFiles(root).flatMap((file) => {
    const bytes = readFileSync(join(root, file));
    if (bytes.includes(0)) return [];
    return badReferences(root, file, bytes.toString("utf8"));
  });
}
