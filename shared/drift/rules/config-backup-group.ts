import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { at, get, numberSetting, POD, podSpec } from "./common.js";
import { configBackupVolume } from "./config-backup.js";

/** With a config backup, the pod's fsGroup lets the gateway (uid 1001) write to the volume. */
export const configBackupGroupRule: Rule = {
  id: "config-backup-group",
  severity: "warning",
  title: "fsGroup 1001 for the configuration backup",
  rationale:
    "The gateway runs as user 1001; without `fsGroup: 1001` it cannot write its backup to a freshly provisioned volume and the backup silently stays empty (prod; issue #83 of the gateway repository).",
  source: "prod (issue #83 of the gateway repo)",
  remediation: `spec:
  template:
    spec:
      securityContext:
        fsGroup: 1001`,
  defaults: { fsGroup: 1001 },
  check(bundle, context) {
    const fsGroup = numberSetting(context.settings, "fsGroup", 1001);
    const path = [...POD, "securityContext", "fsGroup"];
    const expected = `fsGroup ${fsGroup} when a backup is mounted`;
    const actualGroup = get(podSpec(bundle), ["securityContext", "fsGroup"]);
    const actual = actualGroup === undefined ? "(unset)" : displayValue(actualGroup);
    if (!configBackupVolume(bundle)) {
      return [
        at(bundle, path, {
          status: "pass",
          expected,
          actual,
          message: "Not applicable: no configuration backup is mounted.",
        }),
      ];
    }
    if (actualGroup === fsGroup) {
      return [
        at(bundle, path, {
          status: "pass",
          expected,
          actual,
          message: `fsGroup ${fsGroup}: the gateway can write its backup.`,
        }),
      ];
    }
    return [
      at(bundle, path, {
        status: "fail",
        expected,
        actual,
        message: `fsGroup is ${actual}: the gateway (uid 1001) may not be able to write to /apim/config.`,
      }),
    ];
  },
};
