package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/emailaddr"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// setPlan runs `quizflow admin set-plan EMAIL free|pro [--until DATE]`.
func setPlan(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var pos []string
	var until *time.Time
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--until" || a == "-until":
			if i+1 >= len(args) {
				fmt.Fprint(stderr, adminUsage)
				return errUsage
			}
			i++
			a = "--until=" + args[i]
			fallthrough
		case strings.HasPrefix(a, "--until=") || strings.HasPrefix(a, "-until="):
			t, err := parseUntil(a[strings.IndexByte(a, '=')+1:])
			if err != nil {
				return err
			}
			until = &t
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) != 2 || (pos[1] != quizflow.PlanFree && pos[1] != quizflow.PlanPro) || (until != nil && pos[1] != quizflow.PlanPro) {
		fmt.Fprint(stderr, adminUsage)
		return errUsage
	}
	key, err := emailaddr.Canonical(pos[0])
	if err != nil {
		return err
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
	u, err := a.Store.UserByEmail(ctx, key)
	if err != nil {
		return err
	}
	if err := a.Services.Billing.SetPlan(ctx, u, pos[1], until); err != nil {
		return err
	}
	switch {
	case until != nil:
		fmt.Fprintf(stdout, "%s (%s) is on the %s plan until %s\n", u.Email, u.ID, pos[1], until.Format(time.RFC3339))
	default:
		fmt.Fprintf(stdout, "%s (%s) is on the %s plan\n", u.Email, u.ID, pos[1])
	}
	return nil
}

// parseUntil reads --until: a date (00:00 UTC that day) or RFC 3339.
func parseUntil(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--until %q: want a date (2006-01-02) or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}
