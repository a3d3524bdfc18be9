package embedded_test

import (
	"context"
	"errors"
	"net/mail"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/embedded"
)

func startSMTP(t *testing.T) *embedded.SMTP {
	t.Helper()
	s, err := embedded.StartSMTP(testContext(t))
	if err != nil {
		t.Fatalf("StartSMTP: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestSMTP(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	s := startSMTP(t)
	if s.URL != "smtp://"+s.Addr || !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Fatalf("Addr %q, URL %q", s.Addr, s.URL)
	}

	// A waiter that starts before the message arrives is woken by it.
	type result struct {
		m   embedded.Message
		err error
	}
	waited := make(chan result, 1)
	go func() {
		m, err := s.WaitFor(ctx, func(m embedded.Message) bool {
			return strings.Contains(string(m.Data), "Subject: Your quiz is ready")
		})
		waited <- result{m, err}
	}()

	// Without authentication.
	if err := smtp.SendMail(s.Addr, nil, "noreply@quizflow.test", []string{"x@example.com"},
		[]byte("Subject: unrelated\r\n\r\nignore me\r\n")); err != nil {
		t.Fatalf("SendMail without auth: %v", err)
	}
	// With PLAIN authentication over plain TCP (net/smtp allows it for 127.0.0.1).
	auth := smtp.PlainAuth("", "user", "any-password", "127.0.0.1")
	raw := "From: QuizFlow <noreply@quizflow.test>\r\nTo: ada@example.com, bob@example.com\r\n" +
		"Subject: Your quiz is ready\r\n\r\nOpen it here.\r\n"
	if err := smtp.SendMail(s.Addr, auth, "noreply@quizflow.test", []string{"ada@example.com", "bob@example.com"}, []byte(raw)); err != nil {
		t.Fatalf("SendMail with auth: %v", err)
	}

	r := <-waited
	if r.err != nil {
		t.Fatalf("WaitFor: %v", r.err)
	}
	if r.m.From != "noreply@quizflow.test" || strings.Join(r.m.To, ",") != "ada@example.com,bob@example.com" {
		t.Fatalf("envelope = %q -> %q", r.m.From, r.m.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(r.m.Data)))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	if got := msg.Header.Get("Subject"); got != "Your quiz is ready" {
		t.Fatalf("Subject = %q", got)
	}
	if n := len(s.Messages()); n != 2 {
		t.Fatalf("Messages() has %d; want 2", n)
	}

	// A message that already arrived is found at once.
	if _, err := s.WaitFor(ctx, func(m embedded.Message) bool { return strings.Contains(string(m.Data), "unrelated") }); err != nil {
		t.Fatalf("WaitFor earlier message: %v", err)
	}

	// No match: WaitFor ends with the context.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.WaitFor(short, func(embedded.Message) bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor without match: err = %v; want deadline exceeded", err)
	}
}

func TestSMTPCloseWakesWaiters(t *testing.T) {
	t.Parallel()
	s := startSMTP(t)
	done := make(chan error, 1)
	go func() {
		_, err := s.WaitFor(context.Background(), func(embedded.Message) bool { return false })
		done <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("WaitFor after Close returned no error")
		}
	case <-testContext(t).Done():
		t.Fatal("WaitFor did not return after Close")
	}
}
