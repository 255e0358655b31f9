/**
 * The folder rules `npm test` enforces (`npm run deps`). docs/architecture.md explains each one and why.
 * Type-only imports count too: a cycle through types is still a cycle for a reader.
 */
const adapters = "^shared/(azure|kube)/";
const edges = "^shared/(app|cli|agent|live|compose)/";
/** The resolved path of an npm package's files (also when node_modules sits in a parent folder). */
const npm = (name) => `(^|/)node_modules/${name}/`;
const kubernetesAndAzureSdks = "(^|/)node_modules/(@azure/(?!functions/)|@kubernetes/)";

/* global module */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Imports run one way; a cycle means two folders are one module in disguise.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "functions-only-call-the-app",
      comment:
        "functions/ are thin trigger adapters: they reach the core through shared/app and read trigger settings from shared/config.",
      severity: "error",
      from: { path: "^functions/" },
      to: { path: "^shared/", pathNot: "^shared/(app|config)/" },
    },
    {
      name: "shared-without-functions-runtime",
      comment: "The core runs in the CLI and tests too, where there is no Functions host.",
      severity: "error",
      from: { path: "^shared/" },
      to: { path: npm("@azure/functions") },
    },
    {
      name: "nothing-imports-functions-or-tests",
      comment: "functions/ and test/ are leaves: shipped code never depends on them.",
      severity: "error",
      from: { path: "^(shared|functions)/" },
      to: { path: "^(test|functions)/", pathNot: "^functions/" },
    },
    {
      name: "no-dev-dependencies-in-shipped-code",
      comment: "The installed package has production dependencies only.",
      severity: "error",
      from: { path: "^(shared|functions)/" },
      to: { dependencyTypes: ["npm-dev"] },
    },
    {
      name: "no-undeclared-packages",
      comment:
        "A package the code loads must be a dependency in package.json, or an install may lack it (type-only imports are erased).",
      severity: "error",
      from: { path: "^(shared|functions)/" },
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "checker-is-pure",
      comment:
        "shared/drift and shared/gateway take objects in and give findings out: no I/O adapters, no rotation, no edge.",
      severity: "error",
      from: { path: "^shared/(drift|gateway)/" },
      to: { path: [adapters, edges, "^shared/(rotation|config|queue|webhook)/", kubernetesAndAzureSdks] },
    },
    {
      name: "token-stands-alone",
      comment:
        "shared/token is the token's model and arithmetic: everything may use it, it uses nothing of ours.",
      severity: "error",
      from: { path: "^shared/token/" },
      to: { path: "^shared/", pathNot: "^shared/token/" },
    },
    {
      name: "rotation-without-adapters",
      comment:
        "The protocol talks to TokenIssuer, TokenVault and GatewayCluster only; the adapters implement them. No zod: configuration is validated at the edge.",
      severity: "error",
      from: { path: "^shared/rotation/" },
      to: {
        path: [
          adapters,
          edges,
          "^shared/(drift|gateway|queue|webhook)/",
          "^shared/config/(?!types\\.ts$)",
          npm("(zod|yaml)"),
          kubernetesAndAzureSdks,
        ],
      },
    },
    {
      name: "config-without-adapters",
      comment:
        "Configuration is read and validated before any adapter exists; adapters read config, not the other way round.",
      severity: "error",
      from: { path: "^shared/config/" },
      to: {
        path: [adapters, edges, "^shared/(rotation|drift|gateway|queue|webhook)/", kubernetesAndAzureSdks],
      },
    },
    {
      name: "adapters-not-edges",
      comment:
        "Adapters serve the core; they never call the CLI, the app, the live check or the composition root.",
      severity: "error",
      from: { path: adapters },
      to: { path: [edges, "^shared/(queue|webhook)/"] },
    },
    {
      name: "edges-are-separate",
      comment: "The CLI and the Functions app are two edges over the same core; neither imports the other.",
      severity: "error",
      from: { path: "^shared/app/" },
      to: { path: "^shared/cli/" },
    },
    {
      name: "cli-not-app",
      severity: "error",
      from: { path: "^shared/cli/" },
      to: { path: "^shared/app/" },
    },
    {
      name: "kubernetes-sdk-in-kube",
      comment: "Only shared/kube speaks to Kubernetes.",
      severity: "error",
      from: { pathNot: "^shared/kube/" },
      to: { path: npm("@kubernetes/client-node") },
    },
    {
      name: "azure-sdks-in-adapters",
      comment:
        "Only the adapters and the composition root that builds them load Azure SDKs (shared/kube uses @azure/identity for AKS sign-in, shared/queue the Storage SDK).",
      severity: "error",
      from: { pathNot: "^shared/(azure|kube|queue|compose)/" },
      to: { path: kubernetesAndAzureSdks, pathNot: npm("@kubernetes/client-node") },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that does not resolve fails at run time.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".cts", ".js", ".cjs", ".mjs", ".json"],
    },
    moduleSystems: ["es6", "cjs"],
  },
};
