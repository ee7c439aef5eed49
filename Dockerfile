# The certflow agent image: init container (--once) and sidecar (follows renewals).
# docs/agent.md "In a container" and docs/install.md name it.
#
#   npm ci && npm run build          # writes dist/certflow-agent.mjs (the agent, dependencies inside)
#   docker build -t certflow-agent .
#   docker run --rm certflow-agent --help
#
# The image holds one file next to Node: no node_modules, no npm. Alpine keeps /bin/sh, which
# --reload-command runs with (a distroless base has none: use it only with --reload-signal or
# no reload). Pin the base by digest in your registry for reproducible images.
FROM node:22-alpine

ENV NODE_ENV=production
WORKDIR /app
COPY dist/certflow-agent.mjs /app/certflow-agent.mjs

# The image's unprivileged user (uid 1000). Keystores are written 0600: run the broker's
# container with the same uid, or set runAsUser/fsGroup for both.
USER node

ENTRYPOINT ["node", "/app/certflow-agent.mjs"]
