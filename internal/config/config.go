// Package config reads QuizFlow's configuration from environment variables
// and validates it at start-up.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MinSecretLen is the shortest JWT secret accepted in production.
const MinSecretLen = 32

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
	// RedisURL is REDIS_URL (default redis://127.0.0.1:6379/0).
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
	// APIRequestsPerMinute is RATE_LIMIT_API_RPM per client IP (default 600; 0 via "off").
	APIRequestsPerMinute int
	// JWTAccessSecret and JWTRefreshSecret are JWT_ACCESS_SECRET and
	// JWT_REFRESH_SECRET. Outside production a missing secret is replaced by
	// a random one (tokens then do not survive a restart).
	JWTAccessSecret, JWTRefreshSecret string
	// AccessTTL is JWT_ACCESS_EXPIRES (default 15m); RefreshTTL is
	// JWT_REFRESH_EXPIRES (default 7d). Both accept Go durations and "Nd".
	AccessTTL, RefreshTTL time.Duration
	// MaxFileSize is MAX_FILE_SIZE in bytes (default 10 MiB); accepts
	// suffixes KB, MB, KiB, MiB.
	MaxFileSize int64
	// MaxPages is MAX_PAGES, the most pages read from one document (default 500).
	MaxPages int
	// AdminEmails is ADMIN_EMAILS, a comma-separated list of accounts that
	// may open /admin/queues.
	AdminEmails []string
	// CORSOrigin is CORS_ORIGIN, allowed browser origins (comma-separated).
	CORSOrigin []string
	// LogLevel is LOG_LEVEL (default info).
	LogLevel string
	// WorkerConcurrency is WORKER_CONCURRENCY (default 10).
	WorkerConcurrency int
	// StripeSecretKey, StripeWebhookSecret and StripeProPriceID configure billing.
	StripeSecretKey, StripeWebhookSecret, StripeProPriceID string
	// SMTPURL is SMTP_URL (smtp://user:pass@host:port); empty disables mail.
	SMTPURL string
	// PublicURL is PUBLIC_URL, the base URL users reach the API at.
	PublicURL string
	// CleanupCron is CLEANUP_CRON (default "@hourly").
	CleanupCron string
	// BcryptCost is BCRYPT_COST, the password hashing cost (default 10,
	// at least 4; tests lower it for speed).
	BcryptCost int
	// MetricsToken is METRICS_TOKEN: when set, GET /metrics (on the API and
	// on the worker's METRICS_ADDR) requires "Authorization: Bearer
	// <token>"; empty leaves metrics open, for a scraper inside the
	// cluster network.
	MetricsToken string
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
		JWTAccessSecret:      p.str("JWT_ACCESS_SECRET", ""),
		JWTRefreshSecret:     p.str("JWT_REFRESH_SECRET", ""),
		AccessTTL:            p.duration("JWT_ACCESS_EXPIRES", 15*time.Minute),
		RefreshTTL:           p.duration("JWT_REFRESH_EXPIRES", 7*24*time.Hour),
		MaxFileSize:          p.size("MAX_FILE_SIZE", 10<<20),
		MaxPages:             p.int("MAX_PAGES", 500),
		AdminEmails:          p.list("ADMIN_EMAILS"),
		CORSOrigin:           p.list("CORS_ORIGIN"),
		LogLevel:             p.str("LOG_LEVEL", "info"),
		WorkerConcurrency:    p.int("WORKER_CONCURRENCY", 10),
		StripeSecretKey:      p.str("STRIPE_SECRET_KEY", ""),
		StripeWebhookSecret:  p.str("STRIPE_WEBHOOK_SECRET", ""),
		StripeProPriceID:     p.str("STRIPE_PRO_PRICE_ID", ""),
		SMTPURL:              p.str("SMTP_URL", ""),
		PublicURL:            p.str("PUBLIC_URL", ""),
		CleanupCron:          p.str("CLEANUP_CRON", "@hourly"),
		BcryptCost:           p.int("BCRYPT_COST", 10),
		MetricsToken:         p.str("METRICS_TOKEN", ""),
		MetricsAddr:          p.str("METRICS_ADDR", ":9091"),
	}
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	}
	for i, e := range c.AdminEmails {
		c.AdminEmails[i] = strings.ToLower(e)
	}
	p.check(c)
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(p.errs...))
	}
	return c, nil
}

func (p *parser) check(c *Config) {
	switch c.Env {
	case "development", "test", "production":
	default:
		p.fail("APP_ENV", "must be development, test or production, not %q", c.Env)
	}
	if c.Port < 0 || c.Port > 65535 {
		p.fail("PORT", "must be a port number (0-65535)")
	}
	if c.Production() {
		for _, s := range []struct{ name, val string }{
			{"JWT_ACCESS_SECRET", c.JWTAccessSecret},
			{"JWT_REFRESH_SECRET", c.JWTRefreshSecret},
		} {
			switch {
			case s.val == "":
				p.fail(s.name, "is required in production")
			case len(s.val) < MinSecretLen:
				p.fail(s.name, "must be at least %d bytes in production (got %d)", MinSecretLen, len(s.val))
			}
		}
		if c.JWTAccessSecret != "" && c.JWTAccessSecret == c.JWTRefreshSecret {
			p.fail("JWT_REFRESH_SECRET", "must differ from JWT_ACCESS_SECRET")
		}
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
	if c.MetricsToken != "" {
		if strings.ContainsAny(c.MetricsToken, " \t\r\n") {
			p.fail("METRICS_TOKEN", "must not contain whitespace")
		}
		if c.Production() && len(c.MetricsToken) < 16 {
			p.fail("METRICS_TOKEN", "must be at least 16 bytes in production (got %d)", len(c.MetricsToken))
		}
	}
	if len(c.S3Bucket) < 3 {
		p.fail("S3_BUCKET", "must be at least 3 characters")
	}
	for _, u := range []struct{ name, val string }{
		{"REDIS_URL", c.RedisURL}, {"MONGODB_URI", c.MongoURI},
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
