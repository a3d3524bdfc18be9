package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself links (registered as "sqlite")
)

// FerretDB v1's SQLite backend answers a filter that is exactly {_id: x}
// (a find, an update or a delete by _id) with
//
//	WHERE _ferretdb_sjson->'$._id' = ?
//
// but builds its unique _id index on the expression _ferretdb_sjson->"_id".
// SQLite uses an expression index only for the same expression, so every
// lookup by _id reads and parses the whole collection: the cost of each
// read grows with the collection, and a pipeline that stores as it goes is
// quadratic (measured by the e2e pipeline benchmarks: an empty store and
// one holding 10,000 documents). idIndexer adds, to every collection table,
// an index on the expression FerretDB filters by. FerretDB knows nothing of
// it (its indexes live in its own metadata table) and it goes when the
// table is dropped.

// idIndexSuffix names the index added to each collection table.
const idIndexSuffix = "_qf_id"

// idIndexInterval is how often new collection tables are looked for.
const idIndexInterval = time.Second

// idIndexer indexes the collection tables of the SQLite files in dir.
type idIndexer struct {
	dir string

	mu   sync.Mutex
	seen map[string]time.Time // database file -> the change time last indexed
}

// run indexes new tables every idIndexInterval until ctx ends. A failure
// (a file being dropped, a busy database) is retried at the next tick.
func (x *idIndexer) run(ctx context.Context) {
	t := time.NewTicker(idIndexInterval)
	defer t.Stop()
	for {
		_ = x.indexAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// indexAll indexes the tables of every database file that changed since it
// was last indexed.
func (x *idIndexer) indexAll(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.seen == nil {
		x.seen = map[string]time.Time{}
	}
	files, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return fmt.Errorf("index _id: %w", err)
	}
	var errs []error
	for _, f := range files {
		changed := lastChange(f)
		if changed.IsZero() || changed.Equal(x.seen[f]) {
			continue
		}
		if err := indexFile(ctx, f); err != nil {
			errs = append(errs, err)
			continue
		}
		x.seen[f] = changed
	}
	return errors.Join(errs...)
}

// lastChange is the latest modification time of a database file and its
// write-ahead log (FerretDB runs SQLite in WAL mode, so a new table may be
// only in the log), or zero when the file is gone.
func lastChange(file string) time.Time {
	st, err := os.Stat(file)
	if err != nil {
		return time.Time{}
	}
	t := st.ModTime()
	if wal, err := os.Stat(file + "-wal"); err == nil && wal.ModTime().After(t) {
		t = wal.ModTime()
	}
	return t
}

// indexFile adds the _id expression index to every collection table of one
// database file that lacks it.
func indexFile(ctx context.Context, file string) error {
	// The same pragmas FerretDB opens its files with; busy_timeout lets the
	// CREATE INDEX wait for FerretDB's writers rather than fail.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(file), RawQuery: "_pragma=busy_timeout(10000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return fmt.Errorf("index _id in %s: %w", file, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `SELECT c.table_name FROM _ferretdb_collections c
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)
		AND EXISTS (SELECT 1 FROM sqlite_master t WHERE t.type = 'table' AND t.name = c.table_name)`, idIndexSuffix)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil // a database with no collection yet
		}
		return fmt.Errorf("index _id in %s: list tables: %w", file, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("index _id in %s: %w", file, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index _id in %s: %w", file, err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+idIndexSuffix, t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index _id in %s: table %s: %w", file, t, err)
		}
	}
	return nil
}

// IndexIDs adds the _id lookup index to every collection table that lacks
// it now, rather than at the next tick of the background indexer (which
// does the same every second for tables created later).
func (m *Mongo) IndexIDs(ctx context.Context) error {
	return m.ids.indexAll(ctx)
}
