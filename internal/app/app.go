// Package app wires QuizFlow's adapters together from a configuration and
// runs its three roles: the HTTP API, the worker and the scheduler. The
// mains in cmd/ only parse configuration and call into here, so tests can
// start the real program in-process.
package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/auth"
	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/errtrack"
	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/httpapi"
	"github.com/quizflow/quizflow/internal/jobcache"
	"github.com/quizflow/quizflow/internal/jobwatch"
	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/notify"
	"github.com/quizflow/quizflow/internal/ratelimit"
	"github.com/quizflow/quizflow/internal/redisconn"
	"github.com/quizflow/quizflow/internal/revocation"
	"github.com/quizflow/quizflow/internal/s3blob"
	"github.com/quizflow/quizflow/internal/sandbox"
	"github.com/quizflow/quizflow/internal/scheduler"
	"github.com/quizflow/quizflow/internal/stripepay"
	"github.com/quizflow/quizflow/internal/usecase"
	"github.com/quizflow/quizflow/internal/worker"
	"github.com/quizflow/quizflow/jobs"
)

// App holds the connected adapters of one process.
type App struct {
	Cfg      *config.Config
	Log      zerolog.Logger
	Store    *mongostore.Store
	Blobs    *s3blob.Store
	Redis    redis.UniversalClient
	RedisOpt asynq.RedisConnOpt
	Queue    *asynq.Client
	// Tasks is the queue port over Queue that the use cases and workers
	// enqueue through.
	Tasks *jobs.Client
	Auth  *auth.Service
	// Services are the use cases the API and the workers call.
	Services *usecase.Services
	// JobEvents wakes waiters in this process when a job changes.
	JobEvents *jobwatch.Hub
	// records is Store as the use cases and workers write to it: every
	// job change also notifies JobEvents.
	records usecase.Store
	// jobRelay publishes this process's job changes over Redis and, in an
	// API process, wakes JobEvents on the other processes' changes.
	jobRelay  *jobwatch.Relay
	Generator generate.Generator
	// Metrics is the process's one Prometheus registry, shared by the API
	// and the worker when both run in it (`quizflow dev`, tests).
	Metrics *metrics.Registry
	// Mailer sends the worker's email:send tasks; nil when mail is off.
	Mailer *notify.Sender
	// Backup takes and restores backups (BACKUP_*).
	Backup *backup.Service
	// BillingMetrics counts quota refusals and billing events.
	BillingMetrics *metrics.Billing
	// Errors reports panics, 5xx answers and failed tasks (SENTRY_DSN);
	// nil when error tracking is off.
	Errors *errtrack.Tracker
	// stopTracing flushes and stops the span exporter (a no-op when
	// tracing is off).
	stopTracing func(context.Context) error
}

// NewLogger returns the JSON logger for level ("debug", "info", ...).
func NewLogger(w io.Writer, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// Open connects to every backing service named by cfg.
func Open(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*App, error) {
	a := &App{Cfg: cfg, Log: log, Metrics: metrics.New()}
	if err := a.openObservability(ctx); err != nil {
		return nil, err
	}
	// One parse gives asynqmon's option and the shared go-redis client
	// the same topology and settings (single, Sentinel or Cluster).
	ropt, err := redisconn.Parse(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	a.RedisOpt = ropt.AsynqConnOpt()
	a.Redis = ropt.NewClient()
	a.Queue = asynq.NewClientFromRedisClient(a.Redis)
	a.Tasks = jobs.NewClient(a.Queue)

	a.Store, err = mongostore.Open(ctx, cfg.MongoURI, cfg.MongoDB)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Blobs, err = s3blob.New(ctx, s3blob.Config{
		Bucket: cfg.S3Bucket, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region,
		AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, PublicEndpoint: cfg.S3PublicEndpoint,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openBackup(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.backupMetrics()
	accessSecret, refreshSecret := []byte(cfg.JWTAccessSecret), []byte(cfg.JWTRefreshSecret)
	if len(accessSecret) == 0 {
		accessSecret = randomSecret()
		log.Warn().Msg("JWT_ACCESS_SECRET is not set: using a random secret; tokens will not survive a restart")
	}
	if len(refreshSecret) == 0 {
		refreshSecret = randomSecret()
	}
	unsubKey := unsubscribeKey(accessSecret)
	a.Auth, err = auth.New(auth.Config{
		AccessSecret: accessSecret, RefreshSecret: refreshSecret,
		AccessSecretPrevious: []byte(cfg.JWTAccessSecretPrevious), RefreshSecretPrevious: []byte(cfg.JWTRefreshSecretPrevious),
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, BcryptCost: cfg.BcryptCost,
		UnsubscribeKey: unsubKey, UnsubscribeKeyPrevious: previousUnsubscribeKey(cfg.JWTAccessSecretPrevious),
		RequireVerifiedOperators: cfg.MailOn(),
	}, auth.Deps{
		Log: log, Store: a.Store,
		Revocations:   revocation.New(a.Redis, cfg.AccessTTL),
		LoginAttempts: a.loginGate(),
		Mail:          a.authNotifier(), MailRequests: a.mailGate(),
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Generator, err = newGenerator(cfg, a.Redis, log, metrics.NewLLMResponses(a.Metrics))
	if err != nil {
		a.Close()
		return nil, err
	}
	a.JobEvents = jobwatch.New()
	a.jobRelay = jobwatch.NewRelay(a.JobEvents, a.Redis)
	// Job reads come from Redis (jobcache) while the store stays the record;
	// the cache sits under the change signal, so a woken stream reads the
	// new state.
	a.records = notify.JobOutcomes(usecase.NotifyJobChanges(jobcache.Wrap(a.Store, a.Redis, log), a.jobRelay.Notify), a.notifier(), log)
	if err := a.openMail(unsubKey); err != nil {
		a.Close()
		return nil, err
	}
	a.BillingMetrics = metrics.NewBilling(a.Metrics)
	a.Services = usecase.New(usecase.Deps{
		Log: log, Store: a.records, Blobs: a.Blobs, Queue: a.Tasks,
		Config: usecase.Config{MaxFileSize: cfg.MaxFileSize, QuestionTypes: generatorTypes(cfg),
			Plans: cfg.Plans, BillingGrace: cfg.BillingGrace, PublicURL: cfg.PublicURL,
			UpgradeURL: cfg.PublicURL + "/v1/billing/checkout"},
		BillingStore: a.Store, Payments: payments(cfg), Notify: notify.Queue{Q: a.Tasks},
		Observer: a.BillingMetrics, ShareStore: a.Store,
	})
	return a, nil
}

// payments returns Stripe when billing is configured, else nil (billing
// routes answer billing_disabled; quotas still apply).
func payments(cfg *config.Config) usecase.Payments {
	if !cfg.BillingOn() {
		return nil
	}
	return stripepay.New(stripepay.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret,
		ProPriceID: cfg.StripeProPriceID, APIURL: cfg.StripeAPIURL})
}

// loginGate limits password attempts per account: LoginFailures per
// LoginWindow, shared by every replica through Redis.
func (a *App) loginGate() auth.Limiter {
	if a.Cfg.LoginFailures <= 0 {
		return nil
	}
	return ratelimit.NewGate(a.Redis, "login", a.Cfg.LoginFailures, a.Cfg.LoginWindow)
}

// registrationsPerHour bounds sign-ups per client IP: enough for a school
// behind one address, few enough that probing which addresses have
// accounts (registration answers 409 for a taken one) stays slow.
const registrationsPerHour = 30

func randomSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// Close releases every connection.
func (a *App) Close() {
	defer a.closeObservability()
	if a.Queue != nil {
		_ = a.Queue.Close() // also closes a.Redis, which it shares
	} else if a.Redis != nil {
		_ = a.Redis.Close()
	}
	if a.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Store.Close(ctx)
	}
}

// API returns the HTTP API server.
func (a *App) API() *httpapi.Server {
	adminKey := sha256.Sum256([]byte("admin-cookie|" + a.Cfg.JWTAccessSecret))
	secret := adminKey[:]
	if a.Cfg.JWTAccessSecret == "" {
		secret = randomSecret()
	}
	// The queue gauges walk Redis on every scrape, so the API registers
	// them and the workers do not.
	a.Metrics.WithQueues(asynqmetrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(a.Redis)))
	a.Metrics.WithDependencies(a.dependencyChecks())
	sv := a.Services
	return httpapi.New(httpapi.Deps{
		Log: a.Log, Accounts: a.Auth,
		Documents: sv.Documents, Jobs: sv.Jobs, Quizzes: sv.Quizzes, Exports: sv.Exports,
		Billing: sv.Billing, Shares: sv.Shares, Limits: sv.Documents,
		Backups:       a.BackupAdmin(),
		Ready:         a.dependencyChecks(),
		Errors:        a.httpErrors(),
		JobEvents:     a.JobEvents,
		IPLimit:       a.ipGate(),
		RegisterLimit: ratelimit.NewGate(a.Redis, "register", registrationsPerHour, time.Hour),
		ShareLimit:    a.shareGate(),
		StreamCap:     a.streamCap(),
		AdminUI:       asynqmon.New(asynqmon.Options{RootPath: httpapi.AdminRoot, RedisConnOpt: a.RedisOpt}),
		Config: httpapi.Config{
			MaxFileSize: a.Cfg.MaxFileSize, CORSOrigins: a.Cfg.CORSOrigin, AdminSecret: secret,
			TrustedProxies: a.Cfg.TrustedProxies,
			PublicURL:      a.Cfg.PublicURL, RefreshTTL: a.Cfg.RefreshTTL,
		},
	}).WithMetrics(a.Metrics, a.Cfg.MetricsToken)
}

// ipGate limits requests per client IP (RATE_LIMIT_API_RPM), shared by
// every API replica through Redis; nil when the limit is off.
func (a *App) ipGate() httpapi.Limiter {
	if a.Cfg.APIRequestsPerMinute <= 0 {
		return nil
	}
	return ratelimit.NewGate(a.Redis, "ip", a.Cfg.APIRequestsPerMinute, time.Minute)
}

// streamCap caps each user's open job event streams (SSE_MAX_PER_USER),
// counted across every API replica in Redis; nil when the cap is off.
func (a *App) streamCap() httpapi.StreamLimiter {
	if a.Cfg.SSEMaxPerUser <= 0 {
		return nil
	}
	return ratelimit.NewStreams(a.Redis, a.Cfg.SSEMaxPerUser, httpapi.StreamLease)
}

// RunAPI serves the API on cfg.Port until ctx ends. ready, if set, is told
// the listening address.
func (a *App) RunAPI(ctx context.Context, ready func(addr string)) error {
	addr := net.JoinHostPort(a.Cfg.Host, strconv.Itoa(a.Cfg.Port))
	// Job event streams wake on changes made by workers elsewhere.
	relayed := make(chan struct{})
	go func() {
		if err := a.jobRelay.Run(ctx, func() { close(relayed) }); err != nil && ctx.Err() == nil {
			a.Log.Error().Err(err).Msg("job change relay")
		}
	}()
	select {
	case <-relayed:
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		a.Log.Warn().Msg("job change relay not subscribed yet; streams rely on their safety poll")
	}
	return a.API().Serve(ctx, addr, ready)
}

// WorkerDeps returns the worker's dependencies.
func (a *App) WorkerDeps() (worker.Deps, error) {
	var box *sandbox.Runner
	if a.Cfg.ExtractSandbox {
		var err error
		box, err = sandbox.New(sandbox.Limits{Memory: a.Cfg.ExtractMemory, CPU: a.Cfg.ExtractCPU}, "", a.Log)
		if err != nil {
			return worker.Deps{}, err
		}
	}
	return worker.Deps{
		Log: a.Log, Store: a.records, Blobs: a.Blobs, Queue: a.Tasks, Quizzes: a.Services.Quizzes,
		Tokens: a.Store, Generator: a.Generator,
		Inspector:      asynq.NewInspectorFromRedisClient(a.Redis),
		ReconcileAfter: a.Cfg.ReconcileAfter,
		Metrics:        a.Metrics,
		Usage:          a.Store,
		Extract:        extract.Limits{MaxPages: a.Cfg.MaxPages, Timeout: a.Cfg.ExtractTimeout},
		Sandbox:        box,
		MaxFileSize:    a.Cfg.MaxFileSize,
		Mail:           a.workerMailer(),
		Backups:        a.Backup,
		BackupAlerts:   a.backupAlerts(),
		Billing:        a.Services.Billing,
		Errors:         a.taskErrors(),
	}, nil
}

// RunWorker processes tasks until ctx ends, then hands back unfinished work.
func (a *App) RunWorker(ctx context.Context) error {
	deps, err := a.WorkerDeps()
	if err != nil {
		return err
	}
	srv := asynq.NewServerFromRedisClient(a.Redis, worker.ServerConfig(a.Cfg.WorkerConcurrency, a.Log))
	if err := srv.Start(worker.NewMux(deps)); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	<-ctx.Done()
	srv.Shutdown()
	return nil
}

// RunScheduler fires periodic tasks until ctx ends.
func (a *App) RunScheduler(ctx context.Context) error {
	entries := append(scheduler.DefaultEntries(a.Cfg.CleanupCron, a.Cfg.ReconcileCron), scheduler.BackupEntry(a.Cfg.BackupCron))
	s, err := scheduler.New(a.Queue, a.Log, entries)
	if err != nil {
		return err
	}
	return s.Run(ctx)
}
