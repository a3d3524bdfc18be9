// Command quizflow is QuizFlow's one binary: the roles of the production
// image, the operator commands, and the whole system on one laptop:
//
//	quizflow api|worker|scheduler  run one role (as cmd/api, cmd/worker, cmd/scheduler)
//	quizflow dev           run api, worker and scheduler on embedded services
//	quizflow submit FILE   upload a document, follow its job, print the quiz
//	quizflow admin grant|revoke EMAIL   give or take operator rights
//	quizflow backup [list]  take a backup now, or list them
//	quizflow restore ...    restore a backup (see restoreUsage)
//
// Built with -tags nodev (the production image's only binary) it has
// everything but dev: see nodev.go. The worker's extraction children
// re-execute this binary with QUIZFLOW_SANDBOX set and no arguments;
// sandbox.Main, first in main, turns such a process into the child before
// any subcommand is looked at.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/sandbox"
)

const usage = `usage:
  quizflow api                 run the HTTP API (configuration from the environment: README.md)
  quizflow worker              run a worker (task queues; extraction in sandboxed children)
  quizflow scheduler           run the scheduler (periodic tasks; run exactly one)
  quizflow dev                 run the whole system on embedded services (PORT, QUIZFLOW_DATA;
                               not in the production image's build)
  quizflow submit [flags] FILE upload FILE, show progress and print the quiz (-h for flags)
  quizflow admin grant EMAIL   make an account an operator (revoke EMAIL takes it back)
  quizflow backup [list]       take a backup now, or list the backups
  quizflow restore [--from KEY|FILE|ID | --latest] [--database NAME] [--drop]
                               restore a backup (-h for flags)
`

func main() {
	sandbox.Main() // an extraction child runs here and never returns
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "quizflow:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "api", "worker", "scheduler":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "quizflow %s takes no arguments (its configuration is the environment), got %q\n%s", args[0], args[1:], usage)
			return errUsage
		}
		return runRole(ctx, app.Role(args[0]), getenv, stderr)
	case "dev":
		return devCmd(ctx, getenv, stdout, stderr)
	case "submit":
		return submit(ctx, args[1:], getenv, stdout, stderr)
	case "admin":
		return admin(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n%s", args[0], usage)
	return errUsage
}

// runRole runs one process role until ctx ends (SIGTERM or an interrupt),
// as cmd/api, cmd/worker and cmd/scheduler do; its errors name the role.
func runRole(ctx context.Context, role app.Role, getenv func(string) string, stderr io.Writer) error {
	if err := app.Run(ctx, role, getenv, stderr); err != nil {
		return fmt.Errorf("%s: %w", role, err)
	}
	return nil
}
