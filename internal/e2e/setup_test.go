package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/childproc"
	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/jobwatch"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/jobs"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	testAccessSecret  = "test-access-secret-0123456789abcdef-xyz"
	testRefreshSecret = "test-refresh-secret-0123456789abcdef-xyz"
	testMaxFileSize   = 2 << 20
	adminEmail        = "ops@example.com"
)

// stack is one test's running QuizFlow: API and worker in-process on the
// test's own hermetic services.
type stack struct {
	t   testing.TB
	env *testenv.Env
	app *app.App
	url string
	// stopWorker stops the worker alone (the API keeps running).
	stopWorker context.CancelFunc
	// cfg is the configuration the stack runs on, for replicas.
	cfg *config.Config
}

type setupOptions struct {
	env     map[string]string
	workers int // asynq servers to start (default 1)
	// vars, if set, edits the final environment (after env is applied),
	// for settings derived from the test's services.
	vars func(map[string]string)
	// smtpSink sends the stack's mail to the test's embedded SMTP sink
	// (testenv.Env.SMTP), which a test can make refuse recipients.
	smtpSink bool
	// logs, if set, also receives the stack's log lines (JSON, one per
	// line, at LOG_LEVEL), for tests that check what operators are told.
	logs io.Writer
}

// setup starts the API and worker(s) against fresh services.
func setup(t testing.TB, opts ...func(*setupOptions)) *stack {
	t.Helper()
	o := setupOptions{env: map[string]string{}, workers: 1}
	for _, f := range opts {
		f(&o)
	}
	env := testenv.New(t)
	vars := map[string]string{
		"APP_ENV": "test", "PORT": "0", "LOG_LEVEL": "warn",
		"REDIS_URL": env.RedisURL, "MONGODB_URI": env.MongoURI, "MONGODB_DATABASE": env.MongoDB,
		"S3_ENDPOINT": env.S3.Endpoint, "S3_BUCKET": env.S3.Bucket, "S3_REGION": env.S3.Region,
		"S3_ACCESS_KEY_ID": env.S3.AccessKey, "S3_SECRET_ACCESS_KEY": env.S3.SecretKey,
		"JWT_ACCESS_SECRET": testAccessSecret, "JWT_REFRESH_SECRET": testRefreshSecret,
		"MAX_FILE_SIZE": "2MiB", "RATE_LIMIT_API_RPM": "off", "BCRYPT_COST": "4",
		"WORKER_CONCURRENCY": "4",
	}
	for k, v := range o.env {
		vars[k] = v
	}
	if o.smtpSink {
		vars["SMTP_URL"] = env.SMTP.URL + "?tls=none"
	}
	if o.vars != nil {
		o.vars(vars)
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logTo io.Writer = testWriter{t}
	if o.logs != nil {
		logTo = io.MultiWriter(logTo, o.logs)
	}
	a, err := app.Open(ctx, cfg, app.NewLogger(logTo, cfg.LogLevel))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &stack{t: t, env: env, app: a, cfg: cfg}
	var wg sync.WaitGroup
	ready := make(chan string, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.RunAPI(ctx, func(addr string) { ready <- addr }); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("api: %v", err)
		}
	}()
	wctx, wcancel := context.WithCancel(ctx)
	s.stopWorker = wcancel
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.RunWorker(wctx); err != nil {
				t.Errorf("worker: %v", err)
			}
		}()
	}
	select {
	case addr := <-ready:
		s.url = "http://" + addr
		jobEvents.Store(s.url, a.JobEvents)
	case <-time.After(30 * time.Second):
		t.Fatal("api did not start")
	}
	t.Cleanup(func() {
		jobEvents.Delete(s.url)
		cancel()
		wg.Wait()
		a.Close()
	})
	return s
}

// startWorker starts a worker on the stack's app, for tests that set the
// stage with none running (setupOptions.workers = 0); it stops with the
// test.
func (s *stack) startWorker() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.app.RunWorker(ctx); err != nil {
			s.t.Errorf("worker: %v", err)
		}
	}()
	s.t.Cleanup(func() { cancel(); <-done })
}

// replica starts a second API process on the stack's services, as a
// second replica behind a load balancer would be, and returns its URL.
func (s *stack) replica() string {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, s.cfg, app.NewLogger(testWriter{s.t}, s.cfg.LogLevel))
	if err != nil {
		cancel()
		s.t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.RunAPI(ctx, func(addr string) { ready <- addr }); err != nil && !errors.Is(err, context.Canceled) {
			s.t.Errorf("replica api: %v", err)
		}
	}()
	s.t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case <-time.After(30 * time.Second):
		s.t.Fatal("replica did not start")
	}
	return ""
}

// operator registers an account with email and makes it an operator, as
// `quizflow admin grant` does.
func (s *stack) operator(email, password string) {
	s.t.Helper()
	ctx := context.Background()
	if _, err := client.New(s.url).Register(ctx, email, password, "Ops"); err != nil {
		s.t.Fatalf("register %s: %v", email, err)
	}
	if _, err := s.app.Auth.SetOperator(ctx, email, true); err != nil {
		s.t.Fatalf("grant %s: %v", email, err)
	}
}

// testWriter sends logs to t.Log, so they show only for failing tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// user registers a fresh account and returns its client.
func (s *stack) user(name string) *client.Client {
	s.t.Helper()
	c := client.New(s.url)
	email := strings.ToLower(name) + "@example.com"
	if _, err := c.Register(context.Background(), email, "correct horse battery", name); err != nil {
		s.t.Fatalf("register %s: %v", email, err)
	}
	return c
}

// fixture returns the path of an extraction fixture.
func fixture(t testing.TB, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "extract", "testdata", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return p
}

// jobEvents maps each running stack's URL to its process's job-change hub,
// so waitJob can wait on a signal rather than a timer.
var jobEvents sync.Map // string -> *jobwatch.Hub

// waitJob waits until a job finishes (bounded by a generous timeout): it
// reads the job through the API each time the stack's hub signals a change
// of it, and every second besides, for writes made behind the API's back.
func waitJob(t testing.TB, c *client.Client, id string) *quizflow.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hub, _ := jobEvents.Load(c.BaseURL)
	h, _ := hub.(*jobwatch.Hub) // nil (a plain poll) for a client of another server
	changed, stop := h.Watch(id)
	defer stop()
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			t.Fatalf("wait for job %s: %v", id, err)
		}
		if j.Status == quizflow.StatusSucceeded || j.Status == quizflow.StatusFailed {
			return j
		}
		select {
		case <-changed:
		case <-time.After(time.Second):
		case <-ctx.Done():
			t.Fatalf("wait for job %s: %v (last %s at %s)", id, ctx.Err(), j.Status, j.Stage)
		}
	}
}

// raw sends a request and returns the status and body.
func raw(t testing.TB, method, url, token string, body io.Reader, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// eventually is childproc.WaitFor: for state that sends no signal to wait
// on, such as asynq's task and queue states, which only an Inspector can
// read; wait for a job with waitJob.
var eventually = childproc.WaitFor

// waitTaskState waits for task id of queue to reach state want, and
// returns its info.
func waitTaskState(t testing.TB, insp *asynq.Inspector, queue, id string, want asynq.TaskState) *asynq.TaskInfo {
	t.Helper()
	var info *asynq.TaskInfo
	eventually(t, 30*time.Second, func() (bool, string) {
		var err error
		if info, err = insp.GetTaskInfo(queue, id); err != nil {
			return false, fmt.Sprintf("task %s of queue %s: %v", id, queue, err)
		}
		return info.State == want, fmt.Sprintf("task %s of queue %s is %v, want %v", id, queue, info.State, want)
	})
	return info
}

// waitQueuesEmpty waits until no task of the named queues (every queue of
// jobs.Queues if none is named) is pending, active, scheduled or retrying.
func waitQueuesEmpty(t testing.TB, s *stack, queues ...string) {
	t.Helper()
	if len(queues) == 0 {
		queues = slices.Sorted(maps.Keys(jobs.Queues))
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	eventually(t, time.Minute, func() (bool, string) {
		existing, err := insp.Queues()
		if err != nil {
			return false, fmt.Sprintf("list queues: %v", err)
		}
		var busy []string
		for _, q := range queues {
			if !slices.Contains(existing, q) {
				continue // never used: nothing in it
			}
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				return false, fmt.Sprintf("queue %s: %v", q, err)
			}
			if n := info.Pending + info.Active + info.Retry + info.Scheduled; n > 0 {
				busy = append(busy, fmt.Sprintf("%s: %d pending, %d active, %d retry, %d scheduled",
					q, info.Pending, info.Active, info.Retry, info.Scheduled))
			}
		}
		return len(busy) == 0, "queues not drained: " + strings.Join(busy, "; ")
	})
}
