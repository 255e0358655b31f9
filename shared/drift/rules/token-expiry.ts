import { dayInMs, daysUntil, formatDays } from "../../token/days.js";
import type { Rule, RuleResult } from "../types.js";
import { numberSetting } from "./common.js";
import { liveGuard, liveMissing, tokenPlace } from "./live.js";

/** The token in the cluster's Secret does not expire within 7 days and was issued for at most 30. */
export const tokenExpiryRule: Rule = {
  id: "token-expiry",
  severity: "error",
  title: "Gateway token is not about to expire",
  rationale:
    "A gateway token lasts at most 30 days; when it expires the gateway can no longer fetch configuration and, after a restart, cannot serve at all. Azure Advisor warns 7 days ahead, so a token closer than that to expiry means rotation is not working (seed, prod).",
  source: "seed, prod",
  remediation: `# rotate now (this project):
#   gateway-guard rotate <name> --config gateway-guard.yaml
# or by hand: generate a new token in the portal, then
#   kubectl create secret generic apim-gateway-token -n apim-gateway \\
#     --from-literal=value="GatewayKey <token>" --dry-run=client -o yaml | kubectl apply -f -
#   kubectl rollout restart deployment/apim-gateway -n apim-gateway`,
  live: true,
  defaults: { minDaysLeft: 7, maxLifetimeInDays: 30 },
  check(bundle, context) {
    const minDaysLeft = numberSetting(context.settings, "minDaysLeft", 7);
    const maxLifetimeInDays = numberSetting(context.settings, "maxLifetimeInDays", 30);
    const expected = `expires more than ${minDaysLeft} days from now; issued for at most ${maxLifetimeInDays} days`;
    const guard = liveGuard(bundle, expected);
    if (guard) return [guard];
    const expiresOn = bundle.live?.tokenExpiresOn;
    if (!expiresOn) return [liveMissing(bundle, expected, "the token's expiry")];
    const place = tokenPlace(bundle, expected);
    const daysLeft = daysUntil(expiresOn, context.now);
    const results: RuleResult[] = [];
    const actual = `expires ${expiresOn.toISOString()} (${formatDays(daysLeft)} left)`;
    if (expiresOn.getTime() <= context.now.getTime()) {
      results.push({
        ...place,
        status: "fail",
        actual,
        message: `The token expired on ${expiresOn.toISOString()}: the gateway cannot fetch configuration.`,
      });
    } else if (daysLeft <= minDaysLeft) {
      results.push({
        ...place,
        status: "fail",
        actual,
        message: `The token expires in ${formatDays(daysLeft)} (threshold ${minDaysLeft}): rotation is overdue.`,
      });
    } else {
      results.push({
        ...place,
        status: "pass",
        actual,
        message: `The token expires in ${formatDays(daysLeft)}.`,
      });
    }
    const issuedOn = bundle.live?.tokenIssuedOn;
    if (issuedOn) {
      const lifetime = (expiresOn.getTime() - issuedOn.getTime()) / dayInMs;
      const lifetimeActual = `issued ${issuedOn.toISOString()} for ${formatDays(lifetime)}`;
      const tooLong = lifetime > maxLifetimeInDays + 1 / 24;
      results.push({
        ...place,
        status: tooLong ? "fail" : "pass",
        actual: lifetimeActual,
        message: tooLong
          ? `The token was issued for ${formatDays(lifetime)}, longer than ${maxLifetimeInDays}.`
          : `Issued for ${formatDays(lifetime)}.`,
      });
    }
    return results;
  },
};
