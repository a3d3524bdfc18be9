package redisconn_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/jobwatch"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/redisconn"
	"github.com/quizflow/quizflow/internal/revocation"
	"github.com/quizflow/quizflow/jobs"
)

// TestClusterStack runs the real API, cmd/worker and cmd/scheduler on
// REDIS_URL=redis-cluster://... over a three-node Redis Cluster on
// loopback: registration (its rate limit's Lua script), uploads through
// extraction and generation (asynq's scripts, each on one queue's hash
// tag, and the model-call rate limits), token revocation (a pipeline
// whose keys live in different slots) and the job-change relay's pub/sub
// all work, and the queues' keys spread over the nodes by queue.
func TestClusterStack(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t)
	redisURL := "redis-cluster://:" + dataPassword + "@" + strings.Join(nodes, ",")
	o, err := redisconn.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	st := startStack(t, redisURL)
	st.proc("worker", binary(t, "worker"))
	st.proc("scheduler", binary(t, "scheduler"))
	c := client.New(st.url)
	ctx := context.Background()
	if _, err := c.Register(ctx, "cluster@example.com", "correct horse battery", "Cluster"); err != nil {
		t.Fatalf("register: %v", err)
	}
	var ups []*client.Upload
	for i := range 3 {
		up, err := c.UploadReader(ctx, fmt.Sprintf("cluster-%d.md", i), strings.NewReader(string(lesson(500+i))), map[string]string{"question_count": "3"})
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		ups = append(ups, up)
	}
	for _, up := range ups {
		var j *quizflow.Job
		waitFor(t, 2*time.Minute, func() (bool, string) {
			if j, err = c.Job(ctx, up.Job.ID); err != nil {
				return false, fmt.Sprintf("job %s: %v", up.Job.ID, err)
			}
			return j.Status == quizflow.StatusSucceeded || j.Status == quizflow.StatusFailed, fmt.Sprintf("job %s is %s at %s", j.ID, j.Status, j.Stage)
		})
		if j.Status != quizflow.StatusSucceeded {
			t.Errorf("job %s = %s %+v, want succeeded", j.ID, j.Status, j.Error)
		}
	}

	rdb := o.NewClient()
	t.Cleanup(func() { _ = rdb.Close() })
	cc := rdb.(*redis.ClusterClient)
	// Where the queues live: one slot (so one node) per queue.
	owners := map[string][]string{}
	for _, q := range []string{jobs.QueueExtract, jobs.QueueGenerate, jobs.QueueExport, jobs.QueueEmail, jobs.QueueMaintenance, jobs.QueueBilling} {
		slot, err := cc.ClusterKeySlot(ctx, "asynq:{"+q+"}:pending").Result()
		if err != nil {
			t.Fatal(err)
		}
		if s2, _ := cc.ClusterKeySlot(ctx, "asynq:{"+q+"}:t:some-task").Result(); s2 != slot {
			t.Errorf("queue %s: task keys in slot %d, pending list in %d", q, s2, slot)
		}
		owner := nodeOf(t, cc, "asynq:{"+q+"}:pending")
		owners[owner] = append(owners[owner], fmt.Sprintf("%s (slot %d)", q, slot))
	}
	t.Logf("asynq queues by node: %v", owners)
	if len(owners) < 2 {
		t.Errorf("every queue hashes to one node (%v): the cluster spreads nothing", owners)
	}

	// Revocation writes keys of several slots in one pipeline.
	rev := revocation.New(rdb, time.Minute)
	fams := []string{"fam-a", "fam-b", "fam-c", "fam-d"}
	if err := rev.RevokeFamilies(ctx, fams...); err != nil {
		t.Fatalf("revoke on a cluster: %v", err)
	}
	for _, f := range fams {
		if ok, err := rev.Revoked(ctx, f); err != nil || !ok {
			t.Errorf("family %s revoked = %v (%v), want true", f, ok, err)
		}
	}

	// The job-change relay: a change published by one process (client)
	// wakes a watcher in another, whatever node either is connected to.
	other := o.NewClient()
	t.Cleanup(func() { _ = other.Close() })
	hub := jobwatch.New()
	relay := jobwatch.NewRelay(hub, other)
	rctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	subscribed := make(chan struct{})
	go func() { _ = relay.Run(rctx, func() { close(subscribed) }) }()
	select {
	case <-subscribed:
	case <-time.After(30 * time.Second):
		t.Fatal("relay did not subscribe on the cluster")
	}
	changed, stop := hub.Watch("job_cluster")
	defer stop()
	jobwatch.NewRelay(jobwatch.New(), rdb).Notify("job_cluster")
	select {
	case <-changed:
	case <-time.After(30 * time.Second):
		t.Error("a job change published on the cluster did not reach the other relay")
	}
}

// nodeOf names the primary serving key.
func nodeOf(t *testing.T, cc *redis.ClusterClient, key string) string {
	t.Helper()
	c, err := cc.MasterForKey(context.Background(), key)
	if err != nil {
		t.Fatalf("primary of %s: %v", key, err)
	}
	return c.Options().Addr
}

// startCluster starts three cluster-enabled redis-servers on loopback,
// splits the 16384 slots between them and joins them, and returns their
// addresses once every node reports cluster_state:ok.
func startCluster(t *testing.T) []string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("the cluster test runs redis-server: install the Debian package redis-server: %v", err)
	}
	dir := t.TempDir()
	var addrs []string
	var clients []*redis.Client
	for i := range 3 {
		port := freePort(t)
		conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsave \"\"\nappendonly no\nmaxmemory-policy noeviction\n"+
			"requirepass %s\nmasterauth %s\ncluster-enabled yes\ncluster-config-file nodes-%d.conf\ncluster-node-timeout 5000\n",
			port, dir, dataPassword, dataPassword, port)
		p := startRedisProc(t, bin, dir, fmt.Sprintf("cluster-%d", i+1), port, conf, false)
		addrs = append(addrs, p.addr)
		rc := redis.NewClient(&redis.Options{Addr: p.addr, Password: dataPassword})
		t.Cleanup(func() { _ = rc.Close() })
		clients = append(clients, rc)
	}
	ctx := context.Background()
	const slots = 16384
	for i, rc := range clients {
		lo, hi := i*slots/len(clients), (i+1)*slots/len(clients)-1
		if err := rc.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE %d %d on %s: %v", lo, hi, addrs[i], err)
		}
	}
	for _, a := range addrs[1:] {
		host, port, _ := strings.Cut(a, ":")
		if err := clients[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", a, err)
		}
	}
	for i, rc := range clients {
		waitFor(t, 30*time.Second, func() (bool, string) {
			info, err := rc.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3"),
				fmt.Sprintf("node %s: %v %q", addrs[i], err, info)
		})
	}
	return addrs
}
