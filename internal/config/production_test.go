package config

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// randomHex is what `openssl rand -hex n` prints.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// prodEnv is a valid production environment with overrides applied; an
// override of "" removes the variable.
func prodEnv(t *testing.T, overrides map[string]string) map[string]string {
	m := map[string]string{
		"APP_ENV":            "production",
		"JWT_ACCESS_SECRET":  randomHex(t, 32),
		"JWT_REFRESH_SECRET": randomHex(t, 32),
		"METRICS_TOKEN":      randomHex(t, 32),
		"MAIL_DISABLED":      "true",
	}
	for k, v := range overrides {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func TestProduction(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		wantErr   string // substring naming the variable; empty = no error
	}{
		{"valid", nil, ""},
		{"valid with limits at their maximum", map[string]string{
			"JWT_ACCESS_EXPIRES": "1h", "JWT_REFRESH_EXPIRES": "90d", "RATE_LIMIT_API_RPM": "60",
			"RATE_LIMIT_LOGIN_FAILURES": "5", "RATE_LIMIT_LOGIN_WINDOW": "1h",
			"CORS_ORIGIN": "https://app.example.com, http://localhost:3000", "TRUSTED_PROXIES": "10.0.0.0/8",
		}, ""},

		{"operators by address", map[string]string{"ADMIN_EMAILS": "ops@example.com"}, "quizflow admin grant"},
		{"every address a trusted proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,0.0.0.0/0"}, "TRUSTED_PROXIES 0.0.0.0/0 would believe"},
		{"a proxy network", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8"}, ""},
		{"access secret missing", map[string]string{"JWT_ACCESS_SECRET": ""}, "JWT_ACCESS_SECRET is required in production"},
		{"access secret short", map[string]string{"JWT_ACCESS_SECRET": "s3cr3t"}, "JWT_ACCESS_SECRET must be at least 32 bytes"},
		{"access secret one byte", map[string]string{"JWT_ACCESS_SECRET": strings.Repeat("a", 32)}, "JWT_ACCESS_SECRET looks guessable (it is one byte repeated)"},
		{"access secret two bytes", map[string]string{"JWT_ACCESS_SECRET": strings.Repeat("ab", 16)}, "JWT_ACCESS_SECRET looks guessable (it has only 2 distinct bytes)"},
		{"access secret digits", map[string]string{"JWT_ACCESS_SECRET": "0123456789012345678901234567890123"}, "JWT_ACCESS_SECRET looks guessable (it repeats a 10-byte pattern)"},
		{"access secret alphabet", map[string]string{"JWT_ACCESS_SECRET": "abcdefghijklmnopqrstuvwxyz012345"}, "JWT_ACCESS_SECRET looks guessable (it is mostly a run"},
		{"access secret random block repeated", map[string]string{"JWT_ACCESS_SECRET": strings.Repeat("k3v9q1z7m2x8", 3)}, "JWT_ACCESS_SECRET looks guessable (it repeats a 12-byte pattern)"},
		{"refresh secret placeholder", map[string]string{"JWT_REFRESH_SECRET": "changeme-changeme-changeme-changeme"}, "JWT_REFRESH_SECRET looks guessable"},
		{"refresh secret doubled letters", map[string]string{"JWT_REFRESH_SECRET": "aabbccddeeffgghhiijjkkllmmnnoopp"}, "JWT_REFRESH_SECRET looks guessable"},

		{"metrics token missing", map[string]string{"METRICS_TOKEN": ""}, "METRICS_TOKEN is required in production"},
		{"metrics token short", map[string]string{"METRICS_TOKEN": randomHex(t, 8)}, "METRICS_TOKEN must be at least 32 bytes"},
		{"metrics token weak", map[string]string{"METRICS_TOKEN": strings.Repeat("metrics!", 4)}, "METRICS_TOKEN looks guessable"},
		{"metrics token without metrics listener", map[string]string{"METRICS_TOKEN": "", "METRICS_ADDR": "off"}, "METRICS_TOKEN is required in production"},

		{"cors wildcard", map[string]string{"CORS_ORIGIN": "*"}, `CORS_ORIGIN must not contain * in production (got "*")`},
		{"cors subdomain wildcard", map[string]string{"CORS_ORIGIN": "https://app.example.com,https://*.example.com"}, "CORS_ORIGIN must not contain *"},
		{"cors trailing slash", map[string]string{"CORS_ORIGIN": "https://app.example.com/"}, `CORS_ORIGIN entry "https://app.example.com/" is not an origin`},
		{"cors path", map[string]string{"CORS_ORIGIN": "https://app.example.com/app"}, "CORS_ORIGIN entry"},
		{"cors no scheme", map[string]string{"CORS_ORIGIN": "app.example.com"}, "CORS_ORIGIN entry"},
		{"cors other scheme", map[string]string{"CORS_ORIGIN": "ftp://app.example.com"}, "CORS_ORIGIN entry"},
		{"cors upper case", map[string]string{"CORS_ORIGIN": "https://App.Example.com"}, "CORS_ORIGIN entry"},
		{"cors query", map[string]string{"CORS_ORIGIN": "https://app.example.com?x=1"}, "CORS_ORIGIN entry"},
		{"cors user info", map[string]string{"CORS_ORIGIN": "https://me@app.example.com"}, "CORS_ORIGIN entry"},
		{"cors null", map[string]string{"CORS_ORIGIN": "null"}, "CORS_ORIGIN entry"},

		{"api rate limit off", map[string]string{"RATE_LIMIT_API_RPM": "off"}, "RATE_LIMIT_API_RPM must not be off or 0 in production"},
		{"api rate limit 0", map[string]string{"RATE_LIMIT_API_RPM": "0"}, "RATE_LIMIT_API_RPM must not be off or 0 in production"},
		{"login failures off", map[string]string{"RATE_LIMIT_LOGIN_FAILURES": "off"}, "RATE_LIMIT_LOGIN_FAILURES must not be off or 0 in production"},
		{"login failures 0", map[string]string{"RATE_LIMIT_LOGIN_FAILURES": "0"}, "RATE_LIMIT_LOGIN_FAILURES must not be off or 0 in production"},
		{"login window off", map[string]string{"RATE_LIMIT_LOGIN_WINDOW": "off"}, "RATE_LIMIT_LOGIN_WINDOW must not be off or 0 in production"},
		{"login window 0", map[string]string{"RATE_LIMIT_LOGIN_WINDOW": "0s"}, "RATE_LIMIT_LOGIN_WINDOW must not be off or 0 in production"},

		{"access tokens over an hour", map[string]string{"JWT_ACCESS_EXPIRES": "61m"}, "JWT_ACCESS_EXPIRES must be at most 1h in production (got 1h1m0s)"},
		{"access tokens for a day", map[string]string{"JWT_ACCESS_EXPIRES": "1d"}, "JWT_ACCESS_EXPIRES must be at most 1h in production (got 1d)"},
		{"refresh tokens over 90 days", map[string]string{"JWT_REFRESH_EXPIRES": "91d"}, "JWT_REFRESH_EXPIRES must be at most 90d in production (got 91d)"},
		{"refresh tokens over 90 days in hours", map[string]string{"JWT_REFRESH_EXPIRES": "2161h"}, "JWT_REFRESH_EXPIRES must be at most 90d in production (got 2161h0m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(env(prodEnv(t, tt.overrides)))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestProductionNamesEveryRefusal: one start-up error lists every refused
// variable, so an operator fixes them in one go.
func TestProductionNamesEveryRefusal(t *testing.T) {
	_, err := FromEnv(env(map[string]string{
		"APP_ENV":           "production",
		"JWT_ACCESS_SECRET": strings.Repeat("x", 40), "JWT_REFRESH_SECRET": "0123456789012345678901234567890123",
		"CORS_ORIGIN": "*", "RATE_LIMIT_API_RPM": "off", "RATE_LIMIT_LOGIN_FAILURES": "off",
		"JWT_ACCESS_EXPIRES": "2h", "JWT_REFRESH_EXPIRES": "365d",
	}))
	if err == nil {
		t.Fatal("want error, got nil")
	}
	for _, name := range []string{
		"JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "METRICS_TOKEN", "CORS_ORIGIN", "RATE_LIMIT_API_RPM",
		"RATE_LIMIT_LOGIN_FAILURES", "JWT_ACCESS_EXPIRES", "JWT_REFRESH_EXPIRES",
	} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

// TestDevelopmentAllows: what production refuses still starts a laptop.
func TestDevelopmentAllows(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"JWT_ACCESS_SECRET": strings.Repeat("a", 32), "JWT_REFRESH_SECRET": strings.Repeat("b", 32),
		"CORS_ORIGIN": "*", "RATE_LIMIT_API_RPM": "off", "RATE_LIMIT_LOGIN_FAILURES": "off",
		"JWT_ACCESS_EXPIRES": "2h", "JWT_REFRESH_EXPIRES": "365d",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIRequestsPerMinute != 0 || c.LoginFailures != 0 || c.LoginWindow != 0 || c.MetricsToken != "" {
		t.Errorf("api rpm %d, login %d per %v, metrics token %q; want all off", c.APIRequestsPerMinute, c.LoginFailures, c.LoginWindow, c.MetricsToken)
	}
}

func TestLoginLimit(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantFailures int
		wantWindow   time.Duration
		wantErr      string
	}{
		{"defaults", map[string]string{}, 10, 15 * time.Minute, ""},
		{"set", map[string]string{"RATE_LIMIT_LOGIN_FAILURES": "5", "RATE_LIMIT_LOGIN_WINDOW": "1h"}, 5, time.Hour, ""},
		{"window in days", map[string]string{"RATE_LIMIT_LOGIN_WINDOW": "1d"}, 10, 24 * time.Hour, ""},
		{"failures off", map[string]string{"RATE_LIMIT_LOGIN_FAILURES": "off"}, 0, 0, ""},
		{"window off", map[string]string{"RATE_LIMIT_LOGIN_WINDOW": "off"}, 0, 0, ""},
		{"window 0", map[string]string{"RATE_LIMIT_LOGIN_WINDOW": "0"}, 0, 0, ""},
		{"failures negative", map[string]string{"RATE_LIMIT_LOGIN_FAILURES": "-1"}, 0, 0, "RATE_LIMIT_LOGIN_FAILURES must not be negative"},
		{"window negative", map[string]string{"RATE_LIMIT_LOGIN_WINDOW": "-5m"}, 0, 0, "RATE_LIMIT_LOGIN_WINDOW must not be negative"},
		{"failures not a number", map[string]string{"RATE_LIMIT_LOGIN_FAILURES": "many"}, 0, 0, `RATE_LIMIT_LOGIN_FAILURES must be an integer, not "many"`},
		{"window not a duration", map[string]string{"RATE_LIMIT_LOGIN_WINDOW": "soon"}, 0, 0, `RATE_LIMIT_LOGIN_WINDOW must be a duration`},
		{"api negative", map[string]string{"RATE_LIMIT_API_RPM": "-10"}, 0, 0, "RATE_LIMIT_API_RPM must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, tt.env, tt.wantErr)
			if c == nil {
				return
			}
			if c.LoginFailures != tt.wantFailures || c.LoginWindow != tt.wantWindow {
				t.Errorf("login limit %d per %v, want %d per %v", c.LoginFailures, c.LoginWindow, tt.wantFailures, tt.wantWindow)
			}
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,fd00::/8,2001:db8::1, 172.16.5.4/12, ::ffff:100.64.0.0/106",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var want []netip.Prefix
	for _, s := range []string{"10.0.0.0/8", "192.0.2.7/32", "fd00::/8", "2001:db8::1/128", "172.16.0.0/12", "100.64.0.0/10"} {
		want = append(want, netip.MustParsePrefix(s))
	}
	if !slices.Equal(c.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %v, want %v", c.TrustedProxies, want)
	}

	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.300", "fe80::1%eth0", "10.0.0.0/", "/8"} {
		_, err := FromEnv(env(map[string]string{"TRUSTED_PROXIES": "10.0.0.1," + bad}))
		if want := `TRUSTED_PROXIES entry "` + bad + `" is not an IP address or CIDR`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("TRUSTED_PROXIES=10.0.0.1,%s: err = %v, want %q", bad, err, want)
		}
	}
}

// load reads the configuration of a table row: it fails the test unless
// the error matches wantErr ("" for none) and returns nil when an error
// was expected.
func load(t *testing.T, vars map[string]string, wantErr string) *Config {
	t.Helper()
	c, err := FromEnv(env(vars))
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}
