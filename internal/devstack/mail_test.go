package devstack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/mail"
	"github.com/quizflow/quizflow/internal/quizflow"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestMailSink: a message sent to the dev sink is printed with its
// recipient, subject and links, and kept as an .eml file.
func TestMailSink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	var out lockedBuffer
	sink, err := startMailSink(context.Background(), dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	cfg, _ := mail.ParseSMTPURL(sink.URL + "?tls=none")
	s, _ := mail.NewSMTP(cfg, "QuizFlow <noreply@example.com>")
	m, err := mail.Render(quizflow.MailPasswordReset, mail.Data{Name: "Dev", ActionURL: "http://127.0.0.1:8080/reset-password?token=abc"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.Send(ctx, mail.Envelope{ID: "reset:usr_1:1", To: "dev@quizflow.local", Message: m}); err != nil {
		t.Fatal(err)
	}
	if _, err := sink.WaitFor(ctx, func(embedded.Message) bool { return true }); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"to       dev@quizflow.local", "subject  Reset your QuizFlow password", "link     http://127.0.0.1:8080/reset-password?token=abc", ".eml"} {
		if !strings.Contains(got, want) {
			t.Errorf("console lacks %q:\n%s", want, got)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("eml files: %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), "Subject: Reset your QuizFlow password") {
		t.Errorf("eml:\n%s", b)
	}
}
