# syntax=docker/dockerfile:1
# The production image: one image, four binaries. Run it as `api` (the
# default), `worker` or `scheduler`; `quizflow` is the operator CLI (admin
# grant|revoke|set-plan, backup, restore), built with -tags nodev so the
# embedded dev services (FerretDB, SQLite, gofakes3, miniredis) are not in it:
# `quizflow dev` answers that this build has no dev stack.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/api ./cmd/worker ./cmd/scheduler \
 && go build -trimpath -ldflags="-s -w" -tags nodev -o /out/quizflow ./cmd/quizflow

# Static binaries on distroless static (no shell, no package manager):
# CA certificates, tzdata and /etc/passwd with the nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENV APP_ENV=production PORT=8080
# Nothing is written to the root filesystem, so it can be mounted read-only;
# the worker writes uploads being parsed (and the extraction child its
# scratch files) to TMPDIR: mount an emptyDir (Kubernetes) or a tmpfs
# (compose) at /tmp.
ENV TMPDIR=/tmp
EXPOSE 8080 9091
# No HEALTHCHECK: the orchestrator probes /healthz and /readyz itself.
ENTRYPOINT ["/usr/local/bin/api"]
