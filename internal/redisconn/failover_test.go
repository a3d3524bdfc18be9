package redisconn_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
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

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/childproc"
	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/redisconn"
	"github.com/quizflow/quizflow/internal/testenv"
)

// Passwords of the Sentinel set-up: the data nodes' and the sentinels'.
const (
	dataPassword     = "data-pass-0123456789"
	sentinelPassword = "sentinel-pass-0123456789"
	masterName       = "mymaster"
)

// Sentinel timings of the test (see deploy/README.md for production).
const (
	downAfter       = time.Second
	failoverTimeout = 5 * time.Second
)

// TestSentinelFailoverUnderUploads runs the real API (in the test process)
// and the real cmd/worker and cmd/scheduler binaries on
// REDIS_URL=redis-sentinel://... over a master, one replica and three
// sentinels, all redis-server processes on loopback. Uploads stream in;
// the master is killed with SIGKILL; the sentinels promote the replica and
// every process follows it without a restart. Every upload answered 202,
// before, during or after, ends succeeded or failed with a message, and
// makes at most one quiz; refused uploads are 503s. The test logs the
// failover time: from the kill to the first task enqueued on the new
// master (a probe enqueueing every 20 ms), and to the first accepted
// upload.
func TestSentinelFailoverUnderUploads(t *testing.T) {
	t.Parallel()
	set := startSentinelSet(t)
	redisURL := set.url()
	o, err := redisconn.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("REDIS_URL=%s", o) // redacted
	st := startStack(t, redisURL)
	st.proc("worker", binary(t, "worker"))
	st.proc("scheduler", binary(t, "scheduler"))
	c := client.New(st.url)
	if _, err := c.Register(context.Background(), "failover@example.com", "correct horse battery", "Failover"); err != nil {
		t.Fatalf("register: %v", err)
	}

	// The probe: asynq's client on the same URL, enqueueing to a queue no
	// worker serves, so its first success after the kill is the moment
	// the new master takes writes.
	probe := asynq.NewClient(o.AsynqConnOpt())
	t.Cleanup(func() { _ = probe.Close() })
	var (
		mu       sync.Mutex
		attempts []attempt
		probeOK  []time.Time
		stop     = make(chan struct{})
		stopOnce sync.Once
		wg       sync.WaitGroup
	)
	halt := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	defer halt()
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := probe.EnqueueContext(ctx, asynq.NewTask("failover:probe", nil), asynq.Queue("failover_probe"), asynq.TaskID(fmt.Sprintf("probe-%d", n)))
			cancel()
			if err == nil {
				mu.Lock()
				probeOK = append(probeOK, time.Now())
				mu.Unlock()
			}
		}
	}()
	const uploaders, maxUploads = 2, 60
	next := 0
	for range uploaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				next++
				n := next
				mu.Unlock()
				if n > maxUploads {
					return
				}
				a := attempt{n: n, start: time.Now(), status: http.StatusAccepted}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				a.up, a.err = c.UploadReader(ctx, fmt.Sprintf("lesson-%d.md", n), bytes.NewReader(lesson(n)), map[string]string{"question_count": "3"})
				cancel()
				a.end = time.Now()
				if a.err != nil {
					a.status, a.up = client.StatusOf(a.err), nil
				}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				if a.err != nil {
					select { // a refused client backs off, as Retry-After asks
					case <-stop:
					case <-time.After(200 * time.Millisecond):
					}
				}
			}
		}()
	}
	accepted := func(after time.Time) (n int, first time.Time) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range attempts {
			if a.status == http.StatusAccepted && a.start.After(after) {
				n++
				if first.IsZero() || a.end.Before(first) {
					first = a.end
				}
			}
		}
		return n, first
	}
	waitFor(t, 2*time.Minute, func() (bool, string) {
		n, _ := accepted(time.Time{})
		return n >= 8, fmt.Sprintf("%d uploads accepted before the kill", n)
	})

	// The master is whichever node the sentinels name now (on a loaded
	// machine they could have failed over once already).
	cur, err := set.masterAddr()
	if err != nil {
		t.Fatal(err)
	}
	master, replica := set.master, set.replica
	if cur == replica.addr {
		t.Logf("the sentinels had already failed over to %s before the kill", cur)
		master, replica = replica, master
	}
	master.kill(t)
	killed := time.Now()
	t.Logf("master %s killed with SIGKILL", master.addr)
	var promoted time.Duration
	waitFor(t, time.Minute, func() (bool, string) {
		addr, err := set.masterAddr()
		if err == nil && addr == replica.addr {
			promoted = time.Since(killed)
			return true, ""
		}
		return false, fmt.Sprintf("sentinels name master %s (%v), want the replica %s", addr, err, replica.addr)
	})
	var firstEnqueue time.Duration
	waitFor(t, time.Minute, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		if i := slices.IndexFunc(probeOK, func(at time.Time) bool { return at.After(killed) }); i >= 0 {
			firstEnqueue = probeOK[i].Sub(killed)
			return true, ""
		}
		return false, "no task enqueued since the kill"
	})
	waitFor(t, 2*time.Minute, func() (bool, string) {
		n, _ := accepted(killed)
		return n >= 8, fmt.Sprintf("%d uploads accepted after the kill", n)
	})
	halt()
	_, firstUpload := accepted(killed)
	t.Logf("FAILOVER: sentinels promoted the replica %v after the kill (down-after %v); first enqueue on the new master %v after the kill; first accepted upload %v after",
		promoted.Round(10*time.Millisecond), downAfter, firstEnqueue.Round(10*time.Millisecond), firstUpload.Sub(killed).Round(10*time.Millisecond))

	var ups []*client.Upload
	refused := map[int]int{}
	var stalled time.Duration // the longest upload in flight while no master took writes
	for _, a := range attempts {
		if a.start.Before(killed.Add(firstEnqueue)) && a.end.After(killed) {
			stalled = max(stalled, a.end.Sub(a.start))
		}
		if a.status == http.StatusAccepted {
			ups = append(ups, a.up)
			continue
		}
		refused[a.status]++
		if a.status != http.StatusServiceUnavailable {
			t.Errorf("upload %d (%v after the kill): %v, want 202 or 503", a.n, a.start.Sub(killed).Round(time.Millisecond), a.err)
		}
	}
	t.Logf("%d uploads: %d accepted, refused by status %v; the longest upload in flight across the failover took %v",
		len(attempts), len(ups), refused, stalled.Round(10*time.Millisecond))

	// As in internal/drills' Redis drills, a task whose completion the
	// worker could not record while no master answered stays active in
	// asynq until lease recovery (30 s lease + 30 s margin + the
	// recoverer's once-a-minute run), and a task the old master
	// acknowledged but had not yet replicated is lost until the
	// reconciler (RECONCILE_AFTER 30 s) enqueues it again; the bound is
	// asynq's, as there.
	const bound = 3 * time.Minute
	ended := time.Now()
	var succeeded, failed int
	var slowest time.Duration
	ctx := context.Background()
	for _, up := range ups {
		var j *quizflow.Job
		waitFor(t, bound-time.Since(ended), func() (bool, string) {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var err error
			if j, err = c.Job(cctx, up.Job.ID); err != nil {
				return false, fmt.Sprintf("job %s: %v", up.Job.ID, err)
			}
			return j.Status == quizflow.StatusSucceeded || j.Status == quizflow.StatusFailed,
				fmt.Sprintf("job %s (uploaded %v) is %s at %s", j.ID, up.Job.CreatedAt.Sub(killed).Round(time.Millisecond), j.Status, j.Stage)
		})
		slowest = max(slowest, j.UpdatedAt.Sub(killed))
		if late := j.UpdatedAt.Sub(killed); late > 20*time.Second {
			t.Logf("job %s ended %v after the kill (attempts %d): it waited for lease recovery or the reconciler", j.ID, late.Round(time.Second), j.Attempts)
		}
		if j.Status == quizflow.StatusFailed {
			failed++
			if j.Error == nil || j.Error.Message == "" {
				t.Errorf("job %s failed without a message", j.ID)
			}
			t.Logf("job %s failed: %+v", j.ID, j.Error)
		} else {
			succeeded++
		}
		if n, err := st.app.Store.Database().Collection("quizzes").CountDocuments(ctx, bson.M{"job_id": j.ID}); err != nil || n > 1 {
			t.Errorf("job %s made %d quizzes (%v)", j.ID, n, err)
		}
	}
	t.Logf("accepted jobs: %d succeeded, %d failed; the last ended %v after the kill", succeeded, failed, slowest.Round(time.Second))
	for _, p := range st.procs {
		if !p.running() {
			t.Errorf("%s did not survive the failover: %v", p.name, p.err)
		}
	}
}

// attempt is one upload and what the API answered.
type attempt struct {
	n          int
	start, end time.Time
	status     int // 202, or the error status (0: no HTTP answer)
	err        error
	up         *client.Upload
}

// sentinelSet is a master, its replica and three sentinels.
type sentinelSet struct {
	master, replica *redisProc
	sentinels       []*redisProc
}

// url is the set's REDIS_URL.
func (s *sentinelSet) url() string {
	addrs := make([]string, len(s.sentinels))
	for i, p := range s.sentinels {
		addrs[i] = p.addr
	}
	return "redis-sentinel://:" + dataPassword + "@" + strings.Join(addrs, ",") + "/0?master=" + masterName + "&sentinel_password=" + sentinelPassword
}

// masterAddr asks the first sentinel that answers for the master's address.
func (s *sentinelSet) masterAddr() (string, error) {
	var errs []error
	for _, p := range s.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: p.addr, Password: sentinelPassword})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		hp, err := sc.GetMasterAddrByName(ctx, masterName).Result()
		cancel()
		_ = sc.Close()
		if err == nil && len(hp) == 2 {
			return hp[0] + ":" + hp[1], nil
		}
		errs = append(errs, fmt.Errorf("%s: %v", p.addr, err))
	}
	return "", errors.Join(errs...)
}

// startSentinelSet starts the set on free loopback ports and returns once
// the replica is in sync and every sentinel knows the replica and the two
// other sentinels (so that a quorum of two can fail over).
func startSentinelSet(t *testing.T) *sentinelSet {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("the Sentinel failover test runs redis-server (and redis-server --sentinel): install the Debian package redis-server (redis-sentinel is optional: redis-server runs as a sentinel itself): %v", err)
	}
	dir := t.TempDir()
	data := func(port int, extra string) string {
		// No persistence: the test is about failover to the replica, not
		// restarts (see internal/drills for those).
		return fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsave \"\"\nappendonly no\nmaxmemory-policy noeviction\n"+
			"requirepass %s\nmasterauth %s\n%s", port, dir, dataPassword, dataPassword, extra)
	}
	s := &sentinelSet{}
	mport := freePort(t)
	s.master = startRedisProc(t, bin, dir, "master", mport, data(mport, ""), false)
	rport := freePort(t)
	s.replica = startRedisProc(t, bin, dir, "replica", rport, data(rport, fmt.Sprintf("replicaof 127.0.0.1 %d\n", mport)), false)
	for i := range 3 {
		port := freePort(t)
		conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nrequirepass %s\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\nsentinel auth-pass %s %s\nsentinel sentinel-pass %s\n"+
			"sentinel down-after-milliseconds %s %d\nsentinel failover-timeout %s %d\nsentinel parallel-syncs %s 1\n",
			port, dir, sentinelPassword, masterName, mport, masterName, dataPassword, sentinelPassword,
			masterName, downAfter.Milliseconds(), masterName, failoverTimeout.Milliseconds(), masterName)
		s.sentinels = append(s.sentinels, startRedisProc(t, bin, dir, fmt.Sprintf("sentinel-%d", i+1), port, conf, true))
	}
	rc := redis.NewClient(&redis.Options{Addr: s.replica.addr, Password: dataPassword})
	t.Cleanup(func() { _ = rc.Close() })
	waitFor(t, 30*time.Second, func() (bool, string) {
		info, err := rc.Info(context.Background(), "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up"), fmt.Sprintf("replica not in sync: %v %q", err, info)
	})
	for _, p := range s.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: p.addr, Password: sentinelPassword})
		t.Cleanup(func() { _ = sc.Close() })
		waitFor(t, 30*time.Second, func() (bool, string) {
			m, err := sc.Master(context.Background(), masterName).Result()
			return err == nil && m["num-slaves"] == "1" && m["num-other-sentinels"] == "2" && m["flags"] == "master",
				fmt.Sprintf("sentinel %s sees %v (%v), want 1 replica and 2 other sentinels", p.name, m, err)
		})
	}
	return s
}

// freePort returns a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	p, err := embedded.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// redisProc is one redis-server of the set.
type redisProc struct {
	name, addr string
	cmd        *exec.Cmd
	out        *childproc.TailBuffer
	done       chan struct{}
}

// startRedisProc writes conf to dir/name.conf and runs redis-server on it
// (as a sentinel if sentinel), killed when the test ends, and returns once
// it answers PING.
func startRedisProc(t *testing.T, bin, dir, name string, port int, conf string, sentinel bool) *redisProc {
	t.Helper()
	path := filepath.Join(dir, name+".conf")
	if err := os.WriteFile(path, []byte(conf+"daemonize no\nlogfile \"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{path}
	if sentinel {
		args = append(args, "--sentinel")
	}
	p := &redisProc{name: name, addr: "127.0.0.1:" + strconv.Itoa(port), out: childproc.NewTailBuffer(64 << 10), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("output of %s (%s):\n%s", name, p.addr, p.out.String())
		}
	})
	pw := dataPassword
	if sentinel {
		pw = sentinelPassword
	}
	rc := redis.NewClient(&redis.Options{Addr: p.addr, Password: pw, MaxRetries: -1})
	defer rc.Close()
	waitFor(t, 15*time.Second, func() (bool, string) {
		select {
		case <-p.done:
			t.Fatalf("%s exited at start:\n%s", name, p.out.String())
		default:
		}
		err := rc.Ping(context.Background()).Err()
		return err == nil, fmt.Sprintf("%s does not answer PING: %v", name, err)
	})
	return p
}

// kill kills the process with SIGKILL and waits until it has exited.
func (p *redisProc) kill(t *testing.T) {
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// stack is the API in the test process and its child processes.
type stack struct {
	t     *testing.T
	vars  map[string]string
	app   *app.App
	url   string
	procs []*proc
}

// startStack starts the API on testenv's MongoDB and S3, a fake model
// server and redisURL.
func startStack(t *testing.T, redisURL string) *stack {
	t.Helper()
	env := testenv.New(t)
	fake := fakeopenai.New()
	t.Cleanup(fake.Close)
	st := &stack{t: t, vars: map[string]string{
		"APP_ENV": "test", "PORT": "0", "HOST": "127.0.0.1", "LOG_LEVEL": "info",
		"REDIS_URL": redisURL, "MONGODB_URI": env.MongoURI, "MONGODB_DATABASE": env.MongoDB,
		"S3_ENDPOINT": env.S3.Endpoint, "S3_BUCKET": env.S3.Bucket, "S3_REGION": env.S3.Region,
		"S3_ACCESS_KEY_ID": env.S3.AccessKey, "S3_SECRET_ACCESS_KEY": env.S3.SecretKey,
		"JWT_ACCESS_SECRET": "failover-access-secret-0123456789abcdef", "JWT_REFRESH_SECRET": "failover-refresh-secret-0123456789abcdef",
		"OPENAI_API_KEY": "sk-failover", "OPENAI_BASE_URL": fake.URL, "OPENAI_MODEL": "gpt-4o-mini",
		"MAX_FILE_SIZE": "10MiB", "MAX_PAGES": "500", "RATE_LIMIT_API_RPM": "off", "BCRYPT_COST": "4",
		"WORKER_CONCURRENCY": "2", "METRICS_ADDR": "off",
		"PLAN_FREE_QUIZZES_PER_MONTH": "100000", "PLAN_FREE_MAX_PAGES": "500", "PLAN_FREE_MAX_FILE_SIZE": "10MiB",
		// The reconciler at its quickest, as in the drills: it re-enqueues
		// a job whose task the failover lost.
		"RECONCILE_AFTER": "30s", "RECONCILE_CRON": "@every 2s",
	}}
	cfg, err := config.FromEnv(func(k string) string { return st.vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.NewLogger(logWriter{t, "api"}, "warn"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	st.app = a
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
		a.Close()
	})
	select {
	case addr := <-ready:
		st.url = "http://" + addr
	case <-time.After(30 * time.Second):
		t.Fatal("api did not start")
	}
	return st
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

// proc is a child process: cmd/worker or cmd/scheduler.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *childproc.TailBuffer
	done chan struct{}
	err  error
}

// proc starts bin with the stack's environment, in its own process group
// with a parent-death signal; the test's cleanup kills the group and logs
// its output if the test failed.
func (st *stack) proc(name, bin string) *proc {
	t := st.t
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + t.TempDir()}
	for k, v := range st.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{name: name, cmd: cmd, out: childproc.NewTailBuffer(256 << 10), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			t.Logf("output of %s (%v):\n%s", name, p.err, p.out.String())
		}
	})
	st.procs = append(st.procs, p)
	return p
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

// bins are cmd/worker and cmd/scheduler, built once per test binary.
var bins struct {
	once sync.Once
	dir  string
	err  error
}

// binary returns the path of cmd/<name>, building the binaries with the go
// command on first use.
func binary(t *testing.T, name string) string {
	t.Helper()
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "quizflow-failover-")
		if bins.err != nil {
			return
		}
		gocmd, err := exec.LookPath("go")
		if err != nil {
			bins.err = fmt.Errorf("the failover test builds the worker with the go command: %w", err)
			return
		}
		cmd := exec.Command(gocmd, "build", "-o", bins.dir+string(os.PathSeparator),
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

// waitFor is childproc.WaitFor.
var waitFor = childproc.WaitFor

// lessonLines are the facts of the uploaded lessons.
var lessonLines = []string{
	"Photosynthesis captures the energy of sunlight and stores it in sugar.",
	"Chloroplasts contain the green pigment chlorophyll that absorbs light.",
	"The light reactions split water molecules and release oxygen gas.",
	"The Calvin cycle fixes carbon dioxide from the air into glucose.",
	"Mitochondria release the energy stored in glucose during respiration.",
	"Stomata are small pores that let carbon dioxide enter the leaves.",
}

// lesson returns a short Markdown lesson, different for each n.
func lesson(n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Lesson %d\n\n", n)
	for i, l := range lessonLines {
		fmt.Fprintf(&b, "In lesson %d, fact %d says this: %s\n", n, i+1, l)
	}
	return []byte(b.String())
}
