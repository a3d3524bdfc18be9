// Package config reads QuizFlow's configuration from environment variables
// and validates it at start-up.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/mail"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/redisconn"
)

// MinSecretLen is the shortest JWT secret or METRICS_TOKEN accepted in
// production.
const MinSecretLen = 32

// Production limits on token lifetimes.
const (
	MaxProductionAccessTTL  = time.Hour
	MaxProductionRefreshTTL = 90 * 24 * time.Hour
)

// Config is the whole configuration of the API, worker and scheduler. The
// zero value of each field is replaced by the default named in its comment.
type Config struct {
	// Env is APP_ENV: "development" (default), "test" or "production".
	Env string
	// Host is HOST, the address the API listens on (default "": every
	// interface).
	Host string
	// Port is PORT, the API's listening port (default 8080).
	Port int
	// MongoURI is MONGODB_URI (default mongodb://127.0.0.1:27017).
	MongoURI string
	// MongoDB is MONGODB_DATABASE, the database name (default "quizflow").
	MongoDB string
	// RedisURL is REDIS_URL (default redis://127.0.0.1:6379/0): redis://,
	// rediss:// (TLS), redis-sentinel://h1:p1,h2:p2/0?master=NAME or
	// redis-cluster://h1:p1,h2:p2, as internal/redisconn reads them.
	RedisURL string
	// S3Bucket is S3_BUCKET (default "quizflow").
	S3Bucket string
	// S3Endpoint is S3_ENDPOINT, empty for AWS itself.
	S3Endpoint string
	// S3Region is S3_REGION (default us-east-1).
	S3Region string
	// S3PublicEndpoint is S3_PUBLIC_ENDPOINT: the store's URL as browsers
	// reach it, for presigned download links, when S3_ENDPOINT is internal.
	S3PublicEndpoint string
	// S3AccessKey and S3SecretKey are S3_ACCESS_KEY_ID and
	// S3_SECRET_ACCESS_KEY; empty means the AWS default credential chain.
	S3AccessKey, S3SecretKey string
	// OpenAIKey is OPENAI_API_KEY; empty selects the built-in offline generator.
	OpenAIKey string
	// OpenAIBaseURL is OPENAI_BASE_URL, for OpenAI-compatible servers
	// (vLLM, Ollama, llama.cpp: "http://host:port/v1").
	OpenAIBaseURL string
	// OpenAIModel is OPENAI_MODEL (default gpt-4o-mini); for Azure, the
	// deployment name.
	OpenAIModel string
	// OpenAIAzure is OPENAI_API_TYPE=azure: OPENAI_BASE_URL is an Azure
	// OpenAI resource endpoint. OpenAIAPIVersion is OPENAI_API_VERSION.
	OpenAIAzure      bool
	OpenAIAPIVersion string
	// OpenAITimeout is OPENAI_TIMEOUT, the bound on one model call
	// (default 90s); OpenAIMaxRetries is OPENAI_MAX_RETRIES, retries of one
	// call after a 429, 5xx or timeout before the task itself is retried
	// (default 4).
	OpenAITimeout    time.Duration
	OpenAIMaxRetries int
	// AnswerCheck is GENERATION_ANSWER_CHECK (default true): a second model
	// pass answers each objective question without the key.
	AnswerCheck bool
	// LLMRequestsPerMinute and LLMTokensPerMinute are RATE_LIMIT_LLM_RPM and
	// RATE_LIMIT_LLM_TPM, shared by all workers (defaults 500 and 200000).
	LLMRequestsPerMinute, LLMTokensPerMinute int
	// APIRequestsPerMinute is RATE_LIMIT_API_RPM per client IP (default 600;
	// 0, via "off" or 0, disables the limit, which production refuses).
	APIRequestsPerMinute int
	// LoginFailures is RATE_LIMIT_LOGIN_FAILURES, the failed logins one
	// account may have within LoginWindow, RATE_LIMIT_LOGIN_WINDOW, before
	// further attempts are refused (defaults 10 and 15m). "off" or 0 in
	// either disables the limit, and then both fields are 0; production
	// refuses that.
	LoginFailures int
	LoginWindow   time.Duration
	// SSEMaxPerUser is SSE_MAX_PER_USER, the job event streams one user may
	// hold open at once across every API replica (default 10; at most
	// 1000). "off" or 0 removes the cap.
	SSEMaxPerUser int
	// TrustedProxies is TRUSTED_PROXIES, comma-separated CIDRs or single IPs
	// of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
	// believed. Empty (the default) trusts none: the client is the TCP peer.
	TrustedProxies []netip.Prefix
	// JWTAccessSecret and JWTRefreshSecret are JWT_ACCESS_SECRET and
	// JWT_REFRESH_SECRET. Outside production a missing secret is replaced by
	// a random one (tokens then do not survive a restart).
	JWTAccessSecret, JWTRefreshSecret string
	// JWTAccessSecretPrevious and JWTRefreshSecretPrevious are
	// JWT_ACCESS_SECRET_PREVIOUS and JWT_REFRESH_SECRET_PREVIOUS: during a
	// rotation, the secrets being replaced, which still verify the tokens
	// they signed (named by key ID) but sign none. Empty (the default):
	// only the current secrets verify. Each must differ from its current
	// secret; in production they are held to the same strength rules.
	JWTAccessSecretPrevious, JWTRefreshSecretPrevious string
	// AccessTTL is JWT_ACCESS_EXPIRES (default 15m; at most 1h in
	// production); RefreshTTL is JWT_REFRESH_EXPIRES (default 7d; at most 90d
	// in production). Both accept Go durations and "Nd".
	AccessTTL, RefreshTTL time.Duration
	// MaxFileSize is MAX_FILE_SIZE in bytes (default 10 MiB); accepts
	// suffixes KB, MB, KiB, MiB.
	MaxFileSize int64
	// MaxPages is MAX_PAGES, the most pages read from one document (default 500).
	MaxPages int
	// ExtractTimeout is EXTRACT_TIMEOUT, the wall time one document may take
	// to read (default 2m).
	ExtractTimeout time.Duration
	// ExtractSandbox is EXTRACT_SANDBOX: read documents in a child process
	// under kernel limits (default true; false reads them in the worker).
	ExtractSandbox bool
	// ExtractMemory is EXTRACT_MEMORY, the memory cap of one extraction
	// child in bytes (default 1 GiB, at least 192 MiB).
	ExtractMemory int64
	// ExtractCPU is EXTRACT_CPU, the CPU time cap of one extraction child
	// (default: EXTRACT_TIMEOUT).
	ExtractCPU time.Duration
	// CORSOrigin is CORS_ORIGIN, allowed browser origins (comma-separated;
	// default none, no CORS headers). In production each must be an exact
	// origin, scheme://host[:port] with http or https, with no "*".
	CORSOrigin []string
	// LogLevel is LOG_LEVEL (default info).
	LogLevel string
	// WorkerConcurrency is WORKER_CONCURRENCY (default 10).
	WorkerConcurrency int
	// StripeSecretKey, StripeWebhookSecret and StripeProPriceID configure
	// billing: all three or none (BillingOn).
	StripeSecretKey, StripeWebhookSecret, StripeProPriceID string
	// StripeAPIURL is STRIPE_API_URL, another base URL for the Stripe API
	// (stripe-mock in tests; default Stripe's own).
	StripeAPIURL string
	// Plans are the plans' limits: quizflow.DefaultPlans with PLAN_FREE_*
	// and PLAN_PRO_* overrides (see readPlans).
	Plans quizflow.Plans
	// BillingGrace is BILLING_GRACE, how long a past-due subscription
	// keeps Pro (default 7 days).
	BillingGrace time.Duration
	// SMTPURL is SMTP_URL: smtp://user:pass@host:587 (STARTTLS required),
	// smtps://user:pass@host:465 (implicit TLS), or smtp://host:port?tls=none
	// (no TLS, for a relay on loopback). Empty turns mail off, which
	// production refuses unless MailDisabled. SMTP is it parsed.
	SMTPURL string
	SMTP    mail.SMTPConfig
	// MailFrom is MAIL_FROM, the sender of every message (default
	// "QuizFlow <noreply@example.com>"; set your own domain's).
	MailFrom string
	// MailReplyTo is MAIL_REPLY_TO, where replies to security notices go
	// (default none).
	MailReplyTo string
	// MailDisabled is MAIL_DISABLED=true: no mail is sent even with an
	// SMTP_URL; production needs it set on purpose to run without mail.
	MailDisabled bool
	// PublicURL is PUBLIC_URL, the base URL users reach the API at: the
	// links in emails start with it (default http://localhost:PORT; in
	// production with mail on it must be https://).
	PublicURL string
	// CleanupCron is CLEANUP_CRON (default "@hourly").
	CleanupCron string
	// BackupCron is BACKUP_CRON, when the scheduler takes a backup
	// (default "0 3 * * *": daily at 03:00 UTC).
	BackupCron string
	// BackupBucket is BACKUP_BUCKET, the bucket backups go to (default
	// S3_BUCKET; a bucket in another region is better).
	BackupBucket string
	// BackupPrefix is BACKUP_PREFIX, the start of every backup key
	// (default "backups/"; it ends with a slash).
	BackupPrefix string
	// BackupRetentionDays is BACKUP_RETENTION_DAYS (default 30, at least
	// 1): archives older than that go once a newer backup has succeeded.
	BackupRetentionDays int
	// BackupFiles is BACKUP_FILES (default true): copy uploads, texts and
	// exports to the backup location too, incrementally.
	BackupFiles bool
	// ReconcileCron is RECONCILE_CRON, when the scheduler checks unfinished
	// jobs against their tasks (default "* * * * *": every minute, on the
	// minute, so every scheduler replica picks the same slots).
	ReconcileCron string
	// ReconcileAfter is RECONCILE_AFTER, how long an unfinished job may go
	// without an update before the reconciler looks its task up in Redis
	// (default 2m; at least 30s, the time between recording a job and
	// enqueueing its first task being milliseconds).
	ReconcileAfter time.Duration
	// BcryptCost is BCRYPT_COST, the password hashing cost (default 10,
	// at least 4; tests lower it for speed).
	BcryptCost int
	// MetricsToken is METRICS_TOKEN: when set, GET /metrics (on the API and
	// on the worker's METRICS_ADDR) requires "Authorization: Bearer
	// <token>"; empty leaves metrics open, which only development and test
	// allow. Production requires a random token of MinSecretLen bytes or more.
	MetricsToken string
	// SentryDSN is SENTRY_DSN: set, panics, 5xx answers and tasks that
	// failed for good are reported to that Sentry project (internal/errtrack);
	// empty (the default) reports nothing. SentryEnvironment is
	// SENTRY_ENVIRONMENT (default APP_ENV); SentryRelease is SENTRY_RELEASE
	// (default the binary's module version).
	SentryDSN, SentryEnvironment, SentryRelease string
	// OTelEndpoint is the URL spans are posted to:
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else
	// OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces" (an http:// or https://
	// URL). Set, spans are exported over OTLP/HTTP (internal/tracing; the
	// exporter reads the other standard OTEL_EXPORTER_OTLP_* variables);
	// empty (the default) records none. OTelServiceName is
	// OTEL_SERVICE_NAME (default "quizflow").
	OTelEndpoint, OTelServiceName string
	// MetricsAddr is METRICS_ADDR, where a standalone worker serves GET
	// /metrics (default ":9091"; "off" gives "", no listener). The API
	// serves its metrics on PORT.
	MetricsAddr string
}

// Production reports whether the configuration is for production.
func (c *Config) Production() bool { return c.Env == "production" }

// FromEnv reads the configuration with getenv (os.Getenv in mains, a map in
// tests) and validates it. The error names every offending variable.
func FromEnv(getenv func(string) string) (*Config, error) {
	p := parser{getenv: getenv}
	c := &Config{
		Env:                  p.str("APP_ENV", "development"),
		Host:                 p.str("HOST", ""),
		Port:                 p.int("PORT", 8080),
		MongoURI:             p.str("MONGODB_URI", "mongodb://127.0.0.1:27017"),
		MongoDB:              p.str("MONGODB_DATABASE", "quizflow"),
		RedisURL:             p.str("REDIS_URL", "redis://127.0.0.1:6379/0"),
		S3Bucket:             p.str("S3_BUCKET", "quizflow"),
		S3Endpoint:           p.str("S3_ENDPOINT", ""),
		S3Region:             p.str("S3_REGION", "us-east-1"),
		S3PublicEndpoint:     p.str("S3_PUBLIC_ENDPOINT", ""),
		S3AccessKey:          p.str("S3_ACCESS_KEY_ID", ""),
		S3SecretKey:          p.str("S3_SECRET_ACCESS_KEY", ""),
		OpenAIKey:            p.str("OPENAI_API_KEY", ""),
		OpenAIBaseURL:        p.str("OPENAI_BASE_URL", ""),
		OpenAIModel:          p.str("OPENAI_MODEL", "gpt-4o-mini"),
		OpenAIAzure:          strings.EqualFold(p.str("OPENAI_API_TYPE", "openai"), "azure"),
		OpenAIAPIVersion:     p.str("OPENAI_API_VERSION", ""),
		OpenAITimeout:        p.duration("OPENAI_TIMEOUT", 90*time.Second),
		OpenAIMaxRetries:     p.int("OPENAI_MAX_RETRIES", 4),
		AnswerCheck:          p.bool("GENERATION_ANSWER_CHECK", true),
		LLMRequestsPerMinute: p.int("RATE_LIMIT_LLM_RPM", 500),
		LLMTokensPerMinute:   p.int("RATE_LIMIT_LLM_TPM", 200000),
		APIRequestsPerMinute: p.int("RATE_LIMIT_API_RPM", 600),
		LoginFailures:        p.int("RATE_LIMIT_LOGIN_FAILURES", 10),
		LoginWindow:          p.duration("RATE_LIMIT_LOGIN_WINDOW", 15*time.Minute),
		SSEMaxPerUser:        p.int("SSE_MAX_PER_USER", 10),
		TrustedProxies:       p.prefixes("TRUSTED_PROXIES"),
		JWTAccessSecret:      p.str("JWT_ACCESS_SECRET", ""),
		JWTRefreshSecret:     p.str("JWT_REFRESH_SECRET", ""),
		AccessTTL:            p.duration("JWT_ACCESS_EXPIRES", 15*time.Minute),
		RefreshTTL:           p.duration("JWT_REFRESH_EXPIRES", 7*24*time.Hour),
		MaxFileSize:          p.size("MAX_FILE_SIZE", 10<<20),
		MaxPages:             p.int("MAX_PAGES", 500),
		ExtractTimeout:       p.duration("EXTRACT_TIMEOUT", 2*time.Minute),
		ExtractSandbox:       p.bool("EXTRACT_SANDBOX", true),
		ExtractMemory:        p.size("EXTRACT_MEMORY", 1<<30),
		ExtractCPU:           p.duration("EXTRACT_CPU", 0),
		CORSOrigin:           p.list("CORS_ORIGIN"),
		LogLevel:             p.str("LOG_LEVEL", "info"),
		WorkerConcurrency:    p.int("WORKER_CONCURRENCY", 10),
		StripeSecretKey:      p.str("STRIPE_SECRET_KEY", ""),
		StripeWebhookSecret:  p.str("STRIPE_WEBHOOK_SECRET", ""),
		StripeProPriceID:     p.str("STRIPE_PRO_PRICE_ID", ""),
		SMTPURL:              p.str("SMTP_URL", ""),
		PublicURL:            p.str("PUBLIC_URL", ""),
		MailFrom:             p.str("MAIL_FROM", "QuizFlow <noreply@example.com>"),
		MailReplyTo:          p.str("MAIL_REPLY_TO", ""),
		MailDisabled:         p.bool("MAIL_DISABLED", false),
		CleanupCron:          p.str("CLEANUP_CRON", "@hourly"),
		ReconcileCron:        p.str("RECONCILE_CRON", "* * * * *"),
		BackupCron:           p.str("BACKUP_CRON", "0 3 * * *"),
		BackupBucket:         p.str("BACKUP_BUCKET", ""),
		BackupPrefix:         p.str("BACKUP_PREFIX", "backups/"),
		BackupRetentionDays:  p.int("BACKUP_RETENTION_DAYS", 30),
		BackupFiles:          p.bool("BACKUP_FILES", true),
		ReconcileAfter:       p.duration("RECONCILE_AFTER", 2*time.Minute),
		BcryptCost:           p.int("BCRYPT_COST", 10),
		MetricsToken:         p.str("METRICS_TOKEN", ""),
		MetricsAddr:          p.str("METRICS_ADDR", ":9091"),
	}
	c.SentryDSN, c.SentryRelease = p.str("SENTRY_DSN", ""), p.str("SENTRY_RELEASE", "")
	c.SentryEnvironment = p.str("SENTRY_ENVIRONMENT", c.Env)
	c.OTelEndpoint = p.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if base := p.str("OTEL_EXPORTER_OTLP_ENDPOINT", ""); c.OTelEndpoint == "" && base != "" {
		// The OTLP spec: the generic endpoint is a base URL to which the
		// signal's path is appended.
		c.OTelEndpoint = strings.TrimRight(base, "/") + "/v1/traces"
	}
	if c.OTelEndpoint != "" {
		if u, err := url.Parse(c.OTelEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.fail("OTEL_EXPORTER_OTLP_ENDPOINT", "must be an http:// or https:// URL")
		}
	}
	c.OTelServiceName = p.str("OTEL_SERVICE_NAME", "")
	c.JWTAccessSecretPrevious = p.str("JWT_ACCESS_SECRET_PREVIOUS", "")
	c.JWTRefreshSecretPrevious = p.str("JWT_REFRESH_SECRET_PREVIOUS", "")
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:" + strconv.Itoa(c.Port)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.BackupBucket == "" {
		c.BackupBucket = c.S3Bucket
	}
	p.readPlans(c)
	p.check(c)
	p.checkBackup(c)
	p.checkMail(c)
	if c.LoginFailures == 0 || c.LoginWindow == 0 {
		c.LoginFailures, c.LoginWindow = 0, 0
	}
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(p.errs...))
	}
	return c, nil
}

func (p *parser) check(c *Config) {
	if c.ReconcileAfter < 30*time.Second {
		p.fail("RECONCILE_AFTER", "must be at least 30s")
	}
	if p.getenv("ADMIN_EMAILS") != "" {
		// Listing addresses made whoever registered one first an operator.
		p.fail("ADMIN_EMAILS", "is no longer read: grant operators with `quizflow admin grant EMAIL` (and revoke with `quizflow admin revoke EMAIL`), then unset it")
	}
	switch c.Env {
	case "development", "test", "production":
	default:
		p.fail("APP_ENV", "must be development, test or production, not %q", c.Env)
	}
	if c.Port < 0 || c.Port > 65535 {
		p.fail("PORT", "must be a port number (0-65535)")
	}
	if c.Production() {
		p.checkProduction(c)
	}
	if c.JWTAccessSecretPrevious != "" && c.JWTAccessSecretPrevious == c.JWTAccessSecret {
		p.fail("JWT_ACCESS_SECRET_PREVIOUS", "is JWT_ACCESS_SECRET itself: set JWT_ACCESS_SECRET to the new secret, or unset JWT_ACCESS_SECRET_PREVIOUS")
	}
	if c.JWTRefreshSecretPrevious != "" && c.JWTRefreshSecretPrevious == c.JWTRefreshSecret {
		p.fail("JWT_REFRESH_SECRET_PREVIOUS", "is JWT_REFRESH_SECRET itself: set JWT_REFRESH_SECRET to the new secret, or unset JWT_REFRESH_SECRET_PREVIOUS")
	}
	if c.AccessTTL <= 0 {
		p.fail("JWT_ACCESS_EXPIRES", "must be positive")
	}
	if c.RefreshTTL <= c.AccessTTL {
		p.fail("JWT_REFRESH_EXPIRES", "must be longer than JWT_ACCESS_EXPIRES")
	}
	if c.MaxFileSize <= 0 {
		p.fail("MAX_FILE_SIZE", "must be positive")
	}
	if c.ExtractTimeout < time.Second {
		p.fail("EXTRACT_TIMEOUT", "must be at least 1s")
	}
	if c.ExtractMemory < 192<<20 {
		p.fail("EXTRACT_MEMORY", "must be at least 192MiB (the child's Go runtime needs about 100 MiB)")
	}
	if c.ExtractCPU < 0 {
		p.fail("EXTRACT_CPU", "must not be negative")
	}
	if c.MaxPages <= 0 {
		p.fail("MAX_PAGES", "must be positive")
	}
	if c.WorkerConcurrency <= 0 {
		p.fail("WORKER_CONCURRENCY", "must be positive")
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		p.fail("BCRYPT_COST", "must be between 4 and 31")
	}
	if c.Production() && c.BcryptCost < 10 {
		p.fail("BCRYPT_COST", "must be at least 10 in production")
	}
	if c.OpenAITimeout <= 0 {
		p.fail("OPENAI_TIMEOUT", "must be positive")
	}
	if c.OpenAIMaxRetries < 0 {
		p.fail("OPENAI_MAX_RETRIES", "must not be negative")
	}
	if c.OpenAIAzure && c.OpenAIBaseURL == "" {
		p.fail("OPENAI_BASE_URL", "is required with OPENAI_API_TYPE=azure (https://NAME.openai.azure.com/)")
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			p.fail("METRICS_ADDR", "must be host:port or :port (e.g. :9091), or off")
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			p.fail("METRICS_ADDR", "must have a port number (0-65535)")
		}
	}
	if strings.ContainsAny(c.MetricsToken, " \t\r\n") {
		p.fail("METRICS_TOKEN", "must not contain whitespace")
	}
	if c.APIRequestsPerMinute < 0 {
		p.fail("RATE_LIMIT_API_RPM", "must not be negative (off disables the limit)")
	}
	if c.SSEMaxPerUser < 0 || c.SSEMaxPerUser > maxSSEPerUser {
		p.fail("SSE_MAX_PER_USER", "must be between 0 (off) and %d", maxSSEPerUser)
	}
	if c.LoginFailures < 0 {
		p.fail("RATE_LIMIT_LOGIN_FAILURES", "must not be negative (off disables the limit)")
	}
	if c.LoginWindow < 0 {
		p.fail("RATE_LIMIT_LOGIN_WINDOW", "must not be negative (off disables the limit)")
	}
	if len(c.S3Bucket) < 3 {
		p.fail("S3_BUCKET", "must be at least 3 characters")
	}
	if _, err := redisconn.Parse(c.RedisURL); err != nil {
		p.fail("REDIS_URL", "%v", err) // the parser's errors never repeat a password
	}
	for _, u := range []struct{ name, val string }{
		{"MONGODB_URI", c.MongoURI},
		{"S3_ENDPOINT", c.S3Endpoint}, {"S3_PUBLIC_ENDPOINT", c.S3PublicEndpoint}, {"OPENAI_BASE_URL", c.OpenAIBaseURL}, {"SMTP_URL", c.SMTPURL},
	} {
		if u.val == "" {
			continue
		}
		if pu, err := url.Parse(u.val); err != nil || pu.Scheme == "" || pu.Host == "" {
			p.fail(u.name, "must be a URL with a scheme and host")
		}
	}
}

// checkBackup validates the BACKUP_* settings.
func (p *parser) checkBackup(c *Config) {
	if len(c.BackupBucket) < 3 {
		p.fail("BACKUP_BUCKET", "must be at least 3 characters")
	}
	if c.BackupPrefix == "" || !strings.HasSuffix(c.BackupPrefix, "/") || strings.HasPrefix(c.BackupPrefix, "/") {
		p.fail("BACKUP_PREFIX", "must be a key prefix ending with a slash, such as backups/")
	} else if c.BackupBucket == c.S3Bucket && (strings.HasPrefix(c.BackupPrefix, "documents/") || strings.HasPrefix(c.BackupPrefix, "exports/")) {
		p.fail("BACKUP_PREFIX", "must not be inside documents/ or exports/, which the backups copy")
	}
	if c.BackupRetentionDays < 1 {
		p.fail("BACKUP_RETENTION_DAYS", "must be at least 1")
	}
	if strings.TrimSpace(c.BackupCron) == "" {
		p.fail("BACKUP_CRON", "must be a cron expression such as \"0 3 * * *\"")
	}
}

// MailOn reports whether mail is sent: an SMTP_URL without MAIL_DISABLED.
func (c *Config) MailOn() bool { return c.SMTPURL != "" && !c.MailDisabled }

// checkMail validates the mail settings: SMTP_URL's form, MAIL_FROM,
// PUBLIC_URL; production refuses to run without mail unless told to.
func (p *parser) checkMail(c *Config) {
	if c.SMTPURL != "" {
		cfg, err := mail.ParseSMTPURL(c.SMTPURL)
		if err != nil {
			p.fail("SMTP_URL", "%v (smtp://user:pass@host:587 for STARTTLS, smtps://user:pass@host:465 for TLS)", err)
		}
		c.SMTP = cfg
	}
	if _, err := mail.ParseFrom(c.MailFrom); err != nil {
		p.fail("MAIL_FROM", "%v", err)
	}
	if c.MailReplyTo != "" {
		if _, err := mail.ParseFrom(c.MailReplyTo); err != nil {
			p.fail("MAIL_REPLY_TO", "%v", err)
		}
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		p.fail("PUBLIC_URL", "must be an http:// or https:// URL such as https://quizflow.example.com, with no query")
	} else if c.Production() && c.MailOn() && u.Scheme != "https" {
		p.fail("PUBLIC_URL", "must be https:// in production: the links in emails (verify, reset, one-click unsubscribe) must not travel in the clear")
	}
	if c.Production() && c.SMTPURL == "" && !c.MailDisabled {
		p.fail("SMTP_URL", "is required in production: without it no verification, password-reset or notification mail is sent; "+
			"set it (smtp://user:pass@host:587), or set MAIL_DISABLED=true to run without mail on purpose")
	}
}

// checkProduction refuses what is tolerable on a laptop but not facing the
// internet: guessable or missing secrets, open metrics, wildcard CORS, no
// rate limits and long-lived tokens.
func (p *parser) checkProduction(c *Config) {
	const random = "use a random value such as the output of `openssl rand -hex 32`"
	for _, pr := range c.TrustedProxies {
		if pr.Bits() < 8 {
			p.fail("TRUSTED_PROXIES", "%s would believe X-Forwarded-For from almost anyone; list your proxies' own networks", pr)
		}
	}
	for _, s := range []struct{ name, val string }{
		{"JWT_ACCESS_SECRET", c.JWTAccessSecret},
		{"JWT_REFRESH_SECRET", c.JWTRefreshSecret},
		{"METRICS_TOKEN", c.MetricsToken},
		{"JWT_ACCESS_SECRET_PREVIOUS", c.JWTAccessSecretPrevious},
		{"JWT_REFRESH_SECRET_PREVIOUS", c.JWTRefreshSecretPrevious},
	} {
		switch {
		case s.val == "" && strings.HasSuffix(s.name, "_PREVIOUS"):
			// Optional: only during a rotation.
		case s.val == "" && s.name == "METRICS_TOKEN":
			p.fail(s.name, "is required in production: /metrics is served on the API's PORT and on each worker's METRICS_ADDR "+
				"and must not be open to whoever reaches them; %s and give it to the scraper as a bearer token", random)
		case s.val == "":
			p.fail(s.name, "is required in production; %s", random)
		case len(s.val) < MinSecretLen:
			p.fail(s.name, "must be at least %d bytes in production (got %d); %s", MinSecretLen, len(s.val), random)
		default:
			if why := weakSecret(s.val); why != "" {
				p.fail(s.name, "looks guessable (it %s); %s", why, random)
			}
		}
	}
	if c.JWTAccessSecret != "" && c.JWTAccessSecret == c.JWTRefreshSecret {
		p.fail("JWT_REFRESH_SECRET", "must differ from JWT_ACCESS_SECRET")
	}
	if c.AccessTTL > MaxProductionAccessTTL {
		p.fail("JWT_ACCESS_EXPIRES", "must be at most 1h in production (got %s): a stolen access token works until it expires", fmtDuration(c.AccessTTL))
	}
	if c.RefreshTTL > MaxProductionRefreshTTL {
		p.fail("JWT_REFRESH_EXPIRES", "must be at most 90d in production (got %s)", fmtDuration(c.RefreshTTL))
	}
	if c.APIRequestsPerMinute == 0 {
		p.fail("RATE_LIMIT_API_RPM", "must not be off or 0 in production; set requests per minute per client IP (default 600)")
	}
	if c.LoginFailures == 0 {
		p.fail("RATE_LIMIT_LOGIN_FAILURES", "must not be off or 0 in production; set the failed logins allowed per account per RATE_LIMIT_LOGIN_WINDOW (default 10)")
	}
	if c.LoginWindow == 0 {
		p.fail("RATE_LIMIT_LOGIN_WINDOW", "must not be off or 0 in production; set the window of RATE_LIMIT_LOGIN_FAILURES (default 15m)")
	}
	for _, o := range c.CORSOrigin {
		if strings.Contains(o, "*") {
			p.fail("CORS_ORIGIN", "must not contain * in production (got %q); list the exact origins of your web app, e.g. https://app.example.com", o)
		} else if !isOrigin(o) {
			p.fail("CORS_ORIGIN", "entry %q is not an origin: in production each must be http:// or https:// and a host "+
				"(and port), in lower case, with no path or trailing slash, e.g. https://app.example.com", o)
		}
	}
}

// isOrigin reports whether o is a browser origin as sent in an Origin
// header, which CORS compares byte for byte: scheme://host[:port].
func isOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return o == strings.ToLower(u.Scheme+"://"+u.Host)
}

// fmtDuration formats d as "Nd" when it is whole days, as JWT_*_EXPIRES may
// be set, and as a Go duration otherwise.
func fmtDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s %s", name, fmt.Sprintf(format, args...)))
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

// maxSSEPerUser bounds SSE_MAX_PER_USER: each stream holds a connection
// and a goroutine, so one account should not be able to hold thousands.
const maxSSEPerUser = 1000

func (p *parser) int(name string, def int) int {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	if v == "off" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, "must be an integer, not %q", v)
		return def
	}
	return n
}

func (p *parser) bool(name string, def bool) bool {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "must be true or false, not %q", v)
		return def
	}
	return b
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	if v == "off" {
		return 0
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil {
			return time.Duration(n) * 24 * time.Hour
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(name, "must be a duration such as 15m, 12h or 7d, not %q", v)
		return def
	}
	return d
}

func (p *parser) size(name string, def int64) int64 {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if s, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(s), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		p.fail(name, "must be a size in bytes, optionally with KB, MB, KiB or MiB")
		return def
	}
	return n * mult
}

func (p *parser) list(name string) []string {
	var out []string
	for _, s := range strings.Split(p.getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// prefixes reads a comma-separated list of CIDRs or single IP addresses (a
// single address becomes a /32 or /128).
func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range p.list(name) {
		var pre netip.Prefix
		var err error
		if strings.Contains(v, "/") {
			pre, err = netip.ParsePrefix(v)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(v); err == nil && a.Zone() == "" {
				pre = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil || !pre.IsValid() {
			p.fail(name, "entry %q is not an IP address or CIDR (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)", v)
			continue
		}
		if a := pre.Addr(); a.Is4In6() && pre.Bits() >= 96 {
			pre = netip.PrefixFrom(a.Unmap(), pre.Bits()-96) // peers are seen as IPv4
		}
		out = append(out, pre.Masked())
	}
	return out
}
