package redisconn_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/redisconn"
	"github.com/quizflow/quizflow/internal/testenv"
)

// secret is a password that no error or redacted form may contain.
const secret = "s3cr3t-Pa55"

func TestParse(t *testing.T) {
	tls12 := &tls.Config{MinVersion: tls.VersionTLS12}
	named := func(host string) *tls.Config { c := tls12.Clone(); c.ServerName = host; return c }
	for _, tc := range []struct {
		url      string
		want     redisconn.Options
		redacted string
	}{
		{"redis://127.0.0.1:6379/0", redisconn.Options{Addrs: []string{"127.0.0.1:6379"}}, "redis://127.0.0.1:6379/0"},
		{"redis://cache", redisconn.Options{Addrs: []string{"cache:6379"}}, "redis://cache:6379/0"},
		{"redis://:" + secret + "@cache:6380/3", redisconn.Options{Addrs: []string{"cache:6380"}, Password: secret, DB: 3}, "redis://:xxxxx@cache:6380/3"},
		{"redis://app:" + secret + "@cache/2/", redisconn.Options{Addrs: []string{"cache:6379"}, Username: "app", Password: secret, DB: 2}, "redis://app:xxxxx@cache:6379/2"},
		{"redis://:p%40ss%3Aw%2Fd@cache", redisconn.Options{Addrs: []string{"cache:6379"}, Password: "p@ss:w/d"}, "redis://:xxxxx@cache:6379/0"},
		{"redis://[::1]:7000/1", redisconn.Options{Addrs: []string{"[::1]:7000"}, DB: 1}, "redis://[::1]:7000/1"},
		{"redis://[::1]", redisconn.Options{Addrs: []string{"[::1]:6379"}}, "redis://[::1]:6379/0"},
		{"REDIS://Cache:6379", redisconn.Options{Addrs: []string{"Cache:6379"}}, "redis://Cache:6379/0"},
		{"rediss://:" + secret + "@redis.example.com:6380/0",
			redisconn.Options{TLS: named("redis.example.com"), Addrs: []string{"redis.example.com:6380"}, Password: secret},
			"rediss://:xxxxx@redis.example.com:6380/0"},
		{"redis-sentinel://s1:26379,s2:26380,s3/4?master=mymaster",
			redisconn.Options{Mode: redisconn.Sentinel, Addrs: []string{"s1:26379", "s2:26380", "s3:26379"}, DB: 4, MasterName: "mymaster"},
			"redis-sentinel://s1:26379,s2:26380,s3:26379/4?master=mymaster"},
		{"redis-sentinel://:" + secret + "@s1,s2?master=m1&sentinel_password=" + secret + "x",
			redisconn.Options{Mode: redisconn.Sentinel, Addrs: []string{"s1:26379", "s2:26379"}, Password: secret, MasterName: "m1", SentinelPassword: secret + "x"},
			"redis-sentinel://:xxxxx@s1:26379,s2:26379/0?master=m1&sentinel_password=xxxxx"},
		{"redis-sentinel://s1?master=m1&sentinel_username=watch&sentinel_password=" + secret,
			redisconn.Options{Mode: redisconn.Sentinel, Addrs: []string{"s1:26379"}, MasterName: "m1", SentinelUsername: "watch", SentinelPassword: secret},
			"redis-sentinel://s1:26379/0?master=m1&sentinel_password=xxxxx&sentinel_username=watch"},
		{"rediss-sentinel://s1,s2?master=m1",
			redisconn.Options{Mode: redisconn.Sentinel, TLS: tls12, Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "m1"},
			"rediss-sentinel://s1:26379,s2:26379/0?master=m1"},
		{"redis-cluster://:" + secret + "@n1:7000,n2:7001,n3:7002/",
			redisconn.Options{Mode: redisconn.Cluster, Addrs: []string{"n1:7000", "n2:7001", "n3:7002"}, Password: secret},
			"redis-cluster://:xxxxx@n1:7000,n2:7001,n3:7002/0"},
		{"redis-cluster://n1/0", redisconn.Options{Mode: redisconn.Cluster, Addrs: []string{"n1:6379"}}, "redis-cluster://n1:6379/0"},
		{"rediss-cluster://n1:7000,n2:7000",
			redisconn.Options{Mode: redisconn.Cluster, TLS: tls12, Addrs: []string{"n1:7000", "n2:7000"}},
			"rediss-cluster://n1:7000,n2:7000/0"},
	} {
		t.Run(tc.redacted, func(t *testing.T) {
			got, err := redisconn.Parse(tc.url)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(&tc.want, got, cmpopts.IgnoreUnexported(tls.Config{})); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			if s := got.String(); s != tc.redacted {
				t.Errorf("String() = %q, want %q", s, tc.redacted)
			}
			if s := redisconn.Redact(tc.url); s != tc.redacted || strings.Contains(s, secret) {
				t.Errorf("Redact = %q, want %q", s, tc.redacted)
			}
			// The redacted form parses to the same topology.
			back, err := redisconn.Parse(got.String())
			if err != nil || back.Mode != got.Mode || !cmp.Equal(back.Addrs, got.Addrs) || back.DB != got.DB || back.MasterName != got.MasterName {
				t.Errorf("redacted form %q parses to %+v, %v", got.String(), back, err)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"", "needs a scheme"},
		{"127.0.0.1:6379", "needs a scheme"},
		{"http://" + secret + "@h", `scheme "http" is not one of`},
		{"redis-socket:///tmp/r.sock", `scheme "redis-socket"`},
		{"redis://", "no host"},
		{"redis://:" + secret + "@", "no host"},
		{"redis://:" + secret + "@/0", "no host"},
		{"redis://a:1,b:2", "several hosts: use redis-sentinel"},
		{"redis://h:0", "port must be a number from 1 to 65535"},
		{"redis://h:99999", "port must be a number"},
		{"redis://h:port", "port must be a number"},
		{"redis://::1", "is not host:port"},
		{"redis://h o/0", "not allowed in a host name"},
		{"redis://h/x", `path "x" must be a database number`},
		{"redis://h/-1", "must be a database number"},
		{"redis://h/0/1", "must be a database number"},
		{"redis://h/99999999", "must be a database number"},
		{"redis://user@h", "a user name needs a password"},
		{"redis://user:@h", "a user name needs a password"},
		{"redis://:%zz" + secret + "@h", "password is not valid percent-encoding"},
		{"redis://h/0?dial_timeout=1s", `parameter "dial_timeout" is not accepted`},
		{"redis://h/0#frag", "#fragment"},
		{"redis-sentinel://s1,s2/0", "needs ?master="},
		{"redis-sentinel://s1?master=m&master=n", `"master" is given 2 times`},
		{"redis-sentinel://s1?master=m&sentinel_username=u", "sentinel_username needs sentinel_password"},
		{"redis-sentinel://s1?master=m&pasword=" + secret, `parameter "pasword" is not one of`},
		{"redis-sentinel://s1?master=m&sentinel_password=%zz" + secret, "query is not valid URL encoding"},
		{"redis-sentinel://s1,,s2?master=m", "empty host"},
		{"redis-sentinel://s1,s1:26379?master=m", "twice"},
		{"redis-cluster://n1:7000,n2:7000/1", "only database 0"},
		{"redis-cluster://n1?master=m", "only redis-sentinel URLs take parameters"},
		{"redis-cluster://" + strings.Repeat("n,", 70) + "n", "more than 64"},
		{"redis://" + strings.Repeat("h", 5000), "more than 4096"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			o, err := redisconn.Parse(tc.url)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error containing %q", o, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Parse error %q repeats the password", err)
			}
			if r := redisconn.Redact(tc.url); strings.Contains(r, secret) {
				t.Errorf("Redact = %q repeats the password", r)
			}
		})
	}
}

// TestConfigRefusesWithoutPassword: the configuration's start-up check
// reports a bad REDIS_URL by name, and neither its password nor its
// sentinels' password appears in the message.
func TestConfigRefusesWithoutPassword(t *testing.T) {
	for _, u := range []string{
		"redis-sentinel://:" + secret + "@s1,s2/0?sentinel_password=" + secret,
		"redis://:" + secret + "@h:notaport/0",
		"rediss://" + secret + "@h/0",
	} {
		_, err := config.FromEnv(func(k string) string { return map[string]string{"REDIS_URL": u}[k] })
		if err == nil {
			t.Fatalf("config.FromEnv accepted REDIS_URL %q", redisconn.Redact(u))
		}
		if !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), secret) {
			t.Errorf("config error %q: want REDIS_URL named and no password", err)
		}
	}
}

// TestClientsShareSettings: the asynq option and the go-redis client built
// from one URL carry the same addresses, credentials, database and TLS.
func TestClientsShareSettings(t *testing.T) {
	for _, raw := range []string{
		"rediss://app:" + secret + "@redis.example.com:6380/5",
		"redis-sentinel://:" + secret + "@s1,s2:26380/2?master=m1&sentinel_username=w&sentinel_password=p2",
		"rediss-cluster://:" + secret + "@n1:7000,n2:7001",
	} {
		o, err := redisconn.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		c := o.NewClient()
		t.Cleanup(func() { _ = c.Close() })
		switch opt := o.AsynqConnOpt().(type) {
		case asynq.RedisClientOpt:
			ro := c.(*redis.Client).Options()
			got := []any{ro.Addr, ro.Username, ro.Password, ro.DB, ro.TLSConfig.ServerName, ro.TLSConfig.MinVersion}
			want := []any{opt.Addr, opt.Username, opt.Password, opt.DB, opt.TLSConfig.ServerName, opt.TLSConfig.MinVersion}
			if diff := cmp.Diff(want, got); diff != "" || opt.Addr != "redis.example.com:6380" || opt.TLSConfig.ServerName != "redis.example.com" {
				t.Errorf("%s: asynq %+v, go-redis (-asynq +go-redis):\n%s", o, opt, diff)
			}
			if ro.TLSConfig == opt.TLSConfig {
				t.Errorf("%s: the two clients share one *tls.Config", o)
			}
		case asynq.RedisFailoverClientOpt:
			// The failover client's options are those of its master
			// connections; its sentinels are in the asynq option.
			ro := c.(*redis.Client).Options()
			if ro.Password != secret || ro.DB != 2 || opt.Password != secret || opt.DB != 2 || opt.MasterName != "m1" ||
				!cmp.Equal(opt.SentinelAddrs, []string{"s1:26379", "s2:26380"}) || opt.SentinelUsername != "w" || opt.SentinelPassword != "p2" {
				t.Errorf("%s: asynq %+v, go-redis master options %+v", o, opt, ro)
			}
		case asynq.RedisClusterClientOpt:
			ro := c.(*redis.ClusterClient).Options()
			if !cmp.Equal(ro.Addrs, opt.Addrs) || ro.Password != opt.Password || opt.Password != secret || ro.TLSConfig == nil || opt.TLSConfig == nil || ro.TLSConfig.MinVersion != tls.VersionTLS12 {
				t.Errorf("%s: asynq %+v, go-redis %+v", o, opt, ro)
			}
		default:
			t.Errorf("%s: asynq option %T", o, opt)
		}
	}
}

// TestSingleAgainstRedis: a redis:// URL's two clients reach the same real
// server and database: a task enqueued through asynq's option shows up in
// the database the go-redis client reads.
func TestSingleAgainstRedis(t *testing.T) {
	addr := testenv.Redis(t).Options().Addr
	o, err := redisconn.Parse("redis://" + addr + "/7")
	if err != nil {
		t.Fatal(err)
	}
	rdb := o.NewClient()
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	q := asynq.NewClient(o.AsynqConnOpt())
	t.Cleanup(func() { _ = q.Close() })
	if _, err := q.Enqueue(asynq.NewTask("probe", nil), asynq.Queue("probe"), asynq.TaskID("t1")); err != nil {
		t.Fatal(err)
	}
	n, err := rdb.LLen(ctx, "asynq:{probe}:pending").Result()
	if err != nil || n != 1 {
		t.Errorf("asynq:{probe}:pending in db 7 has %d tasks (%v), want 1", n, err)
	}
}

// FuzzParse: Parse never panics, and whatever it accepts prints (with
// passwords hidden) to a URL that parses to the same topology.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"redis://127.0.0.1:6379/0", "rediss://u:p@h:1/2", "redis://[::1]",
		"redis-sentinel://:p@s1,s2:26380/3?master=m&sentinel_password=q",
		"redis-cluster://n1:7000,n2:7001/", "redis://h/0?x=1", "redis://:%zz@h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := redisconn.Parse(raw)
		if err != nil {
			return
		}
		back, err := redisconn.Parse(o.String())
		if err != nil {
			t.Fatalf("%q parsed, but its printed form %q does not: %v", raw, o.String(), err)
		}
		if back.Mode != o.Mode || !cmp.Equal(back.Addrs, o.Addrs) || back.DB != o.DB || back.MasterName != o.MasterName ||
			back.Username != o.Username || (back.TLS == nil) != (o.TLS == nil) {
			t.Fatalf("%q: printed as %q, which parses to %+v, not %+v", raw, o.String(), back, o)
		}
	})
}
