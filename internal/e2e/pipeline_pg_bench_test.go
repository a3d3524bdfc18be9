package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
)

var pipePGOnce pipeFigures

// defaultPostgresURL is the PostgreSQL server BenchmarkPipelinePostgreSQL
// uses unless QUIZFLOW_BENCH_POSTGRES_URL names another.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres"

// BenchmarkPipelinePostgreSQL: BenchmarkPipeline's runs (empty store, then
// 10,000 stored uploads) with the store on FerretDB over PostgreSQL
// instead of SQLite, to show how far a real database server moves the
// figures. FerretDB runs in this process, its PostgreSQL handler on a
// database of its own created (and dropped after) on the server at
// QUIZFLOW_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres,
// trust authentication); the benchmark fails if that server is not there.
func BenchmarkPipelinePostgreSQL(b *testing.B) {
	pipePGOnce.Do(func() {
		uri := ferretOnPostgres(b)
		measurePipeline(b, &pipePGOnce, "PostgreSQL", benchEnv, func(o *setupOptions) {
			prev := o.vars
			o.vars = func(v map[string]string) {
				if prev != nil {
					prev(v)
				}
				v["MONGODB_URI"] = uri
			}
		})
	})
	for b.Loop() {
	}
	pipePGOnce.report(b)
}

// ferretOnPostgres creates a PostgreSQL database for the benchmark, starts
// FerretDB on it in this process, and returns its MongoDB URI. Both are
// gone when the benchmark ends.
func ferretOnPostgres(b *testing.B) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := os.Getenv("QUIZFLOW_BENCH_POSTGRES_URL")
	if admin == "" {
		admin = defaultPostgresURL
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		b.Fatalf("BenchmarkPipelinePostgreSQL needs a PostgreSQL server at %s (set QUIZFLOW_BENCH_POSTGRES_URL to use another): %v", admin, err)
	}
	defer conn.Close(context.Background())
	name := fmt.Sprintf("quizflow_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		b.Fatalf("create database %s: %v", name, err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			b.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			b.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg := conn.Config()
	pgURL := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		pgURL = fmt.Sprintf("postgres://%s:%s@%s:%d/%s", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:        slog.New(slog.DiscardHandler),
		Handler:       "postgresql",
		PostgreSQLURL: pgURL,
	})
	if err != nil {
		b.Fatalf("start FerretDB on PostgreSQL database %s: %v", name, err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()
	b.Cleanup(func() { stop(); <-done }) // runs before the drop above
	uri := f.MongoDBURI()
	if !strings.HasPrefix(uri, "mongodb://") {
		b.Fatalf("FerretDB on PostgreSQL: unexpected URI %q", uri)
	}
	return uri
}
