package cicheck_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var runbook = filepath.Join(root, "deploy", "RUNBOOK.md")

// TestRunbookListsEveryAlert: each alert of deploy/prometheus has its row
// in the runbook, so an alert added there without instructions fails.
func TestRunbookListsEveryAlert(t *testing.T) {
	rb := read(t, runbook)
	files, err := filepath.Glob(filepath.Join(root, "deploy", "prometheus", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in deploy/prometheus: %v", err)
	}
	n := 0
	for _, f := range files {
		for _, m := range regexp.MustCompile(`(?m)^\s*- alert:\s*(\S+)`).FindAllStringSubmatch(read(t, f), -1) {
			n++
			if !strings.Contains(rb, "| `"+m[1]+"`") {
				t.Errorf("alert %s (%s) has no row in %s", m[1], filepath.Base(f), runbook)
			}
		}
	}
	if n == 0 {
		t.Fatal("found no alerts in deploy/prometheus")
	}
}

// TestRunbookCLIFlags: every `quizflow <command> --flag` the runbook
// gives is a command and flag of cmd/quizflow (its usage texts).
func TestRunbookCLIFlags(t *testing.T) {
	rb := read(t, runbook)
	var usage strings.Builder
	for _, f := range []string{"main.go", "backup.go", "admin.go"} {
		b, err := os.ReadFile(filepath.Join(root, "cmd", "quizflow", f))
		if err != nil {
			t.Fatal(err)
		}
		usage.Write(b)
	}
	u := usage.String()
	uses := regexp.MustCompile("`quizflow ([a-z-]+)([^`]*)`").FindAllStringSubmatch(rb, -1)
	if len(uses) == 0 {
		t.Fatal("the runbook gives no quizflow commands")
	}
	for _, m := range uses {
		if !strings.Contains(u, "quizflow "+m[1]) {
			t.Errorf("`quizflow %s` is not a command of cmd/quizflow", m[1])
		}
		for _, flag := range regexp.MustCompile(`--[a-z-]+`).FindAllString(m[2], -1) {
			if !strings.Contains(u, flag) {
				t.Errorf("`quizflow %s%s`: cmd/quizflow has no flag %s", m[1], m[2], flag)
			}
		}
	}
}
