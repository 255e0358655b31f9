/** The module hooks behind functionsInterop.mjs. */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const packageJson = fileURLToPath(new URL("../../../package.json", import.meta.url));
const wrapperUrl = "gateway-guard-bench:@azure/functions";

export async function resolve(specifier, context, next) {
  if (specifier === "@azure/functions") return { url: wrapperUrl, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url !== wrapperUrl) return next(url, context);
  const names = Object.keys(createRequire(packageJson)("@azure/functions"));
  const source = [
    `import { createRequire } from "node:module";`,
    `const functions = createRequire(${JSON.stringify(packageJson)})("@azure/functions");`,
    `export default functions;`,
    ...names.map((name) => `export const ${name} = functions.${name};`),
  ].join("\n");
  return { format: "module", source, shortCircuit: true };
}
