package config

import (
	"strings"
	"testing"
)

func TestMetricsSettings(t *testing.T) {
	prod := func(m map[string]string) map[string]string {
		m["APP_ENV"], m["JWT_ACCESS_SECRET"], m["JWT_REFRESH_SECRET"] = "production", randomHex(t, 32), randomHex(t, 32)
		m["MAIL_DISABLED"] = "true"
		return m
	}
	token := randomHex(t, 32)
	tests := []struct {
		name      string
		env       map[string]string
		wantAddr  string
		wantToken string
		wantErr   string // substring; empty = no error
	}{
		{"defaults", map[string]string{}, ":9091", "", ""},
		{"off", map[string]string{"METRICS_ADDR": "off"}, "", "", ""},
		{"host and port", map[string]string{"METRICS_ADDR": "0.0.0.0:9100"}, "0.0.0.0:9100", "", ""},
		{"no port", map[string]string{"METRICS_ADDR": "9091"}, "", "", "METRICS_ADDR must be host:port"},
		{"bad port", map[string]string{"METRICS_ADDR": ":http-ish"}, "", "", "METRICS_ADDR must have a port number"},
		{"token", map[string]string{"METRICS_TOKEN": " tok "}, ":9091", "tok", ""},
		{"token with space", map[string]string{"METRICS_TOKEN": "a b"}, "", "", "METRICS_TOKEN must not contain whitespace"},
		{"no token in production", prod(map[string]string{}), "", "", "METRICS_TOKEN is required in production"},
		{"short token in production", prod(map[string]string{"METRICS_TOKEN": "short"}), "", "", "METRICS_TOKEN must be at least 32 bytes"},
		{"weak token in production", prod(map[string]string{"METRICS_TOKEN": strings.Repeat("t", 32)}), "", "", "METRICS_TOKEN looks guessable"},
		{"token in production", prod(map[string]string{"METRICS_TOKEN": token}), ":9091", token, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, tt.env, tt.wantErr)
			if c == nil {
				return
			}
			if c.MetricsAddr != tt.wantAddr || c.MetricsToken != tt.wantToken {
				t.Errorf("addr %q token %q, want %q %q", c.MetricsAddr, c.MetricsToken, tt.wantAddr, tt.wantToken)
			}
		})
	}
}
