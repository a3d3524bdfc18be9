package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of an SMTP connection.
const (
	// TLSStartTLS upgrades the connection with STARTTLS and refuses a
	// server that does not offer it (smtp://, the default).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (smtps://, port 465).
	TLSImplicit = "implicit"
	// TLSNone sends in the clear (smtp://...?tls=none): for a relay on
	// loopback or a test server only.
	TLSNone = "none"
)

// SMTPConfig says how to reach the SMTP server.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 (STARTTLS), 465 (implicit TLS) or 25 (none).
	Port int
	// Username and Password, if set, authenticate (the best mechanism the
	// server offers).
	Username, Password string
	// TLS is TLSStartTLS (zero value), TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds connecting and each command; zero means 30 seconds.
	Timeout time.Duration
}

// ParseSMTPURL reads SMTP_URL: smtp://user:pass@host:587 (STARTTLS
// required), smtps://user:pass@host:465 (implicit TLS), with ?tls=none on
// smtp:// to send without TLS.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, errors.New("is not a URL")
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = TLSStartTLS, 587
	case "smtps":
		c.TLS, c.Port = TLSImplicit, 465
	default:
		return c, fmt.Errorf("must start with smtp:// (STARTTLS) or smtps:// (implicit TLS), not %q", u.Scheme+"://")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("has no host")
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return c, fmt.Errorf("has an unknown parameter %q (only tls=none is understood)", k)
		}
	}
	switch tls := q.Get("tls"); tls {
	case "":
	case "none":
		if u.Scheme == "smtps" {
			return c, errors.New("cannot be smtps:// with tls=none")
		}
		c.TLS, c.Port = TLSNone, 25
	default:
		return c, fmt.Errorf("has tls=%q; the only value is none (STARTTLS is the default, smtps:// is implicit TLS)", tls)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("has a bad port %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	return c, nil
}

// Envelope is one message to send: who to, the composed message and the
// cause it is sent for.
type Envelope struct {
	// ID is the message's cause ("quiz_ready:job_..."); the Message-ID is
	// derived from it, so a message sent twice by accident is recognisably
	// the same.
	ID string
	// To and Name are the recipient.
	To, Name string
	*Message
	// UnsubscribeURL, if set, becomes List-Unsubscribe with one-click
	// List-Unsubscribe-Post (RFC 8058).
	UnsubscribeURL string
	// ReplyTo, if set, is where replies go.
	ReplyTo string
	// Date is the message's date; zero means now.
	Date time.Time
}

// SMTP sends messages to one SMTP server, a connection per message.
type SMTP struct {
	cfg  SMTPConfig
	from *netmail.Address
}

// NewSMTP returns a sender from the address from ("QuizFlow
// <noreply@example.com>"), the MAIL_FROM form.
func NewSMTP(cfg SMTPConfig, from string) (*SMTP, error) {
	addr, err := ParseFrom(from)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &SMTP{cfg: cfg, from: addr}, nil
}

// ParseFrom reads a MAIL_FROM value: an address with an optional name.
func ParseFrom(from string) (*netmail.Address, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("is not an address such as QuizFlow <noreply@example.com>: %v", err)
	}
	return addr, nil
}

// MessageID returns the Message-ID (without angle brackets) of the message
// of cause id sent from the domain of from.
func MessageID(id string, from *netmail.Address) string {
	sum := sha256.Sum256([]byte(id))
	domain := "quizflow.invalid"
	if _, d, ok := strings.Cut(from.Address, "@"); ok && d != "" {
		domain = d
	}
	return "qf." + hex.EncodeToString(sum[:12]) + "@" + domain
}

// Build returns the go-mail message of e: both parts, the headers, no
// tracking of any kind.
func (s *SMTP) Build(e Envelope) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.FromFormat(s.from.Name, s.from.Address); err != nil {
		return nil, fmt.Errorf("mail from: %w", err)
	}
	if err := m.AddToFormat(e.Name, e.To); err != nil {
		return nil, fmt.Errorf("mail to %q: %w", e.To, err)
	}
	if e.ReplyTo != "" {
		if err := m.ReplyTo(e.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to: %w", err)
		}
	}
	m.Subject(e.Subject)
	m.SetMessageIDWithValue(MessageID(e.ID, s.from))
	if e.Date.IsZero() {
		m.SetDate()
	} else {
		m.SetDateWithValue(e.Date)
	}
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	if e.UnsubscribeURL != "" {
		m.SetGenHeader("List-Unsubscribe", "<"+e.UnsubscribeURL+">")
		m.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	m.SetBodyString(gomail.TypeTextPlain, e.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	return m, nil
}

// Send delivers e and returns its Message-ID. A refusal by the server is
// a *RejectedError (4xx: try again later; 5xx: never); anything else
// (cannot connect, TLS, a cut connection) is returned wrapped and is worth
// retrying.
func (s *SMTP) Send(ctx context.Context, e Envelope) (string, error) {
	m, err := s.Build(e)
	if err != nil {
		return "", &RejectedError{Code: 550, Stage: StageCompose, Err: err}
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return "", fmt.Errorf("smtp client for %s: %w", s.cfg.Host, err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return "", classify(err)
	}
	return MessageID(e.ID, s.from), nil
}

// Stages of a refused message.
const (
	StageMailFrom = "MAIL FROM"
	StageRcptTo   = "RCPT TO"
	StageData     = "DATA"
	StageCompose  = "compose"
)

// RejectedError is a message the SMTP server refused with a reply code.
type RejectedError struct {
	// Code is the SMTP reply code (4xx transient, 5xx permanent).
	Code int
	// Enhanced is the RFC 3463 status code (5.1.1), when the server gave one.
	Enhanced string
	// Stage is the command that was refused (StageRcptTo, ...).
	Stage string
	Err   error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("smtp server refused the message at %s with %d %s: %v", e.Stage, e.Code, e.Enhanced, e.Err)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// Permanent reports whether the refusal is final (5xx): retrying the same
// message cannot succeed.
func (e *RejectedError) Permanent() bool { return e.Code >= 500 }

// RecipientRefused reports whether the refusal is about the recipient's
// address (a 5xx at RCPT TO or DATA, such as 550 5.1.1 unknown mailbox),
// rather than about the sender or the message's form.
func (e *RejectedError) RecipientRefused() bool {
	return e.Permanent() && (e.Stage == StageRcptTo || e.Stage == StageData)
}

// classify turns go-mail's error into a *RejectedError when the server
// answered with a 4xx or 5xx reply, by the reply code go-mail's typed
// SendError carries; anything else stays a plain (transient) error.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 400 && code < 600 {
			stage := StageData
			switch se.Reason {
			case gomail.ErrSMTPMailFrom:
				stage = StageMailFrom
			case gomail.ErrSMTPRcptTo:
				stage = StageRcptTo
			}
			return &RejectedError{Code: code, Enhanced: se.EnhancedStatusCode(), Stage: stage, Err: err}
		}
	}
	return fmt.Errorf("smtp: %w", err)
}

// Permanent reports whether err is a permanent refusal (see
// RejectedError.Permanent).
func Permanent(err error) bool {
	var re *RejectedError
	return errors.As(err, &re) && re.Permanent()
}
