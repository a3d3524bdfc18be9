package config

import (
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/mail"
)

func TestMailSettings(t *testing.T) {
	load := func(m map[string]string) (*Config, error) { return FromEnv(func(k string) string { return m[k] }) }

	c, err := load(map[string]string{})
	if err != nil || c.MailOn() || c.PublicURL != "http://localhost:8080" || c.MailFrom != "QuizFlow <noreply@example.com>" {
		t.Errorf("defaults: %+v %v", c, err)
	}
	c, err = load(map[string]string{"SMTP_URL": "smtps://u:p@smtp.example.com", "PUBLIC_URL": "https://q.example.com/"})
	if err != nil || !c.MailOn() || c.SMTP.TLS != mail.TLSImplicit || c.SMTP.Port != 465 || c.PublicURL != "https://q.example.com" {
		t.Errorf("smtps: %+v %v", c, err)
	}
	c, err = load(map[string]string{"SMTP_URL": "smtp://127.0.0.1:1025?tls=none", "MAIL_DISABLED": "true"})
	if err != nil || c.MailOn() {
		t.Errorf("disabled on purpose: on=%v %v", c.MailOn(), err)
	}

	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"bad scheme":       {map[string]string{"SMTP_URL": "http://mail.example.com"}, "SMTP_URL must start with smtp://"},
		"bad tls":          {map[string]string{"SMTP_URL": "smtp://h?tls=off"}, "SMTP_URL has tls="},
		"bad from":         {map[string]string{"MAIL_FROM": "not an address"}, "MAIL_FROM"},
		"bad public url":   {map[string]string{"PUBLIC_URL": "quizflow.example.com"}, "PUBLIC_URL"},
		"prod without":     {prodEnv(t, map[string]string{"MAIL_DISABLED": ""}), "SMTP_URL is required in production"},
		"prod plain links": {prodEnv(t, map[string]string{"MAIL_DISABLED": "", "SMTP_URL": "smtp://u:p@smtp.example.com", "PUBLIC_URL": "http://q.example.com"}), "PUBLIC_URL must be https://"},
	} {
		_, err := load(tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
	if _, err := load(prodEnv(t, map[string]string{"MAIL_DISABLED": "", "SMTP_URL": "smtp://u:p@smtp.example.com", "PUBLIC_URL": "https://q.example.com"})); err != nil {
		t.Errorf("production with mail: %v", err)
	}
}
