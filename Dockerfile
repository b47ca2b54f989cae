# flatroute agent image. A later issue completes it (multi-stage, non-root
# where possible); the agent itself needs NET_ADMIN and the host network.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/flatroute
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The node flags and environment of src/cli/node-flags.ts (read only at start-up).
ENV MALLOC_ARENA_MAX=1
ENTRYPOINT ["node", "--max-semi-space-size=1", "dist/src/cli/flatroute.js"]
CMD ["agent", "--config", "/etc/flatroute/flatroute.yaml"]
