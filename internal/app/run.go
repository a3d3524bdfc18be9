package app

import (
	"context"
	"fmt"
	"io"

	"github.com/quizflow/quizflow/internal/config"
)

// Role is one process role.
type Role string

// Process roles.
const (
	RoleAPI       Role = "api"
	RoleWorker    Role = "worker"
	RoleScheduler Role = "scheduler"
)

// Run reads the configuration with getenv, connects, and runs role until
// ctx ends (SIGTERM in the mains), then shuts down gracefully.
func Run(ctx context.Context, role Role, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := NewLogger(stderr, cfg.LogLevel).With().Str("role", string(role)).Logger()
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	switch role {
	case RoleAPI:
		return a.RunAPI(ctx, func(addr string) { log.Info().Str("addr", addr).Msg("api listening") })
	case RoleWorker:
		log.Info().Int("concurrency", cfg.WorkerConcurrency).Msg("worker started")
		return a.RunWorkerProcess(ctx, func(addr string) { log.Info().Str("addr", addr).Msg("worker metrics listening") })
	case RoleScheduler:
		log.Info().Str("cleanup", cfg.CleanupCron).Str("reconcile", cfg.ReconcileCron).Msg("scheduler started")
		return a.RunScheduler(ctx)
	}
	return fmt.Errorf("unknown role %q", role)
}
