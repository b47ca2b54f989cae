# GENERATED from scripts/image-spec.ts (edit there, then
# `npm run build && node dist/scripts/image-spec.js --write`); a unit test
# rebuilds the final stage from the same spec and runs the agent from it.
#
# Build (BuildKit, for COPY --chmod): docker build -t flatroute:0.1.0 .
# Base: node:20.20.2-bookworm-slim, an exact tag (add its @sha256 digest when it is known).

# 1. build: the whole tree compiled as CI compiles it; bins made executable.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
COPY tsconfig.json ./tsconfig.json
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
RUN ["npm", "run", "build"]

# 2. deps: production modules only, straight from the lock file.
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /deps
COPY package.json package-lock.json ./
RUN ["npm", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"]

# 3. the image: production modules, the built agent (dist/src only) and package.json.
FROM node:20.20.2-bookworm-slim
COPY --from=deps /deps/node_modules /opt/flatroute/node_modules
COPY --from=build /src/dist/src /opt/flatroute/dist/src
COPY --chmod=0644 package.json /opt/flatroute/package.json
RUN ln -s /opt/flatroute/dist/src/cli/flatroute.js /usr/local/bin/flatroute && ln -s /opt/flatroute/dist/src/cli/flatroutec.bundle.js /usr/local/bin/flatroutec
# The agent's environment and node flags (src/cli/node-flags.ts), read when
# the process starts. The flags go on node's command line, as in the bin's
# shebang: Node 20 accepts them in NODE_OPTIONS too, but there they would
# apply to every node process in the container and a pod's env could drop them.
ENV MALLOC_ARENA_MAX=1
# Root, but with no more than routing needs: run it with every capability
# dropped except NET_ADMIN (kernel routes over rtnetlink) and NET_BIND_SERVICE
# (port 179), not privileged (manifests/daemonset.yaml). NET_RAW is only for
# raw IP sockets (BFD); this version opens none, and TTL security
# (IP_TTL/IP_MINTTL) needs no capability. Capabilities reach a non-root
# process only as ambient or file capabilities, which neither Kubernetes nor
# this image set, hence root. Nothing under /opt/flatroute is written and all of
# it is world-readable, so another user works once it has those capabilities
# and can write the two places the agent writes: the control socket's
# directory (/run/flatroute) and, in Kubernetes mode, the CNI config
# directory (/etc/cni/net.d).
USER 0:0
ENTRYPOINT ["node", "--max-semi-space-size=1", "--no-memory-reducer", "--harmony-rab-gsab-transfer", "/opt/flatroute/dist/src/cli/flatroute.js"]
CMD ["agent", "--config", "/etc/flatroute/flatroute.yaml"]
