package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.AccessTTL != 15*time.Minute || c.RefreshTTL != 7*24*time.Hour || c.MaxFileSize != 50<<20 {
		t.Errorf("defaults = port %d access %v refresh %v max %d", c.Port, c.AccessTTL, c.RefreshTTL, c.MaxFileSize)
	}
	if c.Production() {
		t.Error("default env is production")
	}
	if c.LoginFailures != 10 || c.LoginWindow != 15*time.Minute || c.TrustedProxies != nil || c.APIRequestsPerMinute != 600 {
		t.Errorf("defaults = login %d per %v, proxies %v, api rpm %d", c.LoginFailures, c.LoginWindow, c.TrustedProxies, c.APIRequestsPerMinute)
	}
}

func TestProductionSecrets(t *testing.T) {
	strong := randomHex(t, 32)
	prod := func(m map[string]string) map[string]string {
		m["APP_ENV"], m["METRICS_TOKEN"], m["MAIL_DISABLED"] = "production", randomHex(t, 32), "true"
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings; empty = no error
	}{
		{"missing", prod(map[string]string{}), []string{"JWT_ACCESS_SECRET is required", "JWT_REFRESH_SECRET is required"}},
		{"short", prod(map[string]string{"JWT_ACCESS_SECRET": "short", "JWT_REFRESH_SECRET": strong}), []string{"JWT_ACCESS_SECRET must be at least 32 bytes"}},
		{"same", prod(map[string]string{"JWT_ACCESS_SECRET": strong, "JWT_REFRESH_SECRET": strong}), []string{"JWT_REFRESH_SECRET must differ"}},
		{"ok", prod(map[string]string{"JWT_ACCESS_SECRET": strong, "JWT_REFRESH_SECRET": randomHex(t, 40)}), nil},
		{"rotation window", prod(map[string]string{"JWT_ACCESS_SECRET": strong, "JWT_REFRESH_SECRET": randomHex(t, 40),
			"JWT_ACCESS_SECRET_PREVIOUS": randomHex(t, 32), "JWT_REFRESH_SECRET_PREVIOUS": randomHex(t, 32)}), nil},
		{"previous is current", prod(map[string]string{"JWT_ACCESS_SECRET": strong, "JWT_REFRESH_SECRET": randomHex(t, 40),
			"JWT_ACCESS_SECRET_PREVIOUS": strong}), []string{"JWT_ACCESS_SECRET_PREVIOUS is JWT_ACCESS_SECRET itself"}},
		{"previous refresh short", prod(map[string]string{"JWT_ACCESS_SECRET": strong, "JWT_REFRESH_SECRET": randomHex(t, 40),
			"JWT_REFRESH_SECRET_PREVIOUS": "old"}), []string{"JWT_REFRESH_SECRET_PREVIOUS must be at least 32 bytes"}},
		{"previous outside production", map[string]string{"JWT_REFRESH_SECRET": "r", "JWT_REFRESH_SECRET_PREVIOUS": "r"},
			[]string{"JWT_REFRESH_SECRET_PREVIOUS is JWT_REFRESH_SECRET itself"}},
		{"dev needs none", map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(env(tt.env))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want error, got nil")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParsing(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"MAX_FILE_SIZE": "5MiB", "JWT_REFRESH_EXPIRES": "30d", "JWT_ACCESS_EXPIRES": "5m",
		"GENERATION_ANSWER_CHECK": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxFileSize != 5<<20 || c.RefreshTTL != 30*24*time.Hour || c.AccessTTL != 5*time.Minute || c.AnswerCheck {
		t.Errorf("parsed %+v", c)
	}
	_, err = FromEnv(env(map[string]string{"PORT": "eighty", "MAX_FILE_SIZE": "big", "REDIS_URL": "nope"}))
	for _, w := range []string{"PORT", "MAX_FILE_SIZE", "REDIS_URL"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not name %s", err, w)
		}
	}
}
