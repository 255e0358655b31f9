import { startFleet } from "../test/standins/fleet.ts";
import { readFileSync } from "node:fs";
const t = Date.now();
const fleet = await startFleet({ identity: true });
console.log("started in", Date.now() - t);
console.log(readFileSync(fleet.configPath, "utf8"));
console.log(fleet.tokens().length, fleet.env);
for (const g of fleet.gateways) for (const d of g.deployments) console.log(d.context, d.namespace, d.deployment, d.standin.podTokens(d.namespace, d.deployment).length, fleet.arm.isValid(fleet.secretToken(d)!).valid);
await fleet.stop();
