// Package check holds the offline checks of QuizFlow's deployment files:
// the Kubernetes manifests in deploy/k8s (decoded strictly into their API
// types, then checked for the rules deploy/README.md states), the
// production image's Dockerfile and build tag split, and the compose file.
//
// It is its own module so the Kubernetes API types never enter the main
// module's dependency graph; it imports nothing from the main module and
// reads its files instead (deploy/k8s/queues.txt is written by a test of
// package jobs). Run it with `cd deploy/check && go test ./...` (make test
// does).
package check
