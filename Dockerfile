# syntax=docker/dockerfile:1
# One image, three roles: run it as `api`, `worker` or `scheduler`.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/api ./cmd/worker ./cmd/scheduler ./cmd/quizflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER nonroot:nonroot
ENV APP_ENV=production PORT=8080
EXPOSE 8080
# The worker writes uploads being parsed to the temp dir.
ENV TMPDIR=/tmp
ENTRYPOINT ["/usr/local/bin/api"]
