# QuizFlow: `make run` serves everything on embedded services; `make test`
# runs every test, starting the services it needs itself.
GO ?= go
PKGS ?= ./...

.PHONY: run test test-race bench build vet lint fuzz compose-check web web-check

run:
	$(GO) run ./cmd/quizflow dev

test: vet
	$(GO) test -count=1 -timeout 45m $(PKGS)

test-race:
	$(GO) test -race -count=1 -timeout 60m $(PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)

# staticcheck on top of vet (installed with go install when missing).
lint: vet
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck $(PKGS)

bench:
	$(GO) test -run "^$$" -bench . -benchmem -count=1 -timeout 30m ./internal/extract/ ./internal/sandbox/ ./internal/generate/ ./internal/offline/ ./internal/export/
	$(GO) test -run "^$$" -bench . -benchtime 3x -count=1 -timeout 30m ./internal/backup/
	$(GO) test -run "^$$" -bench . -benchtime 3x -count=1 -timeout 30m ./internal/e2e/

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

compose-check:
	docker-compose config -q

# The browser app: web/ builds into web/dist, which is committed and
# embedded (package web), so run, build and test need no Node.js.
web:
	cd web && npm ci && npm run build

# CI: the committed build must be what the sources build (untracked files
# in web/dist count as a difference).
web-check: web
	@git diff --exit-code --stat -- web/dist || (echo "web/dist differs from a fresh build: run make web and commit web/dist"; exit 1)
	@test -z "$$(git status --porcelain -- web/dist)" || (git status --porcelain -- web/dist; echo "web/dist has files a fresh build does not match: run make web and commit web/dist"; exit 1)
