# Builds the deskbridge binary and runs it (used by docker-compose.yml).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p deskbridge --bin deskbridge

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/deskbridge /usr/local/bin/deskbridge
ENTRYPOINT ["deskbridge"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
