// Package cicheck tests the CI definitions: .github/workflows/ci.yml runs
// what .ci/run runs (make targets, apt packages, Go tools), and actionlint
// accepts it. It has no code besides its tests.
package cicheck
