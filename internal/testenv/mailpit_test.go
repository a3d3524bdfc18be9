package testenv

import (
	"net/smtp"
	"strings"
	"testing"
	"time"
)

// TestMailpit sends one message to the shared Mailpit and reads it back
// through its API.
func TestMailpit(t *testing.T) {
	mp := MailpitServer(t)
	addr := strings.TrimSuffix(strings.TrimPrefix(mp.SMTPURL, "smtp://"), "?tls=none")
	body := "From: a@example.com\r\nTo: mp-test@example.com\r\nSubject: hello\r\n\r\nbody\r\n"
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"mp-test@example.com"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	m := mp.WaitFor(t, "mp-test@example.com", 20*time.Second, func(m MailpitMessage) bool { return m.Subject == "hello" })
	if !strings.Contains(m.Text, "body") || m.Headers["Subject"][0] != "hello" {
		t.Errorf("read back %+v", m)
	}
}
