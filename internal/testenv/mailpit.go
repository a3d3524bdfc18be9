package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Mailpit is a real SMTP server (github.com/axllent/mailpit, installed
// with `go install github.com/axllent/mailpit@v1.33.1`) that keeps every
// message it receives and serves them on an HTTP API. One is shared by the
// tests of a binary (started on first use, stopped by Shutdown); tests
// tell their mail apart by recipient, so give each test its own addresses.
type Mailpit struct {
	// SMTPURL is the SMTP_URL that reaches it: smtp://127.0.0.1:PORT?tls=none.
	SMTPURL string
	// APIURL is its HTTP API, http://127.0.0.1:PORT.
	APIURL string

	cmd  *exec.Cmd
	dir  string
	done chan struct{}
}

var sharedMailpit struct {
	once sync.Once
	mp   *Mailpit
	err  error
}

// MailpitServer returns the binary's shared Mailpit, starting it on first
// use; it fails t if Mailpit cannot start.
func MailpitServer(t testing.TB) *Mailpit {
	t.Helper()
	sharedMailpit.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		sharedMailpit.mp, sharedMailpit.err = startMailpit(ctx)
	})
	if sharedMailpit.err != nil {
		t.Fatalf("testenv: mailpit: %v", sharedMailpit.err)
	}
	return sharedMailpit.mp
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startMailpit(ctx context.Context) (*Mailpit, error) {
	bin, err := goBinary("mailpit", "github.com/axllent/mailpit@v1.33.1")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for try := 0; try < 3; try++ { // a free port can be taken between probe and start
		smtpPort, err1 := freePort()
		httpPort, err2 := freePort()
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "testenv-mailpit-")
		if err != nil {
			return nil, err
		}
		m := &Mailpit{
			SMTPURL: fmt.Sprintf("smtp://127.0.0.1:%d?tls=none", smtpPort),
			APIURL:  fmt.Sprintf("http://127.0.0.1:%d", httpPort),
			dir:     dir, done: make(chan struct{}),
		}
		m.cmd = exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort), "--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
			"--database", filepath.Join(dir, "mailpit.db"), "--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
			"--disable-version-check", "--quiet", "--max", "0")
		m.cmd.Stdout, m.cmd.Stderr = os.Stderr, os.Stderr
		if err := m.cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start %s: %w", bin, err)
		}
		go func() { _ = m.cmd.Wait(); close(m.done) }()
		if lastErr = m.waitReady(ctx); lastErr == nil {
			return m, nil
		}
		m.Close()
	}
	return nil, lastErr
}

func (m *Mailpit) waitReady(ctx context.Context) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+"/api/v1/info", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.done:
			return errors.New("mailpit exited during start")
		case <-ctx.Done():
			return fmt.Errorf("mailpit did not answer on %s: %w", m.APIURL, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close stops Mailpit and removes its data.
func (m *Mailpit) Close() error {
	if m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		<-m.done
	}
	return os.RemoveAll(m.dir)
}

// MailpitAddress is one address of a message.
type MailpitAddress struct {
	Name, Address string
}

// MailpitMessage is a message as Mailpit's API reads it back.
type MailpitMessage struct {
	ID        string
	MessageID string
	From      MailpitAddress
	To        []MailpitAddress
	ReplyTo   []MailpitAddress
	Subject   string
	Date      time.Time
	Text      string
	HTML      string
	// Headers are the raw headers, by name.
	Headers map[string][]string
}

// Messages returns the full messages received for the address to, oldest
// first.
func (m *Mailpit) Messages(ctx context.Context, to string) ([]MailpitMessage, error) {
	var list struct {
		Messages []struct{ ID string }
	}
	q := url.Values{"query": {`to:"` + to + `"`}, "limit": {"200"}}
	if err := m.get(ctx, "/api/v1/search?"+q.Encode(), &list); err != nil {
		return nil, err
	}
	out := make([]MailpitMessage, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- { // the API lists newest first
		var msg MailpitMessage
		id := list.Messages[i].ID
		if err := m.get(ctx, "/api/v1/message/"+id, &msg); err != nil {
			return nil, err
		}
		if err := m.get(ctx, "/api/v1/message/"+id+"/headers", &msg.Headers); err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// WaitFor polls Mailpit until a message to to for which match reports
// true has arrived, and returns it; it fails t after timeout.
func (m *Mailpit) WaitFor(t testing.TB, to string, timeout time.Duration, match func(MailpitMessage) bool) MailpitMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var seen []string
	for {
		msgs, err := m.Messages(ctx, to)
		if err == nil {
			seen = seen[:0]
			for _, msg := range msgs {
				if match(msg) {
					return msg
				}
				seen = append(seen, msg.Subject)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("testenv: no matching mail to %s after %v (got %q; last error %v)", to, timeout, seen, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (m *Mailpit) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
