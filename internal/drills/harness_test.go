package drills

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/childproc"
	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/internal/worker"
	"github.com/quizflow/quizflow/jobs"
)

func TestMain(m *testing.M) {
	// The API's Redis client reports every failed dial while a drill has
	// Redis down; the drills assert what the clients see instead.
	redis.SetLogger(quietRedisLog{})
	code := m.Run()
	if err := testenv.Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
	}
	if bins.dir != "" {
		_ = os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

// bins are the production binaries the drills run, built once per test
// binary on first use (so `go test -run` of nothing here builds nothing).
var bins struct {
	once sync.Once
	dir  string
	err  error
}

// binary returns the path of cmd/<name>, building cmd/worker and
// cmd/scheduler with the go command on first use.
func binary(t testing.TB, name string) string {
	t.Helper()
	bins.once.Do(func() {
		dir, err := os.MkdirTemp("", "quizflow-drills-")
		if err != nil {
			bins.err = err
			return
		}
		bins.dir = dir
		gocmd, err := exec.LookPath("go")
		if err != nil {
			bins.err = fmt.Errorf("the drills build the worker with the go command: %w", err)
			return
		}
		cmd := exec.Command(gocmd, "build", "-o", dir+string(os.PathSeparator),
			"github.com/quizflow/quizflow/cmd/worker", "github.com/quizflow/quizflow/cmd/scheduler")
		if out, err := cmd.CombinedOutput(); err != nil {
			bins.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return filepath.Join(bins.dir, name)
}

// Settings of the drills' processes.
const (
	testAccessSecret  = "drill-access-secret-0123456789abcdef-xyz"
	testRefreshSecret = "drill-refresh-secret-0123456789abcdef-xyz"
	password          = "correct horse battery"
)

// drill is one test's QuizFlow: the API in the test process, workers and
// schedulers as child processes (see start), on the test's own services
// and its own fake model server.
type drill struct {
	t    *testing.T
	env  *testenv.Env
	vars map[string]string // the environment every process is configured by
	app  *app.App          // the API process's wiring, for reads behind the API
	url  string            // the API's base URL
	fake *fakeopenai.Server
	rdb  *redis.Client
	insp *asynq.Inspector
	db   *mongo.Database
}

// options change setup.
type options struct {
	// redis, if set, replaces the test's own Redis from testenv (for
	// drills that kill and restart it).
	redis *embedded.Redis
}

// setup starts the API on fresh services and a fake model server that
// answers well until told otherwise.
func setup(t *testing.T, o options) *drill {
	t.Helper()
	env := testenv.New(t)
	redisURL := env.RedisURL
	if o.redis != nil {
		redisURL = o.redis.URL
	}
	fake := fakeopenai.New()
	t.Cleanup(fake.Close)
	d := &drill{t: t, env: env, fake: fake, vars: map[string]string{
		"APP_ENV": "test", "PORT": "0", "HOST": "127.0.0.1", "LOG_LEVEL": "info",
		"REDIS_URL": redisURL, "MONGODB_URI": env.MongoURI, "MONGODB_DATABASE": env.MongoDB,
		"S3_ENDPOINT": env.S3.Endpoint, "S3_BUCKET": env.S3.Bucket, "S3_REGION": env.S3.Region,
		"S3_ACCESS_KEY_ID": env.S3.AccessKey, "S3_SECRET_ACCESS_KEY": env.S3.SecretKey,
		"JWT_ACCESS_SECRET": testAccessSecret, "JWT_REFRESH_SECRET": testRefreshSecret,
		"OPENAI_API_KEY": "sk-drill", "OPENAI_BASE_URL": fake.URL, "OPENAI_MODEL": "gpt-4o-mini",
		"MAX_FILE_SIZE": "10MiB", "MAX_PAGES": "500", "RATE_LIMIT_API_RPM": "off", "BCRYPT_COST": "4",
		"WORKER_CONCURRENCY": "2", "METRICS_ADDR": "off",
		// Drills test outages, not plans: no quota or plan bound in the way.
		"PLAN_FREE_QUIZZES_PER_MONTH": "100000", "PLAN_FREE_MAX_PAGES": "500", "PLAN_FREE_MAX_FILE_SIZE": "10MiB",
	}}
	cfg, err := config.FromEnv(func(k string) string { return d.vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.NewLogger(logWriter{t, "api"}, "warn"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	d.app, d.db = a, a.Store.Database()
	ropt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	d.rdb = redis.NewClient(ropt)
	d.insp = asynq.NewInspector(a.RedisOpt)
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.RunAPI(ctx, func(addr string) { ready <- addr }); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("api: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = d.insp.Close()
		_ = d.rdb.Close()
		a.Close()
	})
	select {
	case addr := <-ready:
		d.url = "http://" + addr
	case <-time.After(30 * time.Second):
		t.Fatal("api did not start")
	}
	return d
}

// logWriter sends a process's log lines to t.Log, shown for failed tests.
type logWriter struct {
	t    testing.TB
	name string
}

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s: %s", w.name, strings.TrimSpace(string(p)))
	return len(p), nil
}

// user registers a fresh account and returns its client.
func (d *drill) user(name string) *client.Client {
	d.t.Helper()
	c := client.New(d.url)
	if _, err := c.Register(context.Background(), strings.ToLower(name)+"@example.com", password, name); err != nil {
		d.t.Fatalf("register %s: %v", name, err)
	}
	return c
}

// upload uploads body as a file named name, asking for questions questions,
// and fails the test unless it is accepted.
func (d *drill) upload(c *client.Client, name string, body []byte, questions int) *client.Upload {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	up, err := c.UploadReader(ctx, name, bytes.NewReader(body), map[string]string{"question_count": strconv.Itoa(questions)})
	if err != nil {
		d.t.Fatalf("upload %s: %v", name, err)
	}
	return up
}

// proc is a child process: a worker or scheduler binary, configured by the
// drill's environment.
type proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	out  *childproc.TailBuffer
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // cmd.Wait's error, once done
}

// worker starts cmd/worker as a child process named name.
func (d *drill) worker(name string, extra ...string) *proc {
	return d.start(name, binary(d.t, "worker"), extra...)
}

// scheduler starts cmd/scheduler as a child process named name.
func (d *drill) scheduler(name string, extra ...string) *proc {
	return d.start(name, binary(d.t, "scheduler"), extra...)
}

// start runs bin with the drill's environment plus extra KEY=VALUE pairs.
// The child runs in its own process group with a parent-death signal, so
// neither it nor anything it starts outlives the test; the test's cleanup
// kills the group, and logs the child's output if the test failed.
func (d *drill) start(name, bin string, extra ...string) *proc {
	t := d.t
	t.Helper()
	vars := map[string]string{}
	for k, v := range d.vars {
		vars[k] = v
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + t.TempDir()}
	for _, k := range slices.Sorted(mapKeys(vars)) {
		cmd.Env = append(cmd.Env, k+"="+vars[k])
	}
	p := &proc{t: t, name: name, cmd: cmd, out: childproc.NewTailBuffer(256 << 10), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", name, cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("output of %s (pid %d, %v):\n%s", name, cmd.Process.Pid, p.err, p.out.String())
		}
	})
	t.Logf("started %s (pid %d)", name, cmd.Process.Pid)
	return p
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// signal sends sig to the process alone (not its group).
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%s: signal %v: %v", p.name, sig, err)
	}
	p.t.Logf("sent %v to %s (pid %d)", sig, p.name, p.cmd.Process.Pid)
}

// kill9 kills the process alone with SIGKILL, waits until it has exited,
// and checks that nothing it started (a parsing sandbox) lives on: neither
// a process it had started when killed, nor anything in its process group.
func (p *proc) kill9() {
	p.t.Helper()
	kids := descendants(p.cmd.Process.Pid)
	p.signal(syscall.SIGKILL)
	p.waitExit(10 * time.Second)
	pgid := p.cmd.Process.Pid
	waitFor(p.t, 10*time.Second, func() (bool, string) {
		var alive []string
		for _, pid := range kids {
			if processAlive(pid) {
				alive = append(alive, strconv.Itoa(pid))
			}
		}
		if syscall.Kill(-pgid, 0) == nil {
			alive = append(alive, "group "+groupMembers(pgid))
		}
		return len(alive) == 0, fmt.Sprintf("processes started by %s live on after it was killed: %s", p.name, strings.Join(alive, ", "))
	})
	if len(kids) > 0 {
		p.t.Logf("%s had child processes %v when killed; all are gone", p.name, kids)
	}
}

// descendants lists the processes below pid (from /proc).
func descendants(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(s); err == nil {
				out = append(out, k)
				out = append(out, descendants(k)...)
			}
		}
	}
	return out
}

// processAlive reports whether pid runs (a zombie waiting to be reaped
// does not count).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// waitExit waits for the process to exit and returns how it did.
func (p *proc) waitExit(timeout time.Duration) *os.ProcessState {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState
	case <-time.After(timeout):
		p.t.Fatalf("%s (pid %d) still running after %v", p.name, p.cmd.Process.Pid, timeout)
		return nil
	}
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// children lists the process's descendants.
func (p *proc) children() []int { return descendants(p.cmd.Process.Pid) }

// groupMembers lists the processes of process group pgid, for messages.
func groupMembers(pgid int) string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []string
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) {
			out = append(out, strings.TrimSpace(s[:i+1]))
		}
	}
	return strings.Join(out, ", ")
}

// logged reports whether the process's output has a line containing every
// one of parts.
func (p *proc) logged(parts ...string) bool { return p.countLogged(parts...) > 0 }

// countLogged counts the lines of the process's output that contain every
// one of parts.
func (p *proc) countLogged(parts ...string) int {
	n := 0
	for _, line := range strings.Split(p.out.String(), "\n") {
		ok := true
		for _, s := range parts {
			if !strings.Contains(line, s) {
				ok = false
				break
			}
		}
		if ok {
			n++
		}
	}
	return n
}

// linesWith returns the lines of the process's output that contain s.
func (p *proc) linesWith(s string) []string {
	var out []string
	for _, line := range strings.Split(p.out.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// waitFor is childproc.WaitFor.
var waitFor = childproc.WaitFor

// job reads a job's record directly (the workers are other processes, so
// the API's change hub does not hear of their writes).
func (d *drill) job(id string) (*quizflow.Job, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.app.Store.Job(ctx, id, "")
}

func terminal(j *quizflow.Job) bool {
	return j.Status == quizflow.StatusSucceeded || j.Status == quizflow.StatusFailed
}

// waitJob waits until job id is succeeded or failed, as its owner sees it
// through the API, and returns it.
func (d *drill) waitJob(c *client.Client, id string, timeout time.Duration) *quizflow.Job {
	d.t.Helper()
	var j *quizflow.Job
	waitFor(d.t, timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if j, err = c.Job(ctx, id); err != nil {
			return false, fmt.Sprintf("job %s: %v", id, err)
		}
		return terminal(j), fmt.Sprintf("job %s is %s at %s %d%% (%s)", id, j.Status, j.Stage, j.Progress, j.Message)
	})
	return j
}

// expireLease makes asynq believe the worker holding task id of queue died
// long ago: its lease in asynq:{queue}:lease (a sorted set scored by expiry
// in Unix seconds) is moved two minutes into the past, so the next
// recoverer run (at every worker's start, then each minute) hands the task
// to another worker. This stands in for the 30 s lease plus the 30 s margin
// and the minute's wait a real crash costs before redelivery.
func (d *drill) expireLease(queue, id string) {
	d.t.Helper()
	ctx := context.Background()
	key := "asynq:{" + queue + "}:lease"
	if _, err := d.rdb.ZScore(ctx, key, id).Result(); err != nil {
		d.t.Fatalf("task %s holds no lease in %s: %v", id, key, err)
	}
	past := time.Now().Add(-2 * time.Minute).Unix()
	if err := d.rdb.ZAddXX(ctx, key, redis.Z{Score: float64(past), Member: id}).Err(); err != nil {
		d.t.Fatalf("expire the lease of %s: %v", id, err)
	}
}

// modelGate holds the fake model's first question calls until Release.
type modelGate struct {
	arrived chan *fakeopenai.Call
	release chan struct{}
	once    sync.Once
}

// holdQuestions makes the fake hold its first n question calls (each one
// reported on arrival) until Release; later calls and answer checks are
// served at once. The gate is released when the test ends.
func (d *drill) holdQuestions(n int) *modelGate {
	return d.holdMatching(fakeopenai.KindQuestions, n, func(*fakeopenai.Call) bool { return true })
}

// holdMatching holds the first n calls of kind that match (for example,
// those of one document) as holdQuestions does; others are served at once.
func (d *drill) holdMatching(kind string, n int, match func(*fakeopenai.Call) bool) *modelGate {
	g := &modelGate{arrived: make(chan *fakeopenai.Call, 64), release: make(chan struct{})}
	var mu sync.Mutex
	held := 0
	d.fake.SetScript(func(c *fakeopenai.Call) fakeopenai.Action {
		if c.Kind != kind || !match(c) {
			return fakeopenai.Action{}
		}
		mu.Lock()
		held++
		hold := held <= n
		mu.Unlock()
		if !hold {
			return fakeopenai.Action{}
		}
		g.arrived <- c
		return fakeopenai.Action{Hold: g.release}
	})
	d.t.Cleanup(g.Release) // before fake.Close, which waits for held calls
	return g
}

// about reports whether a call's document text contains s.
func about(s string) func(*fakeopenai.Call) bool {
	return func(c *fakeopenai.Call) bool {
		for _, p := range c.Pages {
			if strings.Contains(p.Text, s) {
				return true
			}
		}
		return false
	}
}

// waitArrived waits for the next held call.
func (g *modelGate) waitArrived(t testing.TB, timeout time.Duration) *fakeopenai.Call {
	t.Helper()
	select {
	case c := <-g.arrived:
		return c
	case <-time.After(timeout):
		t.Fatalf("no model call arrived within %v", timeout)
		return nil
	}
}

// Release answers the held calls, and every later one at once.
func (g *modelGate) Release() { g.once.Do(func() { close(g.release) }) }

// exactlyOnce checks that a quiz job finished once: succeeded, with the
// quiz derived from the job, one quiz of the job and of its document in
// the database, questions without duplicates, the document extracted, and
// no task of the job left queued, running, retrying or archived.
func (d *drill) exactlyOnce(c *client.Client, up *client.Upload) *quizflow.Quiz {
	t := d.t
	t.Helper()
	ctx := context.Background()
	j, err := c.Job(ctx, up.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %s = %s %+v, want succeeded", j.ID, j.Status, j.Error)
	}
	if want := worker.QuizIDForJob(j.ID); j.Result.QuizID != want {
		t.Errorf("job %s made quiz %q, want %q", j.ID, j.Result.QuizID, want)
	}
	for field, v := range map[string]string{"job_id": j.ID, "document_id": up.Document.ID} {
		if n, err := d.db.Collection("quizzes").CountDocuments(ctx, bson.M{field: v}); err != nil || n != 1 {
			t.Errorf("%d quizzes with %s %s (%v), want 1", n, field, v, err)
		}
	}
	q, err := c.Quiz(ctx, j.Result.QuizID)
	if err != nil {
		t.Fatalf("quiz of job %s: %v", j.ID, err)
	}
	if len(q.Questions) == 0 {
		t.Errorf("quiz %s has no questions", q.ID)
	}
	ids, prompts := map[string]bool{}, map[string]bool{}
	for _, qu := range q.Questions {
		if ids[qu.ID] || prompts[qu.Prompt] {
			t.Errorf("quiz %s repeats question %s %q", q.ID, qu.ID, qu.Prompt)
		}
		ids[qu.ID], prompts[qu.Prompt] = true, true
	}
	var doc quizflow.Document
	if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID, nil, &doc); err != nil || doc.Status != quizflow.DocumentExtracted {
		t.Errorf("document %s = %q (%v), want extracted", up.Document.ID, doc.Status, err)
	}
	d.noTaskLeft(j.ID, 30*time.Second)
	return q
}

// usageIsBilled checks that job j's usage counts exactly the calls the
// fake model server answered (what a real one would bill), paidBefore of
// them by a worker that was then killed.
func (d *drill) usageIsBilled(j *quizflow.Job, paidBefore int) {
	d.t.Helper()
	var want quizflow.Usage
	for _, call := range d.fake.Answered("") {
		want.Calls++
		want.PromptTokens += call.PromptTokens
		want.CompletionTokens += call.CompletionTokens
	}
	if j.Usage == nil || j.Usage.Calls != want.Calls || j.Usage.PromptTokens != want.PromptTokens || j.Usage.CompletionTokens != want.CompletionTokens {
		d.t.Errorf("job %s usage = %+v; the model server answered %d calls (%d before a worker was killed) billing %d prompt and %d completion tokens",
			j.ID, j.Usage, want.Calls, paidBefore, want.PromptTokens, want.CompletionTokens)
		return
	}
	d.t.Logf("job %s usage %d calls, %d+%d tokens: every answered call (%d before the kill), once", j.ID, j.Usage.Calls, j.Usage.PromptTokens, j.Usage.CompletionTokens, paidBefore)
}

// noTaskLeft checks that no task of job id waits, runs or was archived,
// waiting up to within for a task to leave asynq's active, pending or
// retry state: a handler records its job's end in the store before asynq
// moves its task to completed, and a completion asynq could not record (a
// Redis outage) waits for lease recovery and one more run. An archived
// task fails at once: nothing moves it again.
func (d *drill) noTaskLeft(id string, within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for _, qt := range [][2]string{{jobs.QueueExtract, "extract:" + id}, {jobs.QueueGenerate, "generate:" + id}} {
		for {
			info, err := d.insp.GetTaskInfo(qt[0], qt[1])
			if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				d.t.Errorf("task %s: %v", qt[1], err)
				break
			}
			if info.State == asynq.TaskStateCompleted {
				break
			}
			if info.State == asynq.TaskStateArchived || time.Now().After(deadline) {
				d.t.Errorf("task %s is %v after its job ended (last error %q)", qt[1], info.State, info.LastErr)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// lesson returns a short Markdown lesson, different for each n, so that no
// upload reuses another's quiz.
func lesson(n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Lesson %d\n\n", n)
	for i, l := range lessonLines {
		fmt.Fprintf(&b, "In lesson %d, fact %d says this: %s\n", n, i+1, l)
		if i%3 == 2 {
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}
