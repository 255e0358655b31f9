import { startIdentityStandin } from "../test/standins/identity.ts";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
const id = await startIdentityStandin();
const r = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", `
import { DefaultAzureCredential } from "@azure/identity";
const t = await new DefaultAzureCredential().getToken("https://management.azure.com/.default");
console.log("got", t.token.slice(0,8), t.expiresOnTimestamp > Date.now());
`], { env: { ...process.env, ...id.env }, cwd: "/work/main", encoding: "utf8" }).catch(e => e);
console.log(r.stdout, String(r.stderr).slice(0,2000));
console.log(id.resources);
await id.close();
