package embedded

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// MongoOptions configure [StartMongo].
type MongoOptions struct {
	// Dir holds the SQLite files, one per database. It is created if
	// missing and kept after Close, so a later StartMongo on the same Dir
	// sees the data again. When empty, a temporary directory is used and
	// removed by Close.
	Dir string

	// Log, when set, receives FerretDB's warnings and errors (as text).
	// When nil, FerretDB logs nothing.
	Log io.Writer
}

// Mongo is a running embedded FerretDB started by [StartMongo].
type Mongo struct {
	// URI is the connection string for the MongoDB driver, for example
	// mongodb://127.0.0.1:41234/.
	URI string
	// Dir is the directory that holds the data.
	Dir string

	cancel  context.CancelFunc
	done    chan struct{} // closed when FerretDB's Run returns
	tempDir bool

	ids     *idIndexer
	idsDone chan struct{} // closed when the _id indexer stops

	closeOnce sync.Once
	closeErr  error
}

// ferretNewMu serialises ferretdb.New, which writes package-level state
// (the version info) without locking.
var ferretNewMu sync.Mutex

// mongoStartTimeout bounds the start when ctx has no deadline.
const mongoStartTimeout = 30 * time.Second

// StartMongo starts FerretDB v1 in this process with its SQLite handler,
// listening on a free port of 127.0.0.1, and returns once the MongoDB
// driver can ping it.
//
// FerretDB's embedded mode sends no telemetry (it disables it itself) and
// makes no network calls of its own. It does not implement TTL indexes,
// transactions, change streams or $lookup, and pushes only _id filters down
// to SQLite. ctx bounds the start only; the server runs until Close.
func StartMongo(ctx context.Context, opt MongoOptions) (*Mongo, error) {
	dir, temp := opt.Dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "quizflow-mongo-*")
		if err != nil {
			return nil, fmt.Errorf("start mongo: create temporary dir: %w", err)
		}
		dir, temp = d, true
	} else {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("start mongo: resolve dir %q: %w", dir, err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("start mongo: create dir: %w", err)
		}
		dir = abs
	}
	cleanup := func() {
		if temp {
			_ = os.RemoveAll(dir)
		}
	}

	logger := slog.New(slog.DiscardHandler)
	if opt.Log != nil {
		logger = slog.New(slog.NewTextHandler(opt.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	// A file URL escapes any character of the path that URLs treat specially;
	// the trailing slash tells FerretDB that this is a directory.
	//
	// synchronous(normal): in WAL mode (FerretDB's default) SQLite then
	// syncs its log at checkpoints, not at every commit. A commit is still
	// durable when the process crashes or is killed (it is in the log
	// before the commit returns); only a power loss or kernel crash can
	// roll back the last commits. SQLite has one writer and every store
	// write is a commit, so the per-commit fsync doubled a write's latency
	// (make bench: the pipeline row went from 19-23 to 25-28 documents/s).
	sqliteURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/", RawQuery: "_pragma=synchronous(normal)"}).String()

	ferretNewMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	ferretNewMu.Unlock()
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("start mongo: ferretdb in %s: %w", dir, err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	m := &Mongo{
		// The listener is bound by ferretdb.New, so the address is known.
		URI:     f.MongoDBURI(),
		Dir:     dir,
		cancel:  cancel,
		done:    make(chan struct{}),
		tempDir: temp,
	}
	go func() {
		defer close(m.done)
		_ = f.Run(runCtx)
	}()

	if _, ok := ctx.Deadline(); !ok {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, mongoStartTimeout)
		defer c()
	}
	m.ids = &idIndexer{dir: dir}
	m.idsDone = make(chan struct{})
	go func() {
		defer close(m.idsDone)
		m.ids.run(runCtx)
	}()
	if err := pingMongo(ctx, m.URI); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("start mongo: ferretdb at %s: %w", m.URI, err)
	}
	return m, nil
}

// pingMongo connects with the MongoDB driver and pings until the server
// answers or ctx ends.
func pingMongo(ctx context.Context, uri string) error {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(500 * time.Millisecond))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := client.Ping(ctx, readpref.Primary())
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ping: %w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// Close stops FerretDB, waits until it has closed its listener,
// connections and SQLite files (FerretDB gives connections that clients
// still hold open a few seconds' grace, so disconnect clients first), and removes the data directory if it was
// temporary. Close is idempotent.
func (m *Mongo) Close() error {
	m.closeOnce.Do(func() {
		m.cancel()
		<-m.done
		<-m.idsDone
		if m.tempDir {
			if err := os.RemoveAll(m.Dir); err != nil {
				m.closeErr = fmt.Errorf("close mongo: remove %s: %w", m.Dir, err)
			}
		}
	})
	return m.closeErr
}
