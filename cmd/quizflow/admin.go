package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/config"
)

const adminUsage = `usage:
  quizflow admin grant EMAIL    make the account with EMAIL an operator (Asynq UI at /admin/queues)
  quizflow admin revoke EMAIL   take operator rights away from it
  quizflow admin set-plan EMAIL free|pro [--until DATE]
                                put the account on a plan by hand (comp accounts, servers
                                without Stripe), until DATE (2006-01-02, 00:00 UTC, or
                                RFC 3339) or for good; a paid subscription still counts

It works on the database of the configuration in the environment
(MONGODB_URI, REDIS_URL, ...: the same variables as cmd/api). Every grant and
revoke, and every plan set, is logged.
`

// admin runs `quizflow admin grant|revoke EMAIL`: operator rights are
// granted only this way, never by registering a listed address.
func admin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 && fs.Arg(0) == "set-plan" {
		return setPlan(ctx, fs.Args()[1:], getenv, stdout, stderr)
	}
	if fs.NArg() != 2 || (fs.Arg(0) != "grant" && fs.Arg(0) != "revoke") {
		fmt.Fprint(stderr, adminUsage)
		return errUsage
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, app.NewLogger(stderr, cfg.LogLevel).With().Str("role", "admin").Logger())
	if err != nil {
		return err
	}
	defer a.Close()
	grant := fs.Arg(0) == "grant"
	u, err := a.Auth.SetOperator(ctx, fs.Arg(1), grant)
	if err != nil {
		return err
	}
	if grant {
		fmt.Fprintf(stdout, "%s (%s) is now an operator\n", u.Email, u.ID)
	} else {
		fmt.Fprintf(stdout, "%s (%s) is no longer an operator\n", u.Email, u.ID)
	}
	return nil
}
