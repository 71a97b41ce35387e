# The voicepulse image. Default command: the demo (`start`). docker-compose.yml and deploy/k8s run
# the live service as `serve --port 8080` (gateway, scoring threads, alerts, query API, wallboard)
# and the sinks as `node bin/run-ts.js services/sink/main.ts`. TypeScript runs through tsx (a
# runtime dependency), so there is no build step; uPlot is a runtime dependency the wallboard serves.
# test/infra/production-install.test.ts builds this file set without Docker (this install step, then
# the checkout less .dockerignore) and runs serve, the sink and every runtime command from it.
FROM node:20-slim

ENV NODE_ENV=production
# A 64 MiB young generation: the sink allocates per event (Kafka records, parsed JSON, TSV lines) and
# with V8's default the scavenger eats ~30 % of it; measured 90k → 107–111k score rows/s per sink.
ENV NODE_OPTIONS=--max-semi-space-size=64
WORKDIR /app

# onnxruntime-node's postinstall only downloads CUDA binaries (and where that fails the optional
# package is dropped); its CPU runtime ships in the package. npm 11 skips it by package.json's
# allowScripts; this image's npm 10 predates allowScripts, so the variable the script reads skips
# it. The CPU binaries ship for every platform (288 MB): keep this image's platform only (45 MB on
# linux/x64).
COPY package.json package-lock.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
  && find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 2 -maxdepth 2 \
    ! -path "*/$(node -p process.platform)/$(node -p process.arch)" -exec rm -rf {} +

COPY . .

# The recordings spool (VOICEPULSE_RECORDINGS_DIR in docker-compose.yml and deploy/k8s), owned by the
# user the services run as: a fresh volume mounted here takes this folder's owner, so it is writable.
RUN mkdir -p /var/lib/voicepulse/recordings && chown -R node:node /var/lib/voicepulse

USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/voicepulse.js"]
CMD ["start"]
