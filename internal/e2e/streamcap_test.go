package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/jobcache"
	"github.com/quizflow/quizflow/internal/ratelimit"
	"github.com/quizflow/quizflow/internal/testenv"
)

// TestStreamCapPerUser opens job event streams through the real server
// with SSE_MAX_PER_USER=2: the third is refused with 429 until one of the
// open streams ends. The job stays running (the model is held), so the
// streams stay open.
func TestStreamCapPerUser(t *testing.T) {
	hold := make(chan struct{})
	fake := fakeopenai.New()
	defer fake.Close()
	defer close(hold) // before fake.Close: let the held calls finish
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Hold: hold}))
	const max = 2
	s := setup(t, withModel(fake), withEnv("SSE_MAX_PER_USER", "2"))
	c := s.user("Stella")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	up, err := c.UploadFile(ctx, fixture(t, "libreoffice-handbook-10p.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	url := s.url + "/v1/jobs/" + up.Job.ID + "/events"
	open := func() (*http.Response, context.CancelFunc) {
		t.Helper()
		sctx, scancel := context.WithCancel(ctx)
		req, _ := http.NewRequestWithContext(sctx, "GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			scancel()
			t.Fatal(err)
		}
		return resp, func() { scancel(); resp.Body.Close() }
	}
	var closers []context.CancelFunc
	defer func() {
		for _, f := range closers {
			f()
		}
	}()
	for i := range max {
		resp, stop := open()
		closers = append(closers, stop)
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d = %d, want 200", i+1, resp.StatusCode)
		}
	}
	code, body, hdr := raw(t, "GET", url, c.Token, nil, nil)
	if code != http.StatusTooManyRequests || !strings.Contains(body, `"code":"rate_limited"`) || hdr.Get("Retry-After") == "" {
		t.Fatalf("stream %d = %d %s (Retry-After %q), want 429 rate_limited with Retry-After", max+1, code, body, hdr.Get("Retry-After"))
	}
	rdb := testenv.RedisClient(t, s.env)
	keys := rdb.Keys(ctx, ratelimit.StreamPrefix+"*").Val()
	if len(keys) != 1 {
		t.Fatalf("stream sets in Redis: %v, want one (Stella's)", keys)
	}
	if n := rdb.ZCard(ctx, keys[0]).Val(); n != max {
		t.Errorf("Redis counts %d open streams, want %d", n, max)
	}
	// The streams read the job through the Redis cache.
	if n := rdb.Exists(ctx, jobcache.ValuePrefix+"{"+up.Job.ID+"}").Val(); n != 1 {
		t.Errorf("job %s is not cached in Redis while streamed", up.Job.ID)
	}

	// Closing one stream makes room: the server notices the client left
	// and gives its slot back.
	closers[0]()
	closers = closers[1:]
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, stop := open()
		if resp.StatusCode == 200 {
			closers = append(closers, stop)
			break
		}
		stop()
		if resp.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after closing a stream: %d, want 200 within 15s", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond) // the slot frees when the server sees the disconnect
	}
}
