# Build: a release binary from the locked dependency set. The version is pinned to the
# oldest Rust the locked dependencies accept (rust-version in Cargo.toml), so builds repeat.
FROM rust:1.89.0-slim-bookworm AS build
WORKDIR /src

# Dependencies first, in a layer of their own that only a change to the manifests or the
# lock file rebuilds: stub sources stand in for ours (bench's too, as a workspace member
# needs a target to load), and building them compiles every dependency.
COPY Cargo.toml Cargo.lock ./
COPY bench/Cargo.toml bench/Cargo.toml
RUN mkdir -p src bench/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > bench/src/main.rs \
    && cargo build --release --locked --bin gatehouse

# Then our own crate. COPY keeps the files' modification times, which can be older than the
# stub build; touching them makes cargo rebuild the crate instead of shipping the stub.
COPY src src
COPY migrations migrations
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin gatehouse \
    && strip target/release/gatehouse

# Run: a small image with the binary, the documented config.yaml and an unprivileged user.
FROM debian:bookworm-slim
# Fixed numeric ids: Kubernetes' runAsNonRoot can only verify a numeric USER.
RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid 10001 --shell /usr/sbin/nologin \
       --home-dir /var/lib/gatehouse --create-home gatehouse
COPY --from=build /src/target/release/gatehouse /usr/local/bin/gatehouse
COPY config.yaml /etc/gatehouse/config.yaml
USER 10001:10001
WORKDIR /var/lib/gatehouse
# Configured through environment variables named as the config keys (PORT, API_KEYS,
# POSTGRESQL_HOST, ...; secrets also as *_FILE). Without PostgreSQL settings the data is an
# SQLite file in /var/lib/gatehouse, inside the container unless a volume is mounted there
# (no VOLUME here: it would create an unused anonymous volume on PostgreSQL too).
ENV HOST=0.0.0.0 \
    SQLITE_PATH=/var/lib/gatehouse/gatehouse.db
EXPOSE 3567
# The binary checks itself: it reads the same settings as `start` and asks /hello, which
# answers once the storage does. Exec form: the image needs no shell or HTTP client for it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["gatehouse", "--config", "/etc/gatehouse/config.yaml", "healthcheck"]
# Requests in flight get shutdown_grace_period_seconds (30) after SIGTERM; run with
# --stop-timeout 40 (compose: stop_grace_period) so Docker does not kill gatehouse after
# its default 10 s.
ENTRYPOINT ["gatehouse", "--config", "/etc/gatehouse/config.yaml"]
CMD ["start"]
