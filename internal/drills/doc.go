// Package drills holds QuizFlow's fault drills: tests that run the real
// cmd/worker and cmd/scheduler binaries as child processes on hermetic
// services (internal/testenv, internal/embedded) and break them the way
// production breaks: kill -9 of a worker mid-extraction and mid-generation,
// SIGTERM of a busy worker, Redis killed under uploads and restarted on its
// append-only file, Redis restarted empty, and a task redelivered while its
// first delivery still runs. Each drill asserts the guarantee the system
// makes (a job finishes exactly once; every accepted upload ends succeeded
// or failed with a message, within a stated bound), never a timing.
//
// The package has no code of its own beyond this comment; the drills are
// its tests, run by `make test` like any package:
//
//	go test ./internal/drills/ -count=1 -v
//
// TestMain builds the binaries once with `go build`, so the go command must
// be on PATH (or in GOROOT), as must redis-server. The API runs in the test
// process through internal/app, as in internal/e2e, and the fake model
// server (internal/fakeopenai) too; what gets killed is always a child
// process, started with a parent-death signal in its own process group so
// nothing outlives the test, and its output is logged when a drill fails.
package drills
