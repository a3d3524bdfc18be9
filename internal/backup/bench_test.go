package backup_test

import (
	"context"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/backup"
)

// BenchmarkBackup and BenchmarkRestore report throughput on the embedded
// FerretDB (SQLite) and gofakes3: uncompressed BSON MB/s and documents/s
// through the archive, gzip and the S3 stand-in.
func BenchmarkBackup(b *testing.B) {
	bd := setup(b)
	bd.fill(b, 5000)
	bd.svc.Config.Files = false
	ctx := context.Background()
	var docs, bytes int64
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		bd.clock.add(time.Second)
		m, err := bd.svc.Run(ctx, backup.ID(bd.clock.now()), "manual")
		if err != nil {
			b.Fatal(err)
		}
		docs, bytes = docs+m.Documents, bytes+m.Bytes
	}
	report(b, docs, bytes, time.Since(start))
}

func BenchmarkRestore(b *testing.B) {
	bd := setup(b)
	bd.fill(b, 5000)
	bd.svc.Config.Files = false
	ctx := context.Background()
	m, err := bd.svc.Run(ctx, backup.ID(bd.clock.now()), "manual")
	if err != nil {
		b.Fatal(err)
	}
	dst := testenv2(b)
	var docs int64
	start := time.Now()
	for b.Loop() {
		res, err := bd.svc.Restore(ctx, backup.RestoreOptions{Manifest: m, Open: bd.openKey(m.ArchiveKey), DB: dst, Drop: true})
		if err != nil {
			b.Fatal(err)
		}
		docs += res.Documents
	}
	report(b, docs, m.Bytes*int64(b.N), time.Since(start))
}

func report(b *testing.B, docs, bytes int64, d time.Duration) {
	b.ReportMetric(float64(bytes)/1e6/d.Seconds(), "MB/s")
	b.ReportMetric(float64(docs)/d.Seconds(), "docs/s")
	b.Logf("%d documents, %.1f MB in %v", docs, float64(bytes)/1e6, d)
}
