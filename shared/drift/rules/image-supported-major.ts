import { parseImage } from "../../gateway/bundle.js";
import type { Rule } from "../types.js";
import { at, containerPath, gatewayContainer, numberSetting } from "./common.js";

const MAJOR = /^v?(\d+)(?:$|[.-])/;

/** The gateway image is a supported major version (v0 and v1 unsupported since 2023-10-01). */
export const imageSupportedMajorRule: Rule = {
  id: "image-supported-major",
  severity: "error",
  title: "Supported gateway major version",
  rationale:
    "Gateway v0 and v1 are out of support since 2023-10-01 and talk to the retired v1 configuration endpoint; only v2 gets fixes and can use the v2 configuration API (prod).",
  source: "prod",
  remediation: `spec:
  template:
    spec:
      containers:
      - name: gateway
        image: mcr.microsoft.com/azure-api-management/gateway:2.9.2`,
  defaults: { minMajor: 2 },
  check(bundle, context) {
    const minMajor = numberSetting(context.settings, "minMajor", 2);
    const image = gatewayContainer(bundle).image;
    const path = containerPath(bundle, "image");
    const expected = `major version >= ${minMajor}`;
    const actual = typeof image === "string" ? image : "(no image)";
    const tag = typeof image === "string" ? parseImage(image).tag : undefined;
    const match = tag === undefined ? null : MAJOR.exec(tag);
    if (!match) {
      const reason = tag === undefined ? "the image has no tag" : `tag ${tag} does not state a version`;
      return [
        at(bundle, path, {
          status: "unknown",
          expected,
          actual,
          message: `Cannot tell the major version: ${reason}.`,
        }),
      ];
    }
    const major = Number(match[1]);
    if (major < minMajor) {
      return [
        at(bundle, path, {
          status: "fail",
          expected,
          actual,
          message: `Gateway v${major} is unsupported (v0 and v1 since 2023-10-01); upgrade to v2.`,
        }),
      ];
    }
    return [
      at(bundle, path, { status: "pass", expected, actual, message: `Gateway major version ${major}.` }),
    ];
  },
};
