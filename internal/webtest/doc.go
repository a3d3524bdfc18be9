// Package webtest runs the browser tests of the web app (web/tests, on
// Node's test runner with playwright-core driving Debian's Chromium)
// against the real `quizflow dev` stack, built from cmd/quizflow and run
// as a child process. It holds tests only; see browser_test.go.
package webtest
