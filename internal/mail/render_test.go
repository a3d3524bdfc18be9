package mail

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/quizflow/quizflow/internal/quizflow"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedData is what every kind is rendered with for its golden files: a
// title and a name that try to break out of the HTML.
func fixedData(kind string) Data {
	d := Data{
		Name: "Ada <b>Lovelace</b>", Email: "ada@example.com",
		ActionURL: "https://quizflow.example/verify-email?token=tok_123&x=1",
		Title:     `<script>alert("x")</script> Cells & "Life"`, Count: 7,
		Warnings: []string{"Only 7 of 10 questions: the document is short.", "<img src=x onerror=alert(1)>"},
		Reason:   "This PDF is encrypted; upload a copy without a password.",
		Format:   "moodle-xml", KeyName: "grader <i>bot</i>", KeyPrefix: "qf_abcdef", KeyScopes: "read",
		OldEmail: "old@example.com", NewEmail: "new@example.com",
		When: "3 March 2026 at 09:15 UTC",
	}
	if kind == quizflow.MailBackupFailed {
		d.Backup, d.Operator = "20260303T030000Z", true
	}
	if quizflow.IsNotification(kind) {
		d.UnsubscribeURL = "https://quizflow.example/unsubscribe?token=abc.def"
	}
	return d
}

// TestGolden renders every kind with fixed data and compares subject, text
// and HTML with testdata/<kind>.{txt,html} (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, kind := range quizflow.MailKinds {
		t.Run(kind, func(t *testing.T) {
			m, err := Render(kind, fixedData(kind))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, kind+".txt", "Subject: "+m.Subject+"\n\n"+m.Text)
			golden(t, kind+".html", m.HTML)
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update ./internal/mail/ to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

// TestHTMLParsesAndEscapes: each HTML part parses, holds no element or
// attribute that user text tried to inject, no image (no tracking pixel)
// and no script, and keeps the hostile title as text.
func TestHTMLParsesAndEscapes(t *testing.T) {
	for _, kind := range quizflow.MailKinds {
		t.Run(kind, func(t *testing.T) {
			m, err := Render(kind, fixedData(kind))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(strings.NewReader(m.HTML))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			var text strings.Builder
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.ElementNode {
					switch n.Data {
					case "script", "img", "i", "b", "iframe", "object":
						t.Errorf("element <%s> in the HTML part", n.Data)
					}
					for _, a := range n.Attr {
						if strings.HasPrefix(a.Key, "on") {
							t.Errorf("attribute %s on <%s>", a.Key, n.Data)
						}
					}
				}
				if n.Type == html.TextNode {
					text.WriteString(n.Data)
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>Lovelace") {
				t.Errorf("unescaped user text in HTML:\n%s", m.HTML)
			}
			if !strings.Contains(text.String(), "Ada <b>Lovelace</b>") {
				t.Errorf("the name is not kept as text: %q", text.String())
			}
			if strings.Contains(m.Subject, "\n") {
				t.Errorf("subject has a line break: %q", m.Subject)
			}
		})
	}
}

func TestSubjectIsOneBoundedLine(t *testing.T) {
	d := fixedData(quizflow.MailQuizReady)
	d.Title = "Line one\r\nBcc: victim@example.com\n" + strings.Repeat("x", 1000)
	m, err := Render(quizflow.MailQuizReady, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || len([]rune(m.Subject)) > maxSubjectRunes {
		t.Errorf("subject = %q (%d runes)", m.Subject, len([]rune(m.Subject)))
	}
}

func TestUnsubscribeToken(t *testing.T) {
	key := []byte("k1")
	tok := UnsubscribeToken(key, "usr_abc", quizflow.MailQuizReady)
	u, k, err := ParseUnsubscribeToken(key, tok)
	if err != nil || u != "usr_abc" || k != quizflow.MailQuizReady {
		t.Fatalf("parse = %q %q %v", u, k, err)
	}
	for _, bad := range []string{"", "x", tok + "x", UnsubscribeToken([]byte("other"), "usr_abc", quizflow.MailQuizReady), strings.Repeat("a", 300)} {
		if _, _, err := ParseUnsubscribeToken(key, bad); err != ErrBadToken {
			t.Errorf("token %q: %v, want ErrBadToken", bad, err)
		}
	}
}

func TestParseSMTPURL(t *testing.T) {
	for raw, want := range map[string]SMTPConfig{
		"smtp://u:p@mail.example.com":           {Host: "mail.example.com", Port: 587, Username: "u", Password: "p", TLS: TLSStartTLS},
		"smtps://u:p@mail.example.com":          {Host: "mail.example.com", Port: 465, Username: "u", Password: "p", TLS: TLSImplicit},
		"smtp://127.0.0.1:1025?tls=none":        {Host: "127.0.0.1", Port: 1025, TLS: TLSNone},
		"smtp://apikey:k%2Fy@smtp.sendgrid.net": {Host: "smtp.sendgrid.net", Port: 587, Username: "apikey", Password: "k/y", TLS: TLSStartTLS},
	} {
		got, err := ParseSMTPURL(raw)
		if err != nil || got != want {
			t.Errorf("%s = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, bad := range []string{"http://x", "smtp://", "smtps://h?tls=none", "smtp://h?tls=maybe", "smtp://h:99999", "smtp://h?foo=1"} {
		if _, err := ParseSMTPURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
