// Package cicheck tests the CI definitions and the runbook:
// .github/workflows/ci.yml runs what .ci/run runs (commands, apt packages,
// Go tools) and actionlint accepts it; deploy/RUNBOOK.md has a row for
// every alert of deploy/prometheus and gives only commands and flags that
// cmd/quizflow has. It has no code besides its tests.
package cicheck
