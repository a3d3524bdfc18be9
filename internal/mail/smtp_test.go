package mail

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func startSink(t *testing.T) (*embedded.SMTP, *SMTP) {
	t.Helper()
	sink, err := embedded.StartSMTP(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	cfg, err := ParseSMTPURL(sink.URL + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSMTP(cfg, "QuizFlow <noreply@quizflow.example>")
	if err != nil {
		t.Fatal(err)
	}
	return sink, s
}

func envelope(t *testing.T, to string) Envelope {
	t.Helper()
	m, err := Render(quizflow.MailQuizReady, fixedData(quizflow.MailQuizReady))
	if err != nil {
		t.Fatal(err)
	}
	return Envelope{ID: "quiz_ready:job_1", To: to, Name: "Ada", Message: m,
		UnsubscribeURL: "https://quizflow.example/unsubscribe?token=abc.def", ReplyTo: "help@quizflow.example"}
}

// TestSendHeaders sends one message to the embedded sink and reads its
// headers and parts back.
func TestSendHeaders(t *testing.T) {
	sink, s := startSink(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, err := s.Send(ctx, envelope(t, "ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := sink.WaitFor(ctx, func(embedded.Message) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	for k, want := range map[string]string{
		"Message-Id":            "<" + id + ">",
		"List-Unsubscribe":      "<https://quizflow.example/unsubscribe?token=abc.def>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Reply-To":              "<help@quizflow.example>",
		"Auto-Submitted":        "auto-generated",
	} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
	if id != MessageID("quiz_ready:job_1", &mail.Address{Address: "noreply@quizflow.example"}) || !strings.HasSuffix(id, "@quizflow.example") {
		t.Errorf("Message-ID %q is not derived from the cause", id)
	}
	if got.To[0] != "ada@example.com" {
		t.Errorf("envelope to = %v", got.To)
	}
}

// TestSendRefusals: a 4xx at RCPT TO is a transient *RejectedError, a 5xx
// a permanent one about the recipient; a server that cannot be reached is
// a plain (transient) error.
func TestSendRefusals(t *testing.T) {
	sink, s := startSink(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sink.Refuse("busy@example.com", 451, "4.3.0", "try again later")
	sink.Refuse("gone@example.com", 550, "5.1.1", "no such mailbox")

	_, err := s.Send(ctx, envelope(t, "busy@example.com"))
	var re *RejectedError
	if !errors.As(err, &re) || re.Code != 451 || re.Permanent() || re.Stage != StageRcptTo {
		t.Errorf("451: %v (%+v)", err, re)
	}
	_, err = s.Send(ctx, envelope(t, "gone@example.com"))
	if !errors.As(err, &re) || re.Code != 550 || !re.Permanent() || !re.RecipientRefused() || re.Enhanced != "5.1.1" {
		t.Errorf("550: %v (%+v)", err, re)
	}
	if !Permanent(err) {
		t.Error("Permanent(550) = false")
	}
	sink.Accept("busy@example.com")
	if _, err := s.Send(ctx, envelope(t, "busy@example.com")); err != nil {
		t.Errorf("after Accept: %v", err)
	}

	addr := sink.Addr
	sink.Close()
	cfg, _ := ParseSMTPURL("smtp://" + addr + "?tls=none")
	cfg.Timeout = 2 * time.Second
	down, _ := NewSMTP(cfg, "noreply@quizflow.example")
	_, err = down.Send(ctx, envelope(t, "ada@example.com"))
	if err == nil || errors.As(err, &re) || Permanent(err) {
		t.Errorf("server down: %v, want a transient error", err)
	}
}

// TestStartTLSRequired: smtp:// without tls=none refuses a server that
// offers no STARTTLS rather than sending in the clear.
func TestStartTLSRequired(t *testing.T) {
	sink, _ := startSink(t)
	cfg, _ := ParseSMTPURL(sink.URL)
	s, _ := NewSMTP(cfg, "noreply@quizflow.example")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.Send(ctx, envelope(t, "ada@example.com")); err == nil {
		t.Fatal("sent in the clear to a server without STARTTLS")
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages arrived", n)
	}
}
