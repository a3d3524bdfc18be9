// Package devstack runs all of QuizFlow in one process on embedded backing
// services: `quizflow dev`. Redis is redis-server from PATH on a free port
// (miniredis when none is installed), MongoDB is the embedded FerretDB with
// SQLite, S3 is gofakes3 persisted under the data directory, and generation
// is offline unless OPENAI_API_KEY is set. Each of MONGODB_URI, REDIS_URL and
// S3_ENDPOINT, when set, replaces its embedded service.
//
// It is for one laptop: it refuses APP_ENV=production, listens on 127.0.0.1
// unless HOST says otherwise, and keeps the API's rate limit on.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Run starts the stack and serves until ctx ends. getenv reads the
// environment; stdout gets the URLs, stderr the logs.
func Run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	if strings.EqualFold(strings.TrimSpace(getenv("APP_ENV")), "production") {
		return ErrProduction
	}
	dataDir := getenv("QUIZFLOW_DATA")
	if dataDir == "" {
		dataDir = "data"
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	env := map[string]string{}
	get := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return getenv(k)
	}
	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i]()
		}
	}()

	if getenv("REDIS_URL") == "" {
		r, err := embedded.StartRedis(ctx, embedded.RedisOptions{Dir: filepath.Join(dataDir, "redis"), AllowMiniredis: true})
		if err != nil {
			return fmt.Errorf("start redis: %w", err)
		}
		closers = append(closers, r.Close)
		env["REDIS_URL"] = r.URL
		fmt.Fprintf(stdout, "redis      %s (%s)\n", r.URL, r.Kind)
	}
	if getenv("MONGODB_URI") == "" {
		m, err := embedded.StartMongo(ctx, embedded.MongoOptions{Dir: filepath.Join(dataDir, "mongo")})
		if err != nil {
			return fmt.Errorf("start embedded mongodb (ferretdb): %w", err)
		}
		closers = append(closers, m.Close)
		env["MONGODB_URI"] = m.URI
		fmt.Fprintf(stdout, "mongodb    %s (FerretDB, SQLite in %s)\n", m.URI, m.Dir)
	}
	if getenv("S3_ENDPOINT") == "" {
		bucket := getenv("S3_BUCKET")
		if bucket == "" {
			bucket = "quizflow"
		}
		s, err := embedded.StartS3(ctx, embedded.S3Options{Dir: filepath.Join(dataDir, "s3"), Bucket: bucket})
		if err != nil {
			return fmt.Errorf("start embedded s3: %w", err)
		}
		closers = append(closers, s.Close)
		env["S3_ENDPOINT"], env["S3_BUCKET"], env["S3_REGION"] = s.Endpoint, bucket, s.Region
		env["S3_ACCESS_KEY_ID"], env["S3_SECRET_ACCESS_KEY"] = s.AccessKey, s.SecretKey
		fmt.Fprintf(stdout, "s3         %s bucket %s (gofakes3)\n", s.Endpoint, bucket)
	}
	if getenv("SMTP_URL") == "" {
		sink, err := startMailSink(ctx, filepath.Join(dataDir, "mail"), stdout)
		if err != nil {
			return fmt.Errorf("start the mail sink: %w", err)
		}
		closers = append(closers, sink.Close)
		env["SMTP_URL"] = sink.URL + "?tls=none"
		fmt.Fprintf(stdout, "mail       %s (sink: each message printed here and kept in %s)\n", sink.URL, filepath.Join(dataDir, "mail"))
	}
	// Dev secrets persist in the data directory so logins survive restarts.
	for _, name := range []string{"JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET"} {
		if getenv(name) == "" {
			sec, err := persistentSecret(filepath.Join(dataDir, strings.ToLower(name)))
			if err != nil {
				return err
			}
			env[name] = sec
		}
	}
	// The dev account's password is public: only this machine may reach it.
	if strings.TrimSpace(getenv("HOST")) == "" {
		env["HOST"] = DefaultHost
	}
	// Links in mail point at this machine's API.
	if getenv("PUBLIC_URL") == "" {
		port := strings.TrimSpace(getenv("PORT"))
		if port == "" || port == "0" {
			port = "8080"
		}
		env["PUBLIC_URL"] = "http://" + DefaultHost + ":" + port
	}
	// RATE_LIMIT_API_RPM keeps its default of 600 requests a minute: local
	// use (`submit` polls 200 a minute) stays under it, and the limiter runs
	// as it does in production.

	cfg, err := config.FromEnv(get)
	if err != nil {
		return err
	}
	log := app.NewLogger(stderr, cfg.LogLevel)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.S3Endpoint == env["S3_ENDPOINT"] {
		if err := a.Blobs.EnsureBucket(ctx); err != nil {
			return err
		}
	}
	if err := devOperator(ctx, a); err != nil {
		return err
	}
	gen := "offline generator (set OPENAI_API_KEY to use a model)"
	if cfg.OpenAIKey != "" {
		gen = "model " + cfg.OpenAIModel
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return a.RunAPI(ctx, func(addr string) {
			base := "http://" + browsable(addr)
			fmt.Fprintf(stdout, "generation %s\n", gen)
			fmt.Fprintf(stdout, "data       %s\n", dataDir)
			fmt.Fprintf(stdout, "listening  %s\n", addr)
			if !loopback(addr) {
				fmt.Fprintf(stdout, "warning    %s is reachable from other machines, and the dev account's password is public\n", addr)
			}
			fmt.Fprintf(stdout, "\nQuizFlow is running:\n  web app    %s/ (sign up, or sign in as %s / %s)\n  API        %s/v1\n  health     %s/healthz  %s/readyz\n  queues UI  %s/admin/queues (operators only: the dev user %s is one)\n\n",
				base, DevEmail, DevPassword, base, base, base, base, DevEmail)
			fmt.Fprintf(stdout, "Try: go run ./cmd/quizflow submit internal/extract/testdata/libreoffice-handbook-10p.pdf\n")
		})
	})
	g.Go(func() error { return a.RunWorker(ctx) })
	g.Go(func() error { return a.RunScheduler(ctx) })
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// DevEmail and DevPassword are the account `quizflow submit` uses by default.
const (
	DevEmail    = "dev@quizflow.local"
	DevPassword = "quizflow-dev-password"
)

// DefaultHost is where the API listens when HOST is not set.
const DefaultHost = "127.0.0.1"

// ErrProduction is Run's answer to APP_ENV=production.
var ErrProduction = errors.New("quizflow dev refuses APP_ENV=production: it runs embedded stand-ins for MongoDB, Redis and S3 " +
	"and a dev account whose password is public (" + DevEmail + "); in production run cmd/api, cmd/worker and cmd/scheduler")

// browsable turns a listening address into one a browser on this machine
// can open: a wildcard address becomes 127.0.0.1.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// loopback reports whether addr is reachable only from this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// devOperator makes sure the documented dev account exists and is an
// operator, granted as `quizflow admin grant` would. Only the dev stack
// does this, and it refuses APP_ENV=production and listens on 127.0.0.1
// by default.
func devOperator(ctx context.Context, a *app.App) error {
	if _, err := a.Auth.Register(ctx, DevEmail, DevPassword, "QuizFlow developer"); err != nil && quizflow.ErrorCode(err) != quizflow.ECONFLICT {
		return fmt.Errorf("create the dev account: %w", err)
	}
	// Operators need a verified address; the dev account's is made up.
	if u, err := a.Store.UserByEmail(ctx, DevEmail); err == nil {
		if _, err := a.Store.SetEmailVerified(ctx, u.ID, u.EmailKey); err != nil {
			return fmt.Errorf("verify the dev account: %w", err)
		}
	}
	if _, err := a.Auth.SetOperator(ctx, DevEmail, true); err != nil {
		return fmt.Errorf("grant the dev account: %w", err)
	}
	return nil
}

func persistentSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	s := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write dev secret: %w", err)
	}
	return s, nil
}
