# The voicepulse image: every service (gateway, worker, alerts, sink, query) runs from it with a
# different command, e.g. `docker run voicepulse:local serve gateway`. TypeScript runs through tsx
# (a runtime dependency), so there is no build step.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/voicepulse.js"]
CMD ["start"]
