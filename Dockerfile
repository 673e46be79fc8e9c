# Build: a release binary from the locked dependency set.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
# A workspace member; only its manifest and sources are needed to resolve the workspace.
COPY bench bench
RUN cargo build --release --locked --bin gatehouse \
    && strip target/release/gatehouse

# Run: a small image with the binary, the documented config.yaml and an unprivileged user.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/gatehouse --create-home gatehouse
COPY --from=build /src/target/release/gatehouse /usr/local/bin/gatehouse
COPY config.yaml /etc/gatehouse/config.yaml
USER gatehouse
WORKDIR /var/lib/gatehouse
# Configured through environment variables named as the config keys (PORT, API_KEYS,
# POSTGRESQL_CONNECTION_URI, ...). Without PostgreSQL settings the data lives in the volume.
ENV HOST=0.0.0.0 \
    SQLITE_PATH=/var/lib/gatehouse/gatehouse.db
VOLUME /var/lib/gatehouse
EXPOSE 3567
# /hello answers once the storage does; bash's /dev/tcp saves shipping an HTTP client.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-3567} && printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q Hello <&3"]
ENTRYPOINT ["gatehouse", "--config", "/etc/gatehouse/config.yaml"]
CMD ["start"]
