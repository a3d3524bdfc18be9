package embedded_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quizflow/quizflow/internal/embedded"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startRedis(t *testing.T, opt embedded.RedisOptions) *embedded.Redis {
	t.Helper()
	r, err := embedded.StartRedis(testContext(t), opt)
	if err != nil {
		t.Fatalf("StartRedis: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

func redisClient(t *testing.T, r *embedded.Redis) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(r.URL)
	if err != nil {
		t.Fatalf("parse %q: %v", r.URL, err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestFreePort(t *testing.T) {
	p, err := embedded.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort = %d", p)
	}
}

func TestRedisServer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	r := startRedis(t, embedded.RedisOptions{})
	if r.Kind != embedded.KindRedisServer {
		t.Fatalf("Kind = %q; want %q", r.Kind, embedded.KindRedisServer)
	}
	if !strings.HasPrefix(r.URL, "redis://127.0.0.1:") || !strings.HasSuffix(r.URL, "/0") {
		t.Fatalf("URL = %q", r.URL)
	}
	c := redisClient(t, r)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v", got, err)
	}
	cfg, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatalf("CONFIG GET: %v", err)
	}
	for k, want := range map[string]string{"maxmemory-policy": "noeviction", "save": "", "appendonly": "no", "bind": "127.0.0.1"} {
		if cfg[k] != want {
			t.Errorf("config %s = %q; want %q", k, cfg[k], want)
		}
	}

	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Close waited for the process: nothing listens on the port any more.
	if conn, err := net.Dial("tcp", r.Addr); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after Close", r.Addr)
	}
}

func TestRedisSideBySide(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	a, b := startRedis(t, embedded.RedisOptions{}), startRedis(t, embedded.RedisOptions{})
	if a.Addr == b.Addr {
		t.Fatalf("both on %s", a.Addr)
	}
	if err := redisClient(t, a).Set(ctx, "k", "a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := redisClient(t, b).Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET k on b: %v; want redis.Nil", err)
	}
}

func TestRedisPersistence(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	dir := t.TempDir()

	r := startRedis(t, embedded.RedisOptions{Dir: dir})
	c := redisClient(t, r)
	if got, err := c.ConfigGet(ctx, "appendonly").Result(); err != nil || got["appendonly"] != "yes" {
		t.Fatalf("appendonly = %v, %v; want yes", got, err)
	}
	if err := c.Set(ctx, "kept", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	r2 := startRedis(t, embedded.RedisOptions{Dir: dir})
	if got, err := redisClient(t, r2).Get(ctx, "kept").Result(); err != nil || got != "yes" {
		t.Fatalf("GET after restart = %q, %v; want yes", got, err)
	}
}

func TestRedisMiniredisFallback(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	missing := "quizflow-no-such-redis-server"

	if _, err := embedded.StartRedis(ctx, embedded.RedisOptions{Binary: missing}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("StartRedis without fallback: err = %v; want not found", err)
	}

	r := startRedis(t, embedded.RedisOptions{Binary: missing, AllowMiniredis: true})
	if r.Kind != embedded.KindMiniredis {
		t.Fatalf("Kind = %q; want %q", r.Kind, embedded.KindMiniredis)
	}
	c := redisClient(t, r)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v", got, err)
	}
}

// helperEnv makes the test binary act as a parent process that starts a
// redis-server, prints its pid and waits to be killed.
const helperEnv = "QUIZFLOW_EMBEDDED_REDIS_HELPER"

func TestRedisHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return // only runs as the child of TestRedisDiesWithParent
	}
	r, err := embedded.StartRedis(context.Background(), embedded.RedisOptions{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("addr:", r.Addr)
	time.Sleep(time.Hour) // until the test kills this process
}

func TestRedisDiesWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Log("parent-death signal is Linux only; checking that the helper works elsewhere is not useful")
		return
	}
	t.Parallel()
	ctx := testContext(t)

	helper := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRedisHelperProcess$", "-test.count=1")
	helper.Env = append(os.Environ(), helperEnv+"=1")
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "addr: ") {
		_ = helper.Process.Kill()
		_ = helper.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "addr: "))
	pid := redisPIDOf(t, addr)

	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()

	// Poll with a deadline: the kernel delivers the signal asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("redis-server %d outlived its killed parent", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// redisPIDOf asks the server at addr for its process id.
func redisPIDOf(t *testing.T, addr string) int {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	info, err := c.Info(testContext(t), "server").Result()
	if err != nil {
		t.Fatalf("INFO server on %s: %v", addr, err)
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "process_id:"); ok {
			pid, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("process_id %q: %v", v, err)
			}
			return pid
		}
	}
	t.Fatalf("no process_id in INFO server: %s", info)
	return 0
}

// processAlive reports whether pid runs (a zombie waiting to be reaped
// counts as dead).
func processAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}
