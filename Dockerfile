# syntax=docker/dockerfile:1
# Raft3D image: one image for the server (`node dist/main.js`, the default) and the
# operator (`node dist/operator/main.js`, set as the container command by the chart).
#
#   docker build -t raft3d:0.1.0 .
#
# Three stages so that the runtime image holds no compiler, no dev dependencies and no
# npm cache: `build` compiles TypeScript, `deps` installs production dependencies only,
# `runtime` copies both onto a clean Node 22 LTS slim base.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off: TypeScript needs none, and native modules ship prebuilt
# binaries that node-gyp-build finds in their prebuilds/ folders at run time.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="raft3d" \
      org.opencontainers.image.description="Raft-replicated state of a 3D print farm (server and operator)" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    RAFT3D_DATA=/var/lib/raft3d/data
WORKDIR /app
# Application files stay owned by root, so the non-root user cannot modify them even
# when the root filesystem is writable. package.json is needed at run time: its
# "type": "module" makes Node load dist/*.js as ES modules.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The data directory is the only place the server writes; in Kubernetes a volume is
# mounted here (fsGroup 10001 makes it writable), and without a volume (plain
# `docker run`) the image's own directory is writable by uid 10001.
RUN mkdir -p /var/lib/raft3d/data && chown -R 10001:10001 /var/lib/raft3d
VOLUME ["/var/lib/raft3d"]
USER 10001:10001
# HTTP (API, /health, /metrics, /cluster) and Raft peer ports of `npm run cluster`'s node1.
EXPOSE 8001 9001
# Exec form: node is PID 1 and receives SIGTERM itself (a shell or npm would not forward
# it), so a stopping leader hands off leadership before the pod is killed.
ENTRYPOINT ["node", "dist/main.js"]
