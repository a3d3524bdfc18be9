//go:build nodev

package main

import (
	"context"
	"errors"
	"io"
)

// The production build (-tags nodev, see the Dockerfile): the operator CLI
// (admin, backup, restore, submit) without the embedded dev services.
// deploy/check's TestDevStackLeftOut proves with `go list -deps` that none of
// their packages is linked in.

// submitEmail and submitPassword are empty: there is no dev account to
// default to, so submit asks for -email and -password.
const (
	submitEmail    = ""
	submitPassword = ""
)

// errNoDevStack is the answer of `quizflow dev` in this build.
var errNoDevStack = errors.New("this build has no dev stack; use the full quizflow binary (go build ./cmd/quizflow, without -tags nodev)")

func devCmd(context.Context, func(string) string, io.Writer, io.Writer) error {
	return errNoDevStack
}
