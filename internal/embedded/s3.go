package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	bolt "go.etcd.io/bbolt"
)

// Credentials and region reported by [StartS3]. gofakes3 does not check
// signatures, so any credentials work; these are the ones to configure.
const (
	S3Region    = "us-east-1"
	S3AccessKey = "quizflow"
	S3SecretKey = "quizflow-secret"
)

// S3BoltFile is the name of the bolt file that holds a persistent S3's data
// inside [S3Options.Dir].
const S3BoltFile = "s3.bolt"

// S3Options configure [StartS3].
type S3Options struct {
	// Dir, when set, persists buckets and objects in Dir/s3.bolt; a later
	// StartS3 on the same Dir sees them again. Only one S3 at a time can
	// use a Dir. When empty, everything is kept in memory.
	Dir string

	// Bucket, when set, is created if it does not exist yet. Bucket names
	// have 3 to 63 characters: a-z, 0-9 and '-', starting and ending with a
	// letter or digit.
	Bucket string
}

// S3 is a running S3-compatible server started by [StartS3]. Configure
// clients with path-style addressing (aws-sdk-go-v2: UsePathStyle: true).
// The endpoint is plain HTTP, over which aws-sdk-go-v2 cannot upload a
// non-seekable body: give PutObject a seekable one (bytes.Reader,
// strings.Reader, *os.File) or use multipart uploads.
//
// An S3 value built from the exported fields alone (a copy that points at
// the same server with another bucket, as testenv hands out) has no server
// to stop: its Close does nothing.
type S3 struct {
	// Endpoint is the base URL, for example http://127.0.0.1:41235.
	Endpoint string
	// Bucket is the bucket created from S3Options.Bucket, if any.
	Bucket string
	// Region, AccessKey and SecretKey are the client settings to use.
	Region    string
	AccessKey string
	SecretKey string

	srv   *s3Server
	owner bool // only the value StartS3 returned stops the server
}

// s3Server is the shared state behind an S3 and its copies.
type s3Server struct {
	backend gofakes3.Backend
	http    *http.Server
	served  chan struct{} // closed when Serve returns
	db      *bolt.DB      // nil for the memory backend

	closeOnce sync.Once
	closeErr  error
}

// StartS3 starts gofakes3 on a free port of 127.0.0.1, in memory or
// persisted to opt.Dir, and creates opt.Bucket. ctx bounds the start only;
// the server runs until Close.
func StartS3(ctx context.Context, opt S3Options) (*S3, error) {
	if opt.Bucket != "" {
		if err := gofakes3.ValidateBucketName(opt.Bucket); err != nil {
			return nil, fmt.Errorf("start s3: bucket %q: %w", opt.Bucket, err)
		}
	}
	srv := &s3Server{served: make(chan struct{})}
	if opt.Dir == "" {
		srv.backend = s3mem.New()
	} else {
		if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("start s3: create dir: %w", err)
		}
		file := filepath.Join(opt.Dir, S3BoltFile)
		// bolt locks the file; without a timeout a second server on the
		// same Dir would wait forever.
		db, err := bolt.Open(file, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			if errors.Is(err, bolt.ErrTimeout) {
				return nil, fmt.Errorf("start s3: %s is in use by another server: %w", file, err)
			}
			return nil, fmt.Errorf("start s3: open %s: %w", file, err)
		}
		srv.db = db
		srv.backend = s3bolt.New(db)
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		srv.closeDB()
		return nil, fmt.Errorf("start s3: listen: %w", err)
	}
	faker := gofakes3.New(srv.backend, gofakes3.WithAutoBucket(false))
	srv.http = &http.Server{
		Handler:           faker.Server(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(srv.served)
		_ = srv.http.Serve(ln)
	}()

	s := &S3{
		Endpoint:  "http://" + ln.Addr().String(),
		Bucket:    opt.Bucket,
		Region:    S3Region,
		AccessKey: S3AccessKey,
		SecretKey: S3SecretKey,
		srv:       srv,
		owner:     true,
	}
	if opt.Bucket != "" {
		if err := s.CreateBucket(opt.Bucket); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("start s3: %w", err)
		}
	}
	return s, nil
}

// CreateBucket creates the named bucket on this server unless it exists.
func (s *S3) CreateBucket(name string) error {
	if s.srv == nil {
		return errors.New("create bucket: this S3 has no server handle")
	}
	if err := gofakes3.ValidateBucketName(name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	exists, err := s.srv.backend.BucketExists(name)
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if err := s.srv.backend.CreateBucket(name); err != nil && !gofakes3.HasErrorCode(err, gofakes3.ErrBucketAlreadyExists) {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return nil
}

// DeleteBucket deletes the named bucket and everything in it; a missing
// bucket is not an error.
func (s *S3) DeleteBucket(name string) error {
	if s.srv == nil {
		return errors.New("delete bucket: this S3 has no server handle")
	}
	err := s.srv.backend.ForceDeleteBucket(name)
	if err != nil && !gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket) {
		return fmt.Errorf("delete bucket %q: %w", name, err)
	}
	return nil
}

// WithBucket returns a copy of s that names another bucket on the same
// server. The copy can create and delete buckets, but its Close does
// nothing: the original owns the server.
func (s *S3) WithBucket(name string) S3 {
	return S3{
		Endpoint:  s.Endpoint,
		Bucket:    name,
		Region:    s.Region,
		AccessKey: s.AccessKey,
		SecretKey: s.SecretKey,
		srv:       s.srv,
	}
}

// Close stops the server, waits for in-flight requests to finish (up to
// five seconds) and closes the bolt file of a persistent server. Close is
// idempotent and does nothing on a copy made by WithBucket or from the
// exported fields.
func (s *S3) Close() error {
	if s.srv == nil || !s.owner {
		return nil
	}
	srv := s.srv
	srv.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.http.Shutdown(ctx); err != nil {
			_ = srv.http.Close()
			srv.closeErr = fmt.Errorf("close s3: shutdown: %w", err)
		}
		<-srv.served
		if err := srv.closeDB(); err != nil && srv.closeErr == nil {
			srv.closeErr = fmt.Errorf("close s3: %w", err)
		}
	})
	return srv.closeErr
}

func (srv *s3Server) closeDB() error {
	if srv.db == nil {
		return nil
	}
	return srv.db.Close()
}
