/**
 * Where a JSON text first goes wrong. V8's `JSON.parse` messages no longer carry a position, so after a
 * failed parse this scanner (one pass, no recursion) finds the offset and says what was expected there.
 */

/** The first syntax error of a JSON text. */
export interface JsonSyntaxError {
  /** 0-based offset into the text. */
  offset: number;
  /** What is wrong there, e.g. "expected ',' or '}' after a value". */
  reason: string;
}

type Expect = "value" | "valueOrEnd" | "key" | "keyOrEnd" | "colon" | "commaOrEnd" | "end";

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const literals = ["true", "false", "null"];

/**
 * Scans a JSON text.
 * @param text - the text `JSON.parse` refused (a leading byte-order mark is allowed).
 * @returns the first error, or undefined when the text is valid JSON.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const stack: Array<"}" | "]"> = [];
  let expect: Expect = "value";
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (offset: number, reason: string) => ({ offset, reason });
  const afterValue = (): Expect => (stack.length === 0 ? "end" : "commaOrEnd");
  for (;;) {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
    if (i >= text.length) {
      return expect === "end" ? undefined : fail(text.length, "unexpected end of the input");
    }
    const c = text[i];
    if (expect === "end") return fail(i, "unexpected text after the JSON value");
    if (expect === "colon") {
      if (c !== ":") return fail(i, "expected ':' after a key");
      expect = "value";
      i++;
    } else if (expect === "commaOrEnd") {
      const close = stack[stack.length - 1];
      if (c === ",") expect = close === "}" ? "key" : "value";
      else if (c === close) {
        stack.pop();
        expect = afterValue();
      } else return fail(i, `expected ',' or '${close}' after a value`);
      i++;
    } else if (expect === "key" || expect === "keyOrEnd") {
      if (expect === "keyOrEnd" && c === "}") {
        stack.pop();
        expect = afterValue();
        i++;
      } else if (c === '"') {
        const end = stringEnd(text, i);
        if (typeof end !== "number") return end;
        expect = "colon";
        i = end;
      } else return fail(i, "expected a key in double quotes");
    } else if (expect === "valueOrEnd" && c === "]") {
      stack.pop();
      expect = afterValue();
      i++;
    } else if (c === "{" || c === "[") {
      stack.push(c === "{" ? "}" : "]");
      expect = c === "{" ? "keyOrEnd" : "valueOrEnd";
      i++;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (typeof end !== "number") return end;
      expect = afterValue();
      i = end;
    } else {
      numberPattern.lastIndex = i;
      const number = numberPattern.exec(text);
      const literal = literals.find((word) => text.startsWith(word, i));
      if (!number && !literal)
        return fail(i, "expected a value (object, array, string, number, true, false or null)");
      expect = afterValue();
      i += number ? number[0].length : literal!.length;
    }
  }
}

/** The offset after the string starting at `start`, or the error inside it. */
function stringEnd(text: string, start: number): number | JsonSyntaxError {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20)
      return { offset: i, reason: "a control character (such as a line break) inside a string" };
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
          return { offset: i, reason: "a bad \\u escape" };
        i += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i++;
      else return { offset: i, reason: "a bad escape in a string" };
    }
  }
  return { offset: start, reason: "a string that is never closed" };
}
