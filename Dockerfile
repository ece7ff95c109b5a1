# syntax=docker/dockerfile:1
# aks-subnet-health operator image: the operator only (no simulator, no development dependencies).
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     -t ghcr.io/aks-subnet-health/aks-subnet-health:0.1.0 .
#
# The base image is pinned by digest (node:24-bookworm-slim, Node 24.18.0 when pinned), so a rebuild
# gets the same base. To move to a newer one, read the tag's current index digest and replace both
# NODE_IMAGE and the base.digest label below:
#   docker buildx imagetools inspect node:24-bookworm-slim --format '{{json .Manifest.Digest}}'
#   (or: crane digest node:24-bookworm-slim)
# test/unit/image-build.test.ts runs these steps as plain commands and checks the runtime tree.

ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# dependencies first, so source edits keep this layer cached
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsconfig.build.json leaves src/sim out of dist/; the prune drops the simulator's and every other dev dependency
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="aks-subnet-health" \
      org.opencontainers.image.description="Kubernetes operator that checks the Azure subnets behind Karpenter AKSNodeClasses: existence, access, capacity, network plan and drift." \
      org.opencontainers.image.source="https://github.com/aks-subnet-health/aks-subnet-health" \
      org.opencontainers.image.url="https://github.com/aks-subnet-health/aks-subnet-health" \
      org.opencontainers.image.documentation="https://github.com/aks-subnet-health/aks-subnet-health#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="aks-subnet-health" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim" \
      org.opencontainers.image.base.digest="sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d"
# memory: src/config/memory-sizing.ts (RUNTIME_ENV, RUNTIME_NODE_FLAGS) and docs/performance.md
ENV NODE_ENV=production MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build --chown=0:0 /app/package.json ./package.json
COPY --from=build --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
# numeric, so that runAsNonRoot can verify it; files stay owned by root and read-only to the process
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "--optimize-for-size", "dist/cli/main.js"]
CMD ["run"]
