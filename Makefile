# QuizFlow: `make run` serves everything on embedded services; `make test`
# runs every test, starting the services it needs itself.
GO ?= go
PKGS ?= ./...

.PHONY: run test deploy-check test-race bench build vet lint fuzz compose-check web web-check

run:
	$(GO) run ./cmd/quizflow dev

test: vet
	$(GO) test -count=1 -timeout 45m $(PKGS)
	$(MAKE) deploy-check

# deploy/check is its own module (the Kubernetes API types stay out of the
# main one): the manifests decoded strictly, the image's nodev split, compose.
deploy-check:
	cd deploy/check && $(GO) vet ./... && $(GO) test -count=1 -timeout 20m ./...

test-race:
	$(GO) test -race -count=1 -timeout 60m $(PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) vet -tags nodev ./cmd/quizflow

# staticcheck on top of vet (installed with go install when missing).
lint: vet
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck $(PKGS)
	cd deploy/check && PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

# The e2e benchmarks measure each row of issue 14's table once, side by
# side with its baseline, and print it as a line starting "| "; the table
# is collected from their output at the end. They need pdftotext (Debian's
# poppler-utils) and the go command (they build cmd/api and cmd/worker).
BENCH_LOG ?= $(or $(TMPDIR),/tmp)/quizflow-bench.log
bench:
	$(GO) test -run "^$$" -bench . -benchmem -count=1 -timeout 30m ./internal/extract/ ./internal/sandbox/ ./internal/generate/ ./internal/offline/ ./internal/export/
	$(GO) test -run "^$$" -bench . -benchtime 3x -count=1 -timeout 30m ./internal/backup/
	@command -v pdftotext >/dev/null || { echo "make bench: pdftotext is missing (apt-get install poppler-utils)"; exit 1; }
	{ $(GO) test -run "^$$" -bench . -benchtime 1x -count=1 -timeout 30m ./internal/e2e/; echo $$? > $(BENCH_LOG).rc; } | tee $(BENCH_LOG)
	@echo; echo "Issue 14, measured side by side in one run ($$(date -u +%F), $$(nproc) cores):"; echo
	@echo "| what | QuizFlow | baseline in the same run | ratio |"; echo "| --- | --- | --- | --- |"
	@grep '^| ' $(BENCH_LOG); exit $$(cat $(BENCH_LOG).rc)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/...

# Each fuzz target for a short time: extraction, the email canonicaliser and
# the spreadsheet cell neutraliser (FUZZTIME to change).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzExtract -fuzztime $(FUZZTIME) ./internal/extract/
	$(GO) test -run '^$$' -fuzz FuzzCanonical -fuzztime $(FUZZTIME) ./internal/emailaddr/
	$(GO) test -run '^$$' -fuzz FuzzCellNeutraliser -fuzztime $(FUZZTIME) ./internal/export/
	$(GO) test -run '^$$' -fuzz FuzzRestoreReader -fuzztime $(FUZZTIME) ./internal/backup/

# Stand-in values for the secrets the compose file requires.
compose-check:
	MINIO_ROOT_PASSWORD=check JWT_ACCESS_SECRET=check JWT_REFRESH_SECRET=check METRICS_TOKEN=check docker-compose config -q

# The browser app: web/ builds into web/dist, which is committed and
# embedded (package web), so run, build and test need no Node.js.
web:
	cd web && npm ci && npm run build

# CI: the committed build must be what the sources build (untracked files
# in web/dist count as a difference).
web-check: web
	@git diff --exit-code --stat -- web/dist || (echo "web/dist differs from a fresh build: run make web and commit web/dist"; exit 1)
	@test -z "$$(git status --porcelain -- web/dist)" || (git status --porcelain -- web/dist; echo "web/dist has files a fresh build does not match: run make web and commit web/dist"; exit 1)
