package config

import "testing"

func TestObservabilitySettings(t *testing.T) {
	for _, tc := range []struct {
		env          map[string]string
		wantEndpoint string
		wantEnv      string
		wantErr      bool
	}{
		{env: map[string]string{}, wantEnv: "development"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, wantEndpoint: "http://collector:4318/v1/traces", wantEnv: "development"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b/custom"}, wantEndpoint: "https://b/custom", wantEnv: "development"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, wantErr: true},
		{env: map[string]string{"APP_ENV": "test", "SENTRY_DSN": "https://k@sentry.example/1"}, wantEnv: "test"},
		{env: map[string]string{"SENTRY_ENVIRONMENT": "staging"}, wantEnv: "staging"},
	} {
		c, err := FromEnv(func(k string) string { return tc.env[k] })
		if tc.wantErr {
			if err == nil {
				t.Errorf("%v: accepted", tc.env)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if c.OTelEndpoint != tc.wantEndpoint || c.SentryEnvironment != tc.wantEnv || c.SentryDSN != tc.env["SENTRY_DSN"] {
			t.Errorf("%v: endpoint %q sentry env %q dsn %q; want %q, %q", tc.env, c.OTelEndpoint, c.SentryEnvironment, c.SentryDSN, tc.wantEndpoint, tc.wantEnv)
		}
	}
}
