package embedded

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Kinds of Redis reported in [Redis.Kind].
const (
	KindRedisServer = "redis-server"
	KindMiniredis   = "miniredis"
)

// RedisOptions configure [StartRedis].
type RedisOptions struct {
	// Dir, when set, makes the data persistent: redis-server runs in Dir
	// with appendonly yes, and a later StartRedis on the same Dir sees the
	// data again. When empty, nothing is written to disk.
	Dir string

	// AllowMiniredis falls back to the in-process miniredis when no
	// redis-server is on PATH. miniredis ignores Dir and its TTLs do not
	// move on their own, so tests should leave this off.
	AllowMiniredis bool

	// Binary is the redis-server to run; empty means "redis-server" from PATH.
	Binary string

	// Log, when set, receives redis-server's own log output.
	Log io.Writer

	// Port, when set, is the port to listen on instead of a free one, for
	// restarting a server where its clients expect it (after [Redis.Kill],
	// on the same Dir to reload its append-only file, or without one to
	// come back empty). A port in use is an error, not retried.
	Port int
}

// Redis is a running Redis server started by [StartRedis].
type Redis struct {
	// Addr is host:port, for example 127.0.0.1:6390.
	Addr string
	// URL is redis://Addr/0, the form REDIS_URL takes.
	URL string
	// Kind is KindRedisServer or KindMiniredis.
	Kind string

	cmd        *exec.Cmd
	persistent bool          // stop gracefully so the append-only file is complete
	exited     chan struct{} // closed when cmd.Wait returns
	mini       *miniredis.Miniredis

	closeOnce sync.Once
	closeErr  error
}

// redisStartAttempts bounds the retries when another process takes the
// chosen port between FreePort and redis-server binding it.
const redisStartAttempts = 5

// redisStartTimeout bounds the start when ctx has no deadline.
const redisStartTimeout = 15 * time.Second

// StartRedis starts a Redis server on a free port of 127.0.0.1 and returns
// once it answers PING.
//
// It runs redis-server from PATH (or opt.Binary) as a child process in its
// own process group, with maxmemory-policy noeviction (asynq needs it), no
// persistence unless opt.Dir is set, and (on Linux) a parent-death signal so
// the server never outlives the caller. When redis-server is not installed
// and opt.AllowMiniredis is set, it starts miniredis instead. ctx bounds the
// start only; the server runs until Close.
func StartRedis(ctx context.Context, opt RedisOptions) (*Redis, error) {
	bin := opt.Binary
	if bin == "" {
		bin = "redis-server"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		if !opt.AllowMiniredis {
			return nil, fmt.Errorf("start redis: %s not found on PATH (install redis-server): %w", bin, err)
		}
		return startMiniredis()
	}
	if opt.Dir != "" {
		abs, err := filepath.Abs(opt.Dir)
		if err != nil {
			return nil, fmt.Errorf("start redis: resolve dir %q: %w", opt.Dir, err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("start redis: create dir: %w", err)
		}
		opt.Dir = abs
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, redisStartTimeout)
		defer cancel()
	}

	var lastErr error
	for attempt := 0; attempt < redisStartAttempts; attempt++ {
		r, retry, err := startRedisServer(ctx, path, opt)
		if err == nil {
			return r, nil
		}
		lastErr = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start redis: %w", lastErr)
}

// startRedisServer makes one attempt on one free port. retry reports that
// the port was taken and another attempt may succeed.
func startRedisServer(ctx context.Context, path string, opt RedisOptions) (r *Redis, retry bool, err error) {
	port := opt.Port
	if port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, false, err
		}
		port = p
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--daemonize", "no",
		"--maxmemory-policy", "noeviction",
		"--logfile", "",
	}
	if opt.Dir != "" {
		args = append(args, "--dir", opt.Dir, "--appendonly", "yes", "--appendfsync", "everysec")
	} else {
		args = append(args, "--save", "", "--appendonly", "no")
	}

	cmd := exec.Command(path, args...)
	out := &tailBuffer{max: 8 << 10}
	var w io.Writer = out
	if opt.Log != nil {
		w = io.MultiWriter(out, opt.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if opt.Dir != "" {
		cmd.Dir = opt.Dir
	}
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("run %s: %w", path, err)
	}
	r = &Redis{
		Addr:       addr,
		URL:        "redis://" + addr + "/0",
		Kind:       KindRedisServer,
		cmd:        cmd,
		persistent: opt.Dir != "",
		exited:     make(chan struct{}),
	}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(r.exited)
	}()

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		// A stranger that took the port first could answer PING too, so
		// also wait for our own server to report that it is ready.
		if strings.Contains(out.String(), "Ready to accept connections") && pingRedis(ctx, addr) == nil {
			select {
			case <-r.exited:
			default:
				return r, false, nil
			}
		}
		select {
		case <-r.exited:
			log := out.String()
			if strings.Contains(log, "Address already in use") && opt.Port == 0 {
				return nil, true, fmt.Errorf("port %d taken: %s", port, strings.TrimSpace(log))
			}
			return nil, false, fmt.Errorf("redis-server exited before answering (%v): %s", waitErr, strings.TrimSpace(log))
		case <-ctx.Done():
			_ = r.Close()
			return nil, false, fmt.Errorf("redis-server on %s did not answer PING: %w; log: %s", addr, ctx.Err(), strings.TrimSpace(out.String()))
		case <-tick.C:
		}
	}
}

// pingRedis sends one inline PING and expects +PONG.
func pingRedis(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("unexpected PING reply %q", line)
	}
	return nil
}

func startMiniredis() (*Redis, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start miniredis: %w", err)
	}
	return &Redis{
		Addr: m.Addr(),
		URL:  "redis://" + m.Addr() + "/0",
		Kind: KindMiniredis,
		mini: m,
	}, nil
}

// Close stops the server and waits for it to exit. A persistent
// redis-server (RedisOptions.Dir) gets SIGTERM so that it flushes its
// append-only file, then SIGKILL if it has not exited within five seconds;
// one without persistence has nothing to save and gets SIGKILL at once.
// Close is idempotent.
func (r *Redis) Close() error {
	r.closeOnce.Do(func() {
		switch {
		case r.mini != nil:
			r.mini.Close()
		case r.cmd != nil:
			r.closeErr = r.stopProcess()
		}
	})
	return r.closeErr
}

// Kill stops a redis-server with SIGKILL, as a crash or the OOM killer
// would: nothing is flushed beyond what the append-only file already holds.
// It waits for the process to exit; later calls, and Close after it, do
// nothing. It is for fault drills; miniredis is simply closed.
func (r *Redis) Kill() error {
	r.closeOnce.Do(func() {
		switch {
		case r.mini != nil:
			r.mini.Close()
		case r.cmd != nil:
			if err := signalGroup(r.cmd, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				r.closeErr = fmt.Errorf("kill redis-server %s: %w", r.Addr, err)
				return
			}
			<-r.exited
		}
	})
	return r.closeErr
}

func (r *Redis) stopProcess() error {
	select {
	case <-r.exited:
		return nil
	default:
	}
	if r.persistent {
		if err := signalGroup(r.cmd, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stop redis-server %s: %w", r.Addr, err)
		}
		timer := time.NewTimer(5 * time.Second)
		defer timer.Stop()
		select {
		case <-r.exited:
			return nil
		case <-timer.C:
		}
	}
	if err := signalGroup(r.cmd, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill redis-server %s: %w", r.Addr, err)
	}
	<-r.exited
	return nil
}

// tailBuffer keeps the last max bytes written to it; it is safe for
// concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
