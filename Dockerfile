# syntax=docker/dockerfile:1
# gateway-guard as a container image: the CLI for CI systems that prefer images, and the base of an in-cluster
# agent. `docker build -t gateway-guard:0.1.0 .` then, for example,
#   docker run --rm -v "$PWD:/workspace:ro" gateway-guard:0.1.0 check k8s/
#
# The base image is pinned by exact version and digest. The digest is the one public repositories pin for this
# tag; no registry could be queried where this file was written, so confirm it once with
# `docker buildx imagetools inspect node:22.23.2-bookworm-slim` and update both together.
#
# No container engine runs in this project's CI. test/package/package.test.ts does what the stages below do
# (pack, which builds; unpack beside the lock file; `npm ci --omit=dev`; run the command) and checks the result.
ARG NODE_IMAGE=node:22.23.2-bookworm-slim@sha256:83f487e0a63425e5b4d146fb5e5be574bcbe1b7b843d3ebafdd95eaf7767a7e5

# 1. Build and pack with the dev dependencies (TypeScript); `npm pack` builds through `prepack`.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json esbuild.config.mjs README.md host.json ./
COPY bin bin
COPY functions functions
COPY shared shared
RUN npm pack --pack-destination /tmp && tar -xzf /tmp/gateway-guard-*.tgz -C /tmp

# 2. The packed files with production dependencies only, from the lock file.
FROM ${NODE_IMAGE} AS install
WORKDIR /opt/gateway-guard
COPY --from=build /tmp/package/ ./
COPY package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. The runtime: no build tools, no sources, files owned by root, run as the unprivileged `node` user (by number,
# so that Kubernetes can verify runAsNonRoot).
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="gateway-guard" \
      org.opencontainers.image.description="Token rotation and drift checks for Azure API Management self-hosted gateways on Kubernetes" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
COPY --from=install /opt/gateway-guard /opt/gateway-guard
USER 1000:1000
WORKDIR /workspace
ENTRYPOINT ["node", "/opt/gateway-guard/bin/gateway-guard.js"]
CMD ["--help"]
