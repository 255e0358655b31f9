import { parseImage } from "../../gateway/bundle.js";
import type { Rule } from "../types.js";
import { at, containerPath, gatewayContainer } from "./common.js";

const PINNED_TAG = /^v?\d+\.\d+\.\d+$/;

/** The gateway image is pinned to a full version or a digest. */
export const imageTagPinnedRule: Rule = {
  id: "image-tag-pinned",
  severity: "error",
  title: "Gateway image pinned to a version",
  rationale:
    "Floating tags (`latest`, `v2`, `v2-preview`, `beta`) change under a running deployment: pods started on different days run different gateway versions, and a node replacement can roll out an untested release. Pin `major.minor.patch` or a digest (seed, prod).",
  source: "seed, prod",
  remediation: `spec:
  template:
    spec:
      containers:
      - name: gateway
        image: mcr.microsoft.com/azure-api-management/gateway:2.9.2   # or ...gateway@sha256:<digest>`,
  check(bundle) {
    const image = gatewayContainer(bundle).image;
    const path = containerPath(bundle, "image");
    const expected = "a major.minor.patch tag (e.g. 2.9.2) or an @sha256: digest";
    if (typeof image !== "string" || image.trim() === "") {
      return [
        at(bundle, path, {
          status: "fail",
          expected,
          actual: "(no image)",
          message: "The gateway container has no image.",
        }),
      ];
    }
    const { tag, digest } = parseImage(image);
    if (digest !== undefined && digest.startsWith("sha256:")) {
      return [at(bundle, path, { status: "pass", expected, actual: image, message: "Pinned by digest." })];
    }
    if (tag !== undefined && PINNED_TAG.test(tag)) {
      return [at(bundle, path, { status: "pass", expected, actual: image, message: `Pinned to ${tag}.` })];
    }
    const message =
      tag === undefined
        ? "No tag: Kubernetes pulls `latest`, which changes under a running deployment."
        : `Tag ${tag} floats: it moves to new releases, so pods can run different versions.`;
    return [at(bundle, path, { status: "fail", expected, actual: image, message })];
  },
};
