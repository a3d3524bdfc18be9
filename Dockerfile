# syntax=docker/dockerfile:1
# The production image: one multi-call binary, `quizflow`, built with -tags
# nodev so the embedded dev services (FerretDB, SQLite, gofakes3, miniredis)
# are not in it (`quizflow dev` answers that this build has no dev stack).
# Run it as `api` (the default), `worker` or `scheduler`; the operator
# commands are `admin grant|revoke|set-plan`, `backup` and `restore`.
# cmd/api, cmd/worker and cmd/scheduler are the same roles as standalone
# binaries, not in the image: each would link all of internal/app again.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -tags nodev -o /out/quizflow ./cmd/quizflow

# A static binary on distroless static (no shell, no package manager):
# CA certificates, tzdata and /etc/passwd with the nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/quizflow /usr/local/bin/quizflow
USER 65532:65532
ENV APP_ENV=production PORT=8080
# Nothing is written to the root filesystem, so it can be mounted read-only;
# the worker writes uploads being parsed (and the extraction child, this
# same binary re-executed, its scratch files) to TMPDIR: mount an emptyDir
# (Kubernetes) or a tmpfs (compose) at /tmp.
ENV TMPDIR=/tmp
EXPOSE 8080 9091
# No HEALTHCHECK: the orchestrator probes /healthz and /readyz itself.
ENTRYPOINT ["/usr/local/bin/quizflow"]
CMD ["api"]
