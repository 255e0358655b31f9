import { displayValue } from "../../gateway/values.js";
import type { GatewayBundle, Rule } from "../types.js";
import { asArray, asObject, at, containerPath, gatewayContainer, get, POD, podSpec } from "./common.js";

/** The config backup mount path the gateway writes to. */
export const CONFIG_BACKUP_PATH = "/apim/config";

/** The volume mounted at /apim/config in the gateway container, if any, and where its mount and volume are. */
export function configBackupVolume(
  bundle: GatewayBundle,
):
  | { mountIndex: number; volumeName: string; volume?: Record<string, unknown>; volumeIndex: number }
  | undefined {
  const mounts = asArray(gatewayContainer(bundle).volumeMounts);
  const mountIndex = mounts.findIndex((mount) => {
    const path = get(mount, ["mountPath"]);
    return typeof path === "string" && path.replace(/\/+$/, "") === CONFIG_BACKUP_PATH;
  });
  if (mountIndex < 0) return undefined;
  const volumeName = displayValue(get(mounts[mountIndex], ["name"]));
  const volumes = asArray(podSpec(bundle).volumes);
  const volumeIndex = volumes.findIndex((volume) => get(volume, ["name"]) === volumeName);
  return { mountIndex, volumeName, volume: asObject(volumes[volumeIndex]), volumeIndex };
}

/** A PersistentVolumeClaim mounted at /apim/config so that the gateway starts from its last configuration. */
export const configBackupRule: Rule = {
  id: "config-backup",
  severity: "warning",
  title: "Configuration backup on a persistent volume",
  rationale:
    "With a volume at /apim/config the gateway keeps a copy of its configuration and can start and serve when the configuration endpoint is unreachable. An emptyDir is lost with the pod, so only a PersistentVolumeClaim helps after a restart (seed, prod).",
  source: "seed, prod",
  remediation: `spec:
  template:
    spec:
      securityContext:
        fsGroup: 1001
      containers:
      - name: gateway
        volumeMounts:
        - name: config-backup
          mountPath: /apim/config
      volumes:
      - name: config-backup
        persistentVolumeClaim:
          claimName: apim-gateway-config   # a PVC with accessModes [ReadWriteMany], 50Mi`,
  check(bundle) {
    const expected = `a PersistentVolumeClaim mounted at ${CONFIG_BACKUP_PATH}`;
    const backup = configBackupVolume(bundle);
    if (!backup) {
      return [
        at(bundle, containerPath(bundle, "volumeMounts"), {
          status: "fail",
          expected,
          actual: `nothing mounted at ${CONFIG_BACKUP_PATH}`,
          message:
            "No configuration backup: if the configuration endpoint is unreachable, a restarted gateway cannot serve.",
        }),
      ];
    }
    const mountPath = containerPath(bundle, "volumeMounts", backup.mountIndex);
    if (!backup.volume) {
      return [
        at(bundle, mountPath, {
          status: "fail",
          expected,
          actual: `volume ${backup.volumeName} is not declared`,
          message: `The mount refers to volume ${backup.volumeName}, which the pod does not declare.`,
        }),
      ];
    }
    const volumePath = [...POD, "volumes", backup.volumeIndex];
    const claim = get(backup.volume, ["persistentVolumeClaim", "claimName"]);
    if (typeof claim === "string") {
      return [
        at(bundle, [...volumePath, "persistentVolumeClaim"], {
          status: "pass",
          expected,
          actual: `persistentVolumeClaim ${claim}`,
          message: `Configuration backed up to PVC ${claim}.`,
        }),
      ];
    }
    const type = Object.keys(backup.volume).find((key) => key !== "name") ?? "unknown";
    return [
      at(bundle, volumePath, {
        status: "fail",
        expected,
        actual: `${type} volume ${backup.volumeName}`,
        message: `The backup volume is ${type}, which does not survive a pod restart; use a PersistentVolumeClaim.`,
      }),
    ];
  },
};
