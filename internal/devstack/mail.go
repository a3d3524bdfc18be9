package devstack

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/quizflow/quizflow/internal/embedded"
)

// startMailSink runs the embedded SMTP sink on loopback for the dev
// stack: each message is printed to out (to, subject, every link) and kept
// as an .eml file in dir, so the verify and reset links can be clicked
// without a mail server.
func startMailSink(ctx context.Context, dir string, out io.Writer) (*embedded.SMTP, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create mail directory: %w", err)
	}
	var mu sync.Mutex
	n := 0
	return embedded.StartSMTP(ctx, embedded.OnMessage(func(m embedded.Message) {
		mu.Lock()
		defer mu.Unlock()
		n++
		name := filepath.Join(dir, fmt.Sprintf("%s-%03d.eml", m.Received.UTC().Format("20060102T150405Z"), n))
		if err := os.WriteFile(name, m.Data, 0o600); err != nil {
			fmt.Fprintf(out, "mail       could not keep a message: %v\n", err)
		}
		printMail(out, m, name)
	}))
}

var urlRe = regexp.MustCompile(`https?://[^\s"<>]+`)

// printMail writes one message for a person at the console.
func printMail(out io.Writer, m embedded.Message, file string) {
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		fmt.Fprintf(out, "mail       to %s (unreadable: %v) in %s\n", strings.Join(m.To, ", "), err, file)
		return
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	fmt.Fprintf(out, "\nmail       %s\n  to       %s\n  subject  %s\n", m.Received.Format(time.TimeOnly), strings.Join(m.To, ", "), subject)
	for _, l := range urlRe.FindAllString(plainText(msg), -1) {
		fmt.Fprintf(out, "  link     %s\n", l)
	}
	fmt.Fprintf(out, "  file     %s\n\n", file)
}

// plainText returns the text/plain part of msg (decoded), or its body.
func plainText(msg *mail.Message) string {
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(io.LimitReader(msg.Body, 1<<20))
		return string(b)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			return ""
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			var body io.Reader = p
			if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				body = quotedprintable.NewReader(p)
			}
			b, _ := io.ReadAll(io.LimitReader(body, 1<<20))
			return string(b)
		}
	}
}
