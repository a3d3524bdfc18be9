// Command worker runs QuizFlow's worker role; configuration comes from environment
// variables (see README.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/sandbox"
)

func main() {
	sandbox.Main() // an extraction child runs here and never returns
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, app.RoleWorker, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
