# syntax=docker/dockerfile:1.7
# One image recipe for the five services: a backend (bundled by scripts/bundle-backend.mjs)
# serving its own Vite build. Build from the repository root, naming the service and its port:
#   docker build --build-arg SERVICE=feed --build-arg PORT=8081 -t ticketslave/feed .
# (docker-compose.yml, push_to_ecr.sh and the release workflow pass the same two arguments.)
# No secret is ever passed as ARG or ENV here: every secret arrives at run time
# (compose env / ECS secrets from Secrets Manager).
# Debian slim (glibc), not Alpine: the prebuilt libsodium binding (sodium-native) that signs and
# verifies every token only loads on glibc; on musl the services fall back to OpenSSL (1.7x the CPU).
ARG NODE_IMAGE=node:24-slim

# --- manifests: only the package.json files and the lockfile, so the npm layers below
# are rebuilt when dependencies change, not on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests && cp package.json package-lock.json /manifests/ \
 && find . -name package.json -not -path '*/node_modules/*' -not -path './package.json' \
    | while read -r f; do mkdir -p "/manifests/$(dirname "$f")" && cp "$f" "/manifests/$f"; done

# --- build: dev dependencies of this service's backend and frontend, then bundle and vite build.
FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN case "${SERVICE}" in feed|buffer|queue|purchase|payment) ;; \
      *) echo "build with --build-arg SERVICE=feed|buffer|queue|purchase|payment (got '${SERVICE}')" >&2; exit 1 ;; esac
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --include-workspace-root \
      -w "@ticketslave/${SERVICE}-backend" -w "@ticketslave/${SERVICE}-frontend"
COPY tsconfig.base.json ./
COPY scripts/bundle-backend.mjs scripts/
COPY libs/ libs/
COPY ${SERVICE}-service/ ${SERVICE}-service/
RUN npm run build -w "@ticketslave/${SERVICE}-frontend" \
 && npm run build -w "@ticketslave/${SERVICE}-backend" \
 && test -f "${SERVICE}-service/${SERVICE}-frontend/dist/index.html" \
 && test -f "${SERVICE}-service/${SERVICE}-backend/dist/main.js" \
 && mkdir -p /out && mv "${SERVICE}-service/${SERVICE}-backend/dist" /out/backend \
 && mv "${SERVICE}-service/${SERVICE}-frontend/dist" /out/frontend

# --- deps: production dependencies of the backend only (no vite, no svelte, no typescript).
FROM ${NODE_IMAGE} AS deps
ARG SERVICE
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund -w "@ticketslave/${SERVICE}-backend"

# --- runtime: node + production node_modules + bundle + frontend build. Code is owned by
# root and read-only for the process user.
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ARG PORT
RUN test -n "${PORT}" || { echo "build with --build-arg PORT=<the service's port>" >&2; exit 1; }
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=${PORT} \
    SERVICE=${SERVICE} \
    FRONTEND_DIR=/app/frontend \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps /app/ ./
COPY --from=build /out/backend/ ${SERVICE}-service/${SERVICE}-backend/dist/
COPY --from=build /out/frontend/ frontend/
# Amazon RDS's CA bundle (every region): DATABASE_URL in AWS ends in
# ?sslmode=verify-full&sslrootcert=/app/certs/rds-global-bundle.pem (deployment/modules/rds), and
# node-postgres reads the file named there. Without it no service can reach RDS.
ADD --chmod=0444 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /app/certs/rds-global-bundle.pem
WORKDIR /app/${SERVICE}-service/${SERVICE}-backend
# The official image's unprivileged "node" user.
USER 1000:1000
EXPOSE ${PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/' + process.env.SERVICE + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
