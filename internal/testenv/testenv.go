// Package testenv gives any test hermetic backing services: Redis, MongoDB
// (FerretDB), S3 (gofakes3), an SMTP sink and, for tests that read mail
// back from a real SMTP server, Mailpit ([MailpitServer]), all on
// 127.0.0.1, started by the test binary itself. Nothing needs to run
// beforehand; redis-server must be on PATH, and mailpit on PATH or in
// $GOPATH/bin (`go install github.com/axllent/mailpit@v1.33.1`).
//
// # What is shared and what is per test
//
// One FerretDB and one S3 server are shared by every test of a test binary.
// They start lazily on the first [New] and stop in [Main]. Each test gets
// its own database name on the shared FerretDB and its own bucket on the
// shared S3, both dropped when the test ends, so tests do not see each
// other's records or files.
//
// Each test gets its own redis-server process (a few milliseconds to start)
// because asynq keeps queue state in fixed key names: two tests sharing a
// Redis would take each other's tasks. Each test also gets its own SMTP
// sink, so [embedded.SMTP.Messages] holds only that test's mail.
// Per-test services stop in t.Cleanup.
//
// All of this makes tests safe to run with t.Parallel.
//
// # Use
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		env := testenv.New(t)
//		db := testenv.MongoClient(t, env).Database(env.MongoDB)
//		s3c := testenv.S3Client(t, env) // put into env.S3.Bucket
//		rdb := testenv.RedisClient(t, env)
//		// send mail to env.SMTP.Addr, then env.SMTP.WaitFor(ctx, match)
//	}
//
// A service that cannot start fails the test with t.Fatalf; tests are never
// skipped for want of a service.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/sandbox"
)

// Env is one test's view of the backing services.
type Env struct {
	// RedisURL (redis://127.0.0.1:PORT/0) and RedisAddr (127.0.0.1:PORT)
	// name this test's own redis-server.
	RedisURL, RedisAddr string

	// MongoURI is the shared FerretDB; MongoDB is this test's database.
	MongoURI string
	MongoDB  string

	// S3 points at the shared S3 server; S3.Bucket is this test's bucket,
	// already created. Its Close does nothing.
	S3 embedded.S3

	// SMTP is this test's own SMTP sink.
	SMTP *embedded.SMTP
}

// startTimeout bounds the start of each service.
const startTimeout = 60 * time.Second

// shared holds the services shared by every test of the binary.
var shared struct {
	mongoOnce sync.Once
	mongo     *embedded.Mongo
	mongoErr  error

	s3Once sync.Once
	s3     *embedded.S3
	s3Err  error
}

// seq makes database and bucket names unique within the binary.
var (
	seqMu sync.Mutex
	seq   int
)

// Main runs the tests and then stops the shared services. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// It first calls sandbox.Main, so workers that the tests run can start
// extraction children (the test binary run again).
func Main(m *testing.M) {
	sandbox.Main()
	code := m.Run()
	if err := Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
	}
	os.Exit(code)
}

// Shutdown stops the shared services if they were started. [Main] calls it;
// call it yourself from a TestMain that cannot use Main. No test may use an
// Env after Shutdown.
func Shutdown() error {
	var errs []error
	if shared.mongo != nil {
		if err := shared.mongo.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if shared.s3 != nil {
		if err := shared.s3.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if sharedMailpit.mp != nil {
		if err := sharedMailpit.mp.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if sharedStripeMock.sm != nil {
		if err := sharedStripeMock.sm.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("shut down shared services: %v", errs)
	}
	return nil
}

// sharedMongo starts the shared FerretDB on first use, in a temporary
// directory that its Close removes.
func sharedMongo() (*embedded.Mongo, error) {
	shared.mongoOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		shared.mongo, shared.mongoErr = embedded.StartMongo(ctx, embedded.MongoOptions{})
	})
	return shared.mongo, shared.mongoErr
}

// sharedS3 starts the shared in-memory S3 on first use.
func sharedS3() (*embedded.S3, error) {
	shared.s3Once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		shared.s3, shared.s3Err = embedded.StartS3(ctx, embedded.S3Options{})
	})
	return shared.s3, shared.s3Err
}

// New starts or reuses the services for t (see the package documentation)
// and registers their cleanup with t.Cleanup. It fails t if any service
// cannot start.
func New(t testing.TB) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	env := &Env{}
	r := startRedis(ctx, t)
	env.RedisURL, env.RedisAddr = r.URL, r.Addr

	// MongoDB: the shared FerretDB, a database of our own.
	m, err := sharedMongo()
	if err != nil {
		t.Fatalf("testenv: shared mongo (ferretdb): %v", err)
	}
	env.MongoURI = m.URI
	env.MongoDB = uniqueName(t, "t_", 63, '_')
	t.Cleanup(func() { dropDatabase(t, env.MongoURI, env.MongoDB) })

	// S3: the shared server, a bucket of our own.
	s, err := sharedS3()
	if err != nil {
		t.Fatalf("testenv: shared s3 (gofakes3): %v", err)
	}
	bucket := strings.ToLower(uniqueName(t, "t-", 63, '-'))
	if err := s.CreateBucket(bucket); err != nil {
		t.Fatalf("testenv: s3 bucket for %s: %v", t.Name(), err)
	}
	env.S3 = s.WithBucket(bucket)
	t.Cleanup(func() {
		if err := s.DeleteBucket(bucket); err != nil {
			t.Logf("testenv: %v", err)
		}
	})

	// SMTP: a sink of our own.
	mail, err := embedded.StartSMTP(ctx)
	if err != nil {
		t.Fatalf("testenv: smtp sink for %s: %v", t.Name(), err)
	}
	t.Cleanup(func() {
		if err := mail.Close(); err != nil {
			t.Errorf("testenv: %v", err)
		}
	})
	env.SMTP = mail
	return env
}

// dropDatabase removes a test's database so the shared FerretDB stays small.
func dropDatabase(t testing.TB, uri, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Logf("testenv: drop database %s: connect: %v", name, err)
		return
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	if err := client.Database(name).Drop(ctx); err != nil {
		t.Logf("testenv: drop database %s: %v", name, err)
	}
}

// uniqueName builds a name from prefix, the test's name (letters and digits
// only, other characters replaced by sep) and a unique suffix, within max
// bytes. It is valid as a MongoDB database name (with sep '_') and, once
// lower-cased, as an S3 bucket name (with sep '-').
func uniqueName(t testing.TB, prefix string, max int, sep byte) string {
	seqMu.Lock()
	seq++
	n := seq
	seqMu.Unlock()
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	// The random part keeps names unique across test binaries that share
	// nothing today but might one day share a server (MONGODB_URI).
	suffix := fmt.Sprintf("%c%d%c%s", sep, n, sep, hex.EncodeToString(rnd[:]))

	var b strings.Builder
	for _, c := range strings.ToLower(t.Name()) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			if s := b.String(); len(s) > 0 && s[len(s)-1] != sep {
				b.WriteByte(sep)
			}
		}
	}
	name := strings.Trim(b.String(), string(sep))
	if room := max - len(prefix) - len(suffix); len(name) > room {
		name = strings.TrimRight(name[:room], string(sep))
	}
	return prefix + name + suffix
}

// MongoClient returns a MongoDB driver client connected to env's FerretDB,
// disconnected when t ends. Use env.MongoDB as the database.
func MongoClient(t testing.TB, env *Env) *mongo.Client {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(env.MongoURI))
	if err != nil {
		t.Fatalf("testenv: mongo client for %s: %v", env.MongoURI, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Disconnect(ctx)
	})
	return client
}

// S3Client returns an aws-sdk-go-v2 S3 client for env's S3: static
// credentials, path-style addressing, the embedded endpoint. Use
// env.S3.Bucket as the bucket.
func S3Client(t testing.TB, env *Env) *s3.Client {
	t.Helper()
	return NewS3Client(env.S3)
}

// NewS3Client returns an aws-sdk-go-v2 S3 client for any embedded S3.
func NewS3Client(s embedded.S3) *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		UsePathStyle: true,
	})
}

// startRedis starts the test's own redis-server (never miniredis: Lua
// scripts, TTLs and asynq need the real thing), stopped when t ends.
func startRedis(ctx context.Context, t testing.TB) *embedded.Redis {
	t.Helper()
	r, err := embedded.StartRedis(ctx, embedded.RedisOptions{})
	if err != nil {
		t.Fatalf("testenv: redis for %s: %v (tests need redis-server on PATH)", t.Name(), err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("testenv: %v", err)
		}
	})
	return r
}

// Redis starts a redis-server of t's own, without the other services,
// and returns a client for it; both end with t.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	r := startRedis(ctx, t)
	client := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// RedisClient returns a go-redis client for env's Redis, closed when t ends.
func RedisClient(t testing.TB, env *Env) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(env.RedisURL)
	if err != nil {
		t.Fatalf("testenv: parse %s: %v", env.RedisURL, err)
	}
	client := redis.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })
	return client
}
