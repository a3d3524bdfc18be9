package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one mail accepted by an [SMTP] sink.
type Message struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To are the envelope recipients (RCPT TO), in order.
	To []string
	// Data is the message as sent: RFC 5322 headers and body, with CRLF
	// line endings. Parse it with net/mail.
	Data []byte
	// Received is when the sink accepted the message.
	Received time.Time
}

// SMTP is an SMTP sink started by [StartSMTP]: it accepts every message,
// with or without authentication (PLAIN, any credentials, no TLS), and
// keeps it in memory, unless a test made it refuse a recipient
// ([SMTP.Refuse]).
type SMTP struct {
	// Addr is host:port, for example 127.0.0.1:41236.
	Addr string
	// URL is smtp://Addr, the form SMTP_URL takes.
	URL string

	srv    *smtp.Server
	ln     net.Listener
	served chan struct{} // closed when Serve returns

	mu       sync.Mutex
	messages []Message
	refusals map[string]*smtp.SMTPError // by recipient, lower case
	opts     smtpOptions
	changed  chan struct{} // closed and replaced when a message arrives
	closed   chan struct{} // closed by Close

	closeOnce sync.Once
	closeErr  error
}

// SMTPOption configures a sink started by [StartSMTP].
type SMTPOption func(*smtpOptions)

type smtpOptions struct {
	onMessage func(Message)
}

// OnMessage has f called with each message the sink accepts, after it is
// stored (the dev stack prints them and writes .eml files). f runs on the
// SMTP session's goroutine; it must not block for long.
func OnMessage(f func(Message)) SMTPOption {
	return func(o *smtpOptions) { o.onMessage = f }
}

// Refuse makes the sink answer RCPT TO for the address rcpt with an SMTP
// error reply (code 4xx or 5xx, an RFC 3463 enhanced code such as
// "5.1.1", and text), as a real server refusing a mailbox would. Accept
// undoes it.
func (s *SMTP) Refuse(rcpt string, code int, enhanced, text string) {
	var ec smtp.EnhancedCode
	if _, err := fmt.Sscanf(enhanced, "%d.%d.%d", &ec[0], &ec[1], &ec[2]); err != nil {
		ec = smtp.NoEnhancedCode
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refusals == nil {
		s.refusals = map[string]*smtp.SMTPError{}
	}
	s.refusals[strings.ToLower(rcpt)] = &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: text}
}

// Accept makes the sink accept rcpt again after [SMTP.Refuse].
func (s *SMTP) Accept(rcpt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refusals, strings.ToLower(rcpt))
}

func (s *SMTP) refusal(rcpt string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.refusals[strings.ToLower(rcpt)]; ok {
		return e
	}
	return nil
}

// maxMessageBytes bounds one message; the largest QuizFlow mail is far smaller.
const maxMessageBytes = 32 << 20

// StartSMTP starts an SMTP sink on a free port of 127.0.0.1. ctx bounds the
// start only; the sink runs until Close.
func StartSMTP(ctx context.Context, opts ...SMTPOption) (*SMTP, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start smtp: listen: %w", err)
	}
	s := &SMTP{
		Addr:    ln.Addr().String(),
		URL:     "smtp://" + ln.Addr().String(),
		ln:      ln,
		served:  make(chan struct{}),
		changed: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	for _, o := range opts {
		o(&s.opts)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 1000
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = discardLogger{}
	s.srv = srv
	go func() {
		defer close(s.served)
		_ = srv.Serve(ln)
	}()
	return s, nil
}

// Messages returns a copy of the messages received so far, oldest first.
func (s *SMTP) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = m.clone()
	}
	return out
}

// WaitFor returns the first message, received before or after the call,
// for which match reports true. It waits until such a message arrives, ctx
// ends or the sink is closed.
func (s *SMTP) WaitFor(ctx context.Context, match func(Message) bool) (Message, error) {
	seen := 0
	for {
		s.mu.Lock()
		pending := s.messages[seen:]
		seen = len(s.messages)
		changed := s.changed
		s.mu.Unlock()

		// The slice header is a snapshot; appends never modify stored elements.
		for _, m := range pending {
			if match(m.clone()) {
				return m.clone(), nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Message{}, fmt.Errorf("wait for mail on %s: %w", s.Addr, ctx.Err())
		case <-s.closed:
			return Message{}, fmt.Errorf("wait for mail on %s: %w", s.Addr, net.ErrClosed)
		}
	}
}

func (s *SMTP) deliver(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if f := s.opts.onMessage; f != nil {
		f(m.clone())
	}
}

// Close stops accepting connections, closes open ones, waits for the
// server to stop and wakes any WaitFor. Close is idempotent.
func (s *SMTP) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("close smtp: %w", err)
		}
		// Serve may not have registered the listener with the server yet;
		// closing it here makes Serve return in every case.
		_ = s.ln.Close()
		<-s.served
	})
	return s.closeErr
}

func (m Message) clone() Message {
	m.To = append([]string(nil), m.To...)
	m.Data = append([]byte(nil), m.Data...)
	return m
}

// smtpSession collects one SMTP transaction at a time.
type smtpSession struct {
	sink *SMTP
	from string
	to   []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error { return nil }), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from, s.to = from, nil
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.sink.refusal(to); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	s.sink.deliver(Message{From: s.from, To: s.to, Data: data, Received: time.Now()})
	s.from, s.to = "", nil
	return nil
}

func (s *smtpSession) Reset() { s.from, s.to = "", nil }

func (s *smtpSession) Logout() error { return nil }

// discardLogger silences go-smtp's connection error log.
type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}
