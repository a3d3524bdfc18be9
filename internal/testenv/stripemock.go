package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// StripeMock is Stripe's own API mock (github.com/stripe/stripe-mock,
// installed with `go install github.com/stripe/stripe-mock@latest`),
// serving plain HTTP on loopback. It is stateless: it checks each request
// against Stripe's OpenAPI specification and answers fixtures. One is
// shared by the tests of a binary (started on first use, stopped by
// Shutdown).
type StripeMock struct {
	// URL is its API base, http://127.0.0.1:PORT (STRIPE_API_URL).
	URL string

	cmd  *exec.Cmd
	done chan struct{}
}

var sharedStripeMock struct {
	once sync.Once
	sm   *StripeMock
	err  error
}

// StripeMockServer returns the binary's shared stripe-mock, starting it on
// first use; it fails t if stripe-mock cannot start.
func StripeMockServer(t testing.TB) *StripeMock {
	t.Helper()
	sharedStripeMock.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		sharedStripeMock.sm, sharedStripeMock.err = startStripeMock(ctx)
	})
	if sharedStripeMock.err != nil {
		t.Fatalf("testenv: stripe-mock: %v", sharedStripeMock.err)
	}
	return sharedStripeMock.sm
}

// goBinary finds name on PATH or where go install puts it.
func goBinary(name, install string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(gopath, "bin", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is not on PATH nor in $GOPATH/bin; install it with `go install %s`", name, install)
	}
	return p, nil
}

func startStripeMock(ctx context.Context) (*StripeMock, error) {
	bin, err := goBinary("stripe-mock", "github.com/stripe/stripe-mock@latest")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for try := 0; try < 3; try++ { // a free port can be taken between probe and start
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		m := &StripeMock{URL: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
		// This stripe-mock (v0.203) refuses "-http" together with
		// "-http-addr", and opens HTTPS on every interface at the fixed
		// port 12112 unless told otherwise: HTTPS goes to a loopback port
		// of the system's choosing, so test binaries never collide.
		m.cmd = exec.Command(bin, "-http-addr", "127.0.0.1:"+strconv.Itoa(port), "-https-addr", "127.0.0.1:")
		m.cmd.Stdout, m.cmd.Stderr = nil, nil
		if err := m.cmd.Start(); err != nil {
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

func (m *StripeMock) waitReady(ctx context.Context) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/v1/customers", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-m.done:
			return errors.New("stripe-mock exited during start")
		case <-ctx.Done():
			return fmt.Errorf("stripe-mock did not answer on %s: %w", m.URL, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close stops stripe-mock.
func (m *StripeMock) Close() error {
	if m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		<-m.done
	}
	return nil
}
