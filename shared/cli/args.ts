/**
 * Strict option parsing for a command (node:util parseArgs) with errors a person can act on.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { InputError } from "../errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command's arguments strictly.
 * @param command - the command's name, for the `--help` hint
 * @param args - the arguments after the command's name
 * @param options - the options the command takes
 * @throws InputError for an unknown option, a missing value or an unexpected argument
 */
export function parseCommandArgs<T extends Options>(
  command: string,
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new InputError(`${describe(error)}. Run \`gateway-guard ${command} --help\` for the options.`, {
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted ?? message}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${quoted ?? message}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const option = /Option '(?:-\w, )?(-{1,2}[\w-]+)/.exec(message)?.[1] ?? "an option";
      return message.includes("does not take")
        ? `option ${option} takes no value`
        : `option ${option} needs a value`;
    }
    default:
      return message.split("\n")[0].replace(/\.$/, "");
  }
}

/**
 * Checks a `--format` value.
 * @param value - the value given, or undefined for the default
 * @param formats - the accepted formats; the first is the default
 * @throws InputError naming the accepted formats
 */
export function parseFormat<const F extends readonly [string, ...string[]]>(
  value: string | undefined,
  formats: F,
): F[number] {
  const format = value ?? formats[0];
  if (!formats.includes(format)) {
    throw new InputError(`unknown format "${format}"; expected one of ${formats.join(", ")}.`);
  }
  return format;
}
