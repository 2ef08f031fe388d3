# syntax=docker/dockerfile:1.7
#
# One image for every part of Roundabout: the `roundabout` binary serves any
# part or the web front end (`roundabout serve <part>`, `roundabout serve
# web`), applies a part's migrations (`roundabout migrate <part>`, migrations
# are embedded) and probes health (`roundabout probe`). The web front end's
# stylesheet (GOV.UK Frontend compiled with Sass for a service not on
# GOV.UK: Arial, no font) and GOV.UK Frontend's script (npm, pinned in
# web/package-lock.json) are built by web/build-assets.mjs and copied in at
# a fixed path, WEB_ASSETS_DIR.
# Configuration and secrets come from the environment or from files named by
# VAR_FILE at run time; nothing secret is in the image.
#
#   docker build -t roundabout:0.1.0 .
#
# The final stage is distroless (glibc, CA certificates, no shell, no package
# manager), runs as an unprivileged user and writes nothing to its root
# filesystem, so it runs with a read-only root filesystem.

ARG RUST_VERSION=1.95
ARG NODE_VERSION=22

# The web front end's assets, from the committed lock file; only what the
# front end serves (web/src/assets.rs: app.css, govuk-frontend.min.js) goes
# on to the final image.
FROM node:${NODE_VERSION}-bookworm-slim AS web-assets
WORKDIR /web
COPY web/package.json web/package-lock.json web/build-assets.mjs ./
COPY web/styles ./styles
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
    && node build-assets.mjs /out/assets

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# The whole workspace: Cargo needs every member's manifest to resolve it.
COPY . .
# Registry and build caches survive between builds (BuildKit cache mounts);
# the binary is copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin roundabout \
    && install -D -m 0755 target/release/roundabout /out/roundabout

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
LABEL org.opencontainers.image.title="roundabout" \
      org.opencontainers.image.description="Council-brokered mobility marketplace: gateway, services and web front end" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/roundabout /usr/local/bin/roundabout
# Read-only, owned by root: the front end only serves these files.
COPY --from=web-assets /out/assets /usr/local/share/roundabout/web-assets
# distroless' nonroot user; numeric so Kubernetes can verify runAsNonRoot.
USER 65532:65532
ENV HOST=0.0.0.0 \
    ROUNDABOUT_ENV=production \
    LOG_FORMAT=json \
    WEB_ASSETS_DIR=/usr/local/share/roundabout/web-assets
# Gateway 8080, services 7101-7104, web front end 3000.
EXPOSE 8080 7101 7102 7103 7104 3000
# `roundabout probe` GETs http://127.0.0.1:$PORT/healthz (no curl needed).
HEALTHCHECK --interval=10s --timeout=4s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/roundabout", "probe"]
ENTRYPOINT ["/usr/local/bin/roundabout"]
CMD ["serve", "gateway"]
