# syntax=docker/dockerfile:1
# Floe's container image: one `floe start` node. Built from the repository root:
#   docker build -t floe .
# The build stage installs every npm dependency and compiles; deploy/docker/assemble-app then lays
# out /app with the compiled packages and only the production dependencies. The runtime stage
# copies that, read-only and owned by root, and runs it as an unprivileged user.
# deploy/test/image-start.test.ts runs this file's ENTRYPOINT and CMD, with its ENV and WORKDIR,
# on a layout made by the same script, so the command tested is the command shipped.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY proto ./proto
COPY deploy/docker ./deploy/docker
# `npm install` with the lock rather than `npm ci`: see scripts/lib/deps.sh. The cache mount keeps
# a rebuild after a source change from downloading everything again.
RUN --mount=type=cache,target=/root/.npm \
    npm install --no-fund --no-audit --loglevel=error \
 && node node_modules/typescript/bin/tsc -b packages/floe \
 && bash deploy/docker/assemble-app /app

FROM ${NODE_IMAGE}
# npm, npx, corepack and yarn are not needed to run a node: fewer tools in a running pod.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
        /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && mkdir -p /var/lib/floe && chown 1000:1000 /var/lib/floe
COPY --from=build /app /app
# In a container the listeners must accept connections from outside it. Without S3 and DynamoDB
# settings the node runs on the embedded default, keeping its data in the /var/lib/floe volume;
# the Helm chart and infra/local set FLOE_OBJECT_STORE and FLOE_METADATA instead and need no volume.
ENV NODE_ENV=production \
    FLOE_KAFKA_LISTEN=0.0.0.0:9092 \
    FLOE_HTTP_LISTEN=0.0.0.0:8080 \
    FLOE_GRPC_LISTEN=0.0.0.0:50051 \
    FLOE_OBJECT_STORE=file:///var/lib/floe/objects \
    FLOE_METADATA=/var/lib/floe/metadata
VOLUME /var/lib/floe
WORKDIR /app
# The base image's `node` user; numeric so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 9092 8080 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "deploy/docker/healthcheck.mjs"]
# Node is PID 1: floe handles SIGTERM and SIGINT itself (drain, leave the cluster, flush) and
# starts no child processes, so no init process is needed to forward signals or reap children.
ENTRYPOINT ["node", "packages/floe/dist/cli.js"]
CMD ["start"]
