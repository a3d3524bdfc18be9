package edgecheck_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// startAPI runs the real API (app.RunAPI, default plans) on the test's
// services and returns its host:port. No worker runs: jobs stay queued.
func startAPI(t *testing.T) string {
	t.Helper()
	env := testenv.New(t)
	vars := map[string]string{
		"APP_ENV": "test", "PORT": "0", "LOG_LEVEL": "error", "HOST": "127.0.0.1",
		"REDIS_URL": env.RedisURL, "MONGODB_URI": env.MongoURI, "MONGODB_DATABASE": env.MongoDB,
		"S3_ENDPOINT": env.S3.Endpoint, "S3_BUCKET": env.S3.Bucket, "S3_REGION": env.S3.Region,
		"S3_ACCESS_KEY_ID": env.S3.AccessKey, "S3_SECRET_ACCESS_KEY": env.S3.SecretKey,
		"JWT_ACCESS_SECRET": "edge-access-secret-0123456789abcdefghij", "JWT_REFRESH_SECRET": "edge-refresh-secret-0123456789abcdefghij",
		"RATE_LIMIT_API_RPM": "off", "BCRYPT_COST": "4", "TRUSTED_PROXIES": "127.0.0.1/32",
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, zerolog.Nop())
	if err != nil {
		cancel()
		t.Fatalf("open app: %v", err)
	}
	ready := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.RunAPI(ctx, func(addr string) { ready <- addr }); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("api: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		a.Close()
	})
	select {
	case addr := <-ready:
		return addr
	case <-time.After(30 * time.Second):
		t.Fatal("the API did not start within 30 s")
		return ""
	}
}

// TestEdgeInFrontOfAPI runs nginx with the configuration in front of the
// real API: a registration and an upload through the edge, the job's
// event stream, and the two body limits (the API's own, then the edge's).
func TestEdgeInFrontOfAPI(t *testing.T) {
	addr := startAPI(t)
	e := startEdge(t, addr)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	do := func(req *http.Request) (*http.Response, []byte) {
		t.Helper()
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	body := `{"email":"edge@example.com","password":"a long and unusual passphrase 42","name":"Edge"}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.https+"/v1/auth/register", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, b := do(req)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("register through the edge: %d %s", resp.StatusCode, b)
	}
	var session quizflow.Session
	if err := json.Unmarshal(b, &session); err != nil || session.AccessToken == "" {
		t.Fatalf("register answer %s: %v", b, err)
	}
	bearer := "Bearer " + session.AccessToken

	// upload sends a multipart body with one file part of size bytes of
	// text, with its Content-Length, as browsers do.
	upload := func(name string, size int64) (*http.Response, []byte) {
		t.Helper()
		var head, tail bytes.Buffer
		mw := multipart.NewWriter(&head)
		if _, err := mw.CreateFormFile("file", name); err != nil {
			t.Fatal(err)
		}
		tail.WriteString("\r\n--" + mw.Boundary() + "--\r\n")
		body := io.MultiReader(&head, text(size), &tail)
		n := int64(head.Len()) + size + int64(tail.Len())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.https+"/v1/documents", body)
		req.ContentLength = n
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", bearer)
		return do(req)
	}

	resp, b = upload("notes.txt", 4000)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload through the edge: %d %s", resp.StatusCode, b)
	}
	var accepted struct {
		Job quizflow.Job `json:"job"`
	}
	if err := json.Unmarshal(b, &accepted); err != nil || accepted.Job.ID == "" {
		t.Fatalf("upload answer %s: %v", b, err)
	}

	t.Run("job events stream through the edge", func(t *testing.T) {
		sctx, scancel := context.WithCancel(ctx)
		defer scancel()
		req, _ := http.NewRequestWithContext(sctx, http.MethodGet, e.https+"/v1/jobs/"+accepted.Job.ID+"/events", nil)
		req.Header.Set("Authorization", bearer)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if ce := resp.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("event stream sent with Content-Encoding %q", ce)
		}
		// The API writes the job's state at once and then only
		// heartbeats (no worker runs): the first event must arrive while
		// the stream stays open.
		got := make(chan string, 1)
		go func() {
			r := bufio.NewReader(resp.Body)
			var ev bytes.Buffer
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					got <- "error: " + err.Error()
					return
				}
				ev.WriteString(line)
				if line == "\n" && strings.Contains(ev.String(), "event: job") {
					got <- ev.String()
					return
				}
			}
		}()
		select {
		case ev := <-got:
			if !strings.Contains(ev, accepted.Job.ID) {
				t.Errorf("first event %q does not name job %s", ev, accepted.Job.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no job event through the edge within 10 s: buffered")
		}
	})

	t.Run("the API's own limit answers first", func(t *testing.T) {
		// Above every plan's bound but below the edge's: the edge lets it
		// through and the API refuses it with its JSON error (this user's
		// free plan allows 10 MiB; the edge admits the largest plan's).
		var largest int64
		for _, p := range quizflow.DefaultPlans().List() {
			largest = max(largest, p.MaxFileSize)
		}
		resp, b := upload("big.txt", largest+512<<10)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), `"code"`) {
			t.Errorf("upload just above the plan: %d %.200s, want the API's 413 JSON", resp.StatusCode, b)
		}
		resp, b = upload("huge.txt", largest+8<<20)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.Contains(string(b), `"code"`) {
			t.Errorf("upload 8 MiB above the plan: %d %.200s, want the edge's own 413", resp.StatusCode, b)
		}
	})
}

// text is an io.Reader of n bytes of English-looking text.
func text(n int64) io.Reader {
	return io.LimitReader(&repeater{s: []byte("Mitochondria make ATP in the cell. ")}, n)
}

type repeater struct {
	s   []byte
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.s[r.off]
		r.off = (r.off + 1) % len(r.s)
	}
	return len(p), nil
}
