# cnfs-api container image. Both backends (SQLite bundled, PostgreSQL client bundled) are compiled
# into the one binary; DATABASE_URL chooses at run time.
#
#   docker build -t cnfs-api .
#   docker run -p 8080:8080 -v cnfs-var:/app/var cnfs-api                        # SQLite in the volume
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://u:p@db/cnfs \
#     -e CNFS_JWT_SECRET="$(openssl rand -hex 32)" cnfs-api                       # PostgreSQL
# On PostgreSQL token keys are mandatory; in production also set CNFS_ENV=production,
# CNFS_JWT_ISSUER and CNFS_JWT_AUDIENCE (docs/OPERATIONS.md, "Keys and tokens").

# ---- build stage: the production profile (Cargo.toml: whole-program optimisation); only the
# Rust toolchain and a C compiler are needed
FROM rust:1-bookworm AS build
WORKDIR /src
# Fetch and build dependencies first, so that code changes reuse this layer. .cargo/config.toml
# carries the bundled SQLite's compile options: without it here, SQLite would be built twice.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --profile production --locked \
    && rm -rf src
COPY . .
# Make sure cargo rebuilds our crate, not the placeholder above.
RUN touch src/main.rs src/lib.rs && cargo build --profile production --locked

# ---- run stage: a slim base, a non-root user, the binary alone (data and migrations are embedded)
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --create-home cnfs \
    && mkdir -p /app/var && chown cnfs:cnfs /app/var
COPY --from=build /src/target/production/cnfs-api /usr/local/bin/cnfs-api
USER cnfs
WORKDIR /app
ENV CNFS_BIND=0.0.0.0:8080 \
    DATABASE_URL=/app/var/cnfs.sqlite3 \
    RUST_LOG=info
# The SQLite file (default backend) lives here; unused with PostgreSQL.
VOLUME ["/app/var"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["cnfs-api"]
CMD ["serve"]
