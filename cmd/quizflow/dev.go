//go:build !nodev

package main

import (
	"context"
	"io"

	"github.com/quizflow/quizflow/internal/devstack"
)

// The full binary: `quizflow dev` runs the embedded stack, and `quizflow
// submit` logs in as its dev account unless told otherwise. The production
// image builds this command with -tags nodev instead (nodev.go), which
// leaves internal/devstack, internal/embedded and their FerretDB, SQLite,
// gofakes3 and miniredis out of the binary.

// submitEmail and submitPassword are submit's default account.
const (
	submitEmail    = devstack.DevEmail
	submitPassword = devstack.DevPassword
)

func devCmd(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	return devstack.Run(ctx, getenv, stdout, stderr)
}
