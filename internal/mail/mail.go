// Package mail composes QuizFlow's emails from templates and sends them
// over SMTP.
//
// Each kind of message (quizflow.MailVerifyEmail, ...) is one folder of
// templates/: subject.txt, body.txt (text/template) and body.html
// (html/template, so user text such as a document title is escaped), set
// in a shared layout. Render fills them; SMTP sends the result as
// multipart/alternative with both parts, a Message-ID derived from the
// message's cause, and List-Unsubscribe headers (RFC 2369, RFC 8058) on
// notifications.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

//go:embed templates
var templateFS embed.FS

// Data is what a message says. Fields a kind does not use stay empty.
// Every string is user or document text as far as the templates know:
// the HTML part escapes it, the subject is cut to one bounded line.
type Data struct {
	// Name and Email are the recipient's.
	Name, Email string
	// ActionURL is the one link the message is about: verify, reset, the
	// quiz, the export.
	ActionURL string
	// UnsubscribeURL, set on notifications, stops this kind of message.
	UnsubscribeURL string
	// Title is the quiz's (or its document's) title; Count its questions.
	Title string
	Count int
	// Warnings are a finished job's notes (fewer questions, left out).
	Warnings []string
	// Reason says why a job failed, as the job's error says it.
	Reason string
	// Format is an export's format name.
	Format string
	// KeyName, KeyPrefix and KeyScopes describe a new API key.
	KeyName, KeyPrefix, KeyScopes string
	// OldEmail and NewEmail are the two addresses of an address change.
	OldEmail, NewEmail string
	// When is the event's time, as the message writes it.
	When string
	// ReplyTo is the address replies go to, if any.
	ReplyTo string
	// Backup is the ID (time slot, UTC) of the backup an operator's
	// message is about.
	Backup string
	// Operator marks a message sent to the recipient as an operator of
	// the service (backup_failed); its footer says so.
	Operator bool
	// Subject is filled by Render for the HTML title.
	Subject string
}

// Message is one composed email.
type Message struct {
	Kind    string
	Subject string
	Text    string
	HTML    string
}

// Bounds on what templates get, so a hostile title cannot make a huge or
// multi-line subject.
const (
	maxSubjectRunes = 150
	maxFieldRunes   = 500
	maxWarnings     = 20
)

type kindTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

var templates = mustParse()

func mustParse() map[string]kindTemplates {
	out := map[string]kindTemplates{}
	for _, kind := range quizflow.MailKinds {
		t, err := parseKind(kind)
		if err != nil {
			panic(fmt.Sprintf("mail templates: %s: %v", kind, err))
		}
		out[kind] = t
	}
	return out
}

func parseKind(kind string) (kindTemplates, error) {
	subject, err := fs.ReadFile(templateFS, "templates/"+kind+"/subject.txt")
	if err != nil {
		return kindTemplates{}, err
	}
	var t kindTemplates
	if t.subject, err = texttemplate.New("subject").Option("missingkey=error").Parse(strings.TrimSpace(string(subject))); err != nil {
		return t, err
	}
	if t.text, err = texttemplate.New("layout.txt").Option("missingkey=error").ParseFS(templateFS, "templates/layout.txt", "templates/"+kind+"/body.txt"); err != nil {
		return t, err
	}
	if t.html, err = htmltemplate.New("layout.html").Option("missingkey=error").ParseFS(templateFS, "templates/layout.html", "templates/"+kind+"/body.html"); err != nil {
		return t, err
	}
	return t, nil
}

// Render composes the message of kind with d. It returns an error for an
// unknown kind or a template that fails.
func Render(kind string, d Data) (*Message, error) {
	t, ok := templates[kind]
	if !ok {
		return nil, fmt.Errorf("render mail: unknown kind %q", kind)
	}
	d = bounded(d)
	var subj bytes.Buffer
	if err := t.subject.Execute(&subj, d); err != nil {
		return nil, fmt.Errorf("render %s subject: %w", kind, err)
	}
	d.Subject = oneLine(subj.String(), maxSubjectRunes)
	var text, html bytes.Buffer
	if err := t.text.Execute(&text, d); err != nil {
		return nil, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := t.html.Execute(&html, d); err != nil {
		return nil, fmt.Errorf("render %s html: %w", kind, err)
	}
	return &Message{Kind: kind, Subject: d.Subject, Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}

// bounded cuts every field to a sane length and the titles to one line.
func bounded(d Data) Data {
	for _, p := range []*string{&d.Name, &d.Email, &d.Reason, &d.Format, &d.KeyName, &d.KeyPrefix,
		&d.KeyScopes, &d.OldEmail, &d.NewEmail, &d.When, &d.ReplyTo, &d.Backup} {
		*p = oneLine(*p, maxFieldRunes)
	}
	d.Title = oneLine(d.Title, maxSubjectRunes)
	if len(d.Warnings) > maxWarnings {
		d.Warnings = append(d.Warnings[:maxWarnings:maxWarnings], fmt.Sprintf("and %d more", len(d.Warnings)-maxWarnings))
	}
	ws := make([]string, len(d.Warnings))
	for i, w := range d.Warnings {
		ws[i] = oneLine(w, maxFieldRunes)
	}
	d.Warnings = ws
	return d
}

// oneLine replaces control characters (line breaks included) with spaces,
// collapses runs of space and cuts s to max runes with an ellipsis.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == ' ' || r == '\t' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= max {
			break
		}
		b.WriteRune(r)
		n++
	}
	out := b.String()
	if utf8.RuneCountInString(out) >= max && utf8.RuneCountInString(s) > max {
		r := []rune(out)
		out = string(r[:max-1]) + "…"
	}
	return out
}

// FormatTime writes t as messages show it: UTC, to the minute.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2 January 2006 at 15:04 UTC")
}
