/**
 * Fuzzing the webhook: a few hundred mutated Event Grid, CloudEvents, Azure Monitor and plain bodies per run.
 * Each is classified and resolved (no field read as `[object Object]` or `NaN`), or refused with an InputError
 * or NotFoundError whose message (the 400 or 404 answer) shows neither, nor a token. A failure names its seed: rerun with
 * `FUZZ_SEED=<seed>`.
 */
import { describe, expect, it } from "vitest";
import { parseWebhook } from "../../shared/webhook/parse.js";
import { resolveGateways } from "../../shared/webhook/resolve.js";
import { sampleConfig, webhookFixtures } from "../functions/helpers.js";
import { mutateValue, random, runSeed } from "./mutate.js";

const bodies = Object.values(webhookFixtures()).map((text) => JSON.parse(text) as unknown);
const headerSets = [
  new Headers(),
  new Headers({ "aeg-event-type": "Notification" }),
  new Headers({ "aeg-event-type": "SubscriptionValidation" }),
];
const cases = 300;

describe("fuzz: the webhook", () => {
  it(`classifies ${cases} mutated bodies or refuses them as input errors`, () => {
    const seed = runSeed();
    const rng = random(seed);
    for (let i = 0; i < cases; i++) {
      let body = bodies[Math.floor(rng() * bodies.length)];
      for (let edits = 1 + Math.floor(rng() * 3); edits > 0; edits--) body = mutateValue(body, rng);
      const headers = headerSets[Math.floor(rng() * headerSets.length)];
      const label = `FUZZ_SEED=${seed}, case ${i}: ${JSON.stringify(body)?.slice(0, 600)}`;
      try {
        const request = parseWebhook(headers, body);
        let text = JSON.stringify(request);
        if (request.kind === "rotate")
          text += JSON.stringify(resolveGateways(request.requests, sampleConfig));
        expect(text, label).not.toMatch(/\[object Object\]|\bNaN\b/);
      } catch (error) {
        const { name, message, stack } = error as Error;
        expect(["InputError", "NotFoundError"], `${label}\n${stack}`).toContain(name);
        expect(message, label).not.toMatch(/\[object Object\]|\bNaN\b|c2VjcmV0LXRva2VuLXZhbHVl/);
      }
    }
  });
});
